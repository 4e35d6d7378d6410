//! Replaying a trace against the model: the trace is read back into the model's actions and
//! each step's expectation is compared with what the model says the call returns.
//!
//! The model prints traces in one way ([`model::to_trace`]); reading one back is the inverse,
//! found by search rather than by a second, hand-kept parser: from the state reached so far,
//! the action whose printed steps are the trace's next steps is the one taken. Printed and
//! traced steps are compared up to three freedoms a hand-written trace takes:
//!
//! - **names**: handles, instance names and paths are matched through a one-to-one renaming
//!   ([`Renaming`]), so `@a` may stand for the model's `@i0` and `a/logs/` for `i0/logs/`, as
//!   long as the trace keeps each name for one thing;
//! - **the model's own settings** (its paths, `JET_paramCreatePathIfNotExist`,
//!   `JET_paramMaxSessions`, `JET_paramMaxInstances`) may be left out or given in another order;
//!   a path left out is the engine's default, which no other instance may then also use, and a
//!   limit left out (or given another value) makes the model's "out of sessions" and "too many
//!   instances" answers unusable, since they rest on its own limits;
//! - **steps below the model's abstraction** (rows inserted and verified, tables opened,
//!   parameters read back: [`BELOW_THE_MODEL`]) are passed over. The model keeps no rows, so it
//!   judges none of them; the engine judges them all.
//!
//! A step the model cannot say (a parameter it does not keep, a file copied by hand, a third
//! instance) leaves no action to take: the trace is then **unmodelled** from that step on,
//! which is reported as such, not as a failure. The configuration is the one the trace's
//! `source` names ("configuration small"), else `default`; the profile is the trace's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jetapi::args::ArgValue;
use jetapi::calls::{ParamKind, Role};
use jetapi::grbits::Grbit;
use jetapi::trace::{Expect, Profile, Step, Trace, escapes_sandbox};
use jetapi::{Call, JetErr};
use model::generate::{BEGIN_GRBITS, END_GRBITS, Mode, actions};
use model::state::Pending;
use model::to_trace::{path_to_indexed_trace, state_checks};
use model::{Action, Config, Spec, State};
use serde_json::Value;

use crate::replay::{Divergence, expected_text};

/// How a trace fared against the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelVerdict {
    /// Every step was an action of the model (or below its abstraction) and expects what the
    /// model returns.
    Pass,
    /// A step expects something else than the model returns.
    Fail(Divergence),
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

/// Harness actions and calls about rows, which the model does not keep: it passes them over.
pub const BELOW_THE_MODEL: [&str; 4] = [
    "InsertRecords",
    "VerifyRecords",
    "JetOpenTable",
    "JetGetSystemParameter",
];

/// The settings the printer gives every instance (or the process), which a hand-written trace
/// may leave out.
const MODEL_SETTINGS: [&str; 6] = [
    "JET_paramMaxInstances",
    "JET_paramSystemPath",
    "JET_paramLogFilePath",
    "JET_paramTempPath",
    "JET_paramCreatePathIfNotExist",
    "JET_paramMaxSessions",
];

/// The system parameters the model prints: its own settings and those its actions set.
const KEPT_PARAMS: [&str; 10] = [
    "JET_paramMaxInstances",
    "JET_paramSystemPath",
    "JET_paramLogFilePath",
    "JET_paramTempPath",
    "JET_paramCreatePathIfNotExist",
    "JET_paramMaxSessions",
    "JET_paramCircularLog",
    "JET_paramRecovery",
    "JET_paramOneDatabasePerSession",
    "JET_paramDatabasePageSize",
];

/// The limits among [`MODEL_SETTINGS`], the calls (`None`: any) whose answers rest on each
/// and those answers: the limits themselves; JetEnableMultiInstance's conflict with a
/// `JET_paramMaxInstances` the process has written (jetapi.cxx `JetEnableMultiInstanceEx`;
/// model/src/step/lifecycle.rs); and a JetInit that succeeds because the paths it was given
/// were created (`JET_paramCreatePathIfNotExist`, counted as left out only where the trace
/// gave paths of its own).
const MODEL_LIMITS: [(&str, Option<&str>, &[JetErr]); 3] = [
    ("JET_paramMaxSessions", None, &[JetErr::OutOfSessions]),
    (
        "JET_paramMaxInstances",
        None,
        &[JetErr::TooManyInstances, JetErr::SystemParameterConflict],
    ),
    (
        "JET_paramCreatePathIfNotExist",
        Some("JetInit"),
        &[JetErr::Success],
    ),
];

