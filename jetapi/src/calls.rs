//! The call vocabulary: one [`Call`] variant for every ESE function in scope (legacy and
//! `...Instance` forms, numbered variants) and every harness action of the trace contract, each
//! with its arguments named as trace format v1 names them.
//!
//! One table ([`CALL_SPECS`], written once in the `calls!` invocation below) gives the enum, each
//! argument's kind and role (input, or an output that binds a handle), what `returns` may hold,
//! and the reading and printing of arguments. An argument left out is `None`: a NULL pointer or
//! zero, exactly as the contract says.

use serde_json::Value;

use crate::args::{
    ArgValue, HandleRef, LogInfo, ParamRef, ParamValue, PathArg, Records, RestoreMap, RstInfo,
    SysParamList, Word,
};
use crate::grbits::{Grbit, GrbitFamily};

/// What a handle names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandleKind {
    /// `JET_INSTANCE`.
    Instance,
    /// `JET_SESID`.
    Session,
    /// `JET_DBID`.
    Database,
    /// `JET_HANDLE`, a backup file handle.
    File,
    /// `JET_TABLEID`.
    Table,
}

impl HandleKind {
    /// The word used in messages.
    pub const fn noun(self) -> &'static str {
        match self {
            HandleKind::Instance => "instance",
            HandleKind::Session => "session",
            HandleKind::Database => "database id",
            HandleKind::File => "backup file handle",
            HandleKind::Table => "table id",
        }
    }
}

/// How a handle argument is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Passed in; a symbolic name must already be bound.
    Input,
    /// An output: a successful call binds the name.
    Binds,
    /// In and out (JetInit*): an unbound name passes a nil handle, a bound one its value; a
    /// successful call rebinds it.
    InOut,
}

/// Whether the engine may create, write or delete files at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathUse {
    /// Only read (or only used as a filter).
    Read,
    /// Created, written or deleted when the call succeeds.
    Write,
}

/// An argument's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A handle.
    Handle(HandleKind, Role),
    /// A string that is not a path.
    Text,
    /// A path relative to the sandbox.
    Path(PathUse),
    /// A number.
    Int,
    /// `true` or `false`.
    Bool,
    /// A grbit of one family.
    Grbit(GrbitFamily),
    /// A grbit of a call that documents no bit names: numbers only.
    RawGrbit,
    /// A `JET_param*` name or id.
    Param,
    /// A system parameter value.
    ParamValue,
    /// A restore map.
    RestoreMap,
    /// A `JET_LOGINFO`.
    LogInfo,
    /// A `JET_RSTINFO`.
    RstInfo,
    /// A list of `{param, value}`.
    SysParamList,
    /// Rows of the harness table.
    Records,
    /// A nested step `{"call", "args"}` (Start).
    Call,
    /// One of a fixed list of words.
    Word(&'static [&'static str]),
}

/// One argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// Its trace name.
    pub name: &'static str,
    /// Its kind.
    pub kind: ParamKind,
    /// True when a trace must give it (harness actions only; a Jet call's missing argument is
    /// NULL or zero).
    pub required: bool,
}

impl ParamSpec {
    const fn named(kind: ParamKind, required: bool, name: &'static str) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            required,
        }
    }
}

/// A key that `returns` may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnKey {
    /// `files`: a file list (GetAttachInfo, GetLogInfo, GetTruncateLogInfo).
    Files,
    /// `cb_actual`: the size the call reported through `pcbActual`.
    CbActual,
    /// `size_bytes`: the size JetOpenFile reported.
    SizeBytes,
    /// `bytes`: the bytes JetReadFile returned.
    Bytes,
    /// `gen_low` of a `JET_LOGINFO`.
    GenLow,
    /// `gen_high` of a `JET_LOGINFO`.
    GenHigh,
    /// `base_name` of a `JET_LOGINFO`.
    BaseName,
    /// `instance_count` of JetGetInstanceInfo.
    InstanceCount,
    /// `instances` of JetGetInstanceInfo.
    Instances,
    /// `value` of JetGetSystemParameter.
    Value,
    /// `set_succeed` of JetEnableMultiInstance (`pcsetsucceed`).
    SetSucceed,
}

