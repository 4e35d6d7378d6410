//! The safety properties, as sentences over a state. Each holds in every reachable state of a
//! correct model; `jetspec check` proves it at a bounded configuration or prints the shortest
//! path to a state where it fails.
//!
//! Beside them, the hazards: things ESE itself does that endanger data ([`Hazard`]). A hazard
//! is a finding, reported with the shortest path to it; the search goes no further from a
//! hazard's state, and the safety property it breaks is stated for every other state.

use crate::state::{BackupKind, Hazard, Life, State, Violation};
use crate::step::backup_ranges::required_logs_missing;

/// What a property's failure means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A safety property of the model: it must hold in every reachable state.
    Always,
    /// A hazard of ESE's: a state where it fails is a finding about ESE, not a mistake of the
    /// model (see [`Hazard`]).
    Hazard,
}

/// A property: a sentence and the test of one state.
#[derive(Clone, Copy)]
pub struct Property {
    /// The sentence.
    pub name: &'static str,
    /// Safety property or hazard.
    pub kind: Kind,
    /// True when the state satisfies it.
    pub holds: fn(&State) -> bool,
}

impl std::fmt::Debug for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every property, checked in every state.
pub const PROPERTIES: &[Property] = &[
    Property {
        name: "the logs crash recovery needs are never deleted",
        kind: Kind::Always,
        holds: |s| {
            s.instances
                .iter()
                .all(|i| i.storage.current == 0 || i.storage.oldest <= i.storage.checkpoint)
        },
    },
    Property {
        name: "no log a running backup still has to copy is deleted",
        kind: Kind::Always,
        // Except by the hazard below, which is reported on its own.
        holds: |s| {
            s.hazard == Some(Hazard::TruncatedUncopiedLog)
                || s.instances.iter().all(|i| {
                    i.stop_service
                        || i.local_backup()
                            .is_none_or(|b| !required_logs_missing(&i.storage, b))
                })
        },
    },
    Property {
        name: "a crash loses no committed transaction",
        kind: Kind::Always,
        holds: |s| s.violation != Some(Violation::CommittedTransactionLost),
    },
    Property {
        name: "a completed backup restores every transaction committed before its log roll",
        kind: Kind::Always,
        holds: |s| s.violation != Some(Violation::BackupWouldNotRestore),
    },
    Property {
        name: "a backup runs only on an initialized instance",
        kind: Kind::Always,
        holds: |s| {
            s.instances
                .iter()
                .all(|i| i.backup.is_none() || i.life == Life::Initialized)
        },
    },
    Property {
        name: "backup file handles exist only during a local backup",
        kind: Kind::Always,
        holds: |s| {
            s.instances.iter().all(|i| {
                i.backup
                    .is_none_or(|b| b.file.is_none() || b.kind != BackupKind::Surrogate)
            })
        },
    },
    Property {
        name: "JetTruncateLog never deletes a log its backup has not copied",
        kind: Kind::Hazard,
        holds: |s| s.hazard != Some(Hazard::TruncatedUncopiedLog),
    },
];
