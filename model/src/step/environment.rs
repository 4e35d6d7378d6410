//! The world around the API: commits, log rolls, checkpoints, power loss, log write failures,
//! a filling log disk, fatal errors (§7), a damaged checkpoint file, and JetTerm2 held in
//! progress. An environment move whose preconditions do not hold changes nothing.

use jetapi::JetErr;

use super::backup::{recycle_circular, roll};
use super::{Spec, Transition, moved, unchanged};
use crate::generate::WORKER;
use crate::state::{
    CheckpointFile, DbFile, FileTarget, Health, Life, Pending, RunMode, Session, State,
};

const NOT_APPLICABLE: &str = "env: not applicable in this state";

impl Spec {
    /// True when slot `slot` holds an initialized instance that is not locked by a long call.
    fn running(&self, s: &State, slot: u8) -> bool {
        let inst = &s.instances[usize::from(slot)];
        inst.life == Life::Initialized
            && !matches!(s.pending, Some(Pending::Term { slot: p, .. }) if p == slot)
    }

    /// True when the instance can write its log.
    fn logging(&self, s: &State, slot: u8) -> bool {
        let inst = &s.instances[usize::from(slot)];
        self.running(s, slot)
            && !inst.settings.recovery_off
            && !matches!(inst.health, Health::LogStopped)
            && !inst.health.unavailable()
            && !inst.stop_service
    }

    pub(super) fn roll_log(&self, s: &State, slot: u8) -> Transition {
        // The environment's moves stop with the service: a stopped instance takes no new work.
        let inst = &s.instances[usize::from(slot)];
        if !self.logging(s, slot) || inst.storage.current >= self.config.max_gen {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        roll(&mut next, slot);
        moved(
            next,
            JetErr::Success,
            "env: the log rolls to a new generation",
        )
    }

    pub(super) fn advance_checkpoint(&self, s: &State, slot: u8) -> Transition {
        let inst = &s.instances[usize::from(slot)];
        if !self.logging(s, slot) || inst.storage.checkpoint >= inst.storage.current {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        let inst = &mut next.instances[usize::from(slot)];
        inst.storage.checkpoint_to_current();
        inst.storage.checkpoint_file = CheckpointFile::Good;
        recycle_circular(inst);
        moved(
            next,
            JetErr::Success,
            "env: pages flushed, checkpoint advances",
        )
    }

    pub(super) fn crash(&self, s: &State) -> Transition {
        if s.live_count() == 0 {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        for inst in next.instances.iter_mut().filter(|i| i.is_live()) {
            *inst = inst.freed();
        }
        next.pending = None;
        next.mode = RunMode::NoSet;
        // The process goes with them, and its parameter defaults.
        next.defaults = crate::state::Settings::DEFAULT;
        for inst in next.instances.iter_mut() {
            inst.settings = crate::state::Settings::DEFAULT;
        }
        moved(
            next,
            JetErr::Success,
            "env: power loss; every instance vanishes",
        )
    }

    /// Faults strike a healthy instance with no backup running: while one runs, they change no
    /// answer until it ends, so the model lets them come after it.
    fn fault_applies(&self, s: &State, slot: u8) -> bool {
        let inst = &s.instances[usize::from(slot)];
        self.logging(s, slot) && inst.backup.is_none() && inst.health == Health::Ok
    }

    pub(super) fn log_write_fails(&self, s: &State, slot: u8) -> Transition {
        if !self.fault_applies(s, slot) {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].health = Health::LogStopped;
        moved(
            next,
            JetErr::Success,
            "§7 a log write fails: no more log writes",
        )
    }

    pub(super) fn log_disk_fills(&self, s: &State, slot: u8) -> Transition {
        if !self.fault_applies(s, slot) {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].health = Health::LogDiskLow;
        moved(next, JetErr::Success, "§7 the log disk runs low")
    }

    pub(super) fn fatal_error(&self, s: &State, slot: u8, disk_full: bool) -> Transition {
        if !self.fault_applies(s, slot) {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].health = if disk_full {
            Health::UnavailableLogDiskFull
        } else {
            Health::Unavailable
        };
        moved(
            next,
            JetErr::Success,
            "§7 an operation that cannot fail fails: instance unavailable",
        )
    }

    pub(super) fn damage_checkpoint(&self, s: &State, slot: u8, missing: bool) -> Transition {
        let storage = &s.instances[usize::from(slot)].storage;
        if !self.fault_applies(s, slot) || storage.checkpoint_file != CheckpointFile::Good {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].storage.checkpoint_file = if missing {
            CheckpointFile::Missing
        } else {
            CheckpointFile::Corrupt
        };
        moved(
            next,
            JetErr::Success,
            "env: the checkpoint file is deleted or damaged",
        )
    }

    pub(super) fn start_term(&self, s: &State, slot: u8, grbit: u32) -> Transition {
        let inst = &s.instances[usize::from(slot)];
        // An open session may stay (JetTerm2 ends it); an open transaction would make the term
        // fail, which the model shows without holding it.
        let quiet = inst.backup.is_none()
            && inst.session != Session::InTransaction
            && !inst.stop_service
            && inst.health == Health::Ok;
        if s.pending.is_some() || !self.running(s, slot) || !quiet {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        next.pending = Some(Pending::Term { slot, grbit });
        moved(next, JetErr::Success, "§1.2.4c JetTerm2 holds the API lock")
    }

    pub(super) fn finish_term(&self, s: &State) -> Transition {
        let Some(Pending::Term { slot, grbit }) = s.pending else {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        };
        let mut released = s.clone();
        released.pending = None;
        let (next, outcome) = self.complete_term(&released, slot, Some(grbit));
        (Some(next.unwrap_or(released)), outcome)
    }
}

impl Spec {
    /// A page of database `d`, or a block of log generation `g`, of the worker's storage no
    /// longer verifies. Only a file that exists can be damaged, and only one at a time.
    pub(super) fn corrupt(&self, s: &State, target: FileTarget) -> Transition {
        let storage = &s.instances[usize::from(WORKER)].storage;
        let exists = match target {
            FileTarget::Db(d) => storage.dbs[usize::from(d)].file != DbFile::Absent,
            FileTarget::Log(g) => g >= storage.oldest && g <= storage.current && g > 0,
            FileTarget::Patch => false,
        };
        if !exists || s.probe.is_some() {
            return unchanged(JetErr::Success, NOT_APPLICABLE);
        }
        let mut next = s.clone();
        next.probe = Some(crate::state::Probe::Corrupt(target));
        moved(next, JetErr::Success, "env: a page no longer verifies")
    }
}
