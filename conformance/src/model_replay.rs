//! Replaying a trace against the model: the trace is read back into the model's actions and
//! each step's expectation is compared with what the model says the call returns.
//!
//! The model prints traces in one way ([`model::to_trace`]); reading one back is the inverse,
//! found by search rather than by a second, hand-kept parser: from the state reached so far,
//! the action whose printed steps are the trace's next steps is the one taken, among every
//! action the model answers there, including those its search leaves out by symmetry
//! ([`model::generate::reading_actions`]). Printed and
//! traced steps are compared up to the freedoms a hand-written trace takes ([`reading`]):
//!
//! - **names**: handles, instance names and paths are matched through a one-to-one renaming
//!   that keeps kinds, so `@a` may stand for the model's `@i0`, `a/logs/` for `i0/logs/` and
//!   `a.edb` for `i0/db0.edb`, as long as the trace keeps each name for one thing. An output
//!   binds its name anew; a failing call's outputs name nothing; a raw handle other than 0 and
//!   -1 stands for any value that was never a handle, and a file or database handle the trace
//!   was given once for one the model has closed or forgotten; a grbit is its value (any the
//!   trace's next steps pass is tried); a raw handle the engine may have handed out by that
//!   step is no such value; a path is the place it names (`./a//b/` is `a/b/`; a spelling
//!   too long for the engine is a name of its own), paths overlap in the trace only as the
//!   model's do, and a checkpoint or log lies in the directory standing for the model's,
//!   and one directory may be both an instance's system path and its log path; a
//!   JetEnableMultiInstance list giving `JET_paramMaxInstances` answers by the value the trace
//!   wrote before;
//!   a CopyBackupFile is the model's open, reads to the end and close, and the path it writes
//!   is the trace's own, standing for nothing of the model's (a copy overlapping a path of
//!   the model's, or written into the sandbox itself while a path is left at the engine's
//!   default, is not read); a list call's buffer size is no argument; in NoSet mode a JetInit with a NULL pinstance is the
//!   model's with a pointer to a nil handle (both start legacy mode); a database's maximum
//!   size is no argument of the model's; a JetReadFile size is the class of sizes the model's
//!   answers tell apart;
//! - **the model's own settings** (its paths, `JET_paramCreatePathIfNotExist`,
//!   `JET_paramMaxSessions`, `JET_paramMaxInstances`) may be left out or given in another order
//!   next to the call that prints them. A path left out is the engine's default, which
//!   instances then share: the reading stops where a second of them starts. An answer that
//!   rests on a limit left out (or given another value) is no answer, and the reading stops
//!   there. A trace that never names `JET_paramMaxInstances` leaves it unwritten
//!   ([`Spec::max_instances_written`]);
//! - **steps below the model's abstraction** (rows inserted and verified, tables opened,
//!   parameters read back: [`BELOW_THE_MODEL`]) are passed over. The model keeps no rows, so it
//!   judges none of them; the engine judges them all.
//!
//! The checks of what can be seen (`VerifyInstances`, `VerifyFile`) are answered from the
//! model's state. A step's `returns` (file lists, sizes) is not compared: the model keeps no
//! files, and the engine judges them. A step the model cannot say (a parameter it does not keep, a file copied by
//! hand, a third instance) leaves no action to take: the trace is then **unmodelled** from that
//! step on, with the likeliest reason, which is reported as such, not as a failure; a trace
//! that marks that very step `beyond_model` passes, judged up to the mark. The
//! configuration is the one the trace's `source` names ("configuration small"), else
//! `default` with the most log generations the model takes; the profile is the trace's.

use std::collections::BTreeSet;

use jetapi::Call;
use jetapi::args::ArgValue;
use jetapi::grbits::Grbit;
use jetapi::trace::{Profile, Step, Trace};
use model::config::MAX_GEN_LIMIT;
use model::generate::{BEGIN_GRBITS, END_GRBITS, reading_actions};
use model::state::Pending;
use model::to_trace::{open_handle_names, path_to_indexed_trace, state_checks};
use model::{Action, Config, Spec, State};
use serde_json::Value;

use crate::replay::{Divergence, expected_text};

mod reading;

pub use reading::BELOW_THE_MODEL;
use reading::{
    Reading, Renaming, align, below_the_model, expectation_agrees, model_check, model_keeps,
};

