//! The model's actions: every call in scope with abstract argument choices (an instance slot, a
//! stale or raw handle, a grbit, a buffer size, a file of the backup set or not), plus the
//! environment's moves (a commit, a log roll, a checkpoint, a crash, faults) and the two halves
//! of a long call. Invalid calls are actions like any other.

use std::fmt;

use crate::state::{FileTarget, Gen};

/// An instance handle argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstArg {
    /// The live instance of slot `i`.
    Slot(u8),
    /// The handle of slot `i`'s freed instance. The model answers it as it answers a made-up
    /// handle, so the checker does not try it separately; traces and conformance do.
    Stale(u8),
    /// 0.
    Zero,
    /// `JET_instanceNil` (all bits set).
    Nil,
    /// A value that was never a handle.
    Garbage,
}

/// Whether a call of the backup family is the legacy (instance-less) form or the Instance form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `JetBeginExternalBackup`, `JetTruncateLog`, ...: the single instance of legacy mode.
    Legacy,
    /// `JetBeginExternalBackupInstance`, ...: the given handle.
    Instance(InstArg),
}

/// The instance argument of JetInit*, which is in and out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InitArg {
    /// `pinstance` is NULL.
    Null,
    /// A pointer to a nil handle: start legacy mode (or allocate an instance).
    Fresh,
    /// A pointer to a handle value.
    Handle(InstArg),
}

/// The instance name JetCreateInstance passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameArg {
    /// NULL.
    Null,
    /// The name `k` (`"n{k}"`).
    Named(u8),
}

/// Which JetInit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InitForm {
    /// JetInit.
    Init,
    /// JetInit2 with grbit 0.
    Init2,
    /// JetInit3 without a JET_RSTINFO.
    Init3,
}

/// A parameter JetSetSystemParameter sets on a created instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamArg {
    /// `JET_paramCircularLog` = 1.
    CircularLogOn,
    /// `JET_paramRecovery` = "Off".
    RecoveryOff,
    /// `JET_paramLogFilePath` too long to be a path.
    BadPath,
    /// A parameter id no engine knows.
    UnknownId,
    /// `JET_paramOneDatabasePerSession` = 1 (probe mode: sets [`crate::state::Probe::OneDbPerSession`]).
    OneDbPerSession,
}

/// What the global parameters JetEnableMultiInstance passes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GlobalParams {
    /// An empty array.
    Empty,
    /// One non-default global parameter.
    NonDefault,
    /// A count with a NULL array.
    NullWithCount,
    /// `JET_paramSystemPath` too long to be a path.
    BadPath,
    /// `JET_paramMaxInstances` with the value the trace set: every trace sets it first, and it
    /// is the one global parameter written so far that may not change after global init.
    Again,
}

/// The file name JetOpenFile passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileArg {
    /// Database `d` of the instance's storage.
    Db(u8),
    /// The archived log of generation `g`.
    Log(Gen),
    /// A file that is neither a database nor a log (treated as a patch file).
    Other,
    /// NULL.
    Null,
    /// "".
    Empty,
    /// A path too long to complete.
    TooLong,
}

/// The buffer JetReadFile passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadArg {
    /// 64 KiB, page aligned: always acceptable.
    Chunk,
    /// Two pages: enough for a log's first read, not a database's.
    TwoPages,
    /// One page: enough for neither first read, only for a later one. The search does not try
    /// it (a later read is of any size a page multiple); traces do.
    OnePage,
    /// Not a multiple of the page size.
    Ragged,
    /// Zero bytes.
    Zero,
    /// A buffer not aligned to the page-commit granularity.
    Unaligned,
}

/// The file handle JetReadFile / JetCloseFile pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandleArg {
    /// The handle JetOpenFile returned (ESE's handle 0).
    Open,
    /// 1: never a handle.
    Other,
}

/// The directory JetBackup writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackupDirArg {
    /// A new, empty directory.
    Empty,
    /// A directory that already holds files (the instance's own).
    NotEmpty,
    /// A path too long to complete.
    TooLong,
}

/// What JetOpenDatabase is asked to open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpenDbArg {
    /// The database, shared.
    Shared,
    /// The database, with `JET_bitDbExclusive`.
    Exclusive,
    /// A NULL file name.
    NullName,
    /// The instance's temporary database.
    TempDb,
}

