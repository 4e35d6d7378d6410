//! Restore: JetRestore, JetRestore2 and JetRestoreInstance (a JetBackup directory, §6.3), and
//! JetExternalRestore(2) (hard recovery of a backup set, §6.1), with the held form that makes
//! `JET_errRestoreInProgress` observable (§6.4).
//!
//! The backup set is the worker's last full JetBackup directory ([`Saved`]). A restore of it
//! copies its databases back to their original places and replays its logs, then the logs
//! still in the instance's log path; so it needs those to follow on from the set with no gap.
//! JetExternalRestore works in a private instance on files outside every slot's storage. What
//! it changes that the model keeps is one more log file in the worker's current generation:
//! when JetExternalRestore2 names the running worker as its target, its log rolls before
//! anything else is checked, whatever the restore then answers; given the paths of a worker
//! that is not running, a restore that succeeds writes one there (see `docs/model.md`).

use jetapi::JetErr;

use super::{Outcome, Spec, Transition, moved, refuse, unchanged};
use crate::action::{ExtRestoreArg, InstArg, RestoreForm, RestoreSrc, Target};
use crate::config::MAX_DBS;
use crate::generate::WORKER;
use crate::profile::Divergence;
use crate::state::{DbFile, Health, Life, Pending, RunMode, Saved, State};

/// How §6.1 steps 1 to 5 end: the call answered, or its target prepared.
pub(crate) enum TargetStep {
    /// The call's whole transition.
    Answered(Transition),
    /// The restore goes on.
    Prepared(TargetPrepared),
}

/// What JetExternalRestore2 leaves after its target is prepared (§6.1 steps 1 to 5).
pub(crate) struct TargetPrepared {
    /// The state so far: the run mode, and the target's rolled log.
    next: State,
    /// A running target (not under circular logging) closed its generation.
    pub(crate) rolled: bool,
    /// The restore replays on into the worker's log path (target paths, no running target).
    into_worker: bool,
}

/// Where a JetRestore* call runs: an instance the caller named, or a temporary one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Restorer {
    slot: u8,
    /// Allocated by the call and freed at its end (JetRestore, or a 0 / nil handle).
    temporary: bool,
}

impl Spec {
    /// The entry checks of JetRestore* up to the API lock, and the instance that restores.
    /// `next` receives the run-mode change and the allocation.
    fn restore_entry(
        &self,
        s: &State,
        form: RestoreForm,
        next: &mut State,
    ) -> Result<Restorer, Outcome> {
        let allocate = match form {
            RestoreForm::Restore | RestoreForm::Restore2 => match s.mode {
                RunMode::MultiInst => {
                    return Err(refuse(
                        JetErr::RunningInMultiInstanceMode,
                        "§1.2.0 JetRestore: ErrRUNINSTCheckAndSetOneInstMode in multi-instance mode",
                    ));
                }
                RunMode::NoSet => {
                    next.mode = RunMode::OneInst;
                    true
                }
                RunMode::OneInst => false,
            },
            RestoreForm::Instance(InstArg::Zero | InstArg::Nil) => {
                if s.mode == RunMode::NoSet {
                    next.mode = RunMode::MultiInst;
                }
                true
            }
            RestoreForm::Instance(_) => false,
        };
        if allocate {
            let full =
                s.mode == RunMode::OneInst || s.live_count() >= usize::from(self.config.instances);
            if full {
                return Err(refuse(
                    JetErr::TooManyInstances,
                    "§6.3 JetRestoreInstance: ErrNewInst for the temporary instance",
                ));
            }
            let slot = s.instances[..usize::from(self.config.instances)]
                .iter()
                .position(|i| !i.is_live())
                .expect("fewer live instances than slots leaves a free slot")
                as u8;
            // ErrInit (§1.3) compares the temporary instance's paths, the process-wide defaults
            // (the worker's, see `to_trace`), with those of every instance that is initialized,
            // the temp path first (jetapi.cxx JetRestoreInstanceEx: ErrInit before
            // ErrIsamRestore looks at the backup path).
            if slot != WORKER && s.jet_initialized(WORKER) {
                return Err(refuse(
                    JetErr::TempPathInUse,
                    "§1.3 ErrInit: the temporary instance's temp path, the process-wide default, is the running worker's",
                ));
            }
            next.instances[usize::from(slot)].life = Life::Created;
            return Ok(Restorer {
                slot,
                temporary: true,
            });
        }
        let target = match form {
            RestoreForm::Instance(arg) => Target::Instance(arg),
            // In one-instance mode JetRestore passes the single instance's handle.
            RestoreForm::Restore | RestoreForm::Restore2 => {
                Target::Instance(InstArg::Slot(s.single_instance().unwrap_or(0)))
            }
        };
        let slot = self.find_instance(s, target)?;
        // `FEnterForInit` checks only `m_fJetInitialized`.
        if s.jet_initialized(slot) {
            return Err(refuse(
                JetErr::AlreadyInitialized,
                "§6.3 JetRestoreInstance: ErrAPIEnterForInit on an initialized instance",
            ));
        }
        Ok(Restorer {
            slot,
            temporary: false,
        })
    }

