//! System parameters (`JET_param*`) with their exact ids and value types.
//!
//! Only the parameters the model, the engine or a trace can touch are here: the logging, path,
//! recovery and limit parameters of the backup and restore family, plus the ones the
//! documentation pages in scope mention. Defaults are the engine's business, not the contract's.

use serde::{Deserialize, Serialize};

/// What a parameter's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A number (`lParam`).
    Integer,
    /// 0 or 1 (`lParam`).
    Boolean,
    /// A string (`szParam`).
    String,
    /// A directory or file path (`szParam`).
    Path,
}

/// Whether a parameter belongs to the process or to one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamScope {
    /// Set once per process, before the first instance starts.
    Global,
    /// Set per instance, before its JetInit unless noted.
    Instance,
}

/// One system parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysParam {
    /// The header symbol, e.g. `JET_paramCircularLog`.
    pub name: &'static str,
    /// Its id.
    pub id: u32,
    /// Its value type.
    pub kind: ParamType,
    /// Where it applies.
    pub scope: ParamScope,
}

const fn param(name: &'static str, id: u32, kind: ParamType, scope: ParamScope) -> SysParam {
    SysParam {
        name,
        id,
        kind,
        scope,
    }
}

use ParamScope::{Global, Instance};
use ParamType::{Boolean, Integer, Path, String as Text};

/// Every parameter jetspec knows, by id.
pub const SYS_PARAMS: &[SysParam] = &[
    param("JET_paramSystemPath", 0, Path, Instance),
    param("JET_paramTempPath", 1, Path, Instance),
    param("JET_paramLogFilePath", 2, Path, Instance),
    param("JET_paramBaseName", 3, Text, Instance),
    param("JET_paramEventSource", 4, Text, Instance),
    param("JET_paramMaxSessions", 5, Integer, Instance),
    param("JET_paramMaxOpenTables", 6, Integer, Instance),
    param("JET_paramMaxTemporaryTables", 10, Integer, Instance),
    param("JET_paramLogFileSize", 11, Integer, Instance),
    param("JET_paramLogBuffers", 12, Integer, Instance),
    param("JET_paramWaitLogFlush", 13, Integer, Instance),
    param("JET_paramLogCheckpointPeriod", 14, Integer, Instance),
    param("JET_paramLogWaitingUserMax", 15, Integer, Instance),
    param("JET_paramCommitDefault", 16, Integer, Instance),
    param("JET_paramCircularLog", 17, Boolean, Instance),
    param("JET_paramCheckpointDepthMax", 24, Integer, Instance),
    param("JET_paramRecovery", 34, Text, Instance),
    param("JET_paramEnableIndexChecking", 45, Boolean, Instance),
    param("JET_paramIgnoreLogVersion", 47, Boolean, Instance),
    param("JET_paramDeleteOldLogs", 48, Boolean, Instance),
    param("JET_paramDeleteOutOfRangeLogs", 52, Boolean, Instance),
    param("JET_paramDatabasePageSize", 64, Integer, Global),
    param("JET_paramLogFileCreateAsynch", 69, Boolean, Instance),
    param("JET_paramZeroDatabaseDuringBackup", 71, Boolean, Instance),
    param("JET_paramCleanupMismatchedLogFiles", 77, Boolean, Instance),
    param("JET_paramOSSnapshotTimeout", 82, Integer, Global),
    param("JET_paramCreatePathIfNotExist", 100, Boolean, Instance),
    param("JET_paramOneDatabasePerSession", 102, Boolean, Instance),
    param("JET_paramMaxInstances", 104, Integer, Global),
    param(
        "JET_paramAlternateDatabaseRecoveryPath",
        113,
        Path,
        Instance,
    ),
    param("JET_paramEnableAdvanced", 130, Boolean, Global),
    param("JET_paramLegacyFileNames", 136, Integer, Instance),
    param("JET_paramAggressiveLogRollover", 157, Boolean, Instance),
];

/// The parameter with this name.
pub fn sys_param_by_name(name: &str) -> Option<&'static SysParam> {
    SYS_PARAMS.iter().find(|p| p.name == name)
}

/// The parameter with this id.
pub fn sys_param_by_id(id: u32) -> Option<&'static SysParam> {
    SYS_PARAMS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique() {
        for (i, a) in SYS_PARAMS.iter().enumerate() {
            for b in &SYS_PARAMS[i + 1..] {
                assert_ne!(a.id, b.id, "{} and {}", a.name, b.name);
                assert_ne!(a.name, b.name);
            }
            assert_eq!(sys_param_by_id(a.id), Some(a));
            assert_eq!(sys_param_by_name(a.name), Some(a));
        }
    }
}
