//! The system parameters the engine honours, with their defaults, ranges and when they may
//! change. Ids and value types come from `jetapi::params`; the rest is the engine's:
//!
//! | parameter | default | accepted values | after JetInit |
//! |---|---|---|---|
//! | SystemPath, LogFilePath | `""` (the storage root) | a path inside the root, at most 246 characters | AlreadyInitialized |
//! | TempPath | `""` (the storage root) | a path inside the root, at most 247 characters | AlreadyInitialized |
//! | BaseName | `edb` | three ASCII letters or digits | AlreadyInitialized |
//! | MaxSessions | 128 | 1..=30000 | AlreadyInitialized |
//! | LogFileSize (KiB) | 5120 | 64..=1048576 | AlreadyInitialized |
//! | CircularLog | 0 | any number (nonzero is on) | AlreadyInitialized |
//! | CheckpointDepthMax (bytes) | 20 MiB | 0..=2^31-1 (0: a checkpoint after every commit) | allowed |
//! | Recovery | `On` | `On` or `Off` (any case) | AlreadyInitialized |
//! | DeleteOutOfRangeLogs, CreatePathIfNotExist, OneDatabasePerSession | 0 | any number | AlreadyInitialized |
//!
//! TempPath is kept and compared for `JET_errTempPathInUse`; the engine makes no temporary
//! database. DeleteOutOfRangeLogs acts at recovery (`recovery.rs`).
//! | DatabasePageSize (global) | 8192 | 2048, 4096, 8192, 16384, 32768 | AlreadyInitialized once any instance started |
//! | MaxInstances (global) | 16 | 1..=1024 | AlreadyInitialized once any instance started |
//!
//! Any other id, a value of the wrong type, or one out of range: `JET_errInvalidParameter`.
//! "After JetInit" is ESE's `fMayNotWriteAfterInstanceInit` (sysparamtable.g.cxx), checked by
//! `CJetParam::ValidateSet` (jetapi.cxx) after a number equal to the current value, which is
//! accepted unchanged, and before the range; a path's length is checked there too, before the
//! path itself (the folder parameters allow 246 characters, TempPath 247).

use jetapi::JetErr;
use jetapi::args::ParamValue;
use jetapi::params::{ParamScope, sys_param_by_id};

use crate::paths::checked_path;

/// `JET_paramSystemPath`.
pub const SYSTEM_PATH: u32 = 0;
/// `JET_paramTempPath`.
pub const TEMP_PATH: u32 = 1;
/// `JET_paramLogFilePath`.
pub const LOG_FILE_PATH: u32 = 2;
/// `JET_paramBaseName`.
pub const BASE_NAME: u32 = 3;
/// `JET_paramMaxSessions`.
pub const MAX_SESSIONS: u32 = 5;
/// `JET_paramLogFileSize`.
pub const LOG_FILE_SIZE: u32 = 11;
/// `JET_paramCircularLog`.
pub const CIRCULAR_LOG: u32 = 17;
/// `JET_paramCheckpointDepthMax`.
pub const CHECKPOINT_DEPTH_MAX: u32 = 24;
/// `JET_paramRecovery`.
pub const RECOVERY: u32 = 34;
/// `JET_paramDeleteOutOfRangeLogs`.
pub const DELETE_OUT_OF_RANGE_LOGS: u32 = 52;
/// `JET_paramDatabasePageSize`.
pub const DATABASE_PAGE_SIZE: u32 = 64;
/// `JET_paramCreatePathIfNotExist`.
pub const CREATE_PATH_IF_NOT_EXIST: u32 = 100;
/// `JET_paramOneDatabasePerSession`.
pub const ONE_DATABASE_PER_SESSION: u32 = 102;
/// The longest SystemPath or LogFilePath ESE accepts (its folder parameters' range).
pub const FOLDER_PATH_MAX_CHARS: usize = 246;
/// The longest TempPath ESE accepts.
pub const TEMP_PATH_MAX_CHARS: usize = 247;
/// `JET_paramMaxInstances`.
pub const MAX_INSTANCES: u32 = 104;
/// `JET_paramOSSnapshotTimeout`.
pub const OS_SNAPSHOT_TIMEOUT: u32 = 82;

