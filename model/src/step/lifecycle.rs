//! Instances, the run mode, sessions and databases: JetEnableMultiInstance, JetCreateInstance,
//! JetSetSystemParameter, JetInit*, JetTerm*, JetStopService*, JetStopBackup*, and the session
//! and database calls the backup family depends on (`ese-behaviour.md` §1.1, §1.3, §3).

use jetapi::JetErr;

use super::{Spec, Transition, moved, refuse, unchanged};
use crate::action::{GlobalParams, InitArg, InstArg, NameArg, ParamArg, Target};
use crate::profile::Divergence;
use crate::state::{
    BackupKind, CheckpointFile, DbFile, Health, Life, Pending, RunMode, Session, State, Violation,
};

/// `JET_bitTermComplete`.
pub(crate) const TERM_COMPLETE: u32 = 0x1;
/// `JET_bitTermAbrupt`.
pub(crate) const TERM_ABRUPT: u32 = 0x2;
/// `JET_bitTermStopBackup`.
pub(crate) const TERM_STOP_BACKUP: u32 = 0x4;
/// `JET_bitTermDirty`.
pub(crate) const TERM_DIRTY: u32 = 0x8;
const STOP_SERVICE_BACKGROUND: u32 = 0x2;
const STOP_SERVICE_QUIESCE: u32 = 0x4;
const STOP_SERVICE_EMIT_LOG: u32 = 0x8;
const STOP_SERVICE_RESUME: u32 = 0x8000_0000;

impl Spec {
    pub(super) fn enable_multi_instance(&self, s: &State, params: GlobalParams) -> Transition {
        if params == GlobalParams::NullWithCount {
            return unchanged(
                JetErr::InvalidParameter,
                "§1.3 EnableMultiInstance: count with NULL array",
            );
        }
        match s.mode {
            RunMode::OneInst => unchanged(
                JetErr::RunningInOneInstanceMode,
                "§1.3 EnableMultiInstance in one-instance mode",
            ),
            // jetapi.cxx CJetParam::ValidateSet refuses a string longer than the parameter's
            // range (246 characters for JET_paramSystemPath, sysparamtable.g.cxx) before
            // SetFolder completes the path.
            RunMode::NoSet if params == GlobalParams::BadPath => unchanged(
                JetErr::InvalidParameter,
                "§1.3 EnableMultiInstance: setting a parameter failed (CJetParam::ValidateSet: path longer than 246)",
            ),
            // jetapi.cxx JetEnableMultiInstanceEx, after comparing each given parameter with
            // the current value, walks every global parameter that may not change after global
            // init (fMayNotWriteAfterGlobalInit, sysparamtable.g.cxx) and refuses one written
            // before but not given now. Every trace sets JET_paramMaxInstances, such a parameter,
            // first (to_trace.rs `max_instances`, again after a Crash) and no list here names it:
            // in multi-instance mode the answer is SystemParameterConflict unless the list gives
            // it again, with its value: then every check passes and the answer is
            // SystemParamsAlreadySet.
            RunMode::MultiInst if params == GlobalParams::Again => unchanged(
                JetErr::SystemParamsAlreadySet,
                "§1.3 EnableMultiInstance: already multi-instance, the parameters unchanged",
            ),
            // With JET_paramMaxInstances never written (a hand-written trace's process) an
            // empty list leaves nothing written before and not given now.
            RunMode::MultiInst if params == GlobalParams::Empty && !self.max_instances_written => {
                unchanged(
                    JetErr::SystemParamsAlreadySet,
                    "§1.3 EnableMultiInstance: already multi-instance, nothing written before",
                )
            }
            RunMode::MultiInst => {
                if !self.documented(Divergence::MultiInstanceParameterConflict) {
                    unchanged(
                        JetErr::SystemParameterConflict,
                        "§1.3 EnableMultiInstance: parameters conflict",
                    )
                } else {
                    unchanged(
                        JetErr::SystemParamsAlreadySet,
                        "§1.3 EnableMultiInstance: already multi-instance",
                    )
                }
            }
            RunMode::NoSet => {
                let mut next = s.clone();
                next.mode = RunMode::MultiInst;
                moved(
                    next,
                    JetErr::Success,
                    "§1.3 EnableMultiInstance: NoSet to multi-instance",
                )
            }
        }
    }

