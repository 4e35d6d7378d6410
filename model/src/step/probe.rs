//! Probe mode's conditions of the world ([`Probe`]): how each is set up, and the small calls
//! that exist mainly to be asked about (JetGetInstanceMiscInfo, JetFreeBuffer, a session's
//! context, a session handle passed to JetSetSystemParameter). The checks that a condition
//! decides sit in the calls it concerns, at their place in those calls' order; they ask here.
//!
//! Sources: the ESE source (microsoft/Extensible-Storage-Engine at `7030fe7`), cited by file and
//! function, and the documentation pages (`doc:`).

use jetapi::JetErr;

use super::{Outcome, Spec, Transition, moved, refuse, unchanged};
use crate::action::{InstArg, MiscInfoArg, ParamArg, Target};
use crate::generate::WORKER;
use crate::state::{DbFile, FileTarget, Life, Probe, RunMode, Session, State};

/// A set-up whose preconditions do not hold changes nothing.
const NOT_APPLICABLE: &str = "env: not applicable in this state";
/// The model keeps one probe condition at a time.
const ONE_AT_A_TIME: &str = "model: one probe condition at a time; this one is not kept";

/// True when the next heap allocation fails (`FailAllocation memory`). No call the model
/// keeps allocates a page buffer, so `FailAllocation buffers` decides nothing here.
pub(super) fn heap_alloc_fails(s: &State) -> bool {
    s.probe == Some(Probe::AllocFails { buffers: false })
}

/// `next` with its probe spent: the failing call has run, and nothing more is tried.
pub(super) fn spent(mut next: State, code: JetErr, rule: &'static str) -> Transition {
    next.probe = Some(Probe::Spent);
    moved(next, code, rule)
}

/// `s` with `probe` set, when no other is.
fn with_probe(s: &State, applies: bool, probe: Probe, rule: &'static str) -> Transition {
    if !applies || s.probe.is_some_and(|p| p != Probe::Spent) {
        return unchanged(JetErr::Success, NOT_APPLICABLE);
    }
    let mut next = s.clone();
    next.probe = Some(probe);
    moved(next, JetErr::Success, rule)
}

impl Spec {
    pub(super) fn fail_allocation(&self, s: &State, buffers: bool) -> Transition {
        with_probe(
            s,
            true,
            Probe::AllocFails { buffers },
            "env: the next allocation fails",
        )
    }

    pub(super) fn other_session_opens(&self, s: &State, db: u8) -> Transition {
        let w = &s.instances[usize::from(WORKER)];
        let applies = w.life == Life::Initialized
            && w.session != Session::None
            && w.storage.dbs[usize::from(db)].file == DbFile::Attached
            && w.open_dbs & (1 << db) == 0
            && s.pending.is_none();
        with_probe(
            s,
            applies,
            Probe::LockedByOtherSession(db),
            "env: a second session opens the database with JET_bitDbExclusive",
        )
    }

    pub(super) fn attach_elsewhere(&self, s: &State, db: u8) -> Transition {
        let w = &s.instances[usize::from(WORKER)];
        let applies = s.mode == RunMode::MultiInst
            && s.live_count() < usize::from(self.config.instances)
            && w.life == Life::Initialized
            && w.storage.dbs[usize::from(db)].file != DbFile::Attached
            && s.pending.is_none();
        with_probe(
            s,
            applies,
            Probe::AttachedElsewhere(db),
            "env: another instance of the process attaches the file",
        )
    }

    pub(super) fn fill_attachments(&self, s: &State) -> Transition {
        let w = &s.instances[usize::from(WORKER)];
        let applies = w.life == Life::Initialized && w.session == Session::Open;
        with_probe(
            s,
            applies,
            Probe::SixAttached,
            "env: the session creates databases until six are attached",
        )
    }

    pub(super) fn make_read_only(&self, s: &State, db: u8) -> Transition {
        let file = s.instances[usize::from(WORKER)].storage.dbs[usize::from(db)].file;
        with_probe(
            s,
            file == DbFile::Detached,
            Probe::ReadOnly(db),
            "env: the file gets the read-only attribute",
        )
    }