    /// `ErrLGRestore` (§6.3): the path, the log set, then whether the set's logs and the
    /// instance's own follow on. Returns the set restored.
    fn restore_checks(
        &self,
        s: &State,
        restorer: Restorer,
        src: RestoreSrc,
    ) -> Result<Saved, Outcome> {
        let saved = match src {
            RestoreSrc::TooLong => {
                return Err(refuse(
                    JetErr::InvalidPath,
                    "§6.3 JetRestore: backup path too long",
                ));
            }
            RestoreSrc::NoLogs => None,
            RestoreSrc::Set => s.instances[usize::from(WORKER)].storage.saved,
        };
        let Some(saved) = saved else {
            return Err(refuse(
                JetErr::FileNotFound,
                "§6.3 JetRestore: no logs in the backup directory",
            ));
        };
        if s.probe == Some(crate::state::Probe::PageSizeChanged) {
            return Err(refuse(
                JetErr::PageSizeMismatch,
                "ErrLGReadFileHdr: the set's first log was written with another page size",
            ));
        }
        // Replay continues into the restoring instance's log path: the worker's when the
        // instance is in the worker's slot, or a temporary one (which gets the worker's paths
        // as the process-wide defaults, see `to_trace`).
        if restorer.slot == WORKER || restorer.temporary {
            let storage = &s.instances[usize::from(WORKER)].storage;
            if storage.gap_after(saved.high) {
                return Err(if self.documented(Divergence::RestoreLogGap) {
                    refuse(
                        JetErr::InvalidLogSequence,
                        "doc:JetRestore InvalidLogSequence: the set's logs and the current logs do not line up",
                    )
                } else {
                    refuse(
                        JetErr::MissingRestoreLogFiles,
                        "§6.1.8 log set check: generations missing between the set and the log path",
                    )
                });
            }
        }
        Ok(saved)
    }

    /// What a successful restore leaves: the set's databases back in place, detached, and the
    /// instance's logs replayed to a clean checkpoint; a temporary instance is freed.
    fn complete_restore(next: &mut State, restorer: Restorer, saved: Saved) {
        let storage = &mut next.instances[usize::from(WORKER)].storage;
        for d in 0..MAX_DBS {
            if saved.dbs & (1 << d) != 0 {
                storage.dbs[d].file = DbFile::Detached;
            }
        }
        // Replay ends with a new log file in the log path (counted in the current generation),
        // and, in the worker's paths, the checkpoint at its start.
        if storage.current != 0 {
            storage.new_log_file(restorer.slot == WORKER || restorer.temporary);
        }
        if restorer.temporary {
            next.free(restorer.slot);
        }
    }

    pub(super) fn restore(&self, s: &State, form: RestoreForm, src: RestoreSrc) -> Transition {
        let mut next = s.clone();
        match self.restore_entry(s, form, &mut next) {
            Ok(restorer) => self.conclude_restore(s, next, restorer, src),
            Err(outcome) => (None, outcome),
        }
    }

