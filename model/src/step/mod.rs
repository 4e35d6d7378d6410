//! The one pure step function: for any state and any action, the code the call returns, the
//! check that decided it, and the next state. Random walks, trace replay and the model checker
//! all call [`Spec::step`].
//!
//! Each call is an ordered list of checks, first failing check wins, as ESE's own entry path
//! runs them; each check names its source (`§1.2.4a` is `ese-behaviour.md` section 1.2, step
//! 4a; `doc:` is a documentation page). The shared entry checks live here; the calls live in
//! `lifecycle`, `backup` and `environment`.

mod backup;
pub(crate) use backup::{BACKUP_ATOMIC, BACKUP_INCREMENTAL};
pub(crate) mod backup_ranges {
    //! Backup range helpers shared with the properties.
    pub(crate) use super::backup::required_logs_missing;
}
mod database;
mod environment;
mod lifecycle;
mod probe;
mod restore;
pub(crate) use restore::{TargetPrepared, TargetStep};

use jetapi::JetErr;
use jetapi::trace::Profile;

use crate::action::{Action, InstArg, Target};
use crate::config::Config;
use crate::profile::Divergence;
use crate::state::{Health, Life, Pending, RunMode, State};

/// A deliberate mistake, for showing that `check` catches one (test builds and `--mutation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// JetTruncateLog deletes its range before checking that every required log was copied
    /// (checks 5 and 6 of §2.4 swapped).
    TruncateBeforeCopyCheck,
}

/// The specification at one configuration and profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// The bounds.
    pub config: Config,
    /// Whose behaviour: the implementation's or the documentation's.
    pub profile: Profile,
    /// A planted mistake, or none.
    pub mutation: Option<Mutation>,
    /// Whether `JET_paramMaxInstances` was written before the first call, as every trace the
    /// model prints does (`to_trace`); a hand-written trace may leave it at its default, which
    /// changes what JetEnableMultiInstance finds written before (see `enable_multi_instance`).
    pub max_instances_written: bool,
}

/// What a call returned, and which check decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The result code (`JET_errSuccess` for the environment's moves).
    pub code: JetErr,
    /// The deciding check, with its source.
    pub rule: &'static str,
}

/// A step's result: the next state (`None`: unchanged) and the outcome.
pub type Transition = (Option<State>, Outcome);

/// A refusal that leaves the state as it was.
pub(crate) fn refuse(code: JetErr, rule: &'static str) -> Outcome {
    Outcome { code, rule }
}

pub(crate) fn unchanged(code: JetErr, rule: &'static str) -> Transition {
    (None, refuse(code, rule))
}

pub(crate) fn moved(next: State, code: JetErr, rule: &'static str) -> Transition {
    (Some(next), Outcome { code, rule })
}

impl Spec {
    /// The specification with the default profile (`esent`) and no mutation.
    pub fn new(config: Config) -> Spec {
        Spec::with_profile(config, Profile::Esent)
    }

    /// The specification with `profile` and no mutation.
    pub fn with_profile(config: Config, profile: Profile) -> Spec {
        Spec {
            config,
            profile,
            mutation: None,
            max_instances_written: true,
        }
    }

    /// The step function: the next state and the outcome.
    pub fn step(&self, state: &State, action: &Action) -> (State, Outcome) {
        let (next, outcome) = self.apply(state, action);
        (next.unwrap_or_else(|| state.clone()), outcome)
    }

    /// Like [`Spec::step`], but `None` when the state does not change (cheaper: no copy).
    #[inline]
    pub fn apply(&self, s: &State, action: &Action) -> Transition {
        match self.apply_raw(s, action) {
            (Some(mut next), outcome) => {
                for (slot, inst) in next.instances.iter_mut().enumerate() {
                    inst.canonicalize();
                    if self.config.instances == 1 {
                        inst.name = None;
                    }
                    // Companions do no work (see `generate`): their storage holds nothing.
                    if slot != 0 && !inst.is_live() {
                        inst.storage = crate::state::Storage::EMPTY;
                    }
                }
                if next == *s {
                    (None, outcome)
                } else {
                    (Some(next), outcome)
                }
            }
            unchanged => unchanged,
        }
    }

