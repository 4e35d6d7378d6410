//! The `JET_ERR` catalogue: every error and warning code jetspec speaks, with its exact numeric
//! value from ESE's public header (`jethdr.w` at `7030fe7`), a one-line meaning in our words, and
//! whether it is internal to the engine.
//!
//! One table drives everything: [`JetErr`] (the Rust enum), name and value look-ups both ways,
//! the aliases the documentation misspells, and `jetspec errors`. Which documentation pages list
//! a code is data of its own ([`crate::doc_table`]).

use std::fmt;

/// One row of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The code as a Rust value.
    pub code: JetErr,
    /// The header symbol, e.g. `JET_errNoBackup`; `errBackupAbortByCaller` has no `JET_` prefix.
    pub name: &'static str,
    /// The numeric value returned by the C API.
    pub value: i32,
    /// What the code means, in one line.
    pub meaning: &'static str,
}

macro_rules! catalogue {
    ($( $variant:ident = $value:literal, $name:literal, $meaning:literal; )*) => {
        /// A `JET_ERR` value: success, a warning (positive, or `JET_wrnNyi`) or an error.
        ///
        /// `JetErr::NoBackup` mirrors `JET_errNoBackup`; warnings carry a `Wrn` prefix
        /// (`JetErr::WrnTargetInstanceRunning`) because ESE has warnings and errors of one name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(i32)]
        pub enum JetErr {
            $( #[doc = $meaning] $variant = $value, )*
        }

        /// Every code of the catalogue, in catalogue order.
        pub const CATALOGUE: &[ErrorInfo] = &[
            $( ErrorInfo { code: JetErr::$variant, name: $name, value: $value, meaning: $meaning }, )*
        ];

        impl JetErr {
            /// The header symbol of this code.
            pub const fn name(self) -> &'static str {
                match self { $( JetErr::$variant => $name, )* }
            }

            /// The code with this numeric value, if the catalogue has it.
            pub const fn from_value(value: i32) -> Option<JetErr> {
                match value { $( $value => Some(JetErr::$variant), )* _ => None }
            }

            fn from_header_name(name: &str) -> Option<JetErr> {
                match name { $( $name => Some(JetErr::$variant), )* _ => None }
            }
        }
    };
}