    /// `ErrNewInst`: the lowest free slot, or why there is none.
    fn new_instance_slot(&self, s: &State, name: Option<u8>) -> Result<u8, super::Outcome> {
        if s.live_count() >= usize::from(self.config.instances) {
            return Err(refuse(
                JetErr::TooManyInstances,
                "§1.3 ErrNewInst: JET_paramMaxInstances reached",
            ));
        }
        if s.instances.iter().any(|i| i.is_live() && i.name == name) {
            return Err(refuse(
                JetErr::InstanceNameInUse,
                "§1.3 ErrNewInst: name (or NULL) in use",
            ));
        }
        let slot = s.instances[..usize::from(self.config.instances)]
            .iter()
            .position(|i| !i.is_live())
            .expect("fewer live instances than slots leaves a free slot");
        Ok(slot as u8)
    }

    pub(super) fn create_instance(&self, s: &State, name: NameArg, null_out: bool) -> Transition {
        if null_out {
            return unchanged(
                JetErr::InvalidParameter,
                "§1.3 CreateInstance: NULL pinstance",
            );
        }
        if s.mode == RunMode::OneInst {
            return unchanged(
                JetErr::RunningInOneInstanceMode,
                "§1.3 CreateInstance in one-instance mode",
            );
        }
        let name = match name {
            NameArg::Null => None,
            NameArg::Named(k) => Some(k),
        };
        let slot = match self.new_instance_slot(s, name) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        let mut next = s.clone();
        next.mode = RunMode::MultiInst;
        let inst = &mut next.instances[usize::from(slot)];
        debug_assert!(Life::can_transition(inst.life, Life::Created));
        inst.life = Life::Created;
        inst.name = name;
        moved(next, JetErr::Success, "§1.3 CreateInstance: allocated")
    }