    /// The rest of a restore once its instance is entered (`next` holds the entry's changes):
    /// the checks, then the set put back, or the failure; a temporary instance is freed either
    /// way, and the run mode returns to NoSet with it.
    fn conclude_restore(
        &self,
        s: &State,
        mut next: State,
        restorer: Restorer,
        src: RestoreSrc,
    ) -> Transition {
        let outcome = match self.restore_checks(s, restorer, src) {
            Ok(saved) => {
                Self::complete_restore(&mut next, restorer, saved);
                refuse(
                    JetErr::Success,
                    "§6.3 restore: databases copied back, logs replayed",
                )
            }
            Err(outcome) => {
                if restorer.temporary {
                    next.free(restorer.slot);
                }
                outcome
            }
        };
        super::lifecycle::moved_or_unchanged(s, next, outcome.code, outcome.rule)
    }

    /// A restore of the worker's set that will succeed starts and holds the API lock.
    pub(super) fn start_restore(&self, s: &State, form: RestoreForm) -> Transition {
        const NOT_APPLICABLE: &str = "env: not applicable in this state";
        if s.pending.is_some() {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        let Ok(restorer) = self.restore_entry(s, form, &mut next) else {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        };
        if self.restore_checks(s, restorer, RestoreSrc::Set).is_err() {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        next.pending = Some(Pending::Restore {
            slot: restorer.slot,
            temporary: restorer.temporary,
        });
        moved(next, JetErr::Success, "§6.4 a restore holds the API lock")
    }

    pub(super) fn finish_restore(&self, s: &State) -> Transition {
        let Some(Pending::Restore { slot, temporary }) = s.pending else {
            return unchanged(JetErr::Success, "env: not applicable in this state");
        };
        let mut next = s.clone();
        next.pending = None;
        self.conclude_restore(s, next, Restorer { slot, temporary }, RestoreSrc::Set)
    }

    /// JetExternalRestore(2), §6.1 in order.
    pub(super) fn external_restore(&self, s: &State, v2: bool, arg: ExtRestoreArg) -> Transition {
        let prepared = match self.external_restore_target(s, v2, arg) {
            TargetStep::Prepared(prepared) => prepared,
            TargetStep::Answered(transition) => return transition,
        };
        let TargetPrepared {
            mut next,
            rolled,
            into_worker,
        } = prepared;
        let checks = self.external_restore_checks(s, arg, into_worker);
        // Past step 6 the private instance existed and was freed: with no other instance the
        // mode returns to NoSet.
        if checks.code != JetErr::TooManyInstances && s.live_count() == 0 {
            next.mode = RunMode::NoSet;
        }
        let outcome = match (checks.code, rolled) {
            (JetErr::Success, true) => refuse(
                JetErr::WrnTargetInstanceRunning,
                "§6.1.13 restored beside a running target instance",
            ),
            _ => checks,
        };
        // With no running target, replay runs on into the target's paths and writes a new log
        // file there, and the checkpoint at its start.
        let storage = &mut next.instances[usize::from(WORKER)].storage;
        if outcome.code.is_success() && into_worker && storage.current != 0 {
            storage.new_log_file(false);
            if storage.checkpoint == storage.current {
                storage.checkpoint_late = true;
            }
        }
        super::lifecycle::moved_or_unchanged(s, next, outcome.code, outcome.rule)
    }

    /// §6.1 steps 1 to 5: the arguments, the mode, and a running target, whose log closes its
    /// generation for the restore before the private instance exists, so that whatever fails
    /// after it (even `JET_errTooManyInstances`) leaves the target's log rolled
    /// (jetapi.cxx JetExternalRestoreEx calls ErrINSTPrepareTargetInstance before ErrNewInst).
    /// `Answered` is the call's whole transition. The printer asks this too: a roll here is an
    /// engine generation the model counts as a second log file of the current one.
    pub(crate) fn external_restore_target(
        &self,
        s: &State,
        v2: bool,
        arg: ExtRestoreArg,
    ) -> TargetStep {
        use ExtRestoreArg as A;
        if v2 && arg == A::BadLogInfo {
            return TargetStep::Answered(unchanged(
                JetErr::InvalidParameter,
                "§6.1.1 JetExternalRestore2: JET_LOGINFO cbSize wrong",
            ));
        }
        // The exported (ANSI) forms convert the paths and the map before any other check.
        if super::probe::heap_alloc_fails(s) {
            return TargetStep::Answered(super::probe::spent(
                s.clone(),
                JetErr::OutOfMemory,
                "JetExternalRestoreExA: converting the paths and the restore map fails to allocate",
            ));
        }
        if v2 && arg == A::HalfTarget {
            return TargetStep::Answered(unchanged(
                JetErr::InvalidParameter,
                "§6.1.2 target log path without a target checkpoint path",
            ));
        }
        if s.mode == RunMode::OneInst {
            return TargetStep::Answered(unchanged(
                JetErr::RunningInOneInstanceMode,
                "§6.1.3 external restore in one-instance mode",
            ));
        }
        // From here on the process is in multi-instance mode, even when the restore fails
        // before its private instance exists (§1.1: only freeing an instance resets the mode).
        let mut next = s.clone();
        next.mode = RunMode::MultiInst;
        let worker = &s.instances[usize::from(WORKER)];
        // The target is looked up among initialized instances (INST::GetInstanceByName /
        // GetInstanceByFullLogPath), a held JetRestoreInstance's included.
        let running = s.jet_initialized(WORKER);
        let named = v2 && arg == A::TargetName;
        if named && !(running && worker.name == Some(0)) {
            return TargetStep::Answered(super::lifecycle::moved_or_unchanged(
                s,
                next,
                JetErr::BadRestoreTargetInstance,
                "§6.1.4 no initialized instance has the target name",
            ));
        }
        let found = named || (v2 && arg == A::TargetPaths && running);
        // A target running circular logging is treated as no target.
        let rolled = found && !worker.settings.circular;
        if found {
            if let Err(outcome) = self.api_enter(s, WORKER) {
                return TargetStep::Answered(super::lifecycle::moved_or_unchanged(
                    s,
                    next,
                    outcome.code,
                    outcome.rule,
                ));
            }
        }
        if rolled {
            // The record with a forced new generation (LOG::ErrLGLogRec, fLGCreateNewGen).
            let refusal = if matches!(worker.health, Health::LogStopped | Health::LogDiskLow) {
                Some((
                    JetErr::LogWriteFail,
                    "§6.1.5 the target's log roll cannot write: log writes stopped (§7)",
                ))
            } else if worker.settings.recovery_off {
                // ESE logs the record without asking; with logging off its log was never set
                // up. jetspec refuses as every other call that rolls a log does (§2.3.1).
                Some((
                    JetErr::LoggingDisabled,
                    "§6.1.5 the target's log roll: logging disabled (jetspec's choice)",
                ))
            } else if worker.storage.current >= self.config.max_gen {
                Some((
                    JetErr::LogSequenceEnd,
                    "§6.1.5 the target's log roll finds no generation left",
                ))
            } else {
                None
            };
            if let Some((code, rule)) = refusal {
                return TargetStep::Answered(super::lifecycle::moved_or_unchanged(
                    s, next, code, rule,
                ));
            }
            next.instances[usize::from(WORKER)]
                .storage
                .new_log_file(false);
        }
        TargetStep::Prepared(TargetPrepared {
            next,
            rolled,
            into_worker: v2 && arg == A::TargetPaths && !running,
        })
    }

    /// §6.1 steps 6 to 12: the private instance, paths, the log set, the restore map, replay.
    /// `into_worker`: the restore replays on into the worker's log path (target paths, no
    /// running target).
    fn external_restore_checks(&self, s: &State, arg: ExtRestoreArg, into_worker: bool) -> Outcome {
        use ExtRestoreArg as A;
        if s.live_count() >= usize::from(self.config.instances) {
            return refuse(
                JetErr::TooManyInstances,
                "§6.1.6 no instance left for the private restore instance",
            );
        }
        if arg == A::TooLong {
            return refuse(JetErr::InvalidPath, "§6.1.7 log path too long");
        }
        let storage = &s.instances[usize::from(WORKER)].storage;
        // The range printed for these is empty when the set has one generation (or there is no
        // set, printed as 1..1): the signature loop reads no log, so no log extension is chosen
        // and naming the log directory's generations fails (logutil.cxx
        // ErrLGIRSTCheckSignaturesLogSequence, logstream.cxx ErrLGMakeLogNameBaseless).
        let empty = storage.saved.is_none_or(|v| v.high == v.low);
        if matches!(arg, A::LowTooHigh | A::HighTooLow) && empty {
            return refuse(
                JetErr::InternalError,
                "§6.1.8 log set check: an empty range reads no log and chooses no log extension",
            );
        }
        let Some(saved) = storage.saved.filter(|_| arg != A::NoLogs) else {
            return refuse(
                JetErr::FileNotFound,
                "§6.1.8 log set check: a log of genLow..genHigh is missing",
            );
        };
        // Roll forward, phase II: the log path's logs after the set must follow on from it
        // (restore.cxx / logutil.cxx: the first one missing is the current log's).
        if into_worker && storage.gap_after(saved.high) {
            return refuse(
                JetErr::MissingCurrentLogFiles,
                "§6.1.8 the target's log path does not follow on from the set",
            );
        }
        if arg == A::MapBadCount {
            return refuse(
                JetErr::InvalidParameter,
                "§6.1.9 restore map count out of range",
            );
        }
        match arg {
            A::MapMissing => {
                return refuse(JetErr::FileNotFound, "§6.1.10 mapped database absent");
            }
            // The damaged copy is of the set's first database; with none, the map names a file
            // that was never copied.
            A::MapCorrupt if saved.dbs == 0 => {
                return refuse(JetErr::FileNotFound, "§6.1.10 mapped database absent");
            }
            A::MapCorrupt => {
                return refuse(
                    JetErr::DatabaseCorrupted,
                    "§6.1.10 mapped database header unreadable",
                );
            }
            A::MapNonBackup if storage.dbs[0].file == DbFile::Absent => {
                return refuse(JetErr::FileNotFound, "§6.1.10 mapped database absent");
            }
            A::MapNonBackup => {
                return refuse(
                    JetErr::RestoreOfNonBackupDatabase,
                    "§6.1.10 database never streamed by a backup",
                );
            }
            _ => {}
        }
        // Steps 10 and 12 for a range that does not cover the set's databases. With no database
        // in the set there is nothing to check against, and replay needs only the logs given.
        let has_dbs = saved.dbs != 0;
        let low_too_high = arg == A::LowTooHigh && has_dbs;
        let high_too_low = arg == A::HighTooLow && has_dbs;
        if low_too_high {
            return if self.documented(Divergence::RestoreLogRangeChecks) {
                refuse(
                    JetErr::StartingRestoreLogTooHigh,
                    "doc:JetExternalRestore StartingRestoreLogTooHigh row",
                )
            } else {
                refuse(
                    JetErr::MissingLogFile,
                    "§6.1.10 the range check's error is overwritten; replay misses the first log",
                )
            };
        }
        if high_too_low {
            return if self.documented(Divergence::RestoreLogRangeChecks) {
                refuse(
                    JetErr::EndingRestoreLogTooLow,
                    "doc:JetExternalRestore EndingRestoreLogTooLow row",
                )
            } else {
                refuse(
                    JetErr::RequiredLogFilesMissing,
                    "§6.1.12 the range check's error is overwritten; replay ends before the databases' range",
                )
            };
        }
        refuse(
            JetErr::Success,
            "§6.1.12 hard recovery: the set's logs replayed into the mapped databases",
        )
    }
}