/// Arguments that name something (a handle, an instance, a file or directory) rather than say
/// a value: these are renamed, everything else must be equal.
const NAMING_ARGS: [&str; 24] = [
    "instance",
    "session",
    "dbid",
    "file",
    "tableid",
    "id",
    "instance_name",
    "display_name",
    "target_instance_name",
    "filename",
    "backup_path",
    "backup_log_path",
    "checkpoint_file_path",
    "log_path",
    "target_instance_checkpoint_path",
    "target_instance_log_path",
    "dest",
    "database_name",
    "new_database_name",
    "path",
    "from",
    "to",
    "table",
    "table_name",
];

/// A one-to-one renaming between the names the model prints and those the trace uses.
#[derive(Clone, Debug, Default)]
struct Renaming {
    printed: BTreeMap<String, String>,
    traced: BTreeMap<String, String>,
}

impl Renaming {
    /// Binds `printed` to `traced`: true when neither is bound to something else.
    fn bind(&mut self, printed: &str, traced: &str) -> bool {
        // A name stands only for one of its kind: a handle for a handle, a directory for a
        // directory, a database for a database (by extension), a log for a log; and a path
        // out of the sandbox, which is refused as such, only for another.
        let kind = |name: &str| {
            let extension = Path::new(name).extension().map(|e| e.to_ascii_lowercase());
            (
                name.starts_with('@'),
                name.ends_with('/'),
                extension,
                escapes_sandbox(name),
            )
        };
        kind(printed) == kind(traced) && self.pair(printed, traced)
    }

    /// Binds `printed` to `traced`, whatever their kinds: true when neither is bound to
    /// something else.
    fn pair(&mut self, printed: &str, traced: &str) -> bool {
        match (self.printed.get(printed), self.traced.get(traced)) {
            (Some(t), Some(p)) => t == traced && p == printed,
            (None, None) => {
                self.printed.insert(printed.into(), traced.into());
                self.traced.insert(traced.into(), printed.into());
                true
            }
            _ => false,
        }
    }

    /// Forgets what `printed` and `traced` were bound to, unless to each other: a call's
    /// output binds its name anew.
    fn rebind(&mut self, printed: &str, traced: &str) {
        if self.printed.get(printed).is_some_and(|t| t == traced) {
            return;
        }
        if let Some(t) = self.printed.remove(printed) {
            self.traced.remove(&t);
        }
        if let Some(p) = self.traced.remove(traced) {
            self.printed.remove(&p);
        }
    }

    /// True when `printed` and `traced` are the same up to this renaming, extended as needed.
    /// `naming` says whether strings here are names.
    fn unify(&mut self, printed: &Value, traced: &Value, naming: bool) -> bool {
        match (printed, traced) {
            (Value::String(p), Value::String(t)) if naming => self.bind(p, t),
            // A raw handle other than 0 and -1 (JET_instanceNil) is a value that was never a
            // handle, whichever it is.
            (Value::Number(p), Value::Number(t)) if naming => {
                let never = |n: &serde_json::Number| n.as_i64().is_none_or(|n| n != 0 && n != -1);
                p == t || (never(p) && never(t))
            }
            (Value::Object(p), Value::Object(t)) => {
                // A path parameter's value is a name; any other value is a value.
                let path_value = p
                    .get("param")
                    .and_then(Value::as_str)
                    .is_some_and(|param| param.ends_with("Path"));
                p.len() == t.len()
                    && p.iter().all(|(key, pv)| {
                        t.get(key).is_some_and(|tv| {
                            let naming = NAMING_ARGS.contains(&key.as_str())
                                || (key == "value" && path_value);
                            self.unify(pv, tv, naming)
                        })
                    })
            }
            (Value::Array(p), Value::Array(t)) => {
                p.len() == t.len() && p.iter().zip(t).all(|(p, t)| self.unify(p, t, naming))
            }
            _ => printed == traced,
        }
    }
}