    /// JetSetSystemParameterEx's order: the instance, the API lock (`FEnterWithoutInit`), the
    /// parameter id, then whether it may still be set.
    pub(super) fn set_param(&self, s: &State, inst: InstArg, param: ParamArg) -> Transition {
        // Before any instance exists the value becomes the process-wide default, which the
        // next instance starts from (kept in the unused worker slot until then).
        // JetSetSystemParameterEx picks the instance by the run mode: in NoSet mode none,
        // whatever the handle; in one-instance mode the single instance, whatever the handle;
        // in multi-instance mode a handle other than 0 / JET_instanceNil is validated
        // (ErrJetValidateInstance, ESENT builds) and must name a live instance.
        let live = matches!(inst, InstArg::Slot(i) if s.instances[usize::from(i)].is_live());
        let esent = !self.documented(Divergence::SetParamInstanceHandle);
        let global = s.mode == RunMode::NoSet && (inst == InstArg::Zero || esent);
        let slot = match inst {
            InstArg::Slot(i) if live => i,
            _ if global => 0,
            _ if esent && s.mode == RunMode::OneInst => s
                .single_instance()
                .expect("one-instance mode has its instance"),
            _ => {
                return unchanged(
                    JetErr::InvalidInstance,
                    if esent {
                        "jetapi.cxx JetSetSystemParameterEx: ErrJetValidateInstance (multi-instance mode)"
                    } else {
                        "doc:JetSetSystemParameter InvalidInstance row"
                    },
                );
            }
        };
        // `FEnterWithoutInit`: a held term or restore refuses before the parameter is looked at.
        if let Err(outcome) = self.held_lock_check(s, slot) {
            return (None, outcome);
        }
        if slot == 0 && s.probe == Some(crate::state::Probe::InitHeld) {
            return unchanged(
                JetErr::InitInProgress,
                "INST::ErrAPIEnterWithoutInit: API lock held by JetInit",
            );
        }
        if param == ParamArg::UnknownId {
            return unchanged(
                JetErr::InvalidParameter,
                "ErrSetSystemParameter: parameter id past g_cparam",
            );
        }
        let current = &s.instances[usize::from(slot)];
        // CJetParam::ValidateSet: a number equal to the current value is accepted before
        // fMayNotWriteAfterInstanceInit refuses a change (strings compare by pointer: never).
        if param == ParamArg::CircularLogOn && current.settings.circular {
            return unchanged(
                JetErr::Success,
                "jetapi.cxx CJetParam::ValidateSet: the value is the current one",
            );
        }
        if current.life == Life::Initialized {
            return unchanged(
                JetErr::AlreadyInitialized,
                "doc:JetSetSystemParameter: not settable after JetInit",
            );
        }
        if param == ParamArg::BadPath {
            // The length check comes before the path is completed: JET_errInvalidPath is only
            // for a path of at most 246 characters that ErrPathComplete cannot complete.
            return unchanged(
                JetErr::InvalidParameter,
                "jetapi.cxx CJetParam::ValidateSet: JET_paramLogFilePath longer than its range (246, sysparamtable.g.cxx)",
            );
        }
        let mut next = s.clone();
        let settings = &mut next.instances[usize::from(slot)].settings;
        match param {
            ParamArg::CircularLogOn => settings.circular = true,
            ParamArg::RecoveryOff => settings.recovery_off = true,
            ParamArg::OneDbPerSession | ParamArg::BadPath | ParamArg::UnknownId => {}
        }
        if global {
            // A process-wide value (no instance yet): every slot's next instance starts from it.
            let defaults = next.instances[usize::from(slot)].settings;
            next.defaults = defaults;
            for inst in next.instances.iter_mut() {
                inst.settings = defaults;
            }
        }
        // Kept as a probe condition, for the worker only (the model's one session per instance
        // never opens two databases otherwise).
        if param == ParamArg::OneDbPerSession && slot == 0 && next.probe.is_none() {
            next.probe = Some(crate::state::Probe::OneDbPerSession);
        }
        if next == *s {
            return unchanged(JetErr::Success, "doc:JetSetSystemParameter sets the value");
        }
        moved(
            next,
            JetErr::Success,
            "doc:JetSetSystemParameter sets the value",
        )
    }

    pub(super) fn init(&self, s: &State, arg: InitArg) -> Transition {
        if arg == InitArg::Null && s.mode == RunMode::MultiInst {
            return unchanged(
                JetErr::RunningInMultiInstanceMode,
                "§1.3 JetInit: NULL pinstance in multi-instance mode",
            );
        }
        if s.mode == RunMode::OneInst {
            return unchanged(
                JetErr::AlreadyInitialized,
                "§1.3 JetInit: the single instance exists",
            );
        }
        let allocate = s.mode == RunMode::NoSet
            || matches!(
                arg,
                InitArg::Fresh | InitArg::Handle(InstArg::Zero | InstArg::Nil)
            );
        let mut next = s.clone();
        let slot = if allocate {
            match self.new_instance_slot(s, None) {
                Ok(slot) => {
                    if s.mode == RunMode::NoSet {
                        next.mode = RunMode::OneInst;
                    }
                    next.instances[usize::from(slot)].life = Life::Created;
                    slot
                }
                Err(outcome) => return (None, outcome),
            }
        } else {
            match arg {
                InitArg::Handle(InstArg::Slot(i)) if s.instances[usize::from(i)].is_live() => i,
                _ => return unchanged(JetErr::InvalidParameter, "§1.3 JetInit: ErrFindPinst"),
            }
        };
        if s.jet_initialized(slot) {
            return unchanged(
                JetErr::AlreadyInitialized,
                "§1.3 JetInit: ErrAPIEnterForInit",
            );
        }
        // A damaged checkpoint is no recovery error: logredo.cxx LOG::ErrLGSoftStart ignores a
        // checkpoint that ErrLGReadCheckpoint cannot read (both copies bad), deletes it and
        // replays from the lowest log generation present (`complete_init`).
        self.complete_init(&mut next, slot);
        moved(next, JetErr::Success, "§1.3 JetInit: initialized")
    }