    fn apply_raw(&self, s: &State, action: &Action) -> Transition {
        match *action {
            Action::EnableMultiInstance { params } => self.enable_multi_instance(s, params),
            Action::CreateInstance {
                v2: _,
                name,
                null_out,
            } => self.create_instance(s, name, null_out),
            Action::SetParam { inst, param } => self.set_param(s, inst, param),
            Action::Init { form: _, inst } => self.init(s, inst),
            Action::Term { inst, grbit } => self.term(s, inst, grbit),
            Action::StopService { target, grbit } => self.stop_service(s, target, grbit),
            Action::StopBackup { target } => self.stop_backup(s, target),
            Action::GetInstanceInfo { null_out } => self.get_instance_info(s, null_out),
            Action::GetInstanceMiscInfo { inst, arg } => self.get_instance_misc_info(s, inst, arg),
            Action::FreeBuffer => self.free_buffer(),
            Action::SetParamBadSesid { inst } => self.set_param_bad_sesid(s, inst),
            Action::SetSessionContext { slot } => self.set_session_context(s, slot),
            Action::ResetSessionContext { slot } => self.reset_session_context(s, slot),
            Action::BeginSession { inst } => self.begin_session(s, inst),
            Action::EndSession { slot } => self.end_session(s, slot),
            Action::BeginTransaction { slot } => self.begin_transaction(s, slot),
            Action::Rollback { slot } => self.rollback(s, slot),
            Action::CommitTransaction { slot } => self.commit(s, slot),
            Action::CreateDatabase {
                slot,
                db,
                v2: _,
                path,
            } => self.create_database(s, slot, db, path),
            Action::AttachDatabase {
                slot,
                db,
                v2: _,
                path,
            } => self.attach_database(s, slot, db, path),
            Action::DetachDatabase {
                slot,
                db,
                v2: _,
                force,
            } => self.detach_database(s, slot, db, force),
            Action::OpenDatabase { slot, db, arg } => self.open_database(s, slot, db, arg),
            Action::CloseDatabase { slot, db } => self.close_database(s, slot, db),
            Action::BeginBackup { target, grbit } => self.begin_backup(s, target, grbit),
            Action::GetAttachInfo { target } => self.get_attach_info(s, target),
            Action::OpenFile { target, file } => self.open_file(s, target, file),
            Action::ReadFile {
                target,
                handle,
                buffer,
            } => self.read_file(s, target, handle, buffer),
            Action::CloseFile { target, handle } => self.close_file(s, target, handle),
            Action::CopyBackupFile { target, file } => self.copy_backup_file(s, target, file),
            Action::GetLogInfo { target, v2: _ } => self.get_log_info(s, target),
            Action::GetTruncateLogInfo { inst } => self.get_log_info(s, Target::Instance(inst)),
            Action::TruncateLog { target } => self.truncate_log(s, target),
            Action::EndBackup { target, grbit } => self.end_backup(s, target, grbit),
            Action::BackupToDir { target, dir, grbit } => self.backup_to_dir(s, target, dir, grbit),
            Action::RollLog { slot } => self.roll_log(s, slot),
            Action::AdvanceCheckpoint { slot } => self.advance_checkpoint(s, slot),
            Action::Crash => self.crash(s),
            Action::LogWriteFails { slot } => self.log_write_fails(s, slot),
            Action::LogDiskFills { slot } => self.log_disk_fills(s, slot),
            Action::FatalError { slot, disk_full } => self.fatal_error(s, slot, disk_full),
            Action::DamageCheckpoint { slot, missing } => self.damage_checkpoint(s, slot, missing),
            Action::Corrupt { target } => self.corrupt(s, target),
            Action::FailAllocation { buffers } => self.fail_allocation(s, buffers),
            Action::OtherSessionOpens { db } => self.other_session_opens(s, db),
            Action::AttachElsewhere { db } => self.attach_elsewhere(s, db),
            Action::FillAttachments => self.fill_attachments(s),
            Action::MakeReadOnly { db } => self.make_read_only(s, db),
            Action::HoldFile { db } => self.hold_file(s, db),
            Action::ChangePageSize => self.change_page_size(s),
            Action::StartInit => self.start_init(s),
            Action::StartTerm { slot, grbit } => self.start_term(s, slot, grbit),
            Action::FinishTerm => self.finish_term(s),
            Action::Restore { form, src } => self.restore(s, form, src),
            Action::StartRestore { form } => self.start_restore(s, form),
            Action::FinishRestore => self.finish_restore(s),
            Action::ExternalRestore { v2, arg } => self.external_restore(s, v2, arg),
        }
    }

    /// True when the documented profile departs from the implementation at `divergence`. Every
    /// fork names its catalogue entry, so that the code and `jetspec divergences` can be read
    /// side by side; today each entry follows the profile as a whole.
    pub(crate) fn documented(&self, _divergence: Divergence) -> bool {
        self.profile == Profile::Documented
    }

    /// §1.2 step 0: the legacy forms' run-mode check.
    pub(crate) fn legacy_mode_check(&self, s: &State) -> Result<(), Outcome> {
        match s.mode {
            RunMode::NoSet => Err(refuse(
                JetErr::InvalidParameter,
                "§1.2.0 legacy call before any JetInit",
            )),
            RunMode::MultiInst => Err(refuse(
                JetErr::RunningInMultiInstanceMode,
                "§1.2.0 legacy call in multi-instance mode",
            )),
            RunMode::OneInst => Ok(()),
        }
    }

