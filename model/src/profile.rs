//! The divergence catalogue: every place where the documentation pages and the open-sourced
//! implementation disagree about a call in scope. The `esent` profile follows the implementation,
//! the `documented` profile the pages; the step function consults [`Divergence`] at each fork.

use serde::Serialize;

/// One disagreement between the pages and the implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Divergence {
    /// JetEndExternalBackupInstance2 with JET_bitBackupEndAbort.
    EndAbortReturnsSuccess,
    /// Ending a backup after JetStopBackup.
    EndAfterStopBackup,
    /// Ending normally while still in the database phase.
    EndBeforeLogs,
    /// Failures that "cancel the entire backup".
    FailuresCancelBackup,
    /// JetTruncateLog before every required log was copied.
    TruncateLogFileNotCopied,
    /// A handle that names no live instance.
    InvalidInstanceHandle,
    /// An instance made unavailable by a full log disk.
    FatalLogDiskFullCode,
    /// Plain JetTerm with a backup running.
    PlainTermStopsBackup,
    /// JetEnableMultiInstance with parameters that conflict.
    MultiInstanceParameterConflict,
    /// Backups after a JetTerm that failed.
    FailedTermBlocksBackup,
    /// JetTerm2 with JET_bitTermAbrupt while transactions are open.
    AbruptTermWithOpenTransactions,
    /// JetBackup with bits it does not know.
    BackupGrbitNotValidated,
    /// A JetBackup directory whose logs end before the instance's own logs begin.
    RestoreLogGap,
    /// JetExternalRestore with a log range that does not cover the databases' needs.
    RestoreLogRangeChecks,
    /// JetSetSystemParameter with an instance handle that names no live instance.
    SetParamInstanceHandle,
}

/// A catalogue entry.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DivergenceInfo {
    /// The divergence.
    #[serde(skip)]
    pub divergence: Divergence,
    /// A stable id.
    pub id: &'static str,
    /// The functions it affects.
    pub functions: &'static [&'static str],
    /// The situation.
    pub situation: &'static str,
    /// What the implementation does (profile `esent`).
    pub esent: &'static str,
    /// What the pages say (profile `documented`).
    pub documented: &'static str,
    /// Where each comes from.
    pub sources: &'static str,
}

const END_CALLS: &[&str] = &[
    "JetEndExternalBackup",
    "JetEndExternalBackupInstance",
    "JetEndExternalBackupInstance2",
];