    /// A successful JetInit: crash recovery replays the logs (from the checkpoint, or from the
    /// oldest log when the checkpoint is damaged or missing: logredo.cxx ErrLGSoftStart), and
    /// writes a good checkpoint; databases are detached (XP+).
    fn complete_init(&self, next: &mut State, slot: u8) {
        let inst = &mut next.instances[usize::from(slot)];
        debug_assert!(Life::can_transition(inst.life, Life::Initialized));
        inst.life = Life::Initialized;
        inst.backup_allowed = true;
        let storage = &mut inst.storage;
        if !inst.settings.recovery_off {
            if storage.current == 0 {
                storage.current = 1;
                storage.checkpoint = 1;
                storage.oldest = 1;
            } else {
                let lost = storage.oldest > storage.checkpoint;
                if lost && next.violation.is_none() {
                    next.violation = Some(Violation::CommittedTransactionLost);
                }
                let inst = &mut next.instances[usize::from(slot)];
                // Init begins a new log file (logredo.cxx ErrLGSoftStart ->
                // ErrLGSwitchToNewLogFile) that the model counts in the current generation,
                // and writes the checkpoint there. Circular logging recycles logs as it
                // switches (logstream.cxx ErrLGIReuseArchivedLogFile), against the checkpoint
                // recovery left at the end of the file it closes: the current generation's
                // earlier files go when it already had more than one.
                inst.storage.checkpoint_to_current();
                inst.storage.checkpoint_file = CheckpointFile::Good;
                super::backup::recycle_circular(inst);
                inst.storage.new_log_file(true);
            }
        }
        for db in &mut next.instances[usize::from(slot)].storage.dbs {
            if db.file == DbFile::Attached {
                db.file = DbFile::Detached;
            }
        }
    }

    pub(super) fn term(&self, s: &State, arg: InstArg, grbit: Option<u32>) -> Transition {
        let slot = match self.find_instance(s, Target::Instance(arg)) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        // A restore sets `m_fJetInitialized` while it runs, so the instance is not freed as
        // never initialized; the API lock refuses instead (§6.4).
        let restoring = matches!(s.pending, Some(Pending::Restore { slot: p, .. }) if p == slot);
        if s.instances[usize::from(slot)].life == Life::Created && !restoring {
            let mut next = s.clone();
            next.free(slot);
            return moved(
                next,
                JetErr::Success,
                "§1.3 JetTerm: created, never initialized: freed",
            );
        }
        if let Err(outcome) = self.api_lock_check(s, slot) {
            return (None, outcome);
        }
        self.complete_term(s, slot, grbit)
    }

