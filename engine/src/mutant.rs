//! Deliberate engine mistakes for the mutation check (issue 6, `docs/mutants.md`): each
//! [`Mutant`] plants one realistic mistake at one place of the engine, and the conformance
//! suite must notice it. A mutant is chosen per engine ([`crate::Engine::with_mutant`]), never
//! process-wide, because tests replay traces on many engines in parallel threads.
//!
//! The mistakes exist only when the engine is built with the `mutants` cargo feature (the
//! conformance crate's tests enable it; `cargo build` does not). Without it every mutation
//! point, [`Planted::is`], is the constant `false` and compiles away: the enum stays so that
//! the judge's API reads the same in both builds, and [`BUILT`] says which build this is.
//! Each mutation point is one `if` on [`Planted::is`] next to the check it breaks.

/// True when this engine was built with the `mutants` feature, so that [`Mutant`]s act.
pub const BUILT: bool = cfg!(feature = "mutants");

macro_rules! mutants {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// One deliberate mistake; the doc of each variant says what it breaks and where.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Mutant {
            $($(#[doc = $doc])* $name,)*
        }

        impl Mutant {
            /// Every mutant, in declaration order.
            pub const ALL: &'static [Mutant] = &[$(Mutant::$name,)*];

            /// The variant's name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Mutant::$name => stringify!($name),)*
                }
            }

            /// The mistake it plants: the first line of its documentation.
            pub fn mistake(self) -> &'static str {
                match self {
                    $(Mutant::$name => [$($doc,)*][0].trim(),)*
                }
            }
        }
    };
}

mutants! {
    /// JetBeginExternalBackup checks for a running backup before the logging and grbit checks
    /// (`backup/stream.rs`, §2.3.9 moved first).
    BeginBackupInProgressFirst,
    /// JetBeginExternalBackup accepts an incremental backup with circular logging
    /// (`backup/stream.rs`, §2.3.5 dropped).
    BeginIncrementalWithCircularLog,
    /// JetBeginExternalBackup starts an incremental backup although a database has no full
    /// backup (`backup/stream.rs`, §2.3.12 dropped).
    BeginIncrementalWithoutFullBackup,
    /// JetBeginExternalBackup returns `JET_errInvalidParameter` instead of
    /// `JET_errInvalidGrbit` for an unknown grbit (`backup/stream.rs`, §2.3.4's code).
    BeginUnknownGrbitWrongCode,
    /// JetOpenFile hands out a second handle while one is open (`backup/stream.rs`, §2.4
    /// OpenFile 4 dropped).
    OpenFileTwoHandles,
    /// JetOpenFile checks the one-open-handle rule before the file name
    /// (`backup/stream.rs`, OpenFile 3 and 4 swapped).
    OpenFileHandleCheckBeforeName,
    /// JetReadFile reads the open file whatever handle it is given (`backup/stream.rs`, the
    /// handle comparison dropped).
    ReadFileIgnoresHandle,
    /// JetReadFile accepts an unaligned buffer (`backup/stream.rs`, §2.4 ReadFile 2 dropped).
    ReadFileUnalignedBuffer,
    /// JetCloseFile of a log read to the end does not count it as copied
    /// (`backup/stream.rs`).
    CloseFileForgetsCopiedLog,
    /// JetStopBackup does not set the stop flag (`backup/stream.rs`).
    StopBackupIgnored,
    /// The backup calls ignore the stop flag JetStopBackup set (`backup/stream.rs`,
    /// `running`'s `JET_errBackupAbortByServer` check dropped).
    StopFlagUnchecked,
    /// JetGetAttachInfo answers during an incremental backup (`backup/stream.rs`, the
    /// `JET_errInvalidBackupSequence` check dropped).
    AttachInfoDuringIncremental,
    /// JetGetLogInfo omits the last generation of the copy range (`backup/logs.rs`).
    LogInfoOmitsLastGeneration,
    /// JetGetLogInfoInstance2 reports `ulGenHigh` one past the last generation to copy
    /// (`backup/logs.rs`).
    LogInfoGenHighOneTooFar,
    /// An incremental backup's first JetGetLogInfo accepts a gap of one generation between a
    /// database's last backup and the oldest log (`backup/logs.rs`, §5.2 off by one).
    IncrementalGapOffByOne,
    /// JetTruncateLog deletes one generation more than the truncate range
    /// (`backup/logs.rs`).
    TruncateOneGenerationTooFar,
    /// JetTruncateLog checks that every log was copied before it checks that the log list
    /// was fetched (`backup/logs.rs`, checks swapped).
    TruncateCopyCheckBeforeLogList,
    /// JetTruncateLog deletes logs that were never copied (`backup/logs.rs`,
    /// `JET_errLogFileNotCopied` dropped).
    TruncateWithoutCopyCheck,
    /// JetEndExternalBackup does not end the backup (`backup/logs.rs`).
    EndKeepsBackup,
    /// JetEndExternalBackup without a backup succeeds (`backup/logs.rs`, §4.3 dropped).
    EndWithoutBackupSucceeds,
    /// JetEndExternalBackup accepts a grbit with neither Normal nor Abort
    /// (`backup/logs.rs`, §4.2 dropped).
    EndGrbitUnchecked,
    /// A full backup's normal end does not record it in the database headers
    /// (`backup/logs.rs`, §4.4 skipped for full backups).
    FullBackupHeaderNotUpdated,
    /// Circular logging deletes logs a running backup still has to copy (`core.rs`, §5.4's
    /// floor ignored).
    CircularLogIgnoresBackup,
    /// Crash recovery stops replay one generation early (`recovery.rs`).
    RecoverySkipsLastGeneration,
    /// JetExternalRestore goes on when a log after the first of the backed-up range is missing
    /// (`restore.rs`, §6.1.8).
    RestoreIgnoresMissingLog,
    /// JetExternalRestore accepts `genLow` 0 (`restore.rs`, §6.1.8's range check).
    RestoreAcceptsGenLowZero,
}

/// The mutant an engine carries, if any: copied into every instance's parameters, so that
/// code below the [`crate::Engine`] (a core, recovery, restore) sees it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Planted(Option<Mutant>);

impl Planted {
    /// The engine's mutant (only meaningful when [`BUILT`]).
    pub fn new(mutant: Option<Mutant>) -> Planted {
        Planted(mutant)
    }

    /// True when `mutant` is planted: the constant `false` without the `mutants` feature.
    #[inline(always)]
    pub fn is(self, mutant: Mutant) -> bool {
        cfg!(feature = "mutants") && self.0 == Some(mutant)
    }

    /// The planted mutant.
    pub fn get(self) -> Option<Mutant> {
        self.0
    }
}