/// A call with its name, as one JSON object. A grbit is its value (names ORed, as the engine
/// takes it), and one left out is 0.
fn call_json(call: &Call) -> Value {
    let mut args: serde_json::Map<String, Value> = call
        .args_json()
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect();
    if call.spec().param("grbit").is_some() {
        let bits = args
            .get("grbit")
            .and_then(|g| Grbit::from_json(g).ok())
            .map_or(0, |g| g.value());
        args.insert("grbit".into(), Value::from(bits));
    }
    serde_json::json!({"call": call.name(), "args": Value::Object(args)})
}

/// What the reading has assumed so far besides the renaming.
#[derive(Clone, Debug, Default)]
struct Reading {
    renaming: Renaming,
    /// The model's limits the trace left out or set otherwise.
    limits_not_the_models: Vec<&'static str>,
}

impl Reading {
    /// True when `printed` and `traced` are the same call up to the renaming, which it extends.
    fn same_call(&mut self, printed: &Step, traced: &Step) -> bool {
        if printed.call.name() != traced.call.name() {
            return false;
        }
        let mut renaming = self.renaming.clone();
        let (mut p, mut t) = (call_json(&printed.call), call_json(&traced.call));
        // An output names what the call made, anew; a call that fails makes nothing, so its
        // outputs name nothing.
        let outputs = printed
            .call
            .spec()
            .params
            .iter()
            .filter(|param| matches!(param.kind, ParamKind::Handle(_, Role::Binds)));
        for param in outputs {
            let names = (printed.call.arg(param.name), traced.call.arg(param.name));
            if !traced.expect.may_succeed() {
                // Given or left out (a NULL pointer) still matters.
                for call in [&mut p, &mut t] {
                    if let Some(arg) = call.pointer_mut(&format!("/args/{}", param.name)) {
                        *arg = Value::from("<an output of a failing call>");
                    }
                }
            } else if let (Some(p), Some(t)) = names {
                if let (Value::String(p), Value::String(t)) = (p.to_json(), t.to_json()) {
                    renaming.rebind(&p, &t);
                }
            }
        }
        let same = renaming.unify(&p, &t, false);
        if same {
            self.renaming = renaming;
        }
        same
    }

    /// True when `traced` sets what the printed setting `printed` sets (a limit may differ in
    /// value, which is then noted).
    fn same_setting(&mut self, printed: &Step, traced: &Step) -> bool {
        if self.same_call(printed, traced) {
            return true;
        }
        let param = model_setting(printed).unwrap_or_default();
        let Some((limit, ..)) = MODEL_LIMITS.iter().find(|(name, ..)| *name == param) else {
            return false;
        };
        let (mut p, mut t) = (call_json(&printed.call), call_json(&traced.call));
        for args in [&mut p, &mut t] {
            if let Some(args) = args.get_mut("args").and_then(Value::as_object_mut) {
                args.remove("value");
            }
        }
        let mut renaming = self.renaming.clone();
        let same = renaming.unify(&p, &t, false);
        if same {
            self.renaming = renaming;
            self.limits_not_the_models.push(limit);
        }
        same
    }

    /// Records that the trace left the printed setting `printed` out.
    fn left_out(&mut self, printed: &Step, paths_given: bool) -> bool {
        let param = model_setting(printed).unwrap_or_default();
        if let Some((limit, ..)) = MODEL_LIMITS.iter().find(|(name, ..)| *name == param) {
            if param != "JET_paramCreatePathIfNotExist" || paths_given {
                self.limits_not_the_models.push(limit);
            }
            return true;
        }
        match printed.call.arg("value").map(|v| v.to_json()) {
            // The engine's default path, which one instance only may then have.
            Some(Value::String(path)) if param.ends_with("Path") => self
                .renaming
                .pair(&path, &format!("<{param} left at its default>")),
            _ => true,
        }
    }

    /// True when the model's answer `code` rests on a limit the trace did not set as it does.
    fn answer_rests_on_unset_limit(&self, function: Option<&str>, code: JetErr) -> Option<&str> {
        MODEL_LIMITS
            .iter()
            .find(|(limit, calls, codes)| {
                codes.contains(&code)
                    && calls.is_none_or(|c| function.is_some_and(|f| f.starts_with(c)))
                    && self.limits_not_the_models.contains(limit)
            })
            .map(|(limit, ..)| *limit)
    }
}

/// The parameter of a step that sets one of [`MODEL_SETTINGS`].
fn model_setting(step: &Step) -> Option<&'static str> {
    let Call::SetSystemParameter { .. } = step.call else {
        return None;
    };
    let param = step.call.arg("param")?.to_json();
    MODEL_SETTINGS
        .iter()
        .copied()
        .find(|name| param.as_str() == Some(name))
}

