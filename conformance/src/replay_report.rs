//! `jetspec replay`: every trace file under the given paths replayed on a fresh engine, on the
//! model, or on both, each stopped at its first differing step, summed up as a report (text or
//! JSON).
//!
//! A trace that cannot run (bad JSON, an unknown call, an unbound handle, a path outside the
//! sandbox) is counted `invalid`, never `failed`: it says nothing about the engine. A trace the
//! model cannot read back (a hand-written one that passes paths or handles the model never
//! prints) is counted `unmodelled` when replayed against the model: neither a pass nor a failure.
//! A trace that marks the step where the model's reach ends (`beyond_model`, with the reason)
//! passes when the model agrees up to that step and cannot say it; it fails when the model
//! stops before the mark or reads past it.

use std::path::{Path, PathBuf};

use jetapi::trace::Profile;
use serde::Serialize;

use jetapi::trace::load_trace_file;

use jetapi::trace::{Expect, Step, Trace};
use jetapi::{Call, JetErr};

use crate::model_replay::{ModelVerdict, model_state_after, replay_on_model};
use crate::replay::{
    Backend, Divergence, ReplayOptions, describe_state, replay_file_as, replay_observed,
};
use crate::trace_files::collect_trace_files;

/// What the traces are replayed against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The engine.
    Engine,
    /// The model: the trace read back into the model's actions ([`crate::model_replay`]).
    Model,
    /// Both: a trace passes when it passes on each.
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
    /// What the engine (or the model) did.
    pub actual: String,
    /// Who disagreed: `engine` or `model`.
    pub judge: &'static str,
    /// Against both, when the engine disagreed: what the model and the engine show after the
    /// step (instances allocated and running, the model's database files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states: Option<States>,
}

/// A passing trace the model judged up to a step marked `beyond_model`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JudgedToMark {
    /// The trace file.
    pub file: String,
    /// The 1-based marked step, the first the model does not judge.
    pub step: usize,
    /// The mark's reason.
    pub reason: String,
    /// Why the model's reader, for its part, could not say the step.
    pub model_says: String,
}

/// The two states a failure against both reports, each one line (or why there is none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct States {
    /// What the model's state says can be seen after the step.
    pub model: String,
    /// What the engine shows then.
    pub engine: String,
}

/// The model's and the engine's observable state after the failing step `d` of the trace in
/// `file` (the engine run again to that step, taking the result it gave).
fn states_at(file: &Path, d: &Divergence, backend: Backend, profile: Option<Profile>) -> States {
    let trace = match load_trace_file(file) {
        Ok(trace) => trace,
        Err(errors) => {
            let why = format!("unreadable: {}", errors[0]);
            return States {
                model: why.clone(),
                engine: why,
            };
        }
    };
    match model_state_after(&trace, d.step) {
        Ok(checks) => States {
            model: describe_state(&checks),
            engine: engine_state_after(&trace, d, &checks, backend, profile)
                .unwrap_or_else(|why| why),
        },
        Err(why) => States {
            model: why.clone(),
            engine: format!("not compared ({why})"),
        },
    }
}

/// What the engine shows, for the model's `checks`, after step `d.step` of `trace`, replayed
/// again with that step expecting what the engine gave; a failing check changes nothing, so
/// the engine is looked at after the step before it.
fn engine_state_after(
    trace: &Trace,
    d: &Divergence,
    checks: &[Step],
    backend: Backend,
    profile: Option<Profile>,
) -> Result<String, String> {
    let mut prefix = trace.clone();
    prefix.steps.truncate(d.step);
    let last = prefix.steps.last_mut().ok_or("no step")?;
    let is_check = matches!(
        last.call,
        Call::VerifyInstances { .. } | Call::VerifyFile { .. }
    );
    if is_check {
        prefix.steps.pop();
    } else {
        last.expect = match JetErr::from_name(&d.actual) {
            Some(code) => Expect::Codes(vec![code]),
            None => return Err(format!("not observed: the engine gave {:?}", d.actual)),
        };
        last.returns = None;
    }
    let at = prefix.steps.len();
    if at == 0 {
        return Err("not observed: no step before the check".into());
    }
    let mut seen = None;
    let options = ReplayOptions {
        profile,
        mutant: None,
    };
    let observed = replay_observed(&prefix, backend, &options, &mut |step, o| {
        if step == at {
            let shown: Result<Vec<_>, _> = checks.iter().map(|c| o.shows(c)).collect();
            seen = Some(
                shown
                    .map_err(|e| (String::new(), e))?
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
            );
        }
        Ok(())
    });
    match (observed, seen) {
        (_, Some(shown)) => Ok(describe_state(&shown)),
        (Err(d), None) => Err(format!(
            "not observed: the replay stopped at step {}",
            d.step
        )),
        (Ok(()), None) => Err("not observed: a call was held there".into()),
    }
}