/// How a trace fared against the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelVerdict {
    /// Every step was an action of the model (or below its abstraction) and expects what the
    /// model returns.
    Pass,
    /// A step expects something else than the model returns.
    Fail(Divergence),
    /// Every step before this 1-based one, which the trace marks `beyond_model`, was an action
    /// of the model and expects what the model returns; and no action of the model prints as
    /// this one does, as the mark says. A pass, judged as far as the model reaches.
    Beyond {
        /// The marked step.
        step: usize,
        /// The mark's reason.
        reason: String,
        /// Why the reader, for its part, could not say the step.
        model_says: String,
    },
    /// From this 1-based step on, no action of the model prints as the trace does.
    Unmodelled {
        /// The step.
        step: usize,
        /// Its call.
        call: String,
        /// Why the model cannot say it, as far as the reader can tell.
        reason: String,
    },
}

fn name_of(step: &Step) -> String {
    step.call.name().to_string()
}

/// Adds to `candidates` the grbits the generator leaves out where they cannot change the
/// outcome (a refused call is offered with one grbit only), and those `wanted` (the grbits the
/// next steps of the trace pass), so that a trace may pass any.
fn complete_arguments(candidates: &mut Vec<Action>, wanted: &[u32]) {
    let mut more = BTreeSet::new();
    for action in candidates.iter() {
        match *action {
            Action::BeginBackup { target, .. } => {
                more.extend(
                    BEGIN_GRBITS
                        .iter()
                        .map(|&grbit| Action::BeginBackup { target, grbit }),
                );
            }
            Action::EndBackup {
                target,
                grbit: Some(_),
            } => {
                more.extend(END_GRBITS.iter().map(|&g| Action::EndBackup {
                    target,
                    grbit: Some(g),
                }));
            }
            _ => {}
        }
        more.extend(wanted.iter().filter_map(|&g| with_grbit(*action, g)));
    }
    for action in more {
        if !candidates.contains(&action) {
            candidates.push(action);
        }
    }
}

/// `action` with the grbit `grbit`, when it passes one.
fn with_grbit(action: Action, grbit: u32) -> Option<Action> {
    Some(match action {
        Action::BeginBackup { target, .. } => Action::BeginBackup { target, grbit },
        Action::EndBackup {
            target,
            grbit: Some(_),
        } => Action::EndBackup {
            target,
            grbit: Some(grbit),
        },
        Action::Term {
            inst,
            grbit: Some(_),
        } => Action::Term {
            inst,
            grbit: Some(grbit),
        },
        Action::StopService {
            target,
            grbit: Some(_),
        } => Action::StopService {
            target,
            grbit: Some(grbit),
        },
        Action::BackupToDir { target, dir, .. } => Action::BackupToDir { target, dir, grbit },
        _ => return None,
    })
}

/// True when `action` is a commit and the trace inserted rows before it (passed over by the
/// reading): the model's transactions make no updates, but rows inserted inside one would make
/// its commit write to the log.
fn commit_after_rows(action: &Action, read: &[Step]) -> bool {
    matches!(action, Action::CommitTransaction { .. })
        && read.iter().any(|s| s.call.name() == "InsertRecords")
}

/// Candidate paths tried at most, so that a trace that many actions print alike cannot make
/// the search run away.
const BUDGET: usize = 20_000;

/// The search's state: the trace, the spec, and what it found.
struct Reader<'a> {
    spec: Spec,
    steps: &'a [Step],
    tried: usize,
    /// The (state, trace position, reading) already searched from without success.
    failed: BTreeSet<(State, usize, Reading)>,
    /// The furthest a path got, and why it stopped there.
    deepest: (usize, ModelVerdict),
    /// Where a whole reading ends: the model's state, and the renaming it took.
    reached: Option<(State, Renaming)>,
    /// A 0-based step whose expectation the reading ignores (the model answers for itself).
    any_result_at: Option<usize>,
}