/// The file name JetCreateDatabase / JetAttachDatabase pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DbPathArg {
    /// The database's own path.
    File,
    /// NULL.
    Null,
    /// A path too long to complete.
    TooLong,
}

/// What JetGetInstanceMiscInfo asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MiscInfoArg {
    /// InfoLevel 0 (`JET_InstanceMiscInfoLogSignature`) into a buffer that holds a JET_SIGNATURE.
    Signature,
    /// InfoLevel 0 into a buffer of 4 bytes.
    SmallBuffer,
    /// InfoLevel 3, which no engine knows.
    BadLevel,
}

/// Which of the calls that restore a JetBackup directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RestoreForm {
    /// JetRestore: legacy, original locations.
    Restore,
    /// JetRestore2 with a NULL destination.
    Restore2,
    /// JetRestoreInstance with a NULL destination.
    Instance(InstArg),
}

/// The backup directory a JetRestore* call names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RestoreSrc {
    /// The directory of the worker's last full JetBackup (one that was never written when there
    /// is none).
    Set,
    /// A directory that holds no logs.
    NoLogs,
    /// A path too long to complete.
    TooLong,
}

/// JetExternalRestore(2)'s arguments: one scenario per action, everything else valid. The
/// backup set is the worker's last full JetBackup directory, its databases copied to
/// `restore/` and named by the restore map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExtRestoreArg {
    /// The set, its exact log range, no target instance.
    Set,
    /// v2: a `JET_LOGINFO` whose `cbSize` is wrong.
    BadLogInfo,
    /// v2: a target log path without a target checkpoint path.
    HalfTarget,
    /// v2: the target instance named `n0` (the worker's name when it has one).
    TargetName,
    /// v2: the worker's log and checkpoint paths as the target.
    TargetPaths,
    /// The backup log path holds no logs.
    NoLogs,
    /// The log path is too long to complete.
    TooLong,
    /// A negative restore map count.
    MapBadCount,
    /// The map names a file that does not exist.
    MapMissing,
    /// The map names a database copy with a damaged header.
    MapCorrupt,
    /// The map names a copy of the live database, never streamed by a backup.
    MapNonBackup,
    /// genLow above the first log the set's databases need.
    LowTooHigh,
    /// genHigh below the last log the set's databases need.
    HighTooLow,
}