/// The parameters of one instance (or the process defaults new instances copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceParams {
    /// Where the checkpoint file lives, as given.
    pub system_path: String,
    /// The temporary database directory, as given (the engine creates no temporary files).
    pub temp_path: String,
    /// Where the logs live, as given.
    pub log_file_path: String,
    /// The three-character log base name.
    pub base_name: String,
    /// Sessions the instance hands out at most.
    pub max_sessions: i64,
    /// Size of one log generation, in KiB.
    pub log_file_size_kib: i64,
    /// Circular logging: logs older than the checkpoint are deleted.
    pub circular_log: bool,
    /// Log bytes between the checkpoint and the log's end that trigger a checkpoint.
    pub checkpoint_depth_max: i64,
    /// `JET_paramRecovery` is "On": changes are logged.
    pub recovery: bool,
    /// `JET_paramDeleteOutOfRangeLogs`.
    pub delete_out_of_range_logs: bool,
    /// `JET_paramCreatePathIfNotExist`.
    pub create_path_if_not_exist: bool,
    /// `JET_paramOneDatabasePerSession`: a session opens one database at a time.
    pub one_database_per_session: bool,
    /// The engine's deliberate mistake, if any (`mutant.rs`): not a parameter, carried here
    /// so that every instance, core, recovery and restore sees it.
    pub(crate) mutant: crate::mutant::Planted,
}

impl Default for InstanceParams {
    fn default() -> Self {
        InstanceParams {
            system_path: String::new(),
            temp_path: String::new(),
            log_file_path: String::new(),
            base_name: "edb".into(),
            max_sessions: 128,
            log_file_size_kib: 5120,
            circular_log: false,
            checkpoint_depth_max: 20 * 1024 * 1024,
            recovery: true,
            delete_out_of_range_logs: false,
            create_path_if_not_exist: false,
            one_database_per_session: false,
            mutant: crate::mutant::Planted::default(),
        }
    }
}

/// The process-wide parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalParams {
    /// `JET_paramDatabasePageSize`, bytes.
    pub page_size: i64,
    /// `JET_paramMaxInstances`.
    pub max_instances: i64,
    /// `JET_paramOSSnapshotTimeout`, milliseconds: kept and reported, the engine takes no OS
    /// snapshots (sysparamtable.g.cxx: global, 0 to 2^31-1, default 70,000).
    pub os_snapshot_timeout_ms: i64,
    /// The parameters set since the process began (ESE's `m_fWritten`).
    pub written: std::collections::BTreeSet<u32>,
}

impl Default for GlobalParams {
    fn default() -> Self {
        GlobalParams {
            page_size: 8192,
            max_instances: 16,
            os_snapshot_timeout_ms: 70_000,
            written: std::collections::BTreeSet::new(),
        }
    }
}

/// True when `id` is a process-wide parameter.
pub fn is_global(id: u32) -> bool {
    sys_param_by_id(id).is_some_and(|p| p.scope == ParamScope::Global)
}

/// True when an instance parameter may still change after JetInit: of the engine's, only
/// CheckpointDepthMax lacks ESE's `fMayNotWriteAfterInstanceInit` (sysparamtable.g.cxx;
/// CircularLog has it).
pub fn is_dynamic(id: u32) -> bool {
    id == CHECKPOINT_DEPTH_MAX
}

fn number(value: &ParamValue) -> Result<i64, JetErr> {
    match value {
        ParamValue::Number(n) => Ok(*n),
        ParamValue::Text(_) => Err(JetErr::InvalidParameter),
    }
}

fn in_range(value: &ParamValue, lo: i64, hi: i64) -> Result<i64, JetErr> {
    let n = number(value)?;
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err(JetErr::InvalidParameter)
    }
}

fn text(value: &ParamValue) -> Result<&str, JetErr> {
    match value {
        ParamValue::Text(s) => Ok(s),
        ParamValue::Number(_) => Err(JetErr::InvalidParameter),
    }
}

/// A path parameter of at most `max_chars` characters (`CJetParam::ValidateSet`'s range
/// check, before the path is looked at), then a path inside the root.
fn path(value: &ParamValue, max_chars: usize) -> Result<String, JetErr> {
    let s = text(value)?;
    if s.chars().count() > max_chars {
        return Err(JetErr::InvalidParameter);
    }
    checked_path(s)?;
    Ok(s.to_string())
}