    /// §1.2 steps 0, 1 and 3: the run-mode check of legacy forms, handle validation (ESENT
    /// builds) and `ErrFindPinst`. Returns the slot.
    pub(crate) fn find_instance(&self, s: &State, target: Target) -> Result<u8, Outcome> {
        let arg = match target {
            Target::Legacy => {
                self.legacy_mode_check(s)?;
                return s.single_instance().ok_or(refuse(
                    JetErr::InvalidParameter,
                    "§1.2.3 no single instance",
                ));
            }
            Target::Instance(arg) => arg,
        };
        let live = |i: u8| {
            s.instances
                .get(usize::from(i))
                .is_some_and(|inst| inst.is_live())
        };
        let invalid_handle = match arg {
            InstArg::Slot(i) => !live(i),
            InstArg::Stale(_) | InstArg::Garbage => true,
            InstArg::Zero | InstArg::Nil => false,
        };
        if invalid_handle {
            return Err(if self.documented(Divergence::InvalidInstanceHandle) {
                refuse(
                    JetErr::InvalidParameter,
                    "doc:invalid instance handle is JET_errInvalidParameter",
                )
            } else {
                refuse(
                    JetErr::InvalidInstance,
                    "§1.2.1 handle validation (ESENT build)",
                )
            });
        }
        match s.mode {
            RunMode::NoSet => Err(refuse(
                JetErr::InvalidParameter,
                "§1.2.3 ErrFindPinst in NoSet mode",
            )),
            RunMode::OneInst => s.single_instance().ok_or(refuse(
                JetErr::InvalidParameter,
                "§1.2.3 ErrFindPinst: no instance",
            )),
            RunMode::MultiInst => match arg {
                InstArg::Slot(i) => Ok(i),
                _ => Err(refuse(
                    JetErr::InvalidParameter,
                    "§1.2.3 ErrFindPinst: 0 or nil handle",
                )),
            },
        }
    }

    /// §1.2 step 4: `ErrAPIEnter(fFalse)`.
    pub(crate) fn api_enter(&self, s: &State, slot: u8) -> Result<(), Outcome> {
        let inst = &s.instances[usize::from(slot)];
        if inst.stop_service {
            return Err(refuse(
                JetErr::ClientRequestToStopJetService,
                "§1.2.4a stop-service flag",
            ));
        }
        self.unavailable_check(s, slot)?;
        self.api_lock_check(s, slot)
    }

    /// §1.2 step 4b: the instance unavailable, with `INST::ErrInstanceUnavailableErrorCode`'s
    /// code (daedef.hxx: the log-disk-full cause has its own).
    pub(crate) fn unavailable_check(&self, s: &State, slot: u8) -> Result<(), Outcome> {
        match s.instances[usize::from(slot)].health {
            Health::UnavailableLogDiskFull
                if !self.documented(Divergence::FatalLogDiskFullCode) =>
            {
                Err(refuse(
                    JetErr::InstanceUnavailableDueToFatalLogDiskFull,
                    "§1.2.4b unavailable (log disk full)",
                ))
            }
            Health::UnavailableLogDiskFull | Health::Unavailable => Err(refuse(
                JetErr::InstanceUnavailable,
                "§1.2.4b instance unavailable",
            )),
            Health::Ok | Health::LogStopped | Health::LogDiskLow => Ok(()),
        }
    }

    /// §1.2 steps 4c and 4d: the API lock and the initialized check (also JetTerm's).
    pub(crate) fn api_lock_check(&self, s: &State, slot: u8) -> Result<(), Outcome> {
        self.held_lock_check(s, slot)?;
        if s.instances[usize::from(slot)].life != Life::Initialized {
            return Err(refuse(
                JetErr::NotInitialized,
                "§1.2.4d instance not initialized",
            ));
        }
        Ok(())
    }

    /// §1.2 step 4c: the API lock held by a long call.
    pub(crate) fn held_lock_check(&self, s: &State, slot: u8) -> Result<(), Outcome> {
        match s.pending {
            Some(Pending::Term { slot: p, .. }) if p == slot => Err(refuse(
                JetErr::TermInProgress,
                "§1.2.4c API lock held by JetTerm",
            )),
            Some(Pending::Restore { slot: p, .. }) if p == slot => Err(refuse(
                JetErr::RestoreInProgress,
                "§1.2.4c API lock held by a restore",
            )),
            _ => Ok(()),
        }
    }

    /// The shared entry sequence of the instance-scoped backup calls (§1.2).
    pub(crate) fn enter(&self, s: &State, target: Target) -> Result<u8, Outcome> {
        let slot = self.find_instance(s, target)?;
        self.api_enter(s, slot)?;
        Ok(slot)
    }
}