/// One action. Fields are named after the call's parameters.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// JetEnableMultiInstance.
    EnableMultiInstance { params: GlobalParams },
    /// JetCreateInstance (or JetCreateInstance2 when `v2`); `null_out` passes a NULL pinstance.
    CreateInstance {
        v2: bool,
        name: NameArg,
        null_out: bool,
    },
    /// JetSetSystemParameter on an instance; with `InstArg::Zero` before any instance exists,
    /// the process-wide default the next instance starts from.
    SetParam { inst: InstArg, param: ParamArg },
    /// JetInit, JetInit2, JetInit3.
    Init { form: InitForm, inst: InitArg },
    /// JetTerm (grbit `None`) or JetTerm2.
    Term { inst: InstArg, grbit: Option<u32> },
    /// JetStopService (Legacy), JetStopServiceInstance (grbit `None`) or JetStopServiceInstance2.
    StopService { target: Target, grbit: Option<u32> },
    /// JetStopBackup / JetStopBackupInstance.
    StopBackup { target: Target },
    /// JetGetInstanceInfo; `null_out` passes NULL output pointers.
    GetInstanceInfo { null_out: bool },
    /// JetGetInstanceMiscInfo.
    GetInstanceMiscInfo { inst: InstArg, arg: MiscInfoArg },
    /// JetFreeBuffer of NULL.
    FreeBuffer,
    /// JetSetSystemParameter(JET_paramCircularLog) passing, beside `inst`, a session handle
    /// that never was one.
    SetParamBadSesid { inst: InstArg },
    /// JetSetSessionContext on the slot's session.
    SetSessionContext { slot: u8 },
    /// JetResetSessionContext on the slot's session.
    ResetSessionContext { slot: u8 },
    /// JetBeginSession.
    BeginSession { inst: InstArg },
    /// JetEndSession on the slot's session.
    EndSession { slot: u8 },
    /// JetBeginTransaction on the slot's session.
    BeginTransaction { slot: u8 },
    /// JetRollback on the slot's session.
    Rollback { slot: u8 },
    /// JetCommitTransaction on the slot's session. The search does not try it: its
    /// transactions make no updates, so a commit ends one as a rollback does (the model
    /// reader offers it, for traces).
    CommitTransaction { slot: u8 },
    /// JetCreateDatabase of database `db` through the slot's session.
    CreateDatabase {
        slot: u8,
        db: u8,
        v2: bool,
        path: DbPathArg,
    },
    /// JetAttachDatabase.
    AttachDatabase {
        slot: u8,
        db: u8,
        v2: bool,
        path: DbPathArg,
    },
    /// JetDetachDatabase, or JetDetachDatabase2 (`force`: with `JET_bitForceDetach`).
    DetachDatabase {
        slot: u8,
        db: u8,
        v2: bool,
        force: bool,
    },
    /// JetOpenDatabase of database `db` through the slot's session.
    OpenDatabase { slot: u8, db: u8, arg: OpenDbArg },
    /// JetCloseDatabase of database `db`'s id, or (`None`) of an id the session never got.
    CloseDatabase { slot: u8, db: Option<u8> },
    /// JetBeginExternalBackup(Instance).
    BeginBackup { target: Target, grbit: u32 },
    /// JetGetAttachInfo(Instance).
    GetAttachInfo { target: Target },
    /// JetOpenFile(Instance).
    OpenFile { target: Target, file: FileArg },
    /// JetReadFile(Instance).
    ReadFile {
        target: Target,
        handle: HandleArg,
        buffer: ReadArg,
    },
    /// JetCloseFile(Instance).
    CloseFile { target: Target, handle: HandleArg },
    /// The harness action CopyBackupFile: JetOpenFile, JetReadFile to the end, JetCloseFile,
    /// the bytes written to a file of the trace's own. The search does not try it (its calls
    /// are tried one by one); the model reader offers it, for traces.
    CopyBackupFile { target: Target, file: FileArg },
    /// JetGetLogInfo(Instance), or JetGetLogInfoInstance2 when `v2`.
    GetLogInfo { target: Target, v2: bool },
    /// JetGetTruncateLogInfoInstance.
    GetTruncateLogInfo { inst: InstArg },
    /// JetTruncateLog(Instance).
    TruncateLog { target: Target },
    /// JetEndExternalBackup(Instance), or JetEndExternalBackupInstance2 with `grbit`.
    EndBackup { target: Target, grbit: Option<u32> },
    /// JetBackup / JetBackupInstance into a directory.
    BackupToDir {
        target: Target,
        dir: BackupDirArg,
        grbit: u32,
    },
    /// JetRestore, JetRestore2 or JetRestoreInstance, run to its end.
    Restore { form: RestoreForm, src: RestoreSrc },
    /// JetExternalRestore, or JetExternalRestore2 when `v2`.
    ExternalRestore { v2: bool, arg: ExtRestoreArg },
    /// Environment: the current log fills and a new generation starts.
    RollLog { slot: u8 },
    /// Environment: dirty pages are flushed and the checkpoint moves to the current log.
    AdvanceCheckpoint { slot: u8 },
    /// Environment: power loss.
    Crash,
    /// Environment: a log write fails; logging stops for good.
    LogWriteFails { slot: u8 },
    /// Environment: the log disk runs low.
    LogDiskFills { slot: u8 },
    /// Environment: an operation that cannot fail fails, making the instance unavailable;
    /// `disk_full` when the cause was a full log disk.
    FatalError { slot: u8, disk_full: bool },
    /// Environment: the checkpoint file is deleted (`missing`) or damaged.
    DamageCheckpoint { slot: u8, missing: bool },
    /// Environment (probe mode): a page of one of the worker's files is damaged where only a
    /// backup's read looks (`CorruptFile` in traces).
    Corrupt { target: FileTarget },
    /// Probe: the next heap allocation (`buffers`: page buffer) an ESE call makes fails.
    FailAllocation { buffers: bool },
    /// Probe: a second session of the worker opens database `db` with `JET_bitDbExclusive`
    /// (JetBeginSession and JetOpenDatabase in traces, which then allow two sessions).
    OtherSessionOpens { db: u8 },
    /// Probe: another instance of the process creates (or attaches) the worker's database `db`
    /// file (its JetCreateInstance, JetInit, JetBeginSession and JetCreateDatabase in traces).
    AttachElsewhere { db: u8 },
    /// Probe: the worker's session creates filler databases until six are attached.
    FillAttachments,
    /// Probe: the worker's detached database `db` file gets the read-only attribute.
    MakeReadOnly { db: u8 },
    /// Probe: another process holds the worker's detached database `db` file open.
    HoldFile { db: u8 },
    /// Probe: with no instance alive, the process-wide page size is set to another value
    /// than the worker's JetBackup set was written with.
    ChangePageSize,
    /// Probe: the worker's JetInit starts and holds its API lock "initializing".
    StartInit,
    /// A JetTerm2 starts and holds the instance's API lock.
    StartTerm { slot: u8, grbit: u32 },
    /// The held JetTerm2 finishes.
    FinishTerm,
    /// A JetRestore / JetRestoreInstance of the worker's backup set starts and holds the API
    /// lock "restoring".
    StartRestore { form: RestoreForm },
    /// The held restore finishes.
    FinishRestore,
}