    pub(super) fn hold_file(&self, s: &State, db: u8) -> Transition {
        let file = s.instances[usize::from(WORKER)].storage.dbs[usize::from(db)].file;
        with_probe(
            s,
            file == DbFile::Detached,
            Probe::Held(FileTarget::Db(db)),
            "env: another process holds the file open with no sharing",
        )
    }

    pub(super) fn change_page_size(&self, s: &State) -> Transition {
        let applies = s.live_count() == 0
            && s.pending.is_none()
            && s.instances[usize::from(WORKER)].storage.saved.is_some();
        with_probe(
            s,
            applies,
            Probe::PageSizeChanged,
            "env: JET_paramDatabasePageSize set process-wide to another size",
        )
    }

    pub(super) fn start_init(&self, s: &State) -> Transition {
        let w = &s.instances[usize::from(WORKER)];
        with_probe(
            s,
            w.life == Life::Created && s.pending.is_none(),
            Probe::InitHeld,
            "ErrInitComplete: JetInit holds the API lock \"initializing\"",
        )
    }

    /// JetGetInstanceMiscInfo (`jetapi.cxx` JetGetInstanceMiscInfoEx): the instance's entry
    /// checks, then the info level, then the buffer size (`cbMax` at least the structure's).
    pub(super) fn get_instance_misc_info(
        &self,
        s: &State,
        inst: InstArg,
        arg: MiscInfoArg,
    ) -> Transition {
        if let Err(outcome) = self.enter(s, Target::Instance(inst)) {
            return (None, outcome);
        }
        match arg {
            MiscInfoArg::BadLevel => unchanged(
                JetErr::InvalidParameter,
                "JetGetInstanceMiscInfoEx: InfoLevel above JET_InstanceMiscInfoRBS (2)",
            ),
            MiscInfoArg::SmallBuffer => unchanged(
                JetErr::BufferTooSmall,
                "JetGetInstanceMiscInfoEx: cbMax under sizeof(JET_SIGNATURE)",
            ),
            MiscInfoArg::Signature => unchanged(
                JetErr::Success,
                "JetGetInstanceMiscInfoEx: the log signature copied",
            ),
        }
    }

    /// JetFreeBuffer (`jetapi.cxx` JetFreeBufferEx): no entry checks; NULL is a no-op.
    pub(super) fn free_buffer(&self) -> Transition {
        unchanged(
            JetErr::Success,
            "JetFreeBufferEx: frees the buffer (NULL: nothing), always JET_errSuccess",
        )
    }

    /// JetSetSystemParameter with a session handle (`jetapi.cxx` JetSetSystemParameterEx): in
    /// multi-instance mode a non-zero session is validated first (ESENT builds:
    /// `JET_errInvalidSesid`) and, when valid, names the instance; in the other modes it is
    /// ignored.
    pub(super) fn set_param_bad_sesid(&self, s: &State, inst: InstArg) -> Transition {
        if s.mode == RunMode::MultiInst {
            return unchanged(
                JetErr::InvalidSesid,
                "JetSetSystemParameterEx: ErrJetValidateSession in multi-instance mode",
            );
        }
        self.set_param(s, inst, ParamArg::CircularLogOn)
    }