catalogue! {
    Success = 0, "JET_errSuccess", "The call completed without error.";
    WrnNyi = -1, "JET_wrnNyi", "The function is not yet implemented; a negative warning, returned e.g. for JetOpenFileSectionInstance with more than one section.";
    WrnDatabaseAttached = 1007, "JET_wrnDatabaseAttached", "The database was already attached (a harmless warning, seen mostly on Windows 2000).";
    WrnFileOpenReadOnly = 1813, "JET_wrnFileOpenReadOnly", "The database file was opened read-only.";
    WrnTargetInstanceRunning = 578, "JET_wrnTargetInstanceRunning", "External restore succeeded and replayed into a target instance that is still running.";

    InternalError = -107, "JET_errInternalError", "A fatal internal error: ESE's retail build returns it where a debug build asserts (an external restore given an empty log range).";
    BadPageLink = -327, "JET_errBadPageLink", "A database page points to a neighbour that does not point back; the database is corrupt.";

    LogFileCorrupt = -501, "JET_errLogFileCorrupt", "A transaction log file is damaged and cannot be replayed.";
    BackupDirectoryNotEmpty = -504, "JET_errBackupDirectoryNotEmpty", "A non-atomic full JetBackup was pointed at a directory that already holds files.";
    BackupInProgress = -505, "JET_errBackupInProgress", "A backup is already running on this instance.";
    RestoreInProgress = -506, "JET_errRestoreInProgress", "The instance is being restored; the call has to wait until the restore ends.";
    MissingPreviousLogFile = -509, "JET_errMissingPreviousLogFile", "The log generation the checkpoint points at is missing.";
    LogWriteFail = -510, "JET_errLogWriteFail", "Writing the transaction log failed earlier, so the instance takes no more logged work.";
    LogGenerationMismatch = -513, "JET_errLogGenerationMismatch", "A log file's name does not match the generation recorded inside it.";
    InvalidLogSequence = -515, "JET_errInvalidLogSequence", "Consecutive log files do not belong to one unbroken sequence.";
    LoggingDisabled = -516, "JET_errLoggingDisabled", "Logging (JET_paramRecovery) is off, so online backup and recovery are impossible.";
    LogSequenceEnd = -519, "JET_errLogSequenceEnd", "The log has used up every generation number it may have.";
    NoBackup = -520, "JET_errNoBackup", "No external backup is running on this instance.";
    InvalidBackupSequence = -521, "JET_errInvalidBackupSequence", "The backup call came at a point of the backup sequence where it is not allowed.";
    BackupNotAllowedYet = -523, "JET_errBackupNotAllowedYet", "The instance cannot start a backup now (recovery running, or JetTerm failed since the last JetInit).";
    DeleteBackupFileFail = -524, "JET_errDeleteBackupFileFail", "JetBackup could not delete a file of an earlier backup in the target directory.";
    MakeBackupDirectoryFail = -525, "JET_errMakeBackupDirectoryFail", "JetBackup could not create its temporary backup directory.";
    InvalidBackup = -526, "JET_errInvalidBackup", "This kind of backup is impossible here, e.g. incremental with circular logging on.";
    MissingLogFile = -528, "JET_errMissingLogFile", "A log generation needed for replay is missing.";
    LogDiskFull = -529, "JET_errLogDiskFull", "The disk holding the transaction logs is full.";
    BadLogSignature = -530, "JET_errBadLogSignature", "A log file belongs to another log stream (its signature differs).";
    BadDbSignature = -531, "JET_errBadDbSignature", "A database file's signature does not match the one the logs recorded.";
    BadCheckpointSignature = -532, "JET_errBadCheckpointSignature", "The checkpoint file belongs to another log stream.";
    CheckpointCorrupt = -533, "JET_errCheckpointCorrupt", "The checkpoint file is damaged.";
    CheckpointFileNotFound = -542, "JET_errCheckpointFileNotFound", "The checkpoint file is missing.";
    RequiredLogFilesMissing = -543, "JET_errRequiredLogFilesMissing", "Recovery ran out of logs before reaching the range a database requires.";
    SoftRecoveryOnBackupDatabase = -544, "JET_errSoftRecoveryOnBackupDatabase", "Crash recovery was attempted on a database restored from a backup; hard recovery (restore) is needed.";
    LogFileSizeMismatchDatabasesConsistent = -545, "JET_errLogFileSizeMismatchDatabasesConsistent", "The existing logs have another size than configured, though the databases are consistent.";
    DatabaseDirtyShutdown = -550, "JET_errDatabaseDirtyShutdown", "The database was not shut down cleanly and needs recovery first (alias JET_errDatabaseInconsistent).";
    DatabasePatchFileMismatch = -552, "JET_errDatabasePatchFileMismatch", "The patch data of a restored database does not belong to this backup.";
    EndingRestoreLogTooLow = -553, "JET_errEndingRestoreLogTooLow", "The backup needs logs newer than the last generation given to restore.";
    StartingRestoreLogTooHigh = -554, "JET_errStartingRestoreLogTooHigh", "The backup needs logs older than the first generation given to restore.";
    GivenLogFileHasBadSignature = -555, "JET_errGivenLogFileHasBadSignature", "A log in the restore (backup) directory belongs to another log stream.";
    GivenLogFileIsNotContiguous = -556, "JET_errGivenLogFileIsNotContiguous", "The logs in the restore (backup) directory do not form an unbroken sequence.";
    MissingRestoreLogFiles = -557, "JET_errMissingRestoreLogFiles", "Some log generations of the range to restore are missing.";
    MissingFullBackup = -560, "JET_errMissingFullBackup", "An incremental backup needs a previous full backup of every attached database.";
    MissingCurrentLogFiles = -565, "JET_errMissingCurrentLogFiles", "Logs after the restored range, needed to roll forward, are missing.";
    MissingFileToBackup = -569, "JET_errMissingFileToBackup", "A file that belongs in the backup set could not be found.";
    BadRestoreTargetInstance = -577, "JET_errBadRestoreTargetInstance", "The restore target is not a running instance, or it uses another log base name.";
    CommittedLogFilesMissing = -582, "JET_errCommittedLogFilesMissing", "Logs holding transactions committed to this database are missing.";
    LogReadVerifyFailure = -612, "JET_errLogReadVerifyFailure", "A log block failed its checksum when read for backup or replay.";
    ExistingLogFileHasBadSignature = -610, "JET_errExistingLogFileHasBadSignature", "A log already in the log directory belongs to another log stream.";
    ExistingLogFileIsNotContiguous = -611, "JET_errExistingLogFileIsNotContiguous", "The logs already in the log directory do not continue the restored range.";
    RestoreOfNonBackupDatabase = -615, "JET_errRestoreOfNonBackupDatabase", "Hard recovery was asked of a database file that was not produced by a backup.";
    LogFileNotCopied = -616, "JET_errLogFileNotCopied", "Log truncation was refused because not every required log was read and closed.";
    SurrogateBackupInProgress = -617, "JET_errSurrogateBackupInProgress", "A surrogate backup is already running on this instance.";
    BackupAbortByCaller = -800, "errBackupAbortByCaller", "Internal: the backup client ended the backup early; the documentation prints it as JET_errBackupAbortByCaller.";
    BackupAbortByServer = -801, "JET_errBackupAbortByServer", "The running backup was stopped by JetStopBackup (or a JetTerm that stops backups).";
    InvalidGrbit = -900, "JET_errInvalidGrbit", "The grbit holds a bit, or a combination of bits, this call does not accept.";
    TermInProgress = -1000, "JET_errTermInProgress", "The instance is shutting down.";
    InvalidName = -1002, "JET_errInvalidName", "A name (table, column, file) is not valid.";
    InvalidParameter = -1003, "JET_errInvalidParameter", "An argument is not valid: a NULL or unknown handle, a bad size, a bad combination.";
    DatabaseFileReadOnly = -1008, "JET_errDatabaseFileReadOnly", "A read-only database file was attached for writing.";
    InvalidDatabaseId = -1010, "JET_errInvalidDatabaseId", "The database id is not valid for this session.";
    OutOfMemory = -1011, "JET_errOutOfMemory", "An allocation failed; also what a second open backup file handle gets.";
    OutOfBuffers = -1014, "JET_errOutOfBuffers", "The database cache has no free page buffers.";
    ReadVerifyFailure = -1018, "JET_errReadVerifyFailure", "A database page failed its checksum when read.";
    OutOfFileHandles = -1020, "JET_errOutOfFileHandles", "The process has no more file handles.";
    DiskIO = -1022, "JET_errDiskIO", "The operating system reported an I/O error.";
    InvalidPath = -1023, "JET_errInvalidPath", "A path is not valid (too long, malformed, or cannot be resolved).";
    InvalidSystemPath = -1024, "JET_errInvalidSystemPath", "The system (checkpoint) path is not valid.";
    InvalidLogDirectory = -1025, "JET_errInvalidLogDirectory", "The log directory is not valid.";
    RecordTooBig = -1026, "JET_errRecordTooBig", "A record is larger than a page can hold.";
    TooManyOpenDatabases = -1027, "JET_errTooManyOpenDatabases", "No more databases can be opened.";
    InvalidDatabase = -1028, "JET_errInvalidDatabase", "The file is not a database.";
    NotInitialized = -1029, "JET_errNotInitialized", "The instance has not been initialized with JetInit.";
    AlreadyInitialized = -1030, "JET_errAlreadyInitialized", "The instance is already initialized.";
    InitInProgress = -1031, "JET_errInitInProgress", "The instance is being initialized.";
    FileAccessDenied = -1032, "JET_errFileAccessDenied", "The file is locked, in use, or not accessible with the caller's rights.";
    BufferTooSmall = -1038, "JET_errBufferTooSmall", "The output buffer is too small for the result.";
    NotInTransaction = -1054, "JET_errNotInTransaction", "The operation must run inside a transaction.";
    TooManyActiveUsers = -1059, "JET_errTooManyActiveUsers", "Sessions still have transactions open, so the instance cannot shut down.";
    RunningInOneInstanceMode = -1080, "JET_errRunningInOneInstanceMode", "The process runs in single-instance (legacy) mode, which this call cannot use.";
    RunningInMultiInstanceMode = -1081, "JET_errRunningInMultiInstanceMode", "An instance-less (legacy) call was made while the process runs in multi-instance mode.";
    SystemParamsAlreadySet = -1082, "JET_errSystemParamsAlreadySet", "The process is already in multi-instance mode; global parameters are fixed.";
    SystemPathInUse = -1083, "JET_errSystemPathInUse", "Another initialized instance already uses this system (checkpoint) path.";
    LogFilePathInUse = -1084, "JET_errLogFilePathInUse", "Another initialized instance already uses this log path.";
    TempPathInUse = -1085, "JET_errTempPathInUse", "Another initialized instance already uses this temporary path.";
    InstanceNameInUse = -1086, "JET_errInstanceNameInUse", "An instance with this name (or with no name) already exists.";
    SystemParameterConflict = -1087, "JET_errSystemParameterConflict", "Global parameters were already set to values that conflict with the ones given.";
    InstanceUnavailable = -1090, "JET_errInstanceUnavailable", "An earlier fatal error made the instance refuse all further work.";
    InstanceUnavailableDueToFatalLogDiskFull = -1092, "JET_errInstanceUnavailableDueToFatalLogDiskFull", "The instance refuses all work because the log disk filled during an operation that could not fail.";
    OutOfSessions = -1101, "JET_errOutOfSessions", "The instance has no more sessions to hand out.";
    WriteConflict = -1102, "JET_errWriteConflict", "Another transaction holds a write lock on the record.";
    TransTooDeep = -1103, "JET_errTransTooDeep", "Transactions are nested too deeply.";
    InvalidSesid = -1104, "JET_errInvalidSesid", "The session handle is not valid.";
    InTransaction = -1108, "JET_errInTransaction", "The operation is not allowed inside a transaction.";
    InvalidInstance = -1115, "JET_errInvalidInstance", "The instance handle does not name a live instance (validated builds only).";
    DirtyShutdown = -1116, "JET_errDirtyShutdown", "The instance shut down, leaving its databases dirty as JET_bitTermDirty asked.";
    DatabaseDuplicate = -1201, "JET_errDatabaseDuplicate", "The database already exists or is already attached.";
    DatabaseInUse = -1202, "JET_errDatabaseInUse", "The database is in use and cannot be detached or removed now.";
    DatabaseNotFound = -1203, "JET_errDatabaseNotFound", "No such database (not attached, or no such file).";
    DatabaseInvalidPages = -1205, "JET_errDatabaseInvalidPages", "The requested database size in pages is not valid.";
    DatabaseCorrupted = -1206, "JET_errDatabaseCorrupted", "The database file is corrupt or not a database.";
    DatabaseLocked = -1207, "JET_errDatabaseLocked", "Another session holds the database exclusively.";
    PageSizeMismatch = -1213, "JET_errPageSizeMismatch", "The database page size differs from the configured JET_paramDatabasePageSize.";
    TooManyInstances = -1214, "JET_errTooManyInstances", "The process already holds JET_paramMaxInstances instances.";
    DatabaseSharingViolation = -1215, "JET_errDatabaseSharingViolation", "Another instance already has this database attached.";
    AttachedDatabaseMismatch = -1216, "JET_errAttachedDatabaseMismatch", "The databases found at recovery differ from those the logs attached.";
    DatabaseInvalidPath = -1217, "JET_errDatabaseInvalidPath", "The database path is not valid.";
    ForceDetachNotAllowed = -1219, "JET_errForceDetachNotAllowed", "A forced detach is not allowed for this database.";
    DatabaseAttachedForRecovery = -1231, "JET_errDatabaseAttachedForRecovery", "The database is attached only for recovery and must be attached explicitly first.";
    TableLocked = -1302, "JET_errTableLocked", "The table is locked exclusively by another cursor.";
    TableDuplicate = -1303, "JET_errTableDuplicate", "A table of this name already exists.";
    ObjectNotFound = -1305, "JET_errObjectNotFound", "No table or object of this name.";
    InvalidTableId = -1310, "JET_errInvalidTableId", "The table handle is not valid.";
    TooManyOpenTables = -1311, "JET_errTooManyOpenTables", "No more tables can be opened.";
    ClientRequestToStopJetService = -1329, "JET_errClientRequestToStopJetService", "JetStopService was called on this instance, so it refuses further work of this kind.";
    PrimaryIndexCorrupted = -1413, "JET_errPrimaryIndexCorrupted", "The primary index is corrupt; the database must be defragmented.";
    SecondaryIndexCorrupted = -1414, "JET_errSecondaryIndexCorrupted", "A secondary index is corrupt and must be rebuilt.";
    IndexTuplesInvalidLimits = -1435, "JET_errIndexTuplesInvalidLimits", "The tuple index limits given are not valid.";
    RecordNotFound = -1601, "JET_errRecordNotFound", "No record has this key.";
    NoCurrentRecord = -1603, "JET_errNoCurrentRecord", "The cursor is not on a record.";
    KeyDuplicate = -1605, "JET_errKeyDuplicate", "A record with this key already exists.";
    TooManyAttachedDatabases = -1805, "JET_errTooManyAttachedDatabases", "The instance already has as many databases attached as it may.";
    DiskFull = -1808, "JET_errDiskFull", "The disk has no space left.";
    FileNotFound = -1811, "JET_errFileNotFound", "The file does not exist.";
    SessionSharingViolation = -1910, "JET_errSessionSharingViolation", "The session is being used by another thread.";
    SessionContextAlreadySet = -1912, "JET_errSessionContextAlreadySet", "JetSetSessionContext on a session that already has a context.";
    SessionContextNotSetByThisThread = -1913, "JET_errSessionContextNotSetByThisThread", "JetResetSessionContext on a session whose context this thread did not set (or that has none).";
    SessionInUse = -1914, "JET_errSessionInUse", "JetEndSession on a session that still has a context set (JetSetSessionContext without JetResetSessionContext).";
    OneDatabasePerSession = -1916, "JET_errOneDatabasePerSession", "Only one open user database per session is allowed (JET_paramOneDatabasePerSession).";
}