impl InstanceParams {
    /// Sets parameter `id`.
    pub fn set(&mut self, id: u32, value: &ParamValue) -> Result<(), JetErr> {
        match id {
            SYSTEM_PATH => self.system_path = path(value, FOLDER_PATH_MAX_CHARS)?,
            TEMP_PATH => self.temp_path = path(value, TEMP_PATH_MAX_CHARS)?,
            LOG_FILE_PATH => self.log_file_path = path(value, FOLDER_PATH_MAX_CHARS)?,
            BASE_NAME => {
                let s = text(value)?;
                if s.len() != 3 || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(JetErr::InvalidParameter);
                }
                self.base_name = s.to_string();
            }
            MAX_SESSIONS => self.max_sessions = in_range(value, 1, 30_000)?,
            LOG_FILE_SIZE => self.log_file_size_kib = in_range(value, 64, 1_048_576)?,
            CIRCULAR_LOG => self.circular_log = number(value)? != 0,
            CHECKPOINT_DEPTH_MAX => {
                self.checkpoint_depth_max = in_range(value, 0, i64::from(i32::MAX))?
            }
            RECOVERY => {
                self.recovery = match text(value)?.to_ascii_lowercase().as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(JetErr::InvalidParameter),
                }
            }
            DELETE_OUT_OF_RANGE_LOGS => self.delete_out_of_range_logs = number(value)? != 0,
            CREATE_PATH_IF_NOT_EXIST => self.create_path_if_not_exist = number(value)? != 0,
            ONE_DATABASE_PER_SESSION => self.one_database_per_session = number(value)? != 0,
            _ => return Err(JetErr::InvalidParameter),
        }
        Ok(())
    }

    /// Reads parameter `id`.
    pub fn get(&self, id: u32) -> Result<ParamValue, JetErr> {
        let flag = |b: bool| ParamValue::Number(i64::from(b));
        Ok(match id {
            SYSTEM_PATH => ParamValue::Text(self.system_path.clone()),
            TEMP_PATH => ParamValue::Text(self.temp_path.clone()),
            LOG_FILE_PATH => ParamValue::Text(self.log_file_path.clone()),
            BASE_NAME => ParamValue::Text(self.base_name.clone()),
            MAX_SESSIONS => ParamValue::Number(self.max_sessions),
            LOG_FILE_SIZE => ParamValue::Number(self.log_file_size_kib),
            CIRCULAR_LOG => flag(self.circular_log),
            CHECKPOINT_DEPTH_MAX => ParamValue::Number(self.checkpoint_depth_max),
            RECOVERY => ParamValue::Text(if self.recovery { "On" } else { "Off" }.into()),
            DELETE_OUT_OF_RANGE_LOGS => flag(self.delete_out_of_range_logs),
            CREATE_PATH_IF_NOT_EXIST => flag(self.create_path_if_not_exist),
            ONE_DATABASE_PER_SESSION => flag(self.one_database_per_session),
            _ => return Err(JetErr::InvalidParameter),
        })
    }
}

impl GlobalParams {
    /// Sets global parameter `id`.
    pub fn set(&mut self, id: u32, value: &ParamValue) -> Result<(), JetErr> {
        match id {
            DATABASE_PAGE_SIZE => {
                let n = number(value)?;
                if ![2048, 4096, 8192, 16384, 32768].contains(&n) {
                    return Err(JetErr::InvalidParameter);
                }
                self.page_size = n;
            }
            MAX_INSTANCES => self.max_instances = in_range(value, 1, 1024)?,
            OS_SNAPSHOT_TIMEOUT => {
                self.os_snapshot_timeout_ms = in_range(value, 0, i64::from(i32::MAX))?
            }
            _ => return Err(JetErr::InvalidParameter),
        }
        self.written.insert(id);
        Ok(())
    }

    /// True when global parameter `id` may not change once the process runs an instance: ESE's
    /// `fMayNotWriteAfterGlobalInit` (sysparamtable.g.cxx: DatabasePageSize and MaxInstances
    /// have it, OSSnapshotTimeout does not).
    pub fn fixed_after_global_init(id: u32) -> bool {
        matches!(id, DATABASE_PAGE_SIZE | MAX_INSTANCES)
    }

    /// Reads global parameter `id`.
    pub fn get(&self, id: u32) -> Result<ParamValue, JetErr> {
        match id {
            DATABASE_PAGE_SIZE => Ok(ParamValue::Number(self.page_size)),
            MAX_INSTANCES => Ok(ParamValue::Number(self.max_instances)),
            OS_SNAPSHOT_TIMEOUT => Ok(ParamValue::Number(self.os_snapshot_timeout_ms)),
            _ => Err(JetErr::InvalidParameter),
        }
    }
}