/// Every divergence, in catalogue order.
pub const DIVERGENCES: &[DivergenceInfo] = &[
    DivergenceInfo {
        divergence: Divergence::EndAbortReturnsSuccess,
        id: "end-abort-returns-success",
        functions: &["JetEndExternalBackupInstance2"],
        situation: "a running backup is ended with JET_bitBackupEndAbort",
        esent: "JET_errSuccess; errBackupAbortByCaller (-800) is internal and only picks the event text",
        documented: "errBackupAbortByCaller (-800)",
        sources: "ese-behaviour.md §4 step 4 and §9; JetEndExternalBackupInstance2 page, return table",
    },
    DivergenceInfo {
        divergence: Divergence::EndAfterStopBackup,
        id: "end-after-stop-backup",
        functions: END_CALLS,
        situation: "a backup is ended after JetStopBackup(Instance)",
        esent: "JET_errSuccess; the backup is cleaned up as aborted by the server",
        documented: "JET_errBackupAbortByServer",
        sources: "ese-behaviour.md §3.1 and §9; JetEndExternalBackup* pages, BackupAbortByServer row",
    },
    DivergenceInfo {
        divergence: Divergence::EndBeforeLogs,
        id: "end-before-logs",
        functions: END_CALLS,
        situation: "a full backup is ended normally before JetGetLogInfo (still in the database phase)",
        esent: "JET_errSuccess; treated as an abort by the caller",
        documented: "errBackupAbortByCaller (-800)",
        sources: "ese-behaviour.md §4 step 4 and §9; ese-doc-notes.md §4",
    },
    DivergenceInfo {
        divergence: Divergence::FailuresCancelBackup,
        id: "failures-cancel-backup",
        functions: &[
            "JetGetAttachInfoInstance",
            "JetOpenFileInstance",
            "JetReadFileInstance",
            "JetCloseFileInstance",
            "JetGetLogInfoInstance",
            "JetGetTruncateLogInfoInstance",
            "JetTruncateLogInstance",
        ],
        situation: "a backup call fails with a sequence or state error (e.g. JetGetLogInfo with a file still open)",
        esent: "the error is returned and the backup keeps running",
        documented: "the whole backup is cancelled; later calls get JET_errNoBackup",
        sources: "ese-behaviour.md §2.2, §2.4 and §9; JetBeginExternalBackup page, Remarks",
    },
    DivergenceInfo {
        divergence: Divergence::TruncateLogFileNotCopied,
        id: "truncate-log-file-not-copied",
        functions: &["JetTruncateLog", "JetTruncateLogInstance"],
        situation: "JetTruncateLog before every log of the copy range was read to the end and closed",
        esent: "JET_errLogFileNotCopied (-616); nothing is deleted",
        documented: "no such check: the logs are truncated (the pages do not list -616)",
        sources: "ese-behaviour.md §2.4 JetTruncateLog step 5 and §9",
    },
    DivergenceInfo {
        divergence: Divergence::InvalidInstanceHandle,
        id: "invalid-instance-handle",
        functions: &[
            "JetBeginExternalBackupInstance",
            "JetTerm",
            "JetStopBackupInstance",
        ],
        situation: "an Instance call gets a handle that names no live instance (stale or made up)",
        esent: "JET_errInvalidInstance (-1115), from ESENT's handle validation",
        documented: "JET_errInvalidParameter, as the pages' InvalidParameter rows say",
        sources: "ese-behaviour.md §1.2 step 1; the Instance pages, InvalidParameter rows",
    },
    DivergenceInfo {
        divergence: Divergence::SetParamInstanceHandle,
        id: "set-param-instance-handle",
        functions: &["JetSetSystemParameter"],
        situation: "the instance argument names no live instance (stale or made up)",
        esent: "no-instance mode: ignored, the value becomes the process default (an unknown parameter id is JET_errInvalidParameter); one-instance mode: ignored, the single instance is set; multi-instance mode: JET_errInvalidInstance (ESENT's handle validation)",
        documented: "JET_errInvalidInstance in every mode, as the page's InvalidInstance row says",
        sources: "jetapi.cxx JetSetSystemParameterEx, ErrJetValidateInstance, ErrSetSystemParameter; the JetSetSystemParameter page",
    },
    DivergenceInfo {
        divergence: Divergence::FatalLogDiskFullCode,
        id: "fatal-log-disk-full-code",
        functions: &[
            "JetBeginExternalBackupInstance",
            "JetEndExternalBackupInstance",
        ],
        situation: "an instance was made unavailable by a full log disk",
        esent: "JET_errInstanceUnavailableDueToFatalLogDiskFull (-1092)",
        documented: "JET_errInstanceUnavailable (-1090), the only unavailable code the pages list",
        sources: "ese-behaviour.md §1.2 step 4b and §7",
    },
    DivergenceInfo {
        divergence: Divergence::PlainTermStopsBackup,
        id: "plain-term-stops-backup",
        functions: &["JetTerm", "JetTerm2"],
        situation: "JetTerm, or JetTerm2 without JET_bitTermStopBackup, while a backup is running",
        esent: "JetTerm is JetTerm2(JET_bitTermAbrupt), and Abrupt stops the backup: the instance terminates",
        documented: "JET_errBackupInProgress: only JET_bitTermStopBackup shuts down with a backup running",
        sources: "ese-behaviour.md §1.3 and §3.3; ese-doc-notes.md §4",
    },
    DivergenceInfo {
        divergence: Divergence::MultiInstanceParameterConflict,
        id: "multi-instance-parameter-conflict",
        functions: &["JetEnableMultiInstance"],
        situation: "JetEnableMultiInstance in multi-instance mode with global parameters that differ, or without one set before",
        esent: "JET_errSystemParameterConflict (-1087)",
        documented: "JET_errSystemParamsAlreadySet",
        sources: "ese-behaviour.md §1.3; JetEnableMultiInstance page",
    },
    DivergenceInfo {
        divergence: Divergence::FailedTermBlocksBackup,
        id: "failed-term-blocks-backup",
        functions: &["JetBeginExternalBackupInstance", "JetTerm2"],
        situation: "a backup is begun after a JetTerm2 that failed (e.g. JET_errBackupInProgress)",
        esent: "JET_errBackupNotAllowedYet until the instance is terminated and initialized again",
        documented: "nothing changed: the backup may begin",
        sources: "ese-behaviour.md §3.3 and §9; JetTerm2 page, Remarks",
    },
    DivergenceInfo {
        divergence: Divergence::AbruptTermWithOpenTransactions,
        id: "abrupt-term-with-open-transactions",
        functions: &["JetTerm", "JetTerm2"],
        situation: "JetTerm or JetTerm2(JET_bitTermAbrupt) while a session has a transaction open",
        esent: "JET_errTooManyActiveUsers, for abrupt shutdowns too",
        documented: "only JET_bitTermComplete reports JET_errTooManyActiveUsers; an abrupt term succeeds",
        sources: "ese-behaviour.md §3.3; ese-doc-notes.md §4",
    },
    DivergenceInfo {
        divergence: Divergence::BackupGrbitNotValidated,
        id: "backup-grbit-not-validated",
        functions: &["JetBackup", "JetBackupInstance"],
        situation: "JetBackup(Instance) with a grbit bit it does not know",
        esent: "the bit is ignored: JetBackup reduces the grbit to full or incremental",
        documented: "JET_errInvalidGrbit",
        sources: "ese-behaviour.md §2.5 and §9; JetBackupInstance page, InvalidGrbit row",
    },
    DivergenceInfo {
        divergence: Divergence::RestoreLogGap,
        id: "restore-log-gap",
        functions: &["JetRestore", "JetRestore2", "JetRestoreInstance"],
        situation: "a JetBackup directory is restored after the instance's log path lost the generations that follow it (a later truncation)",
        esent: "JET_errMissingRestoreLogFiles from the log set check (inferred: §6.3 runs the check of §6.1 step 8)",
        documented: "JET_errInvalidLogSequence: the backup set's logs and the current logs do not line up",
        sources: "ese-behaviour.md §6.1 step 8 and §6.3; JetRestore page, InvalidLogSequence row; ese-doc-notes.md §6",
    },
    DivergenceInfo {
        divergence: Divergence::RestoreLogRangeChecks,
        id: "restore-log-range-checks",
        functions: &["JetExternalRestore", "JetExternalRestore2"],
        situation: "genLow is above the first log the backed-up databases need, or genHigh below the last",
        esent: "the range check's error is overwritten and replay runs: JET_errMissingLogFile for a genLow too high, JET_errRequiredLogFilesMissing for a genHigh too low (codes inferred from §6.1 step 12)",
        documented: "JET_errStartingRestoreLogTooHigh / JET_errEndingRestoreLogTooLow",
        sources: "ese-behaviour.md §6.1 steps 10 and 12; JetExternalRestore page, return table; logutil.cxx range check",
    },
];

impl Divergence {
    /// This divergence's entry.
    pub fn info(self) -> &'static DivergenceInfo {
        DIVERGENCES
            .iter()
            .find(|d| d.divergence == self)
            .expect("every divergence has a catalogue entry by construction")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_function_is_in_the_vocabulary() {
        for (i, d) in DIVERGENCES.iter().enumerate() {
            assert!(
                DIVERGENCES[i + 1..]
                    .iter()
                    .all(|o| o.id != d.id && o.divergence != d.divergence)
            );
            for f in d.functions {
                assert!(jetapi::call_spec(f).is_some(), "{f}");
            }
        }
    }
}
