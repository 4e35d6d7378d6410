//! `JET_bit*` option bits with their exact values, grouped by the calls that take them.
//!
//! ESE reuses bit values across families (`JET_bitBackupIncremental` and `JET_bitTermComplete`
//! are both 0x1), so a name means something only for the calls of its [`GrbitFamily`]. A trace
//! may pass any number instead of names, which is how undocumented bits are tested.

use std::fmt;

/// The calls a grbit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrbitFamily {
    /// JetBeginExternalBackup(Instance), JetBackup(Instance).
    Backup,
    /// JetEndExternalBackupInstance2.
    BackupEnd,
    /// JetTerm2.
    Term,
    /// JetStopServiceInstance2.
    StopService,
    /// JetInit2, JetInit3.
    Init,
    /// JetCreateDatabase(2).
    CreateDatabase,
    /// JetAttachDatabase(2).
    AttachDatabase,
    /// JetOpenDatabase.
    OpenDatabase,
    /// JetDetachDatabase2.
    DetachDatabase,
    /// JetEndSession.
    EndSession,
    /// JetCommitTransaction.
    Commit,
    /// JetRollback.
    Rollback,
    /// JetOpenTable.
    OpenTable,
    /// The value of JET_paramLegacyFileNames.
    LegacyFileNames,
}

/// One grbit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrbitInfo {
    /// The header symbol.
    pub name: &'static str,
    /// Its value.
    pub value: u32,
    /// The calls that take it.
    pub family: GrbitFamily,
    /// True when no function page in scope lists it: the header, or a parameter page, is its
    /// only source.
    pub header_only: bool,
}

const fn bit(name: &'static str, value: u32, family: GrbitFamily) -> GrbitInfo {
    GrbitInfo {
        name,
        value,
        family,
        header_only: false,
    }
}

const fn header_bit(name: &'static str, value: u32, family: GrbitFamily) -> GrbitInfo {
    GrbitInfo {
        name,
        value,
        family,
        header_only: true,
    }
}

use GrbitFamily as F;

/// Every grbit jetspec knows, by family.
pub const GRBITS: &[GrbitInfo] = &[
    bit("JET_bitBackupIncremental", 0x1, F::Backup),
    header_bit("JET_bitKeepOldLogs", 0x2, F::Backup),
    bit("JET_bitBackupAtomic", 0x4, F::Backup),
    header_bit("JET_bitBackupFullWithAllLogs", 0x8, F::Backup),
    bit("JET_bitBackupSnapshot", 0x10, F::Backup),
    header_bit("JET_bitBackupSurrogate", 0x20, F::Backup),
    header_bit("JET_bitInternalCopy", 0x40, F::Backup),
    bit("JET_bitBackupEndNormal", 0x1, F::BackupEnd),
    bit("JET_bitBackupEndAbort", 0x2, F::BackupEnd),
    header_bit("JET_bitBackupSurrogate", 0x20, F::BackupEnd),
    bit("JET_bitBackupTruncateDone", 0x100, F::BackupEnd),
    header_bit("JET_bitBackupNoDbHeaderUpdate", 0x200, F::BackupEnd),
    bit("JET_bitTermComplete", 0x1, F::Term),
    bit("JET_bitTermAbrupt", 0x2, F::Term),
    bit("JET_bitTermStopBackup", 0x4, F::Term),
    bit("JET_bitTermDirty", 0x8, F::Term),
    bit("JET_bitStopServiceAll", 0x0, F::StopService),
    bit("JET_bitStopServiceBackgroundUserTasks", 0x2, F::StopService),
    bit("JET_bitStopServiceQuiesceCaches", 0x4, F::StopService),
    header_bit("JET_bitStopServiceStopAndEmitLog", 0x8, F::StopService),
    bit("JET_bitStopServiceResume", 0x8000_0000, F::StopService),
    bit("JET_bitReplayReplicatedLogFiles", 0x1, F::Init),
    bit("JET_bitCreateSFSVolumeIfNotExist", 0x2, F::Init),
    bit("JET_bitReplayIgnoreMissingDB", 0x4, F::Init),
    bit("JET_bitRecoveryWithoutUndo", 0x8, F::Init),
    bit("JET_bitTruncateLogsAfterRecovery", 0x10, F::Init),
    bit("JET_bitReplayMissingMapEntryDB", 0x20, F::Init),
    header_bit("JET_bitLogStreamMustExist", 0x40, F::Init),
    bit("JET_bitReplayIgnoreLostLogs", 0x80, F::Init),
    header_bit("JET_bitAllowSoftRecoveryOnBackup", 0x200, F::Init),
    header_bit("JET_bitExternalRecoveryControl", 0x800, F::Init),
    header_bit("JET_bitKeepDbAttachedAtEndOfRecovery", 0x1000, F::Init),
    bit("JET_bitDbRecoveryOff", 0x8, F::CreateDatabase),
    bit("JET_bitDbShadowingOff", 0x80, F::CreateDatabase),
    bit("JET_bitDbOverwriteExisting", 0x200, F::CreateDatabase),
    bit("JET_bitDbReadOnly", 0x1, F::AttachDatabase),
    bit("JET_bitDbDeleteCorruptIndexes", 0x10, F::AttachDatabase),
    bit("JET_bitDbUpgrade", 0x200, F::AttachDatabase),
    bit("JET_bitDbDeleteUnicodeIndexes", 0x400, F::AttachDatabase),
    header_bit(
        "JET_bitDbEnableBackgroundMaintenance",
        0x800,
        F::AttachDatabase,
    ),
    bit("JET_bitDbReadOnly", 0x1, F::OpenDatabase),
    bit("JET_bitDbExclusive", 0x2, F::OpenDatabase),
    bit("JET_bitForceDetach", 0x1, F::DetachDatabase),
    bit("JET_bitForceCloseAndDetach", 0x3, F::DetachDatabase),
    bit("JET_bitForceSessionClosed", 0x1, F::EndSession),
    header_bit("JET_bitCommitLazyFlush", 0x1, F::Commit),
    header_bit("JET_bitWaitLastLevel0Commit", 0x2, F::Commit),
    header_bit("JET_bitWaitAllLevel0Commit", 0x8, F::Commit),
    header_bit("JET_bitRollbackAll", 0x1, F::Rollback),
    header_bit("JET_bitTableDenyWrite", 0x1, F::OpenTable),
    header_bit("JET_bitTableDenyRead", 0x2, F::OpenTable),
    header_bit("JET_bitTableReadOnly", 0x4, F::OpenTable),
    header_bit("JET_bitTableUpdatable", 0x8, F::OpenTable),
    header_bit("JET_bitESE98FileNames", 0x1, F::LegacyFileNames),
];