    /// JetSetSessionContext (`pib.cxx` ErrIsamSetSessionContext, `pib.hxx`
    /// ErrPIBSetSessionContext).
    pub(super) fn set_session_context(&self, s: &State, slot: u8) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, true) {
            return (None, outcome);
        }
        match s.probe {
            _ if slot != WORKER => unchanged(JetErr::Success, ONE_AT_A_TIME),
            Some(Probe::SessionContext) => unchanged(
                JetErr::SessionContextAlreadySet,
                "ErrPIBSetSessionContext: a context is set already",
            ),
            Some(p) if p != Probe::Spent => unchanged(JetErr::Success, ONE_AT_A_TIME),
            _ => {
                let mut next = s.clone();
                next.probe = Some(Probe::SessionContext);
                moved(
                    next,
                    JetErr::Success,
                    "ErrPIBSetSessionContext: the session's context is set",
                )
            }
        }
    }

    /// JetResetSessionContext (`pib.cxx` ErrIsamResetSessionContext): only the thread that set
    /// the context resets it.
    pub(super) fn reset_session_context(&self, s: &State, slot: u8) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, false) {
            return (None, outcome);
        }
        if slot != WORKER || s.probe != Some(Probe::SessionContext) {
            return unchanged(
                JetErr::SessionContextNotSetByThisThread,
                "ErrPIBCheckCorrectSessionContext: no context set by this thread",
            );
        }
        let mut next = s.clone();
        next.probe = None;
        moved(
            next,
            JetErr::Success,
            "PIBResetSessionContext: the context is cleared",
        )
    }

    /// JetEndSession's check after the session's entry that a probe decides (`tm.cxx`
    /// ErrIsamEndSession): a session context still set. (Its rollback allocates nothing for a
    /// transaction without updates, which is all the model's are: see `coverage.rs`.)
    pub(super) fn end_session_probe(&self, s: &State, slot: u8) -> Option<Transition> {
        if slot == WORKER && s.probe == Some(Probe::SessionContext) {
            return Some(unchanged(
                JetErr::SessionInUse,
                "ErrIsamEndSession: a session context is set",
            ));
        }
        None
    }

    /// JetOpenDatabase's checks that probe conditions decide, after DatabaseNotFound
    /// (`db.cxx` ErrDBOpenDatabase): one database per session, then another session's
    /// exclusive open.
    pub(super) fn open_database_probe(&self, s: &State, slot: u8, db: u8) -> Result<(), Outcome> {
        if slot != WORKER {
            return Ok(());
        }
        let open = s.instances[usize::from(slot)].open_dbs;
        if s.probe == Some(Probe::OneDbPerSession) && open & !(1 << db) != 0 {
            return Err(refuse(
                JetErr::OneDatabasePerSession,
                "ErrDBOpenDatabase: JET_paramOneDatabasePerSession and another database open",
            ));
        }
        if s.probe == Some(Probe::LockedByOtherSession(db)) {
            return Err(refuse(
                JetErr::DatabaseLocked,
                "ErrDBOpenDatabase: FExclusiveByAnotherSession",
            ));
        }
        Ok(())
    }

    /// The checks of `FMP::ErrNewAndWriteLatch` that probe conditions decide (`fmp.cxx`), after
    /// the same instance's own attachment: the file attached by another instance, then no
    /// free database id (`dbidMax` 7, id 0 the temporary database: six user databases).
    pub(super) fn fmp_probe(&self, s: &State, slot: u8, db: u8) -> Result<(), Outcome> {
        if slot != WORKER {
            return Ok(());
        }
        if s.probe == Some(Probe::AttachedElsewhere(db)) {
            return Err(refuse(
                JetErr::DatabaseSharingViolation,
                "FMP::ErrNewAndWriteLatch: the file is attached by another instance",
            ));
        }
        if s.probe == Some(Probe::SixAttached) {
            return Err(refuse(
                JetErr::TooManyAttachedDatabases,
                "FMP::ErrNewAndWriteLatch: no free database id (six user databases)",
            ));
        }
        Ok(())
    }
}

impl Spec {
    /// JetGetInstanceInfo, the exported ANSI form (`jetapi.cxx` JetGetInstanceInfoExA): no
    /// entry checks; the wide call into locals first (`io.cxx` ErrIsamGetInstanceInfo, whose
    /// one allocation for the list is made when an instance exists), then the NULL output
    /// pointers (`CAutoINSTANCE_INFOW::ErrGet`).
    pub(super) fn get_instance_info(&self, s: &State, null_out: bool) -> Transition {
        if s.live_count() > 0 && heap_alloc_fails(s) {
            return spent(
                s.clone(),
                JetErr::OutOfMemory,
                "ErrIsamGetInstanceInfo: the list is not allocated",
            );
        }
        if null_out {
            return unchanged(
                JetErr::InvalidParameter,
                "CAutoINSTANCE_INFOW::ErrGet: pcInstanceInfo or paInstanceInfo is NULL",
            );
        }
        unchanged(
            JetErr::Success,
            "doc:JetGetInstanceInfo lists running instances",
        )
    }
}