    /// JetTerm after its entry checks (`ErrIsamTerm`, §3.3).
    pub(super) fn complete_term(&self, s: &State, slot: u8, grbit: Option<u32>) -> Transition {
        let plain = grbit.is_none();
        let grbit = grbit.unwrap_or(TERM_ABRUPT);
        let mut next = s.clone();
        let inst = &mut next.instances[usize::from(slot)];
        if !self.documented(Divergence::FailedTermBlocksBackup) {
            inst.backup_allowed = false;
        }
        let error_shutdown = inst.health.unavailable();
        let stops_backup = if self.documented(Divergence::PlainTermStopsBackup) {
            grbit & TERM_STOP_BACKUP != 0 && !plain
        } else {
            grbit & (TERM_STOP_BACKUP | TERM_ABRUPT) != 0
        };
        let dirty = grbit & TERM_DIRTY != 0;
        if !error_shutdown {
            if let Some(backup) = inst.backup {
                if stops_backup {
                    inst.backup = None;
                } else if !dirty {
                    let (code, rule) = if backup.kind == BackupKind::Surrogate {
                        (
                            JetErr::SurrogateBackupInProgress,
                            "§3.3 JetTerm: surrogate backup running",
                        )
                    } else {
                        (
                            JetErr::BackupInProgress,
                            "§3.3 JetTerm: backup running, no StopBackup bit",
                        )
                    };
                    return moved_or_unchanged(s, next, code, rule);
                }
            }
            let complete_only = self.documented(Divergence::AbruptTermWithOpenTransactions);
            let checks_users = !dirty && (!complete_only || grbit & TERM_COMPLETE != 0);
            if inst.session == Session::InTransaction && checks_users {
                return moved_or_unchanged(
                    s,
                    next,
                    JetErr::TooManyActiveUsers,
                    "§3.3 JetTerm: open transactions",
                );
            }
        }
        if !dirty && !inst.settings.recovery_off && inst.storage.current != 0 {
            inst.storage.checkpoint_to_current();
            inst.storage.checkpoint_file = CheckpointFile::Good;
        }
        next.free(slot);
        if dirty {
            moved(
                next,
                JetErr::DirtyShutdown,
                "§3.3 JetTerm2: JET_bitTermDirty leaves databases dirty",
            )
        } else {
            moved(next, JetErr::Success, "§3.3 JetTerm: terminated")
        }
    }

    pub(super) fn stop_service(&self, s: &State, target: Target, grbit: Option<u32>) -> Transition {
        let slot = match self.find_instance(s, target) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        let inst = &s.instances[usize::from(slot)];
        let bits = grbit.unwrap_or(0);
        let known = STOP_SERVICE_BACKGROUND
            | STOP_SERVICE_QUIESCE
            | STOP_SERVICE_EMIT_LOG
            | STOP_SERVICE_RESUME;
        if bits & !known != 0 {
            return unchanged(
                JetErr::InvalidGrbit,
                "§1.3 StopServiceInstance2: unknown bits",
            );
        }
        if bits & STOP_SERVICE_EMIT_LOG != 0 {
            if bits != STOP_SERVICE_EMIT_LOG {
                return unchanged(JetErr::InvalidGrbit, "§3.2 StopAndEmitLog must be alone");
            }
            let mut next = s.clone();
            let inst = &mut next.instances[usize::from(slot)];
            // An instance not yet initialized has no log to stop ([uncertain] §1.3).
            let logging = inst.life == Life::Initialized;
            if logging && (inst.health == Health::Ok || inst.health == Health::LogDiskLow) {
                inst.health = Health::LogStopped;
            }
            return moved_or_unchanged(
                s,
                next,
                JetErr::Success,
                "§3.2 StopAndEmitLog stops logging",
            );
        }
        if bits & STOP_SERVICE_RESUME != 0 {
            if inst.stop_service {
                return unchanged(
                    JetErr::ClientRequestToStopJetService,
                    "§3.2 resume after a full stop",
                );
            }
            return unchanged(JetErr::Success, "§3.2 resume");
        }
        if bits != 0 {
            return unchanged(
                JetErr::Success,
                "§3.2 background tasks or caches stopped; APIs keep working",
            );
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].stop_service = true;
        moved_or_unchanged(
            s,
            next,
            JetErr::Success,
            "§1.3 StopService sets the stop-service flag",
        )
    }

    pub(super) fn stop_backup(&self, s: &State, target: Target) -> Transition {
        let slot = match self.find_instance(s, target) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        let mut next = s.clone();
        if let Some(backup) = &mut next.instances[usize::from(slot)].backup {
            backup.stop = true;
        }
        moved_or_unchanged(
            s,
            next,
            JetErr::Success,
            "§3.1 StopBackup sets the stop flag",
        )
    }