/// Names the documentation prints that are not header symbols, and the code each one means.
///
/// `JET_errInvalidgrbit` is the JetBeginExternalBackup page's spelling; `JET_errBackupAbortByCaller`
/// is the Instance pages' name for the internal `errBackupAbortByCaller`;
/// `JET_errDatabaseInconsistent` is the header's obsolete alias of `JET_errDatabaseDirtyShutdown`.
pub const ALIASES: &[(&str, JetErr)] = &[
    ("JET_errInvalidgrbit", JetErr::InvalidGrbit),
    ("JET_errBackupAbortByCaller", JetErr::BackupAbortByCaller),
    ("JET_errDatabaseInconsistent", JetErr::DatabaseDirtyShutdown),
];

impl JetErr {
    /// The numeric `JET_ERR` value.
    pub const fn value(self) -> i32 {
        self as i32
    }

    /// The code named `name`: a header symbol or one of the documentation's [`ALIASES`].
    pub fn from_name(name: &str) -> Option<JetErr> {
        Self::from_header_name(name).or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == name)
                .map(|&(_, code)| code)
        })
    }

    /// This code's catalogue row.
    pub fn info(self) -> &'static ErrorInfo {
        CATALOGUE
            .iter()
            .find(|info| info.code == self)
            .expect("every JetErr variant has a catalogue row by construction")
    }

    /// The one-line meaning.
    pub fn meaning(self) -> &'static str {
        self.info().meaning
    }

    /// True for codes the engine uses internally and never returns through the public API.
    pub const fn is_internal(self) -> bool {
        matches!(self, JetErr::BackupAbortByCaller)
    }

    /// True for `JET_errSuccess` and the positive warnings, as C's `err >= 0` test reads them
    /// (`JET_wrnNyi` is negative and so counts as a failure).
    pub const fn is_success(self) -> bool {
        self.value() >= 0
    }
}