impl ReturnKey {
    /// The key as written in a trace.
    pub const fn key(self) -> &'static str {
        match self {
            ReturnKey::Files => "files",
            ReturnKey::CbActual => "cb_actual",
            ReturnKey::SizeBytes => "size_bytes",
            ReturnKey::Bytes => "bytes",
            ReturnKey::GenLow => "gen_low",
            ReturnKey::GenHigh => "gen_high",
            ReturnKey::BaseName => "base_name",
            ReturnKey::InstanceCount => "instance_count",
            ReturnKey::Instances => "instances",
            ReturnKey::Value => "value",
            ReturnKey::SetSucceed => "set_succeed",
        }
    }
}

/// One call of the vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSpec {
    /// The function name exactly as documented, or the harness action's name.
    pub name: &'static str,
    /// Its arguments, in canonical order.
    pub params: &'static [ParamSpec],
    /// What `returns` may hold.
    pub returns: &'static [ReturnKey],
    /// One line on what it does.
    pub about: &'static str,
}

impl CallSpec {
    /// True for harness actions (names that do not start with `Jet`).
    pub fn is_harness(&self) -> bool {
        !self.name.starts_with("Jet")
    }

    /// The argument named `name`.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// The spec of the call named `name`.
pub fn call_spec(name: &str) -> Option<&'static CallSpec> {
    CALL_SPECS.iter().find(|spec| spec.name == name)
}

/// Calls that `Start` may run on their own thread.
pub const LONG_CALLS: &[&str] = &[
    "JetInit",
    "JetTerm",
    "JetTerm2",
    "JetRestore",
    "JetRestore2",
    "JetRestoreInstance",
    "JetExternalRestore",
    "JetExternalRestore2",
];

/// Where a started long call may be held. `api_locked`: it holds the instance's API lock, so
/// other calls on that instance see `JET_errTermInProgress` or `JET_errRestoreInProgress`.
pub const PAUSE_POINTS: &[&str] = &["api_locked"];

/// I/O operations a fault can be injected into.
pub const FAULT_OPS: &[&str] = &[
    "any", "open", "create", "read", "write", "sync", "sync_dir", "rename", "delete",
];

/// Errors a fault can inject.
pub const FAULT_ERRORS: &[&str] = &["EIO", "ENOSPC"];

/// What a `FailAllocation` makes run out: `memory` (the heap or the page allocator:
/// `JET_errOutOfMemory`) or `buffers` (the page cache's buffers: `JET_errOutOfBuffers`).
pub const ALLOCATIONS: &[&str] = &["memory", "buffers"];

// Argument kinds, short enough to read as a column in the table below.
use GrbitFamily as G;
use HandleKind as H;
use ParamKind as K;

const fn h(kind: HandleKind) -> (ParamKind, bool) {
    (K::Handle(kind, Role::Input), false)
}
const fn binds(kind: HandleKind) -> (ParamKind, bool) {
    (K::Handle(kind, Role::Binds), false)
}
const fn inout(kind: HandleKind) -> (ParamKind, bool) {
    (K::Handle(kind, Role::InOut), false)
}
const fn grbit(family: GrbitFamily) -> (ParamKind, bool) {
    (K::Grbit(family), false)
}
const fn opt(kind: ParamKind) -> (ParamKind, bool) {
    (kind, false)
}
const fn req(kind: ParamKind) -> (ParamKind, bool) {
    (kind, true)
}
const TEXT: (ParamKind, bool) = (K::Text, false);
const INT: (ParamKind, bool) = (K::Int, false);
const BOOL: (ParamKind, bool) = (K::Bool, false);
const READ: (ParamKind, bool) = (K::Path(PathUse::Read), false);
const WRITE: (ParamKind, bool) = (K::Path(PathUse::Write), false);