    pub(super) fn begin_session(&self, s: &State, arg: InstArg) -> Transition {
        let slot = match self.enter(s, Target::Instance(arg)) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        if s.instances[usize::from(slot)].session != Session::None {
            return unchanged(
                JetErr::OutOfSessions,
                "doc:JetBeginSession OutOfSessions (JET_paramMaxSessions 1)",
            );
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].session = Session::Open;
        moved(next, JetErr::Success, "doc:JetBeginSession opens a session")
    }

    /// The checks of a call through a session, in the order of jetapi.cxx: the exported
    /// wrapper's `JET_VALIDATE_SESID` (a session that was never begun, or whose instance is
    /// gone, is `JET_errInvalidSesid` before any instance is looked at: a JET_SESID is the
    /// only way to its instance), then `APICALL_SESID::FEnter`: the stop-service flag
    /// (`stop_service_blocks` false for the calls that pass `fIgnoreStopService`), the
    /// instance unavailable, then the API lock.
    pub(super) fn session_enter(
        &self,
        s: &State,
        slot: u8,
        stop_service_blocks: bool,
    ) -> Result<(), super::Outcome> {
        let inst = &s.instances[usize::from(slot)];
        if !inst.is_live() || inst.session == Session::None {
            return Err(refuse(
                JetErr::InvalidSesid,
                "jetapi.cxx JET_VALIDATE_SESID: a session that was never begun",
            ));
        }
        if stop_service_blocks && inst.stop_service {
            return Err(refuse(
                JetErr::ClientRequestToStopJetService,
                "jetapi.cxx APICALL_SESID::FEnter: stop-service flag",
            ));
        }
        // APICALL_SESID::FEnter: instance unavailable (§7).
        self.unavailable_check(s, slot)?;
        self.api_lock_check(s, slot)
    }

    pub(super) fn end_session(&self, s: &State, slot: u8) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, false) {
            return (None, outcome);
        }
        if let Some(decided) = self.end_session_probe(s, slot) {
            return decided;
        }
        let mut next = s.clone();
        let inst = &mut next.instances[usize::from(slot)];
        inst.session = Session::None;
        inst.close_all_dbs();
        moved(
            next,
            JetErr::Success,
            "doc:JetEndSession (an open transaction rolls back, open databases close)",
        )
    }

    pub(super) fn begin_transaction(&self, s: &State, slot: u8) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, true) {
            return (None, outcome);
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].session = Session::InTransaction;
        moved_or_unchanged(s, next, JetErr::Success, "doc:JetBeginTransaction")
    }

    pub(super) fn rollback(&self, s: &State, slot: u8) -> Transition {
        self.end_transaction(
            s,
            slot,
            false,
            ["doc:JetRollback outside a transaction", "doc:JetRollback"],
        )
    }

    /// JetCommitTransaction of a transaction without updates, which are all the model's: no
    /// log record is written (ESE logs a transaction's begin with its first update, and its
    /// commit only then), so it ends the transaction as a rollback does. Unlike JetRollback it
    /// is work the stop-service flag refuses.
    pub(super) fn commit(&self, s: &State, slot: u8) -> Transition {
        self.end_transaction(
            s,
            slot,
            true,
            [
                "doc:JetCommitTransaction outside a transaction",
                "doc:JetCommitTransaction (no updates: nothing logged)",
            ],
        )
    }

    /// Ends the session's transaction: `rules` for outside one, and for the end.
    fn end_transaction(
        &self,
        s: &State,
        slot: u8,
        stop_service_blocks: bool,
        [outside, ended]: [&'static str; 2],
    ) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, stop_service_blocks) {
            return (None, outcome);
        }
        if s.instances[usize::from(slot)].session != Session::InTransaction {
            return unchanged(JetErr::NotInTransaction, outside);
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].session = Session::Open;
        moved(next, JetErr::Success, ended)
    }
}

/// `next` as the new state, or `None` when it equals `s` (so self-loops cost no copy later).
pub(super) fn moved_or_unchanged(
    s: &State,
    next: State,
    code: JetErr,
    rule: &'static str,
) -> Transition {
    if next == *s {
        unchanged(code, rule)
    } else {
        moved(next, code, rule)
    }
}
