//! JetInit (with crash recovery), JetTerm and JetStopService: the calls that move an
//! instance through its life, each with the check order of `ese-behaviour.md` §1.3 (first
//! failing check wins). The long ones take the instance's API lock (its `Lifecycle` state)
//! and pass the pause point `api_locked`, where a test harness can hold them.

use std::path::PathBuf;
use std::sync::Arc;

use jetapi::JetErr;

use crate::core::Core;
use crate::engine::{Engine, Instance, Process, lock};
use crate::handles::InstanceHandle;
use crate::lifecycle::{Lifecycle, RunMode};
use crate::params::InstanceParams;
use crate::paths::checked_path;
use crate::pause::API_LOCKED;
use crate::recovery::{RecoveryOptions, recover};

/// `JET_bitTermComplete`.
pub const TERM_COMPLETE: u32 = 0x1;
/// `JET_bitTermAbrupt`.
pub const TERM_ABRUPT: u32 = 0x2;
/// `JET_bitTermStopBackup`.
pub const TERM_STOP_BACKUP: u32 = 0x4;
/// `JET_bitTermDirty`.
pub const TERM_DIRTY: u32 = 0x8;
/// `JET_bitReplayIgnoreMissingDB`.
pub const REPLAY_IGNORE_MISSING_DB: u32 = 0x4;
/// `JET_bitReplayMissingMapEntryDB`, which JetInit2 always adds.
pub const REPLAY_MISSING_MAP_ENTRY_DB: u32 = 0x20;
const STOP_SERVICE_BITS: u32 = 0x2 | 0x4 | 0x8 | 0x8000_0000;
const STOP_AND_EMIT_LOG: u32 = 0x8;
const STOP_RESUME: u32 = 0x8000_0000;

impl Engine {
    /// JetInit.
    pub fn init(&self, instance: Option<&mut InstanceHandle>) -> Result<(), JetErr> {
        self.init3(instance, &[], 0)
    }

    /// JetInit2: JetInit with grbits; always adds `JET_bitReplayMissingMapEntryDB`.
    pub fn init2(&self, instance: Option<&mut InstanceHandle>, grbit: u32) -> Result<(), JetErr> {
        self.init3(instance, &[], grbit | REPLAY_MISSING_MAP_ENTRY_DB)
    }

    /// JetInit3: `restore_map` is `(name in the logs, where the database is now)`.
    pub fn init3(
        &self,
        mut instance: Option<&mut InstanceHandle>,
        restore_map: &[(String, String)],
        grbit: u32,
    ) -> Result<(), JetErr> {
        let mut p = lock(&self.process);
        if p.mode == RunMode::MultiInst && instance.is_none() {
            return Err(JetErr::RunningInMultiInstanceMode);
        }
        if p.mode == RunMode::OneInst && !p.instances.is_empty() {
            return Err(JetErr::AlreadyInitialized);
        }
        let given = instance.as_deref().copied().unwrap_or(InstanceHandle::NULL);
        let allocate = p.mode != RunMode::MultiInst || given.is_null_or_nil();
        if p.mode == RunMode::NoSet {
            p.set_mode(RunMode::OneInst);
        }
        let inst = if allocate {
            match self.new_instance(&mut p, None, None) {
                Ok(i) => i,
                Err(e) => {
                    if p.instances.is_empty() {
                        p.set_mode(RunMode::NoSet);
                    }
                    return Err(e);
                }
            }
        } else {
            p.find(given)?
        };
        let params = {
            let mut api = lock(&inst.api);
            match api.state {
                // jetapi.cxx INST::ErrAPIEnterForInit checks only `m_fJetInitialized`, not the
                // API lock: a held JetTerm keeps it set until the term completes
                // (ErrTermComplete), and a restore sets it while it runs (§6.3).
                Lifecycle::Running
                | Lifecycle::Terminating
                | Lifecycle::Initializing
                | Lifecycle::Restoring => return Err(JetErr::AlreadyInitialized),
                Lifecycle::Created | Lifecycle::Freed => {}
            }
            api.move_to(Lifecycle::Initializing);
            api.params.clone()
        };
        let page_size = usize::try_from(p.global.page_size).expect("range-checked");
        let collision = path_collision(&p, &inst, &params);
        drop(p);
        // The API lock is held ("initializing"): a harness can hold JetInit here.
        self.pauses.pass(API_LOCKED);
        let result =
            collision.and_then(|()| self.start_core(&params, page_size, restore_map, grbit));
        let mut p = lock(&self.process);
        match result {
            Ok(mut core) => {
                core.owner = inst.handle;
                *lock(&inst.core) = Some(core);
                let mut api = lock(&inst.api);
                api.move_to(Lifecycle::Running);
                api.backup_allowed = true;
                if let Some(out) = instance.as_mut() {
                    **out = inst.handle;
                }
                Ok(())
            }
            Err(e) => {
                lock(&inst.api).move_to(Lifecycle::Freed);
                p.free(&inst);
                if let Some(out) = instance.as_mut() {
                    **out = InstanceHandle::NULL;
                }
                Err(e)
            }
        }
    }