impl Reader<'_> {
    /// True when trace step `t` accepts what the model printed, or is the step whose
    /// expectation the reading ignores.
    fn agrees(&self, printed: &Step, t: usize) -> bool {
        self.any_result_at == Some(t) || expectation_agrees(printed, &self.steps[t])
    }

    /// True when the trace from `matched` on holds only steps below the model.
    fn rest_is_below_the_model(&self, matched: usize) -> bool {
        self.steps[matched..].iter().all(below_the_model)
    }

    /// Extends `path` (which reads the first `matched` steps and reaches `state`) to the whole
    /// trace: true when some extension does.
    fn extend(
        &mut self,
        state: &State,
        path: &mut Vec<Action>,
        matched: usize,
        reading: &Reading,
    ) -> bool {
        let steps = self.steps;
        // A check of what can be seen is the model's to answer from the state reached.
        if let Some(step) = steps.get(matched) {
            let mut renaming = reading.renaming.clone();
            match model_check(&self.spec, state, step, &mut renaming) {
                Some(Ok(())) => {
                    let read = Reading {
                        renaming,
                        ..reading.clone()
                    };
                    return self.extend(state, path, matched + 1, &read);
                }
                // The step whose result the reading leaves to the model: a check changes
                // nothing, so the reading goes on whatever it finds.
                Some(Err(_)) if self.any_result_at == Some(matched) => {
                    return self.extend(state, path, matched + 1, reading);
                }
                Some(Err(says)) => {
                    let verdict = ModelVerdict::Fail(Divergence {
                        file: None,
                        step: matched + 1,
                        call: name_of(step),
                        expected: "ok".into(),
                        actual: says,
                    });
                    self.stopped(matched, verdict);
                    return false;
                }
                None => {}
            }
        }
        let (printed, ends) = path_to_indexed_trace(&self.spec, path, "-", "-");
        let end = ends.last().copied().unwrap_or(0);
        // The printer closes a trace whose last call is still held with its Finish.
        if end < printed.steps.len() {
            let mut closed = reading.clone();
            if let Some(a) = align(&printed.steps[end..], steps, matched, &mut closed) {
                if a.pairs
                    .iter()
                    .all(|&(p, t)| self.agrees(&printed.steps[end + p], t))
                    && self.rest_is_below_the_model(a.end)
                {
                    // Where the trace ends: after the Finish the printer closes with.
                    let finish = match state.pending {
                        Some(Pending::Term { .. }) => Action::FinishTerm,
                        _ => Action::FinishRestore,
                    };
                    let finished = self.spec.step(state, &finish).0;
                    self.reached = Some((finished, closed.renaming));
                    return true;
                }
            }
        } else if self.rest_is_below_the_model(matched) {
            self.reached = Some((state.clone(), reading.renaming.clone()));
            return true;
        }
        self.tried += 1;
        if self.tried > BUDGET {
            return false;
        }
        let key = (state.clone(), matched, reading.clone());
        if !self.failed.insert(key) {
            return false;
        }
        // The calls the next few steps make (an action may print settings before its call).
        let next_steps = || {
            steps[matched..]
                .iter()
                .filter(|s| !below_the_model(s))
                .take(8)
        };
        let upcoming: Vec<&str> = next_steps().map(|s| s.call.name()).collect();
        let grbits: Vec<u32> = next_steps()
            .filter_map(|s| Grbit::from_json(&s.call.arg("grbit")?.to_json()).ok())
            .map(|g| g.value())
            .collect();
        let mut candidates = Vec::with_capacity(256);
        reading_actions(&self.spec, state, &mut candidates);
        complete_arguments(&mut candidates, &grbits);
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
            let from = ends.len().checked_sub(2).map_or(0, |k| ends[k]);
            let to = ends.last().copied().unwrap_or(0);
            let mut read = reading.clone();
            read.renaming.open = open_handle_names(state);
            read.renaming.no_set = state.mode == model::state::RunMode::NoSet;
            let aligned = (to > from)
                .then(|| align(&printed.steps[from..to], steps, matched, &mut read))
                .flatten()
                .filter(|a| !commit_after_rows(action, &steps[..a.end]));
            if let Some(a) = aligned {
                let disagreeing = a
                    .pairs
                    .iter()
                    .find(|&&(p, t)| !self.agrees(&printed.steps[from + p], t));
                // An answer that rests on a limit the trace did not set is no answer: the
                // reading stops there. A JetInit that succeeds where the trace's paths were
                // not created on demand is the model's where an earlier JetInit of the slot
                // made them: its storage has a log.
                let resting = read.answer_rests_on_unset_limit(action.function(), outcome.code);
                let started = matches!(action, Action::Init { .. }) && outcome.code.is_success();
                let created_before = || {
                    next.as_ref().is_some_and(|next| {
                        (0..next.instances.len()).all(|i| {
                            next.instances[i].life != model::state::Life::Initialized
                                || state.instances[i].life == model::state::Life::Initialized
                                || state.instances[i].storage.current != 0
                        })
                    })
                };
                let unusable = resting.is_some_and(|limit| {
                    disagreeing.is_some()
                        || limit != "JET_paramCreatePathIfNotExist"
                        || !created_before()
                }) || (started && !read.start_at_default_paths());
                match disagreeing {
                    _ if unusable => {}
                    None => {
                        let reached = next.unwrap_or_else(|| state.clone());
                        if self.extend(&reached, path, a.end, &read) {
                            return true;
                        }
                    }
                    Some(&(p, t)) => self.stopped(
                        t,
                        ModelVerdict::Fail(Divergence {
                            file: None,
                            step: t + 1,
                            call: name_of(&steps[t]),
                            expected: expected_text(&steps[t].expect),
                            actual: expected_text(&printed.steps[from + p].expect),
                        }),
                    ),
                }
            }
            path.pop();
        }
        self.stopped(matched, unmodelled(steps, matched));
        false
    }

    /// Notes that a reading stopped after `read` steps with `verdict`. The reading that got
    /// furthest is the one reported, a failure before an unmodelled step at the same place: a
    /// failure that another reading of the same steps gets past is not the model's answer.
    fn stopped(&mut self, read: usize, verdict: ModelVerdict) {
        let fail = matches!(verdict, ModelVerdict::Fail(_));
        let was_fail = matches!(self.deepest.1, ModelVerdict::Fail(_));
        if read > self.deepest.0 || (read == self.deepest.0 && fail && !was_fail) {
            self.deepest = (read, verdict);
        }
    }
}