/// The grbit named `name` in `family`.
pub fn grbit_in(family: GrbitFamily, name: &str) -> Option<&'static GrbitInfo> {
    GRBITS.iter().find(|g| g.family == family && g.name == name)
}

/// The value of a grbit name, whatever its family (every family agrees on a name's value).
pub fn grbit_value(name: &str) -> Option<u32> {
    GRBITS.iter().find(|g| g.name == name).map(|g| g.value)
}

/// A grbit argument as a trace writes it: a number, or names ORed together.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Grbit {
    /// A raw value, for undocumented bits and combinations.
    Bits(u32),
    /// `JET_bit*` names, ORed; one name prints as a string, several as a list.
    Names(Vec<String>),
}

impl Grbit {
    /// The value passed to the call. Names must have been checked with [`Grbit::check`].
    pub fn value(&self) -> u32 {
        match self {
            Grbit::Bits(bits) => *bits,
            Grbit::Names(names) => names
                .iter()
                .filter_map(|name| grbit_value(name))
                .fold(0, |acc, v| acc | v),
        }
    }

    /// Checks that every name belongs to `family`.
    pub fn check(&self, family: GrbitFamily, call: &str) -> Result<(), String> {
        let Grbit::Names(names) = self else {
            return Ok(());
        };
        if names.is_empty() {
            return Err(format!(
                "grbit of {call} is an empty list; give 0 for no bits"
            ));
        }
        for name in names {
            if grbit_in(family, name).is_none() {
                let hint = match grbit_value(name) {
                    Some(v) => format!("; to pass its value anyway, give the number {v}"),
                    None => String::new(),
                };
                return Err(format!("{name} is not a grbit of {call}{hint}"));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Grbit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grbit::Bits(bits) => write!(f, "{bits:#x}"),
            Grbit::Names(names) => f.write_str(&names.join(" | ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_has_one_value_in_every_family_it_belongs_to() {
        for g in GRBITS {
            assert_eq!(grbit_value(g.name), Some(g.value), "{}", g.name);
        }
    }

    #[test]
    fn names_are_checked_against_the_calls_family() {
        let incremental = Grbit::Names(vec!["JET_bitBackupIncremental".into()]);
        assert!(incremental.check(GrbitFamily::Backup, "JetBackup").is_ok());
        let err = incremental
            .check(GrbitFamily::Term, "JetTerm2")
            .unwrap_err();
        assert!(err.contains("give the number 1"), "{err}");
        let both = Grbit::Names(vec![
            "JET_bitTermAbrupt".into(),
            "JET_bitTermStopBackup".into(),
        ]);
        assert_eq!(both.value(), 0x6);
    }
}