impl From<Divergence> for Failure {
    fn from(d: Divergence) -> Failure {
        Failure {
            file: d.file.map(|p| p.display().to_string()).unwrap_or_default(),
            step: d.step,
            call: d.call,
            expected: d.expected,
            actual: d.actual,
            judge: "engine",
            states: None,
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
    /// Traces the model cannot read back (against the model or both), with the first step it
    /// cannot say.
    pub unmodelled: usize,
    /// Every failed, invalid and unmodelled trace, in file order.
    pub failures: Vec<Failure>,
    /// The passing traces (among `passed`) that the model judged up to a step marked
    /// `beyond_model` (against the model or both), in file order.
    pub beyond_model: Vec<JudgedToMark>,
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

/// Replays `files` against `against` (the engine on `backend`, in `profile` when given, else
/// each trace's own), calling `progress` after each file.
pub fn replay_files(
    files: &[PathBuf],
    against: Against,
    backend: Backend,
    profile: Option<Profile>,
    mut progress: impl FnMut(&Path),
) -> ReplayReport {
    let mut report = ReplayReport {
        traces: files.len(),
        ..ReplayReport::default()
    };
    for file in files {
        let engine = match against {
            Against::Model => Ok(()),
            Against::Engine | Against::Both => replay_file_as(file, backend, profile),
        };
        let model = match (against, &engine) {
            (Against::Engine, _) => ModelVerdict::Pass,
            // A trace that cannot run is reported once, as invalid.
            (_, Err(d)) if d.step == 0 => ModelVerdict::Pass,
            _ => match load_trace_file(file) {
                Ok(trace) => replay_on_model(&trace),
                Err(errors) => ModelVerdict::Fail(Divergence::unreadable(&errors)),
            },
        };
        let with_file = |d: Divergence, judge: &'static str| Failure {
            file: file.display().to_string(),
            judge,
            ..Failure::from(d)
        };
        match (engine, model) {
            (Ok(()), ModelVerdict::Pass) => report.passed += 1,
            (
                Ok(()),
                ModelVerdict::Beyond {
                    step,
                    reason,
                    model_says,
                },
            ) => {
                report.passed += 1;
                report.beyond_model.push(JudgedToMark {
                    file: file.display().to_string(),
                    step,
                    reason,
                    model_says,
                });
            }
            (Err(d), _) if d.step == 0 => {
                report.invalid += 1;
                report.failures.push(with_file(d, "engine"));
            }
            (Err(d), _) => {
                report.failed += 1;
                let states =
                    (against == Against::Both).then(|| states_at(file, &d, backend, profile));
                report.failures.push(Failure {
                    states,
                    ..with_file(d, "engine")
                });
            }
            (Ok(()), ModelVerdict::Fail(d)) => {
                if d.step == 0 {
                    report.invalid += 1;
                } else {
                    report.failed += 1;
                }
                report.failures.push(with_file(d, "model"));
            }
            (Ok(()), ModelVerdict::Unmodelled { step, call, reason }) => {
                report.unmodelled += 1;
                report.failures.push(Failure {
                    file: file.display().to_string(),
                    step,
                    call,
                    expected: "a step the model can say".into(),
                    actual: reason,
                    judge: "model",
                    states: None,
                });
            }
        }
        progress(file);
    }
    report
}

/// Replays `files` on the engine (`backend`; the engine in `profile` when given, else each
/// trace's own), calling `progress` after each file.
pub fn replay_on_engine(
    files: &[PathBuf],
    backend: Backend,
    profile: Option<Profile>,
    progress: impl FnMut(&Path),
) -> ReplayReport {
    replay_files(files, Against::Engine, backend, profile, progress)
}

/// The report as text: one line per failure, then the counts.
pub fn render_text(report: &ReplayReport) -> String {
    let mut out = String::new();
    for f in &report.failures {
        if f.step == 0 {
            out.push_str(&format!("INVALID {}: {}\n", f.file, f.actual));
        } else if f.judge == "model" && f.expected == "a step the model can say" {
            out.push_str(&format!(
                "UNMODELLED {} from step {} ({}): {}\n",
                f.file, f.step, f.call, f.actual
            ));
        } else {
            out.push_str(&format!(
                "FAILED {} step {} ({}): expected {}, got {}{}\n",
                f.file,
                f.step,
                f.call,
                f.expected,
                f.actual,
                if f.judge == "model" { " (model)" } else { "" }
            ));
            if let Some(states) = &f.states {
                out.push_str(&format!(
                    "  then the model shows: {}\n  the engine shows:     {}\n",
                    states.model, states.engine
                ));
            }
        }
    }
    out.push_str(&format!(
        "{} traces: {} passed",
        report.traces, report.passed
    ));
    if !report.beyond_model.is_empty() {
        out.push_str(&format!(
            " ({} judged by the model up to a step marked beyond it)",
            report.beyond_model.len()
        ));
    }
    out.push_str(&format!(
        ", {} failed, {} invalid",
        report.failed, report.invalid
    ));
    if report.unmodelled > 0 {
        out.push_str(&format!(
            ", {} unmodelled\n(a step the model is not meant to say can be marked \
             \"beyond_model\": \"why\"; traces/README.md)",
            report.unmodelled
        ));
    }
    out.push('\n');
    out
}