/// The verdict for a reading that cannot go past `steps[at]`, with the likeliest reason.
fn unmodelled(steps: &[Step], at: usize) -> ModelVerdict {
    // The steps below the model that a reading passes over are not where it stopped.
    let at = (at..steps.len())
        .find(|&i| !below_the_model(&steps[i]))
        .unwrap_or(steps.len());
    let Some(step) = steps.get(at) else {
        return ModelVerdict::Unmodelled {
            step: at + 1,
            call: "-".into(),
            reason: "the trace ends while the model still holds a call".into(),
        };
    };
    let param = match &step.call {
        Call::SetSystemParameter { .. } => step.call.arg("param").map(|p| p.to_json()),
        _ => None,
    };
    let reason = match param {
        Some(Value::String(param)) if !model_keeps(&param) => {
            format!("the model keeps no {param}")
        }
        _ if step.call.name() == "InsertRecords" => {
            "a failing insert, which may have changed what the model keeps".into()
        }
        _ if step.call.name() == "JetCommitTransaction" => {
            "a commit after rows inserted, which the model does not keep, writes to the log".into()
        }
        _ if step.call.spec().is_harness() => format!(
            "no action of the model prints as this {} here: the model edits files, injects \
             faults and holds calls only as its own environment moves",
            step.call.name()
        ),
        _ => "no action of the model, from the state the steps before reach, prints as this \
              step (its arguments, or a handle, limit or path it does not keep)"
            .into(),
    };
    ModelVerdict::Unmodelled {
        step: at + 1,
        call: name_of(step),
        reason,
    }
}

/// The configuration a trace's `source` names, else the default one.
///
/// A trace that names none (a hand-written one) is read in the default configuration with
/// the most log generations the model takes ([`MAX_GEN_LIMIT`]): such a trace lowers no
/// generation limit, so the engine's last generation is far away, and the bound of the default
/// configuration would end the reading at its third generation.
fn config_of(trace: &Trace) -> Config {
    trace
        .source
        .as_deref()
        .and_then(|s| s.split("configuration ").nth(1))
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(Config::by_name)
        .unwrap_or(Config {
            max_gen: MAX_GEN_LIMIT,
            ..Config::DEFAULT
        })
}