/// True for a step below the model that the reading may pass over: any that only reads, and
/// an insert that succeeds (one that fails may have made the instance unavailable, which the
/// model keeps).
fn below_the_model(step: &Step) -> bool {
    match step.call.name() {
        "InsertRecords" => code_of(step).is_none_or(|c| c.contains(&JetErr::Success)),
        name => BELOW_THE_MODEL.contains(&name),
    }
}

/// The result a step expects or prints, as one code (`None` for a harness action's "ok").
fn code_of(step: &Step) -> Option<Vec<JetErr>> {
    match &step.expect {
        Expect::Default if step.call.spec().is_harness() => None,
        Expect::Default => Some(vec![JetErr::Success]),
        Expect::Ok => None,
        Expect::Codes(codes) => Some(codes.clone()),
    }
}

/// True when the trace's expectation accepts what the model printed.
fn expectation_agrees(printed: &Step, traced: &Step) -> bool {
    match (code_of(printed), code_of(traced)) {
        (None, None) => true,
        (Some(p), Some(t)) => p.len() == 1 && t.contains(&p[0]),
        _ => false,
    }
}

fn name_of(step: &Step) -> String {
    step.call.name().to_string()
}

/// What the model says of a check of what can be seen (VerifyInstances, VerifyFile) in `state`:
/// `Ok` when it holds, `Err` with what the model sees when not, `None` when the step is no such
/// check or the model cannot say (a call held, a probe, a file that is none of its databases).
/// A database path the trace has not used yet stands for the model's of the same name.
fn model_check(
    spec: &Spec,
    state: &State,
    step: &Step,
    renaming: &mut Renaming,
) -> Option<Result<(), String>> {
    let checks = state_checks(spec, state);
    let found = match &step.call {
        Call::VerifyInstances {
            allocated,
            running,
            except: _,
        } => checks.iter().find_map(|check| match &check.call {
            Call::VerifyInstances {
                allocated: a,
                running: r,
                ..
            } => Some((
                (a, r) == (allocated, running),
                format!("{a:?} allocated, {r:?} running"),
            )),
            _ => None,
        })?,
        Call::VerifyFile {
            path: Some(traced),
            exists,
        } => {
            let bound = renaming.traced.get(&traced.0).cloned();
            let printed = match bound {
                Some(printed) => printed,
                None if renaming.bind(&traced.0, &traced.0) => traced.0.clone(),
                None => return None,
            };
            checks.iter().find_map(|check| match &check.call {
                Call::VerifyFile {
                    path: Some(p),
                    exists: e,
                } if p.0 == printed => Some((
                    e == exists,
                    format!(
                        "{printed} {}",
                        if *e == Some(true) {
                            "present"
                        } else {
                            "absent"
                        }
                    ),
                )),
                _ => None,
            })?
        }
        _ => return None,
    };
    let expected = matches!(step.expect, Expect::Default | Expect::Ok);
    Some(if found.0 == expected {
        Ok(())
    } else {
        Err(format!("the model's state: {}", found.1))
    })
}

/// How an action's printed steps line up with the trace's.
struct Alignment {
    /// The trace position after the last step used.
    end: usize,
    /// (printed step, trace step) for every printed step the trace makes as printed.
    pairs: Vec<(usize, usize)>,
}

/// Lines `printed` (one action's steps) up with the trace from `from`: every printed step that
/// is not one of the model's settings must come, in order; settings may come anywhere among
/// them or be left out; steps below the model are passed over.
fn align(
    printed: &[Step],
    steps: &[Step],
    from: usize,
    reading: &mut Reading,
) -> Option<Alignment> {
    let mut settings: Vec<usize> = (0..printed.len())
        .filter(|&i| model_setting(&printed[i]).is_some())
        .collect();
    let mut pairs = Vec::new();
    let mut t = from;
    let take_setting = |t: usize, settings: &mut Vec<usize>, reading: &mut Reading| {
        let k = settings
            .iter()
            .position(|&i| reading.same_setting(&printed[i], &steps[t]))?;
        Some(settings.remove(k))
    };
    for (i, p) in printed.iter().enumerate() {
        if model_setting(p).is_some() {
            continue;
        }
        loop {
            let traced = steps.get(t)?;
            if reading.same_call(p, traced) {
                pairs.push((i, t));
                t += 1;
                break;
            }
            if take_setting(t, &mut settings, reading).is_some() || below_the_model(traced) {
                t += 1;
                continue;
            }
            return None;
        }
    }
    while t < steps.len() && take_setting(t, &mut settings, reading).is_some() {
        t += 1;
    }
    let paths_given = (0..printed.len()).any(|i| {
        !settings.contains(&i) && model_setting(&printed[i]).is_some_and(|p| p.ends_with("Path"))
    });
    for i in settings {
        if !reading.left_out(&printed[i], paths_given) {
            return None;
        }
    }
    Some(Alignment { end: t, pairs })
}

