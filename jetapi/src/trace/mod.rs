//! Trace format v1 (`traces/README.md`, the contract): a named sequence of calls, each with the
//! result it must return. Read with [`parse_trace`] (structure) and [`check_trace`] (meaning:
//! handles bound before use, paths inside the sandbox, grbits of the right family, Start/Finish
//! pairs), or both at once with [`load_trace`]; printed canonically with [`print_trace`].

mod parse;
mod print;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::args::{HandleRef, ParamValue};
use crate::calls::Call;
use crate::errors::JetErr;

pub use parse::{SourceMap, parse_trace};
pub use print::print_trace;
pub use validate::{StepProblem, check_trace, escapes_sandbox};

/// The format version this crate reads and writes.
pub const TRACE_FORMAT_VERSION: u64 = 1;

/// A trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// snake_case, unique within its folder.
    pub name: String,
    /// One or two sentences for the reader.
    pub about: String,
    /// The calls, in order.
    pub steps: Vec<Step>,
    /// Which behaviour the expectations describe; `None` means the default, `esent`.
    pub profile: Option<Profile>,
    /// Where the expectations come from.
    pub source: Option<String>,
}

/// Which behaviour a trace's expectations describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// What the open-sourced engine does (the default).
    Esent,
    /// What the documentation pages say, where the two differ.
    Documented,
}

impl Profile {
    /// The name used in traces and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Esent => "esent",
            Profile::Documented => "documented",
        }
    }

    /// The profile with this name.
    pub fn from_name(name: &str) -> Option<Profile> {
        [Profile::Esent, Profile::Documented]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One step: a call and what it must return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The call with its arguments.
    pub call: Call,
    /// The expected result.
    pub expect: Expect,
    /// Expected outputs on success; only the keys given are compared.
    pub returns: Option<Returns>,
    /// Free text.
    pub note: Option<String>,
    /// Why the model does not say this step (`beyond_model`): replayed against the model, the
    /// trace is judged up to this step, and the model must find it beyond its abstraction.
    /// The engine ignores it. At most one step of a trace carries it.
    pub beyond_model: Option<String>,
}

/// What a step expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `expect` left out: `JET_errSuccess` for a Jet call, `ok` for a harness action.
    Default,
    /// `"ok"`: a harness action succeeds.
    Ok,
    /// One code, or a list of which any is accepted.
    Codes(Vec<JetErr>),
}

impl Expect {
    /// True when the step may succeed, so its output handles may be bound afterwards.
    pub fn may_succeed(&self) -> bool {
        match self {
            Expect::Default | Expect::Ok => true,
            Expect::Codes(codes) => codes.iter().any(|c| c.is_success()),
        }
    }

    /// Whether `actual` satisfies this expectation of a Jet call.
    pub fn accepts(&self, actual: JetErr) -> bool {
        match self {
            Expect::Default | Expect::Ok => actual == JetErr::Success,
            Expect::Codes(codes) => codes.contains(&actual),
        }
    }
}

/// Expected outputs. Only the keys given are compared; which keys a call may give is in its
/// [`crate::calls::CallSpec::returns`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Returns {
    /// A file list, compared after resolving both sides against the sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
    /// What `pcbActual` reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cb_actual: Option<u64>,
    /// The file size JetOpenFile reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The bytes JetReadFile returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// `ulGenLow` of the `JET_LOGINFO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen_low: Option<u64>,
    /// `ulGenHigh` of the `JET_LOGINFO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen_high: Option<u64>,
    /// `szBaseName` of the `JET_LOGINFO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_name: Option<String>,
    /// How many instances JetGetInstanceInfo reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<u64>,
    /// The instances JetGetInstanceInfo reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<InstanceInfo>>,
    /// The value JetGetSystemParameter reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ParamValue>,
    /// How many parameters JetEnableMultiInstance set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_succeed: Option<u64>,
}

/// One `JET_INSTANCE_INFO` entry in `returns.instances`; only the keys given are compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceInfo {
    /// `hInstanceId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<HandleRef>,
    /// `szInstanceName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// `szDatabaseFileName` of each attached database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databases: Option<Vec<String>>,
}

/// A trace that cannot be read or cannot run, with where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {reason}", file.as_deref().map_or("<trace>".into(), |f| f.display().to_string()))]
pub struct TraceError {
    /// The file, when read from one.
    pub file: Option<PathBuf>,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl TraceError {
    /// An error at `line`.
    pub fn at(line: usize, reason: impl Into<String>) -> TraceError {
        TraceError {
            file: None,
            line,
            reason: reason.into(),
        }
    }

    /// The same error, naming `file`.
    pub fn in_file(mut self, file: &Path) -> TraceError {
        self.file = Some(file.to_path_buf());
        self
    }
}

/// Reads and checks a trace: every structural and semantic problem, each with its line.
pub fn load_trace(text: &str) -> Result<Trace, Vec<TraceError>> {
    let (trace, map) = parse_trace(text).map_err(|e| vec![e])?;
    let problems = check_trace(&trace);
    if problems.is_empty() {
        Ok(trace)
    } else {
        Err(problems
            .into_iter()
            .map(|p| TraceError::at(map.step_line(p.step), p.to_string()))
            .collect())
    }
}

/// Reads and checks the trace file at `path`.
pub fn load_trace_file(path: &Path) -> Result<Trace, Vec<TraceError>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![TraceError::at(1, format!("cannot read: {e}")).in_file(path)])?;
    load_trace(&text).map_err(|errors| errors.into_iter().map(|e| e.in_file(path)).collect())
}