    fn start_core(
        &self,
        params: &InstanceParams,
        page_size: usize,
        restore_map: &[(String, String)],
        grbit: u32,
    ) -> Result<Core, JetErr> {
        let storage = self.storage.as_ref();
        let system_dir = checked_path(&params.system_path)?;
        let log_dir = checked_path(&params.log_file_path)?;
        for (dir, missing) in [
            (&system_dir, JetErr::InvalidSystemPath),
            (&log_dir, JetErr::InvalidLogDirectory),
        ] {
            if !storage.exists(dir).map_err(|_| JetErr::DiskIO)? {
                if !params.create_path_if_not_exist {
                    return Err(missing);
                }
                storage
                    .create_dir_all(dir)
                    .map_err(crate::errors::in_area(crate::errors::Area::Directory))?;
            }
        }
        let recovered = if params.recovery {
            let options = RecoveryOptions {
                restore_map: restore_map.to_vec(),
                ignore_missing_db: grbit & REPLAY_IGNORE_MISSING_DB != 0,
                delete_out_of_range_logs: params.delete_out_of_range_logs,
                mutant: params.mutant,
            };
            recover(
                storage,
                &system_dir,
                &log_dir,
                &params.base_name,
                page_size,
                &options,
            )?
        } else {
            Default::default()
        };
        Core::start(
            Arc::clone(&self.storage),
            params.clone(),
            page_size,
            system_dir,
            log_dir,
            recovered,
            self.generation_max.clone(),
        )
    }

    /// JetTerm: exactly JetTerm2 with `JET_bitTermAbrupt` (in the `documented` profile, a
    /// plain term does not stop a running backup).
    pub fn term(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        self.term_with(instance, TERM_ABRUPT, true)
    }

    /// JetTerm2 (§1.3, §3.3).
    pub fn term2(&self, instance: InstanceHandle, grbit: u32) -> Result<(), JetErr> {
        self.term_with(instance, grbit, false)
    }

    fn term_with(&self, instance: InstanceHandle, grbit: u32, plain: bool) -> Result<(), JetErr> {
        let documented = self.documented();
        let inst = {
            let mut p = lock(&self.process);
            let inst = p.find_checked(instance, self.profile)?;
            let mut api = lock(&inst.api);
            match api.state {
                Lifecycle::Created => {
                    api.move_to(Lifecycle::Freed);
                    drop(api);
                    p.free(&inst);
                    return Ok(());
                }
                Lifecycle::Initializing | Lifecycle::Freed => return Err(JetErr::NotInitialized),
                Lifecycle::Terminating => return Err(JetErr::TermInProgress),
                // §6.4: the restore's API lock refuses a concurrent JetTerm.
                Lifecycle::Restoring => return Err(JetErr::RestoreInProgress),
                Lifecycle::Running => {}
            }
            // `failed-term-blocks-backup`: the pages say a failed term changes nothing.
            if !documented {
                api.backup_allowed = false;
            }
            api.move_to(Lifecycle::Terminating);
            drop(api);
            inst
        };
        self.pauses.pass(API_LOCKED);
        let mut core_slot = lock(&inst.core);
        let core = core_slot.as_mut().expect("a running instance has a core");
        let unavailable = lock(&inst.api).unavailable;
        if unavailable.is_none() && grbit & TERM_DIRTY == 0 {
            // §3.3: a running backup is stopped by JET_bitTermStopBackup or JET_bitTermAbrupt
            // (plain JetTerm); otherwise the term fails and the instance keeps running, with
            // backups refused until it is terminated and initialized again.
            // `plain-term-stops-backup`: the pages stop a backup only for TermStopBackup.
            let stops_backup = if documented {
                grbit & TERM_STOP_BACKUP != 0 && !plain
            } else {
                grbit & (TERM_STOP_BACKUP | TERM_ABRUPT) != 0
            };
            if let Some(kind) = core.backup.as_ref().map(|b| b.is_local()) {
                if stops_backup {
                    crate::backup::end_backup(core);
                } else {
                    lock(&inst.api).move_to(Lifecycle::Running);
                    return Err(if kind {
                        JetErr::BackupInProgress
                    } else {
                        JetErr::SurrogateBackupInProgress
                    });
                }
            }
        }
        // sysinit.cxx ErrINSTTerm: a term that is not an error term (tm.cxx ErrIsamTerm picks
        // one for JET_bitTermDirty and for an unavailable instance) fails while a transaction
        // is open, whatever has become of the log.
        // `abrupt-term-with-open-transactions`: the pages report open transactions only for
        // JET_bitTermComplete.
        let error_term = grbit & TERM_DIRTY != 0 || unavailable.is_some();
        let checks_users = !documented || grbit & TERM_COMPLETE != 0;
        if !error_term && checks_users && core.sessions.values().any(|s| s.txn.is_some()) {
            lock(&inst.api).move_to(Lifecycle::Running);
            return Err(JetErr::TooManyActiveUsers);
        }
        let result = if grbit & TERM_DIRTY != 0 {
            Err(JetErr::DirtyShutdown)
        } else if unavailable.is_none() && core.log_stopped_deliberately {
            // JetStopServiceInstance2(StopAndEmitLog) ended logging on purpose: nothing more
            // is written, and the next JetInit recovers from the log as it stands.
            Ok(())
        } else if unavailable.is_some() {
            // An unavailable instance shuts down as after an error: nothing is flushed, no
            // term record is logged (the next JetInit recovers), and the term reports success
            // (ESE source: tm.cxx ErrIsamTerm picks termtypeError; sysinit.cxx ErrINSTTerm
            // skips the checkpoint and buffer flushes for it; log.cxx ErrLGTerm closes the log
            // without flushing).
            Ok(())
        } else if let Some(e) = core.failed {
            // With log writes stopped, ESE's term logs no term record (log.cxx ErrLGTerm goes
            // straight to its cleanup when m_fLGNoMoreLogWrite); what can still fail is the
            // flush of the databases' dirty pages (sysinit.cxx ErrINSTTerm, ErrBFFlush). With
            // no database attached there is nothing to flush: success, and the next JetInit
            // recovers from the log as it stands.
            if core.dbs.is_empty() { Ok(()) } else { Err(e) }
        } else {
            core.shut_down_clean()
        };
        *core_slot = None;
        drop(core_slot);
        lock(&self.attached).retain(|_, owner| *owner != inst.handle);
        let mut p = lock(&self.process);
        lock(&inst.api).move_to(Lifecycle::Freed);
        p.free(&inst);
        result
    }

