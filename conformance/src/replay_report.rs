//! `jetspec replay`: every trace file under the given paths replayed on a fresh engine, each
//! stopped at its first differing step, summed up as a report (text or JSON).
//!
//! A trace that cannot run (bad JSON, an unknown call, an unbound handle, a path outside the
//! sandbox) is counted `invalid`, never `failed`: it says nothing about the engine.

use std::path::{Path, PathBuf};

use jetapi::trace::Profile;
use serde::Serialize;

use crate::replay::{Backend, Divergence, replay_file_as};
use crate::trace_files::collect_trace_files;

/// What the traces are replayed against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The engine (built).
    Engine,
    /// The model (not built yet: it needs the trace read back into the model's actions).
    Model,
    /// Both, side by side (not built yet).
    Both,
}

impl Against {
    /// Reads `engine`, `model` or `both`.
    pub fn parse(text: &str) -> Result<Against, String> {
        match text {
            "engine" => Ok(Against::Engine),
            "model" => Ok(Against::Model),
            "both" => Ok(Against::Both),
            other => Err(format!(
                "unknown --against {other:?}: expected engine, model or both"
            )),
        }
    }
}

/// One trace that did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The trace file.
    pub file: String,
    /// The 1-based step that differed; 0 for a trace that cannot run.
    pub step: usize,
    /// The call of that step.
    pub call: String,
    /// What the trace expects.
    pub expected: String,
    /// What the engine did.
    pub actual: String,
}

impl From<Divergence> for Failure {
    fn from(d: Divergence) -> Failure {
        Failure {
            file: d.file.map(|p| p.display().to_string()).unwrap_or_default(),
            step: d.step,
            call: d.call,
            expected: d.expected,
            actual: d.actual,
        }
    }
}

/// The summary of a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Trace files found.
    pub traces: usize,
    /// Traces whose every step gave what it expects.
    pub passed: usize,
    /// Traces with a step that differed.
    pub failed: usize,
    /// Traces that cannot run.
    pub invalid: usize,
    /// Every failed and invalid trace, in file order.
    pub failures: Vec<Failure>,
}

impl ReplayReport {
    /// True when every trace passed.
    pub fn all_passed(&self) -> bool {
        self.passed == self.traces
    }
}

/// The trace files under `paths`, in a deterministic order.
pub fn trace_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let files = collect_trace_files(paths).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err(format!(
            "no trace files (*.json) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(files)
}

/// Replays `files` on the engine (`backend`; the engine in `profile` when given, else each
/// trace's own), calling `progress` after each file.
pub fn replay_on_engine(
    files: &[PathBuf],
    backend: Backend,
    profile: Option<Profile>,
    mut progress: impl FnMut(&Path),
) -> ReplayReport {
    let mut report = ReplayReport {
        traces: files.len(),
        ..ReplayReport::default()
    };
    for file in files {
        match replay_file_as(file, backend, profile) {
            Ok(()) => report.passed += 1,
            Err(d) => {
                if d.step == 0 {
                    report.invalid += 1;
                } else {
                    report.failed += 1;
                }
                report.failures.push(d.into());
            }
        }
        progress(file);
    }
    report
}

/// The report as text: one line per failure, then the counts.
pub fn render_text(report: &ReplayReport) -> String {
    let mut out = String::new();
    for f in &report.failures {
        if f.step == 0 {
            out.push_str(&format!("INVALID {}: {}\n", f.file, f.actual));
        } else {
            out.push_str(&format!(
                "FAILED {} step {} ({}): expected {}, got {}\n",
                f.file, f.step, f.call, f.expected, f.actual
            ));
        }
    }
    out.push_str(&format!(
        "{} traces: {} passed, {} failed, {} invalid\n",
        report.traces, report.passed, report.failed, report.invalid
    ));
    out
}
