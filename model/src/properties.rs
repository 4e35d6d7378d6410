//! The safety properties, as sentences over a state. Each holds in every reachable state of a
//! correct model; `jetspec check` proves it at a bounded configuration or prints the shortest
//! path to a state where it fails.

use crate::state::{BackupKind, Life, State, Violation};
use crate::step::backup_ranges::required_logs_missing;

/// A property: a sentence and the test of one state.
#[derive(Clone, Copy)]
pub struct Property {
    /// The sentence.
    pub name: &'static str,
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
        holds: |s| {
            s.instances
                .iter()
                .all(|i| i.storage.current == 0 || i.storage.oldest <= i.storage.checkpoint)
        },
    },
    Property {
        name: "no log a running backup still has to copy is deleted",
        holds: |s| {
            s.instances.iter().all(|i| {
                i.stop_service
                    || i.local_backup()
                        .is_none_or(|b| !required_logs_missing(&i.storage, b))
            })
        },
    },
    Property {
        name: "a crash loses no committed transaction",
        holds: |s| s.violation != Some(Violation::CommittedTransactionLost),
    },
    Property {
        name: "a completed backup restores every transaction committed before its log roll",
        holds: |s| s.violation != Some(Violation::BackupWouldNotRestore),
    },
    Property {
        name: "a backup runs only on an initialized instance",
        holds: |s| {
            s.instances
                .iter()
                .all(|i| i.backup.is_none() || i.life == Life::Initialized)
        },
    },
    Property {
        name: "backup file handles exist only during a local backup",
        holds: |s| {
            s.instances.iter().all(|i| {
                i.backup
                    .is_none_or(|b| b.file.is_none() || b.kind != BackupKind::Surrogate)
            })
        },
    },
];