    /// JetStopService (legacy): the one-instance mode check, then JetStopServiceInstance.
    pub fn stop_service(&self) -> Result<(), JetErr> {
        let handle = {
            let p = lock(&self.process);
            match p.mode {
                RunMode::NoSet => return Err(JetErr::InvalidParameter),
                RunMode::MultiInst => return Err(JetErr::RunningInMultiInstanceMode),
                RunMode::OneInst => p.find(InstanceHandle::NULL)?.handle,
            }
        };
        self.stop_service_instance(handle)
    }

    /// JetStopServiceInstance: a full stop.
    pub fn stop_service_instance(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        self.stop_service_instance2(instance, 0)
    }

    /// JetStopServiceInstance2 (§1.3, §3.2).
    pub fn stop_service_instance2(
        &self,
        instance: InstanceHandle,
        grbit: u32,
    ) -> Result<(), JetErr> {
        let inst = lock(&self.process).find_checked(instance, self.profile)?;
        if grbit & !STOP_SERVICE_BITS != 0
            || (grbit & STOP_AND_EMIT_LOG != 0 && grbit != STOP_AND_EMIT_LOG)
        {
            return Err(JetErr::InvalidGrbit);
        }
        let mut api = lock(&inst.api);
        if grbit & STOP_RESUME != 0 {
            if api.stop_service {
                return Err(JetErr::ClientRequestToStopJetService);
            }
            let bits = grbit & !STOP_RESUME;
            api.stopped_services &= if bits == 0 { 0 } else { !bits };
            return Ok(());
        }
        if grbit == 0 {
            api.stop_service = true;
        } else if grbit == STOP_AND_EMIT_LOG {
            drop(api);
            if let Some(core) = lock(&inst.core).as_mut() {
                let _ = core.log_flush();
                core.failed.get_or_insert(JetErr::LogWriteFail);
                core.log_stopped_deliberately = true;
            }
        } else {
            api.stopped_services |= grbit;
        }
        Ok(())
    }
}

/// Paths already used by another initialized instance (§1.3 ErrInit).
pub(crate) fn path_collision(
    p: &Process,
    me: &Instance,
    params: &InstanceParams,
) -> Result<(), JetErr> {
    let norm = |s: &str| checked_path(s).unwrap_or_else(|_| PathBuf::from(s));
    for other in p.instances.values() {
        if other.handle == me.handle {
            continue;
        }
        let api = lock(&other.api);
        if matches!(api.state, Lifecycle::Created | Lifecycle::Freed) {
            continue;
        }
        let o = &api.params;
        if norm(&o.temp_path) == norm(&params.temp_path) {
            return Err(JetErr::TempPathInUse);
        }
        if norm(&o.system_path) == norm(&params.system_path) {
            return Err(JetErr::SystemPathInUse);
        }
        if norm(&o.log_file_path) == norm(&params.log_file_path) {
            return Err(JetErr::LogFilePathInUse);
        }
    }
    Ok(())
}