macro_rules! calls {
    ($(
        $variant:ident $name:literal [$($ret:ident),*] $about:literal {
            $( $field:ident : $ty:ty = $spec:expr ),* $(,)?
        }
    )*) => {
        /// A call in scope with its arguments; `None` is an argument left out (NULL or zero).
        /// Argument meanings are in [`CALL_SPECS`] and `traces/README.md`.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Call {
            $( #[doc = $about] $variant { $( $field: Option<$ty>, )* }, )*
        }

        /// Every call of the vocabulary, in the order of `traces/README.md`.
        pub const CALL_SPECS: &[CallSpec] = &[
            $( CallSpec {
                name: $name,
                params: &[ $( ParamSpec::named($spec.0, $spec.1, stringify!($field)), )* ],
                returns: &[ $( ReturnKey::$ret, )* ],
                about: $about,
            }, )*
        ];

        impl Call {
            /// The function or harness action name.
            pub fn name(&self) -> &'static str {
                match self { $( Call::$variant { .. } => $name, )* }
            }

            /// The arguments that are given, in canonical order.
            pub fn args(&self) -> Vec<(&'static str, &dyn ArgValue)> {
                match self {
                    $( Call::$variant { $( $field, )* } => {
                        #[allow(unused_mut)]
                        let mut given: Vec<(&'static str, &dyn ArgValue)> = Vec::new();
                        $( if let Some(value) = $field { given.push((stringify!($field), value)); } )*
                        given
                    } )*
                }
            }

            /// Builds the call `name` from its trace arguments. Unknown names and argument
            /// kinds are errors; required harness arguments are checked by validation.
            pub fn from_args(name: &str, args: &[(String, Value)]) -> Result<Call, String> {
                let spec = call_spec(name).ok_or_else(|| unknown_call(name))?;
                if let Some((bad, _)) = args.iter().find(|(key, _)| spec.param(key).is_none()) {
                    return Err(unknown_arg(spec, bad));
                }
                match name {
                    $( $name => Ok(Call::$variant { $( $field: read_arg(args, stringify!($field))?, )* }), )*
                    _ => Err(unknown_call(name)),
                }
            }
        }
    };
}

fn read_arg<T: ArgValue>(args: &[(String, Value)], name: &str) -> Result<Option<T>, String> {
    args.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| T::from_json(value).map_err(|e| format!("argument {name}: {e}")))
        .transpose()
}

fn unknown_call(name: &str) -> String {
    let hint = if name.starts_with("Jet") {
        "not a function in scope"
    } else {
        "not a harness action"
    };
    format!("unknown call {name:?} ({hint}; traces/README.md lists the vocabulary)")
}

fn unknown_arg(spec: &CallSpec, arg: &str) -> String {
    let names: Vec<_> = spec.params.iter().map(|p| p.name).collect();
    if names.is_empty() {
        format!("{} takes no arguments, but {arg:?} was given", spec.name)
    } else {
        format!(
            "{} has no argument {arg:?}; it takes {}",
            spec.name,
            names.join(", ")
        )
    }
}

impl Call {
    /// This call's spec.
    pub fn spec(&self) -> &'static CallSpec {
        call_spec(self.name()).expect("every Call variant has a spec by construction")
    }

    /// The argument `name`, when given.
    pub fn arg(&self, name: &str) -> Option<&dyn ArgValue> {
        self.args()
            .into_iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }

    /// The arguments as JSON, in canonical order.
    pub fn args_json(&self) -> Vec<(&'static str, Value)> {
        self.args()
            .into_iter()
            .map(|(name, value)| (name, value.to_json()))
            .collect()
    }
}

impl ArgValue for Box<Call> {
    fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("expected a nested step {\"call\": ..., \"args\": {...}}".into());
        };
        if let Some(bad) = map.keys().find(|k| *k != "call" && *k != "args") {
            return Err(format!(
                "nested step has key {bad:?}; it takes only call and args (Finish checks the result)"
            ));
        }
        let name = map
            .get("call")
            .and_then(Value::as_str)
            .ok_or("nested step has no call name")?;
        let args = match map.get("args") {
            None => Vec::new(),
            Some(Value::Object(args)) => args.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(_) => return Err("nested step args must be an object".into()),
        };
        Call::from_args(name, &args).map(Box::new)
    }
    fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("call".into(), Value::String(self.name().into()));
        let args = self.args_json();
        if !args.is_empty() {
            let args = args.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            map.insert("args".into(), Value::Object(args));
        }
        Value::Object(map)
    }
}

