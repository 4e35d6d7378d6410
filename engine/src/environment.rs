//! Moves of the world around the API that a test harness asks for by name (the trace
//! contract's `RollLog` and `FlushCheckpoint`): what the instance's log writer and checkpoint
//! thread do on their own, made to happen now. A move whose preconditions do not hold (the
//! instance is not running, its service was stopped, logging is off or has failed) changes
//! nothing and reports `false`, as the model's environment moves do; an I/O failure while it
//! runs is a `JET_err`, and fails the instance as any such failure does.

use jetapi::JetErr;

use crate::core::Core;
use crate::engine::{Engine, lock};
use crate::handles::InstanceHandle;
use crate::lifecycle::Lifecycle;

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
            Some(core) if core.log.is_some() && core.failed.is_none() => f(core).map(Some),
            Some(_) | None => Ok(None),
        }
    }

    /// `RollLog`: the current generation is closed and the next begins. True when it happened.
    pub fn roll_log(&self, instance: InstanceHandle) -> Result<bool, JetErr> {
        self.environment_move(instance, Core::roll_log)
            .map(|done| done.is_some())
    }

    /// `FlushCheckpoint`: dirty pages are written and the checkpoint advances to the oldest
    /// open transaction or the end of the log (circular logging then deletes what it no longer
    /// needs). True when it happened.
    pub fn flush_checkpoint(&self, instance: InstanceHandle) -> Result<bool, JetErr> {
        self.environment_move(instance, Core::checkpoint)
            .map(|done| done.is_some())
    }
}
