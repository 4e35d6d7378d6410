//! Instance lifecycle states and the process run mode, each with one exhaustive
//! `can_transition` (sled's `event_verifier.rs` style: no `_` arm, so a new state forces a
//! decision about every edge).

/// The process run mode (`ese-behaviour.md` §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// No instance yet; the first call decides.
    NoSet,
    /// Legacy single-instance mode.
    OneInst,
    /// Multi-instance mode.
    MultiInst,
}

impl RunMode {
    /// Whether the mode may move from `from` to `to`.
    pub fn can_transition(from: RunMode, to: RunMode) -> bool {
        match (from, to) {
            (RunMode::NoSet, RunMode::OneInst | RunMode::MultiInst) => true,
            (RunMode::OneInst | RunMode::MultiInst, RunMode::NoSet) => true,
            (RunMode::NoSet, RunMode::NoSet) => false,
            (RunMode::OneInst, RunMode::OneInst | RunMode::MultiInst) => false,
            (RunMode::MultiInst, RunMode::OneInst | RunMode::MultiInst) => false,
        }
    }
}

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// Allocated by JetCreateInstance (or by JetInit just before it initializes).
    Created,
    /// JetInit holds the API lock.
    Initializing,
    /// Initialized.
    Running,
    /// JetTerm holds the API lock.
    Terminating,
    /// JetRestore* holds the API lock ("restoring", `ese-behaviour.md` §6.4); afterwards the
    /// instance is allocated and not initialized again, or freed if the call allocated it.
    Restoring,
    /// Gone; the handle is stale.
    Freed,
}

impl Lifecycle {
    /// Whether an instance may move from `from` to `to`.
    pub fn can_transition(from: Lifecycle, to: Lifecycle) -> bool {
        use Lifecycle::{Created, Freed, Initializing, Restoring, Running, Terminating};
        match (from, to) {
            (Created, Initializing | Restoring | Freed) => true,
            (Initializing, Running | Freed) => true,
            (Running, Terminating) => true,
            // A refused term (open transactions, a running backup) leaves it running.
            (Terminating, Running | Freed) => true,
            (Restoring, Created | Freed) => true,
            (Created, Created | Running | Terminating) => false,
            (Initializing, Created | Initializing | Terminating | Restoring) => false,
            (Running, Created | Initializing | Running | Freed | Restoring) => false,
            (Terminating, Created | Initializing | Terminating | Restoring) => false,
            (Restoring, Initializing | Running | Terminating | Restoring) => false,
            (Freed, Created | Initializing | Running | Terminating | Restoring | Freed) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_is_never_reinitialized_without_being_freed() {
        assert!(!Lifecycle::can_transition(
            Lifecycle::Running,
            Lifecycle::Initializing
        ));
        assert!(!Lifecycle::can_transition(
            Lifecycle::Freed,
            Lifecycle::Initializing
        ));
        assert!(Lifecycle::can_transition(
            Lifecycle::Created,
            Lifecycle::Freed
        ));
    }

    #[test]
    fn a_restoring_instance_is_never_initialized_by_the_restore_itself() {
        assert!(!Lifecycle::can_transition(
            Lifecycle::Restoring,
            Lifecycle::Running
        ));
        assert!(Lifecycle::can_transition(
            Lifecycle::Restoring,
            Lifecycle::Created
        ));
    }

    #[test]
    fn the_run_mode_changes_only_through_no_set() {
        assert!(!RunMode::can_transition(
            RunMode::OneInst,
            RunMode::MultiInst
        ));
        assert!(RunMode::can_transition(RunMode::MultiInst, RunMode::NoSet));
    }
}
