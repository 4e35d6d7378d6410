//! Moves of the world around the API that a test harness asks for by name (the trace
//! contract's `RollLog`, `FlushCheckpoint`, and with the storage seam `FailLogWrites` and
//! `MakeUnavailable`): what the instance's log writer and checkpoint thread do on their own,
//! made to happen now. A move whose preconditions do not hold (the instance is not running, its
//! service was stopped, it is unavailable, logging is off or has failed) changes nothing and
//! reports `false`, as the model's environment moves do; an I/O failure while it runs is a
//! `JET_err`, and fails the instance as any such failure does.
//!
//! `FailLogWrites` and `MakeUnavailable` are two halves: the harness arms a write fault on the
//! instance's log directory ([`Engine::log_directory`], `FaultyStorage`), then makes the
//! instance write its log now ([`Engine::write_log_now`]) or roll a transaction back now
//! ([`Engine::roll_back_now`]); the failure then takes the engine's own path, so what the
//! instance records is what a failed commit or rollback would record.

use std::path::PathBuf;

use jetapi::JetErr;

use crate::core::Core;
use crate::engine::{Engine, lock};
use crate::handles::InstanceHandle;
use crate::lifecycle::Lifecycle;
use crate::log::LogRecord;

impl Engine {
    /// `f` on the core of a running instance whose logging works; `Ok(None)` otherwise.
    fn environment_move<R>(
        &self,
        instance: InstanceHandle,
        f: impl FnOnce(&mut Core) -> Result<R, JetErr>,
    ) -> Result<Option<R>, JetErr> {
        let Ok(inst) = lock(&self.process).find(instance) else {
            return Ok(None);
        };
        {
            let api = lock(&inst.api);
            if api.state != Lifecycle::Running || api.stop_service || api.unavailable.is_some() {
                return Ok(None);
            }
        }
        let mut slot = lock(&inst.core);
        match slot.as_mut() {
            Some(core) if core.log.is_some() && core.failed.is_none() => {
                let result = f(core).map(Some);
                self.publish_unavailable(&inst, core);
                result
            }
            Some(_) | None => Ok(None),
        }
    }

    /// `RollLog`: the current generation is closed and the next begins. True when it happened;
    /// a log at its last generation (`generations.rs`) does not roll, and that is no failure.
    pub fn roll_log(&self, instance: InstanceHandle) -> Result<bool, JetErr> {
        match self.environment_move(instance, Core::roll_log) {
            Err(JetErr::LogSequenceEnd) => Ok(false),
            done => done.map(|done| done.is_some()),
        }
    }

    /// `FlushCheckpoint`: dirty pages are written and the checkpoint advances to the oldest
    /// open transaction or the end of the log (circular logging then deletes what it no longer
    /// needs). True when it happened.
    pub fn flush_checkpoint(&self, instance: InstanceHandle) -> Result<bool, JetErr> {
        self.environment_move(instance, Core::checkpoint)
            .map(|done| done.is_some())
    }

    /// Test hook: the directory of a running instance's log files (where `FailLogWrites` aims
    /// its fault), as a storage path; `None` when an environment move would not apply (see
    /// the module documentation).
    pub fn log_directory(&self, instance: InstanceHandle) -> Option<PathBuf> {
        self.environment_move(instance, |core| Ok(core.log_dir.clone()))
            .ok()
            .flatten()
    }

    /// Test hook (`FailLogWrites`): the log writer writes now: the rollback record of a
    /// transaction that changed nothing is appended and made durable, which recovery
    /// ignores. A failure is recorded as any failed log write is (EIO stops logging,
    /// `JET_errLogWriteFail` from then on; ENOSPC leaves the log disk full,
    /// `JET_errLogDiskFull`) and returned. True when the write happened.
    pub fn write_log_now(&self, instance: InstanceHandle) -> Result<bool, JetErr> {
        self.environment_move(instance, |core| {
            let txn = core.next_txn;
            core.next_txn += 1;
            core.log_append(&LogRecord::Rollback { txn })?;
            core.log_flush()
        })
        .map(|done| done.is_some())
    }

    /// Test hook (`MakeUnavailable`): a rollback runs now, and its record is made durable at
    /// once. A rollback cannot fail: when its log write does, the instance becomes unavailable
    /// (ese-behaviour.md §7; `JET_errInstanceUnavailableDueToFatalLogDiskFull` after ENOSPC)
    /// and every entry check refuses from then on. Returns the write's failure; true when the
    /// rollback ran.
    pub fn roll_back_now(&self, instance: InstanceHandle) -> Result<bool, JetErr> {
        self.environment_move(instance, |core| {
            let txn = core.next_txn;
            core.next_txn += 1;
            let logged = core
                .log_append(&LogRecord::Rollback { txn })
                .and_then(|()| core.log_flush());
            if logged.is_err() && !core.log_stopped_deliberately {
                core.rollback_failed();
            }
            logged
        })
        .map(|done| done.is_some())
    }
}