/// Adds to `candidates` the grbits the generator leaves out where they cannot change the
/// outcome (a refused call is offered with one grbit only), so that a trace may pass any.
fn complete_arguments(candidates: &mut Vec<Action>) {
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
    }
    for action in more {
        if !candidates.contains(&action) {
            candidates.push(action);
        }
    }
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
    failed: BTreeSet<(State, usize, String)>,
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
        let key = (state.clone(), matched, format!("{reading:?}"));
        if !self.failed.insert(key) {
            return false;
        }
        let mut candidates = Vec::with_capacity(256);
        actions(&self.spec, state, Mode::Probe, &mut candidates);
        complete_arguments(&mut candidates);
        // The calls the next few steps make (an action may print settings before its call).
        let upcoming: Vec<&str> = steps[matched..]
            .iter()
            .filter(|s| !below_the_model(s))
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
            let from = ends.len().checked_sub(2).map_or(0, |k| ends[k]);
            let to = ends.last().copied().unwrap_or(0);
            let mut read = reading.clone();
            let aligned = (to > from)
                .then(|| align(&printed.steps[from..to], steps, matched, &mut read))
                .flatten();
            if let Some(a) = aligned {
                let disagreeing = a
                    .pairs
                    .iter()
                    .find(|&&(p, t)| !self.agrees(&printed.steps[from + p], t));
                // An answer that rests on a limit the trace did not set is no answer: the
                // reading stops there. A JetInit that succeeds where the trace's paths were
                // not created on demand shows they existed, which is all the model assumed.
                let resting = read.answer_rests_on_unset_limit(action.function(), outcome.code);
                let unusable = resting.is_some_and(|limit| {
                    disagreeing.is_some() || limit != "JET_paramCreatePathIfNotExist"
                });
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
        Some(Value::String(param)) if !KEPT_PARAMS.contains(&param.as_str()) => {
            format!("the model keeps no {param}")
        }
        _ if BELOW_THE_MODEL.contains(&step.call.name()) => {
            "a failing insert, which may have changed what the model keeps".into()
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
fn config_of(trace: &Trace) -> Config {
    trace
        .source
        .as_deref()
        .and_then(|s| s.split("configuration ").nth(1))
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(Config::by_name)
        .unwrap_or(Config::DEFAULT)
}

/// Reads `trace` into the model (ignoring the expectation of step `any_result_at`, 0-based):
/// the state it reaches and the renaming the reading took, or why it cannot.
fn read(
    trace: &Trace,
    any_result_at: Option<usize>,
) -> Result<(Spec, State, Renaming), ModelVerdict> {
    let spec = Spec {
        profile: trace.profile.unwrap_or(Profile::Esent),
        ..Spec::new(config_of(trace))
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
pub fn replay_on_model(trace: &Trace) -> ModelVerdict {
    match read(trace, None) {
        Ok(_) => ModelVerdict::Pass,
        Err(verdict) => verdict,
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
            ModelVerdict::Pass => unreachable!("a failed reading has a verdict"),
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

/// The checks of [`model_state_after`] as one line: "1 allocated, 0 running; a/x.edb present".
pub fn describe_state(checks: &[Step]) -> String {
    let mut parts = Vec::new();
    let mut files = Vec::new();
    for check in checks {
        match &check.call {
            Call::VerifyInstances {
                allocated: Some(a),
                running: Some(r),
                ..
            } => parts.push(format!("{a} allocated, {r} running")),
            Call::VerifyFile {
                path: Some(p),
                exists: Some(e),
            } => files.push(format!("{} {}", p.0, if *e { "present" } else { "absent" })),
            _ => {}
        }
    }
    parts.extend(files);
    parts.join("; ")
}