impl Action {
    /// True for the environment's moves and the halves of long calls (not one API call).
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Action::RollLog { .. }
                | Action::AdvanceCheckpoint { .. }
                | Action::Crash
                | Action::LogWriteFails { .. }
                | Action::LogDiskFills { .. }
                | Action::FatalError { .. }
                | Action::DamageCheckpoint { .. }
                | Action::Corrupt { .. }
                | Action::FailAllocation { .. }
                | Action::OtherSessionOpens { .. }
                | Action::AttachElsewhere { .. }
                | Action::FillAttachments
                | Action::MakeReadOnly { .. }
                | Action::HoldFile { .. }
                | Action::ChangePageSize
                | Action::StartInit
                | Action::StartTerm { .. }
                | Action::FinishTerm
                | Action::StartRestore { .. }
                | Action::FinishRestore
        )
    }

    /// The ESE function this action calls, exactly as documented; `None` for the environment
    /// and for the halves of a held call (its outcome is the hold's, not the call's result).
    pub fn function(&self) -> Option<&'static str> {
        use Target::{Instance as I, Legacy as L};
        Some(match *self {
            Action::EnableMultiInstance { .. } => "JetEnableMultiInstance",
            Action::CreateInstance { v2: false, .. } => "JetCreateInstance",
            Action::CreateInstance { v2: true, .. } => "JetCreateInstance2",
            Action::SetParam { .. } => "JetSetSystemParameter",
            Action::Init {
                form: InitForm::Init,
                ..
            } => "JetInit",
            Action::Init {
                form: InitForm::Init2,
                ..
            } => "JetInit2",
            Action::Init {
                form: InitForm::Init3,
                ..
            } => "JetInit3",
            Action::Term { grbit: None, .. } => "JetTerm",
            Action::Term { grbit: Some(_), .. } => "JetTerm2",
            Action::StopService { target: L, .. } => "JetStopService",
            Action::StopService {
                target: I(_),
                grbit: None,
            } => "JetStopServiceInstance",
            Action::StopService {
                target: I(_),
                grbit: Some(_),
            } => "JetStopServiceInstance2",
            Action::StopBackup { target: L } => "JetStopBackup",
            Action::StopBackup { target: I(_) } => "JetStopBackupInstance",
            Action::GetInstanceInfo { .. } => "JetGetInstanceInfo",
            Action::GetInstanceMiscInfo { .. } => "JetGetInstanceMiscInfo",
            Action::FreeBuffer => "JetFreeBuffer",
            Action::SetParamBadSesid { .. } => "JetSetSystemParameter",
            Action::SetSessionContext { .. } => "JetSetSessionContext",
            Action::ResetSessionContext { .. } => "JetResetSessionContext",
            Action::BeginSession { .. } => "JetBeginSession",
            Action::EndSession { .. } => "JetEndSession",
            Action::BeginTransaction { .. } => "JetBeginTransaction",
            Action::Rollback { .. } => "JetRollback",
            Action::CommitTransaction { .. } => "JetCommitTransaction",
            Action::CreateDatabase { v2: false, .. } => "JetCreateDatabase",
            Action::CreateDatabase { v2: true, .. } => "JetCreateDatabase2",
            Action::AttachDatabase { v2: false, .. } => "JetAttachDatabase",
            Action::AttachDatabase { v2: true, .. } => "JetAttachDatabase2",
            Action::DetachDatabase { v2: false, .. } => "JetDetachDatabase",
            Action::DetachDatabase { v2: true, .. } => "JetDetachDatabase2",
            Action::OpenDatabase { .. } => "JetOpenDatabase",
            Action::CloseDatabase { .. } => "JetCloseDatabase",
            Action::BeginBackup { target: L, .. } => "JetBeginExternalBackup",
            Action::BeginBackup { target: I(_), .. } => "JetBeginExternalBackupInstance",
            Action::GetAttachInfo { target: L } => "JetGetAttachInfo",
            Action::GetAttachInfo { target: I(_) } => "JetGetAttachInfoInstance",
            Action::OpenFile { target: L, .. } => "JetOpenFile",
            Action::OpenFile { target: I(_), .. } => "JetOpenFileInstance",
            Action::ReadFile { target: L, .. } => "JetReadFile",
            Action::ReadFile { target: I(_), .. } => "JetReadFileInstance",
            Action::CloseFile { target: L, .. } => "JetCloseFile",
            Action::CloseFile { target: I(_), .. } => "JetCloseFileInstance",
            Action::CopyBackupFile { .. } => "CopyBackupFile",
            Action::GetLogInfo { target: L, .. } => "JetGetLogInfo",
            Action::GetLogInfo {
                target: I(_),
                v2: false,
            } => "JetGetLogInfoInstance",
            Action::GetLogInfo {
                target: I(_),
                v2: true,
            } => "JetGetLogInfoInstance2",
            Action::GetTruncateLogInfo { .. } => "JetGetTruncateLogInfoInstance",
            Action::TruncateLog { target: L } => "JetTruncateLog",
            Action::TruncateLog { target: I(_) } => "JetTruncateLogInstance",
            Action::EndBackup { target: L, .. } => "JetEndExternalBackup",
            Action::EndBackup {
                target: I(_),
                grbit: None,
            } => "JetEndExternalBackupInstance",
            Action::EndBackup {
                target: I(_),
                grbit: Some(_),
            } => "JetEndExternalBackupInstance2",
            Action::BackupToDir { target: L, .. } => "JetBackup",
            Action::BackupToDir { target: I(_), .. } => "JetBackupInstance",
            Action::Restore { form, .. } => match form {
                RestoreForm::Restore => "JetRestore",
                RestoreForm::Restore2 => "JetRestore2",
                RestoreForm::Instance(_) => "JetRestoreInstance",
            },
            Action::ExternalRestore { v2: false, .. } => "JetExternalRestore",
            Action::ExternalRestore { v2: true, .. } => "JetExternalRestore2",
            Action::RollLog { .. }
            | Action::AdvanceCheckpoint { .. }
            | Action::Crash
            | Action::LogWriteFails { .. }
            | Action::LogDiskFills { .. }
            | Action::FatalError { .. }
            | Action::DamageCheckpoint { .. }
            | Action::Corrupt { .. }
            | Action::FailAllocation { .. }
            | Action::OtherSessionOpens { .. }
            | Action::AttachElsewhere { .. }
            | Action::FillAttachments
            | Action::MakeReadOnly { .. }
            | Action::HoldFile { .. }
            | Action::ChangePageSize
            | Action::StartInit
            | Action::StartTerm { .. }
            | Action::FinishTerm
            | Action::StartRestore { .. }
            | Action::FinishRestore => return None,
        })
    }
}

impl fmt::Display for InstArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstArg::Slot(i) => write!(f, "@i{i}"),
            InstArg::Stale(i) => write!(f, "stale @i{i}"),
            InstArg::Zero => f.write_str("0"),
            InstArg::Nil => f.write_str("nil"),
            InstArg::Garbage => f.write_str("garbage"),
        }
    }
}