/// Reads `trace` into the model (ignoring the expectation of step `any_result_at`, 0-based):
/// the state it reaches and the renaming the reading took, or why it cannot.
fn read(
    trace: &Trace,
    any_result_at: Option<usize>,
) -> Result<(Spec, State, Renaming), ModelVerdict> {
    // A trace that never names JET_paramMaxInstances (set, or listed for
    // JetEnableMultiInstance) leaves it at its default. One that names it anywhere is taken to
    // have written it first, as the model's traces do; where it did not, the answers that rest
    // on it stop the reading (`reading::MODEL_LIMITS`).
    let writes_max_instances = trace.steps.iter().any(reading::names_max_instances);
    let spec = Spec {
        max_instances_written: writes_max_instances,
        ..Spec::with_profile(config_of(trace), trace.profile.unwrap_or(Profile::Esent))
    };
    let mut reader = Reader {
        spec,
        steps: &trace.steps,
        tried: 0,
        failed: BTreeSet::new(),
        deepest: (0, unmodelled(&trace.steps, 0)),
        reached: None,
        any_result_at,
    };
    let mut path = Vec::new();
    if reader.extend(&State::INITIAL, &mut path, 0, &Reading::default()) {
        let (state, renaming) = reader
            .reached
            .expect("a whole reading records where it ends");
        Ok((spec, state, renaming))
    } else {
        Err(reader.deepest.1)
    }
}

/// Replays `trace` against the model: a path of the model's actions that prints as the trace
/// (up to the freedoms in the module docs) and returns what it expects, found by depth-first
/// search (several actions can print alike).
///
/// A trace with a step marked `beyond_model` passes when the model agrees with every step
/// before it and cannot say that one; it fails when the model stops earlier or reads past the
/// mark, so that a mark always says exactly how far the model reaches.
pub fn replay_on_model(trace: &Trace) -> ModelVerdict {
    let verdict = match read(trace, None) {
        Ok(_) => ModelVerdict::Pass,
        Err(verdict) => verdict,
    };
    let Some(index) = trace.steps.iter().position(|s| s.beyond_model.is_some()) else {
        return verdict;
    };
    let marked = index + 1;
    let expected = format!("the model to read up to step {marked}, marked beyond it");
    let mark = |step: usize, call: String, actual: String| {
        ModelVerdict::Fail(Divergence {
            file: None,
            step,
            call,
            expected: expected.clone(),
            actual,
        })
    };
    let marked_call = name_of(&trace.steps[index]);
    match verdict {
        ModelVerdict::Unmodelled { step, reason, .. } if step == marked => ModelVerdict::Beyond {
            step,
            reason: trace.steps[index].beyond_model.clone().unwrap_or_default(),
            model_says: reason,
        },
        ModelVerdict::Unmodelled { step, call, reason } if step < marked => {
            mark(step, call, format!("it cannot say step {step}: {reason}"))
        }
        ModelVerdict::Unmodelled { step, reason, .. } => mark(
            marked,
            marked_call,
            format!("it reads on to step {step}, which it cannot say ({reason}): move the mark"),
        ),
        ModelVerdict::Pass => mark(
            marked,
            marked_call,
            "it reads the whole trace: drop the mark".into(),
        ),
        fail => fail,
    }
}

/// What the model says can be seen after the first `steps` steps of `trace`, read as far as
/// that with the model's own answer to the last of them: the checks [`state_checks`] prints,
/// in the trace's own names where it used them (VerifyInstances, then a VerifyFile per
/// database file). `Err` says why there is no such state: the model cannot read that far, or
/// holds a call there.
pub fn model_state_after(trace: &Trace, steps: usize) -> Result<Vec<Step>, String> {
    let steps = steps.min(trace.steps.len());
    let prefix = Trace {
        steps: trace.steps[..steps].to_vec(),
        ..trace.clone()
    };
    let (spec, state, renaming) =
        read(&prefix, steps.checked_sub(1)).map_err(|verdict| match verdict {
            ModelVerdict::Fail(d) => format!("the model disagrees earlier, at step {}", d.step),
            ModelVerdict::Unmodelled { step, reason, .. } => {
                format!("the model cannot read step {step}: {reason}")
            }
            ModelVerdict::Pass | ModelVerdict::Beyond { .. } => {
                unreachable!("a failed reading has a verdict, and read knows no marks")
            }
        })?;
    let mut checks = state_checks(&spec, &state);
    if checks.is_empty() {
        return Err("the model holds a call or plays a probe there".into());
    }
    for check in &mut checks {
        if let Call::VerifyFile { path: Some(p), .. } = &mut check.call {
            if let Some(traced) = renaming.printed.get(&p.0) {
                p.0.clone_from(traced);
            }
        }
    }
    Ok(checks)
}
