//! Replaying a trace against the model: the trace is read back into the model's actions and
//! each step's expectation is compared with what the model says the call returns.
//!
//! The model prints traces in one way ([`model::to_trace`]); reading one back is the inverse,
//! found by search rather than by a second, hand-kept parser: from the state reached so far,
//! the action whose printed steps are the trace's next steps is the one taken. Arguments the
//! model cannot say (a path, handle name or value it never prints) leave no action to take:
//! the trace is then **unmodelled** from that step on, which is reported as such, not as a
//! failure. The configuration is the one the trace's `source` names ("configuration small"),
//! else `default`; the profile is the trace's.

use jetapi::args::ParamRef;
use jetapi::trace::{Expect, Profile, Step, Trace};
use jetapi::{Call, JetErr};
use model::generate::{Mode, actions};
use model::to_trace::path_to_indexed_trace;
use model::{Action, Config, Spec, State};

use crate::replay::{Divergence, expected_text};

/// How a trace fared against the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelVerdict {
    /// Every step was an action of the model and expects what the model returns.
    Pass,
    /// A step expects something else than the model returns.
    Fail(Divergence),
    /// From this 1-based step on, no action of the model prints as the trace does.
    Unmodelled {
        /// The step.
        step: usize,
        /// Its call.
        call: String,
    },
}

/// The configuration a trace's `source` names, else the default one.
fn config_of(trace: &Trace) -> Config {
    trace
        .source
        .as_deref()
        .and_then(|s| s.split("configuration ").nth(1))
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(Config::by_name)
        .unwrap_or(Config::DEFAULT)
}

/// Two calls are the same step if they are equal, except that the number of sessions an
/// instance is given depends on the whole path (a second session anywhere asks for two).
fn same_call(printed: &Call, traced: &Call) -> bool {
    let sessions = |c: &Call| match c {
        Call::SetSystemParameter {
            param: Some(ParamRef::Name(n)),
            instance,
            ..
        } if n == "JET_paramMaxSessions" => Some(instance.clone()),
        _ => None,
    };
    printed == traced || (sessions(printed).is_some() && sessions(printed) == sessions(traced))
}

fn expected_code(step: &Step) -> Option<JetErr> {
    match &step.expect {
        Expect::Default => Some(JetErr::Success),
        Expect::Codes(codes) if codes.len() == 1 => Some(codes[0]),
        _ => None,
    }
}

fn name_of(step: &Step) -> String {
    step.call.name().to_string()
}

/// Candidate paths tried at most, so that a trace that many actions print alike cannot make
/// the search run away.
const BUDGET: usize = 20_000;

/// The search's state: the trace, the spec, and what it found.
struct Reader<'a> {
    spec: Spec,
    steps: &'a [Step],
    tried: usize,
    /// The furthest a path got, and why it stopped there.
    deepest: (usize, ModelVerdict),
}

impl Reader<'_> {
    /// Extends `path` (which prints as the first `matched` steps and reaches `state`) to the
    /// whole trace: true when some extension does.
    fn extend(&mut self, state: &State, path: &mut Vec<Action>, matched: usize) -> bool {
        let steps = self.steps;
        if matched == steps.len() {
            return true;
        }
        // The printer closes a trace whose last call is still held with its Finish.
        if steps.len() - matched <= 2 {
            let (printed, _) = path_to_indexed_trace(&self.spec, path, "-", "-");
            if printed.steps.len() == steps.len()
                && printed
                    .steps
                    .iter()
                    .zip(steps)
                    .all(|(p, t)| same_call(&p.call, &t.call) && p.expect == t.expect)
            {
                return true;
            }
        }
        self.tried += 1;
        if self.tried > BUDGET {
            return false;
        }
        let mut candidates = Vec::with_capacity(256);
        actions(&self.spec, state, Mode::Probe, &mut candidates);
        // The calls the next few steps make (an action may print settings before its call).
        let upcoming: Vec<&str> = steps[matched..]
            .iter()
            .take(8)
            .map(|s| s.call.name())
            .collect();
        for action in &candidates {
            if let Some(f) = action.function() {
                if !upcoming.contains(&f) {
                    continue;
                }
            }
            let (next, outcome) = self.spec.apply(state, action);
            if action.is_environment() && next.is_none() {
                continue;
            }
            path.push(*action);
            let (printed, ends) = path_to_indexed_trace(&self.spec, path, "-", "-");
            let end = ends.last().copied().unwrap_or(0);
            let prints_alike = end > matched
                && end <= steps.len()
                && printed.steps[matched..end]
                    .iter()
                    .zip(&steps[matched..end])
                    .all(|(p, t)| same_call(&p.call, &t.call));
            if prints_alike {
                let step = &steps[end - 1];
                if expected_code(step) == Some(outcome.code) {
                    let reached = next.unwrap_or_else(|| state.clone());
                    if self.extend(&reached, path, end) {
                        return true;
                    }
                } else if end > self.deepest.0 {
                    self.deepest = (
                        end,
                        ModelVerdict::Fail(Divergence {
                            file: None,
                            step: end,
                            call: name_of(step),
                            expected: expected_text(&step.expect),
                            actual: outcome.code.name().to_string(),
                        }),
                    );
                }
            }
            path.pop();
        }
        if matched >= self.deepest.0 && !matches!(self.deepest.1, ModelVerdict::Fail(_)) {
            self.deepest = (
                matched,
                ModelVerdict::Unmodelled {
                    step: matched + 1,
                    call: name_of(&steps[matched]),
                },
            );
        }
        false
    }
}

/// Replays `trace` against the model: a path of the model's actions that prints as the trace
/// and returns what it expects, found by depth-first search (several actions can print alike).
pub fn replay_on_model(trace: &Trace) -> ModelVerdict {
    let mut reader = Reader {
        spec: Spec {
            profile: trace.profile.unwrap_or(Profile::Esent),
            ..Spec::new(config_of(trace))
        },
        steps: &trace.steps,
        tried: 0,
        deepest: (
            0,
            ModelVerdict::Unmodelled {
                step: 1,
                call: trace.steps.first().map_or("-".into(), name_of),
            },
        ),
    };
    let mut path = Vec::new();
    if reader.extend(&State::INITIAL, &mut path, 0) {
        ModelVerdict::Pass
    } else {
        reader.deepest.1
    }
}