calls! {
    // Instances and the process run mode.
    CreateInstance "JetCreateInstance" [] "Allocates an instance (multi-instance mode)." {
        instance: HandleRef = binds(H::Instance),
        instance_name: String = opt(K::Text),
    }
    CreateInstance2 "JetCreateInstance2" [] "Allocates an instance with a display name." {
        instance: HandleRef = binds(H::Instance),
        instance_name: String = TEXT,
        display_name: String = TEXT,
        grbit: Grbit = opt(K::RawGrbit),
    }
    EnableMultiInstance "JetEnableMultiInstance" [SetSucceed] "Enters multi-instance mode, setting global parameters." {
        set_sys_param: SysParamList = opt(K::SysParamList),
        set_sys_param_count: i64 = INT,
    }
    SetSystemParameter "JetSetSystemParameter" [] "Sets a system parameter; without instance, process-wide." {
        instance: HandleRef = h(H::Instance),
        session: HandleRef = h(H::Session),
        param: ParamRef = opt(K::Param),
        value: ParamValue = opt(K::ParamValue),
    }
    GetSystemParameter "JetGetSystemParameter" [Value] "Reads a system parameter." {
        instance: HandleRef = h(H::Instance),
        session: HandleRef = h(H::Session),
        param: ParamRef = opt(K::Param),
    }
    Init "JetInit" [] "Initializes an instance (legacy mode with an unbound or no handle), running crash recovery." {
        instance: HandleRef = inout(H::Instance),
    }
    Init2 "JetInit2" [] "JetInit with recovery grbits." {
        instance: HandleRef = inout(H::Instance),
        grbit: Grbit = grbit(G::Init),
    }
    Init3 "JetInit3" [] "JetInit with a JET_RSTINFO relocation map and grbits." {
        instance: HandleRef = inout(H::Instance),
        rst_info: RstInfo = opt(K::RstInfo),
        grbit: Grbit = grbit(G::Init),
    }
    Term "JetTerm" [] "Shuts an instance down (same as JetTerm2 with JET_bitTermAbrupt)." {
        instance: HandleRef = h(H::Instance),
    }
    Term2 "JetTerm2" [] "Shuts an instance down with shutdown grbits." {
        instance: HandleRef = h(H::Instance),
        grbit: Grbit = grbit(G::Term),
    }
    StopService "JetStopService" [] "Legacy: prepares the single instance for shutdown." {}
    StopServiceInstance "JetStopServiceInstance" [] "Prepares an instance for shutdown; most calls then fail." {
        instance: HandleRef = h(H::Instance),
    }
    StopServiceInstance2 "JetStopServiceInstance2" [] "Stops (or resumes) chosen services of an instance." {
        instance: HandleRef = h(H::Instance),
        grbit: Grbit = grbit(G::StopService),
    }
    StopBackup "JetStopBackup" [] "Legacy: marks the running backup as stopped by the server." {}
    StopBackupInstance "JetStopBackupInstance" [] "Marks the instance's running backup as stopped by the server." {
        instance: HandleRef = h(H::Instance),
    }
    GetInstanceInfo "JetGetInstanceInfo" [InstanceCount, Instances] "Lists the running instances and their databases; `null_outputs` passes NULL for both output pointers." {
        null_outputs: bool = BOOL,
    }
    GetInstanceMiscInfo "JetGetInstanceMiscInfo" [] "Copies one fact about an instance (InfoLevel 0: its log signature, a 28-byte JET_SIGNATURE) into a buffer of `cb_max` bytes." {
        instance: HandleRef = h(H::Instance),
        cb_max: i64 = INT,
        info_level: i64 = INT,
    }
    FreeBuffer "JetFreeBuffer" [] "Frees a buffer the engine allocated for the caller; NULL (left out) does nothing." {
        buf: i64 = INT,
    }

    // Sessions, databases, transactions, tables.
    BeginSession "JetBeginSession" [] "Opens a session on an instance." {
        instance: HandleRef = h(H::Instance),
        session: HandleRef = binds(H::Session),
        user_name: String = TEXT,
        password: String = TEXT,
    }
    EndSession "JetEndSession" [] "Closes a session." {
        session: HandleRef = h(H::Session),
        grbit: Grbit = grbit(G::EndSession),
    }
    SetSessionContext "JetSetSessionContext" [] "Ties a session to a caller's context value until JetResetSessionContext; JetEndSession refuses it meanwhile." {
        session: HandleRef = h(H::Session),
        context: i64 = INT,
    }
    ResetSessionContext "JetResetSessionContext" [] "Clears the context JetSetSessionContext set." {
        session: HandleRef = h(H::Session),
    }
    CreateDatabase "JetCreateDatabase" [] "Creates and attaches a database file and opens it." {
        session: HandleRef = h(H::Session),
        filename: PathArg = WRITE,
        connect: String = TEXT,
        dbid: HandleRef = binds(H::Database),
        grbit: Grbit = grbit(G::CreateDatabase),
    }
    CreateDatabase2 "JetCreateDatabase2" [] "JetCreateDatabase with a maximum size in pages." {
        session: HandleRef = h(H::Session),
        filename: PathArg = WRITE,
        database_size_max: i64 = INT,
        dbid: HandleRef = binds(H::Database),
        grbit: Grbit = grbit(G::CreateDatabase),
    }
    AttachDatabase "JetAttachDatabase" [] "Attaches a database file to the instance." {
        session: HandleRef = h(H::Session),
        filename: PathArg = WRITE,
        grbit: Grbit = grbit(G::AttachDatabase),
    }
    AttachDatabase2 "JetAttachDatabase2" [] "JetAttachDatabase with a maximum size in pages." {
        session: HandleRef = h(H::Session),
        filename: PathArg = WRITE,
        database_size_max: i64 = INT,
        grbit: Grbit = grbit(G::AttachDatabase),
    }
    DetachDatabase "JetDetachDatabase" [] "Detaches a database (all of them when filename is left out)." {
        session: HandleRef = h(H::Session),
        filename: PathArg = READ,
    }
    DetachDatabase2 "JetDetachDatabase2" [] "JetDetachDatabase with force grbits." {
        session: HandleRef = h(H::Session),
        filename: PathArg = READ,
        grbit: Grbit = grbit(G::DetachDatabase),
    }
    OpenDatabase "JetOpenDatabase" [] "Opens an attached database in a session." {
        session: HandleRef = h(H::Session),
        filename: PathArg = READ,
        connect: String = TEXT,
        dbid: HandleRef = binds(H::Database),
        grbit: Grbit = grbit(G::OpenDatabase),
    }
    CloseDatabase "JetCloseDatabase" [] "Closes an open database." {
        session: HandleRef = h(H::Session),
        dbid: HandleRef = h(H::Database),
        grbit: Grbit = opt(K::RawGrbit),
    }
    BeginTransaction "JetBeginTransaction" [] "Begins a transaction in a session." {
        session: HandleRef = h(H::Session),
    }
    CommitTransaction "JetCommitTransaction" [] "Commits the session's transaction." {
        session: HandleRef = h(H::Session),
        grbit: Grbit = grbit(G::Commit),
    }
    Rollback "JetRollback" [] "Rolls the session's transaction back." {
        session: HandleRef = h(H::Session),
        grbit: Grbit = grbit(G::Rollback),
    }
    CreateTable "JetCreateTable" [] "Creates a table and opens it." {
        session: HandleRef = h(H::Session),
        dbid: HandleRef = h(H::Database),
        table_name: String = TEXT,
        pages: i64 = INT,
        density: i64 = INT,
        tableid: HandleRef = binds(H::Table),
    }
    OpenTable "JetOpenTable" [] "Opens a table." {
        session: HandleRef = h(H::Session),
        dbid: HandleRef = h(H::Database),
        table_name: String = TEXT,
        grbit: Grbit = grbit(G::OpenTable),
        tableid: HandleRef = binds(H::Table),
    }
    CloseTable "JetCloseTable" [] "Closes a table." {
        session: HandleRef = h(H::Session),
        tableid: HandleRef = h(H::Table),
    }

    // Streaming (external) backup.
    BeginExternalBackup "JetBeginExternalBackup" [] "Legacy: starts a streaming backup." {
        grbit: Grbit = grbit(G::Backup),
    }
    BeginExternalBackupInstance "JetBeginExternalBackupInstance" [] "Starts a streaming backup of an instance." {
        instance: HandleRef = h(H::Instance),
        grbit: Grbit = grbit(G::Backup),
    }
    GetAttachInfo "JetGetAttachInfo" [Files, CbActual] "Legacy: lists the databases to back up." {
        cb_max: i64 = INT,
    }
    GetAttachInfoInstance "JetGetAttachInfoInstance" [Files, CbActual] "Lists the databases to back up." {
        instance: HandleRef = h(H::Instance),
        cb_max: i64 = INT,
    }
    OpenFile "JetOpenFile" [SizeBytes] "Legacy: opens a file of the backup set for reading." {
        filename: PathArg = READ,
        file: HandleRef = binds(H::File),
    }
    OpenFileInstance "JetOpenFileInstance" [SizeBytes] "Opens a file of the backup set for reading." {
        instance: HandleRef = h(H::Instance),
        filename: PathArg = READ,
        file: HandleRef = binds(H::File),
    }
    ReadFile "JetReadFile" [Bytes] "Legacy: reads the next chunk of an open backup file." {
        file: HandleRef = h(H::File),
        cb: i64 = INT,
        buffer_unaligned: bool = BOOL,
    }
    ReadFileInstance "JetReadFileInstance" [Bytes] "Reads the next chunk of an open backup file." {
        instance: HandleRef = h(H::Instance),
        file: HandleRef = h(H::File),
        cb: i64 = INT,
        buffer_unaligned: bool = BOOL,
    }
    CloseFile "JetCloseFile" [] "Legacy: closes a backup file handle." {
        file: HandleRef = h(H::File),
    }
    CloseFileInstance "JetCloseFileInstance" [] "Closes a backup file handle." {
        instance: HandleRef = h(H::Instance),
        file: HandleRef = h(H::File),
    }
    GetLogInfo "JetGetLogInfo" [Files, CbActual] "Legacy: rolls the log once and lists the logs to back up." {
        cb_max: i64 = INT,
    }
    GetLogInfoInstance "JetGetLogInfoInstance" [Files, CbActual] "Rolls the log once and lists the logs to back up." {
        instance: HandleRef = h(H::Instance),
        cb_max: i64 = INT,
    }
    GetLogInfoInstance2 "JetGetLogInfoInstance2" [Files, CbActual, GenLow, GenHigh, BaseName] "JetGetLogInfoInstance that also fills a JET_LOGINFO." {
        instance: HandleRef = h(H::Instance),
        cb_max: i64 = INT,
    }
    GetTruncateLogInfoInstance "JetGetTruncateLogInfoInstance" [Files, CbActual] "Lists the logs a truncation would delete." {
        instance: HandleRef = h(H::Instance),
        cb_max: i64 = INT,
    }
    TruncateLog "JetTruncateLog" [] "Legacy: deletes the logs this backup makes unnecessary." {}
    TruncateLogInstance "JetTruncateLogInstance" [] "Deletes the logs this backup makes unnecessary." {
        instance: HandleRef = h(H::Instance),
    }
    EndExternalBackup "JetEndExternalBackup" [] "Legacy: ends the streaming backup." {}
    EndExternalBackupInstance "JetEndExternalBackupInstance" [] "Ends the streaming backup (JET_bitBackupEndNormal)." {
        instance: HandleRef = h(H::Instance),
    }
    EndExternalBackupInstance2 "JetEndExternalBackupInstance2" [] "Ends the streaming backup normally or as an abort." {
        instance: HandleRef = h(H::Instance),
        grbit: Grbit = grbit(G::BackupEnd),
    }

    // Backup to a directory, and restore.
    Backup "JetBackup" [] "Legacy: backs the instance up into a directory." {
        backup_path: PathArg = WRITE,
        grbit: Grbit = grbit(G::Backup),
    }
    BackupInstance "JetBackupInstance" [] "Backs an instance up into a directory." {
        instance: HandleRef = h(H::Instance),
        backup_path: PathArg = WRITE,
        grbit: Grbit = grbit(G::Backup),
    }
    Restore "JetRestore" [] "Legacy: restores a JetBackup directory to the original locations." {
        backup_path: PathArg = WRITE,
    }
    Restore2 "JetRestore2" [] "Legacy: restores a JetBackup directory, optionally to dest." {
        backup_path: PathArg = WRITE,
        dest: PathArg = WRITE,
    }
    RestoreInstance "JetRestoreInstance" [] "Restores a JetBackup directory into an instance that is not initialized." {
        instance: HandleRef = h(H::Instance),
        backup_path: PathArg = WRITE,
        dest: PathArg = WRITE,
    }
    ExternalRestore "JetExternalRestore" [] "Hard recovery of a streaming backup set." {
        checkpoint_file_path: PathArg = WRITE,
        log_path: PathArg = WRITE,
        restore_map: RestoreMap = opt(K::RestoreMap),
        restore_map_count: i64 = INT,
        backup_log_path: PathArg = WRITE,
        gen_low: i64 = INT,
        gen_high: i64 = INT,
    }
    ExternalRestore2 "JetExternalRestore2" [] "Hard recovery with a JET_LOGINFO and optional target instance paths." {
        checkpoint_file_path: PathArg = WRITE,
        log_path: PathArg = WRITE,
        restore_map: RestoreMap = opt(K::RestoreMap),
        restore_map_count: i64 = INT,
        backup_log_path: PathArg = WRITE,
        log_info: LogInfo = opt(K::LogInfo),
        target_instance_name: String = TEXT,
        target_instance_log_path: PathArg = WRITE,
        target_instance_checkpoint_path: PathArg = WRITE,
    }

    // Harness actions.
    InsertRecords "InsertRecords" [] "Inserts and commits rows through the engine's data API, creating the table if missing." {
        session: HandleRef = h(H::Session),
        dbid: HandleRef = h(H::Database),
        table: String = req(K::Text),
        count: i64 = INT,
        records: Records = opt(K::Records),
    }
    VerifyRecords "VerifyRecords" [] "Fails unless the table holds exactly these rows (or this many)." {
        session: HandleRef = h(H::Session),
        dbid: HandleRef = h(H::Database),
        table: String = req(K::Text),
        count: i64 = INT,
        records: Records = opt(K::Records),
    }
    CopyBackupFile "CopyBackupFile" [SizeBytes] "JetOpenFile, JetReadFile to the end, JetCloseFile, writing the bytes to `to`." {
        instance: HandleRef = h(H::Instance),
        filename: PathArg = req(K::Path(PathUse::Read)),
        to: PathArg = req(K::Path(PathUse::Write)),
    }
    CopyFile "CopyFile" [] "Copies a file, or a directory's contents, inside the sandbox." {
        from: PathArg = req(K::Path(PathUse::Read)),
        to: PathArg = req(K::Path(PathUse::Write)),
    }
    DeleteFile "DeleteFile" [] "Deletes a file, or empties (creating) a directory." {
        path: PathArg = req(K::Path(PathUse::Write)),
    }
    CorruptFile "CorruptFile" [] "Inverts `bytes` bytes of a file at `offset`." {
        path: PathArg = req(K::Path(PathUse::Write)),
        offset: i64 = req(K::Int),
        bytes: i64 = req(K::Int),
    }
    Crash "Crash" [] "Power loss: every instance vanishes; writes not yet durable are lost." {}
    RollLog "RollLog" [] "The instance's current log generation is closed and a new one starts." {
        instance: HandleRef = req(K::Handle(H::Instance, Role::Input)),
    }
    FlushCheckpoint "FlushCheckpoint" [] "Dirty pages are written and the checkpoint moves to the current generation." {
        instance: HandleRef = req(K::Handle(H::Instance, Role::Input)),
    }
    FailLogWrites "FailLogWrites" [] "The instance's next log write fails with `error` (EIO stops logging; ENOSPC leaves the log disk full)." {
        instance: HandleRef = req(K::Handle(H::Instance, Role::Input)),
        error: Word = req(K::Word(FAULT_ERRORS)),
    }
    LimitLogGenerations "LimitLogGenerations" [] "From now on the last log generation of every instance is `generation`; a roll past it fails with JET_errLogSequenceEnd." {
        generation: i64 = req(K::Int),
    }
    MakeUnavailable "MakeUnavailable" [] "An operation that cannot fail (a rollback) fails with `error`, making the instance unavailable." {
        instance: HandleRef = req(K::Handle(H::Instance, Role::Input)),
        error: Word = req(K::Word(FAULT_ERRORS)),
    }
    FailAllocation "FailAllocation" [] "The next allocation of `what` an ESE call makes fails (memory, heap or pages: JET_errOutOfMemory; buffers: JET_errOutOfBuffers)." {
        what: Word = req(K::Word(ALLOCATIONS)),
    }
    MakeReadOnly "MakeReadOnly" [] "Sets the file system's read-only attribute of the file at `path`." {
        path: PathArg = req(K::Path(PathUse::Write)),
    }
    HoldFile "HoldFile" [] "Another process opens the file at `path` with no sharing and keeps it open to the end of the trace." {
        path: PathArg = req(K::Path(PathUse::Read)),
    }
    InjectFault "InjectFault" [] "Makes a future I/O operation fail." {
        op: Word = req(K::Word(FAULT_OPS)),
        path: PathArg = READ,
        error: Word = req(K::Word(FAULT_ERRORS)),
        after: i64 = INT,
    }
    VerifyInstances "VerifyInstances" [] "Fails unless `allocated` instances are allocated and not initialized and `running` run, leaving out any named `except`." {
        allocated: i64 = req(K::Int),
        running: i64 = req(K::Int),
        except: String = TEXT,
    }
    VerifyFile "VerifyFile" [] "Fails unless the file at `path` exists (`exists` true) or does not (false)." {
        path: PathArg = req(K::Path(PathUse::Read)),
        exists: bool = req(K::Bool),
    }
    Start "Start" [] "Begins a long call on its own thread, held at `pause_at`." {
        call: Box<Call> = req(K::Call),
        id: String = req(K::Text),
        pause_at: Word = opt(K::Word(PAUSE_POINTS)),
    }
    Finish "Finish" [] "Releases a started call and checks its result against this step's expect." {
        id: String = req(K::Text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_name_is_unique_and_builds_its_variant() {
        for (i, spec) in CALL_SPECS.iter().enumerate() {
            assert!(
                CALL_SPECS[i + 1..]
                    .iter()
                    .all(|other| other.name != spec.name)
            );
            let call = Call::from_args(spec.name, &[]).expect("no arguments is always readable");
            assert_eq!(call.name(), spec.name);
            assert!(call.args().is_empty());
        }
    }

    #[test]
    fn an_unknown_argument_names_the_accepted_ones() {
        let err = Call::from_args(
            "JetTruncateLogInstance",
            &[("grbit".into(), Value::from(1))],
        )
        .unwrap_err();
        assert!(err.contains("it takes instance"), "{err}");
    }

    #[test]
    fn an_argument_of_the_wrong_kind_is_named() {
        let args = [("instance".into(), Value::from("a"))];
        let err = Call::from_args("JetTermInstance", &args).unwrap_err();
        assert!(err.contains("unknown call"), "{err}");
        let err = Call::from_args("JetTerm", &args).unwrap_err();
        assert!(err.contains("argument instance"), "{err}");
    }
}