impl fmt::Display for JetErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.value())
    }
}

impl serde::Serialize for JetErr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for JetErr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        JetErr::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown JET error code {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_map_both_ways_for_every_row() {
        for info in CATALOGUE {
            assert_eq!(
                JetErr::from_name(info.name),
                Some(info.code),
                "{}",
                info.name
            );
            assert_eq!(
                JetErr::from_value(info.value),
                Some(info.code),
                "{}",
                info.name
            );
            assert_eq!(info.code.value(), info.value);
        }
    }

    #[test]
    fn catalogue_has_no_duplicate_names_or_values() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|i| i.name).collect();
        let mut values: Vec<_> = CATALOGUE.iter().map(|i| i.value).collect();
        names.sort_unstable();
        values.sort_unstable();
        let n = CATALOGUE.len();
        names.dedup();
        values.dedup();
        assert_eq!((names.len(), values.len()), (n, n));
    }

    #[test]
    fn documentation_misspellings_resolve_to_header_codes() {
        assert_eq!(
            JetErr::from_name("JET_errInvalidgrbit"),
            Some(JetErr::InvalidGrbit)
        );
        assert_eq!(
            JetErr::from_name("JET_errBackupAbortByCaller"),
            Some(JetErr::BackupAbortByCaller)
        );
        assert_eq!(JetErr::BackupAbortByCaller.name(), "errBackupAbortByCaller");
        assert!(JetErr::BackupAbortByCaller.is_internal());
        assert_eq!(JetErr::from_name("JET_errNoSuchThing"), None);
    }

    #[test]
    fn warnings_count_as_success_and_errors_do_not() {
        assert!(JetErr::Success.is_success());
        assert!(JetErr::WrnTargetInstanceRunning.is_success());
        assert!(!JetErr::DirtyShutdown.is_success());
        assert!(!JetErr::NoBackup.is_success());
    }
}
