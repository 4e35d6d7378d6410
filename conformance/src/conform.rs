//! `jetspec conform`: the model and the engine in lockstep over the model's state graph.
//!
//! The model's graph is explored breadth-first with every call, valid or not ([`Mode::Probe`]).
//! Each edge is labelled by its call with its arguments, the code the model returns and the
//! check that decided it; an **edge class** is one such label, and its representative is the
//! first (hence shallowest) edge that carries it. Every class is executed on the engine: in
//! tours, each a fresh engine that walks the shortest path to a state and then takes, in one
//! run, every class that leaves that state unchanged (refusals) and one class that moves on,
//! continuing from where it lands; a start is toured again while it has classes left. Each
//! step's code is compared with the model's, and after each action the observable state: the
//! instances allocated and running, and which database files exist.
//!
//! Why classes and not every edge: the default configuration has billions of edges with every
//! call tried (this command's report counts them), which no engine replays in minutes; two
//! edges with one label differ only in parts of the state that neither the call's arguments
//! nor its deciding check look at. Classes are what this command promises to cover, and it
//! says so in its report.
//!
//! A disagreement is minimised (steps deleted while the engine still disagrees on the same
//! call in the same way, each candidate re-predicted by the model) and written as a trace to
//! `--out` (`traces/regressions/` by default).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use engine::Mutant;
use jetapi::JetErr;
use jetapi::trace::{Profile, Trace, print_trace};
use model::edges::{ClassKey, Graph, Landing, explore};
use model::generate::{Mode, actions};
use model::to_trace::{path_to_indexed_trace, state_checks};
use model::{Action, Config, Spec, State};
use serde::Serialize;

use crate::replay::{
    Backend, Divergence, Observed, ReplayOptions, StepResult, describe_state, replay_observed,
};
use crate::trace_files::write_atomically;
use crate::witnesses::snake;

/// Which share of the classes a run takes: classes `index`, `index + count`, ... in key order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// 0-based.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// The whole graph.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (1-based `I`, as a user counts CI machines).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard takes I/N with 1 <= I <= N (for example 2/4), not {text:?}");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i: usize = i.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Shard {
            index: i - 1,
            count: n,
        })
    }
}

/// A walk on one fresh engine: the actions, and which of them are the classes it covers.
#[derive(Clone, Debug)]
struct Tour {
    actions: Vec<Action>,
    /// (index into `actions`, class).
    classes: Vec<(usize, ClassKey)>,
}

/// The longest tour; a longer walk gains little and makes a failure's report harder to read.
const TOUR_MAX: usize = 400;

/// Tours covering `wanted`: from each state with wanted classes (in breadth-first order), the
/// shortest path to it, its refusals, then one moving class, continuing from where it lands.
fn plan_tours(graph: &Graph, wanted: &BTreeSet<ClassKey>) -> Vec<Tour> {
    let mut at_state: BTreeMap<u32, Vec<ClassKey>> = BTreeMap::new();
    for key in wanted {
        at_state
            .entry(graph.representative(key).from)
            .or_default()
            .push(*key);
    }
    let mut left = wanted.clone();
    let mut tours = Vec::new();
    let starts: Vec<u32> = at_state.keys().copied().collect();
    // A tour takes every class at its start that stays there and one that moves on, so a
    // start is toured again while it has classes left.
    for start in starts {
        while at_state[&start].iter().any(|k| left.contains(k)) {
            tours.push(tour_from(graph, &at_state, &mut left, start));
        }
    }
    tours
}

/// One tour from `start`: the path there, then at each state every class of `left` that stays
/// there and one that moves on, until the tour is long or no class moves on. It takes at
/// least one class of `start`.
fn tour_from(
    graph: &Graph,
    at_state: &BTreeMap<u32, Vec<ClassKey>>,
    left: &mut BTreeSet<ClassKey>,
    start: u32,
) -> Tour {
    let mut tour = Tour {
        actions: graph.path_to(start),
        classes: Vec::new(),
    };
    let mut here = start;
    loop {
        let mut onward = None;
        for key in at_state.get(&here).into_iter().flatten() {
            if !left.contains(key) {
                continue;
            }
            match graph.representative(key).to {
                Landing::Unchanged => {
                    left.remove(key);
                    tour.classes.push((tour.actions.len(), *key));
                    tour.actions.push(key.0);
                }
                to => {
                    onward.get_or_insert((*key, to));
                }
            }
        }
        let Some((key, to)) = onward else { break };
        left.remove(&key);
        tour.classes.push((tour.actions.len(), key));
        tour.actions.push(key.0);
        let Landing::At(to) = to else { break };
        if tour.actions.len() >= TOUR_MAX {
            break;
        }
        here = to;
    }
    tour
}

/// The engine disagreed with the model.
#[derive(Clone, Debug, Serialize)]
pub struct Disagreement {
    /// The call (or harness action) that differed.
    pub call: String,
    /// What the model predicts.
    pub expected: String,
    /// What the engine did.
    pub actual: String,
    /// The minimised trace, when written.
    pub trace: Option<PathBuf>,
    /// Steps of the minimised trace.
    pub steps: usize,
    /// The model's actions, when no trace was written (to reproduce it from the model).
    pub actions: Option<Vec<String>>,
}

/// What a conform run did.
#[derive(Clone, Debug, Serialize)]
pub struct ConformReport {
    /// The configuration.
    pub config: &'static str,
    /// The profile.
    pub profile: &'static str,
    /// `sim` or `os`.
    pub vfs: &'static str,
    /// This run's share, 1-based as given (`1/1` for all).
    pub shard: String,
    /// Unique states of the model's graph (every call tried).
    pub model_states: usize,
    /// Edges of that graph, self-loops included.
    pub model_edges: u64,
    /// Edge classes (call with arguments, code, deciding check) in this shard.
    pub edges_total: usize,
    /// Classes executed on the engine with the model's result.
    pub edges_covered: usize,
    /// Distinct disagreements (call, expected, actual).
    pub disagreements: usize,
    /// Classes not reached because an earlier step of every tour to them disagreed.
    pub blocked: usize,
    /// Tours run (fresh engines).
    pub tours: usize,
    /// Steps replayed on the engine (calls and harness actions).
    pub engine_calls: u64,
    /// Seconds exploring the model.
    pub model_seconds: f64,
    /// Seconds on the engine, minimising included.
    pub engine_seconds: f64,
    /// Seconds in all.
    pub seconds: f64,
    /// Engine steps per second of engine time.
    pub calls_per_sec: f64,
    /// The disagreements, minimised.
    pub regressions: Vec<Disagreement>,
    /// Classes not covered, named (at most 50).
    pub uncovered: Vec<String>,
    /// The checks of the model (a function and the check that decided its result) that decide
    /// at least one of this share's classes.
    pub checks_total: usize,
    /// Those the engine confirmed: at least one class they decide ran with the model's result.
    pub checks_confirmed: usize,
    /// The checks never confirmed, named (`function: check`), every one.
    pub unconfirmed_checks: Vec<String>,
}

/// The (function, deciding check) pairs of `classes`; the environment's moves are no check.
fn checks_of<'a>(
    classes: impl Iterator<Item = &'a ClassKey>,
) -> BTreeSet<(&'static str, &'static str)> {
    classes
        .filter_map(|(action, _, rule)| Some((action.function()?, *rule)))
        .collect()
}

/// What to run.
#[derive(Clone, Debug)]
pub struct ConformOptions {
    /// The configuration.
    pub config: Config,
    /// The profile.
    pub profile: Profile,
    /// The file system.
    pub backend: Backend,
    /// This run's share.
    pub shard: Shard,
    /// Where minimised disagreements go; `None` writes nothing.
    pub out: Option<PathBuf>,
    /// Threads replaying tours.
    pub threads: usize,
}

/// Progress of a run.
#[derive(Clone, Copy, Debug)]
pub enum ConformProgress {
    /// States of the model found so far.
    Exploring(usize),
    /// Tours planned; the engine phase starts.
    Planned {
        /// Tours in this round.
        tours: usize,
        /// Classes they cover.
        classes: usize,
    },
    /// A tour finished.
    Toured,
}

/// How one tour went.
struct TourResult {
    /// Classes executed with the model's result.
    agreed: Vec<ClassKey>,
    /// The class (or path step) that differed, with the replay's report and the actions up
    /// to and including it.
    failed: Option<(Divergence, Vec<Action>)>,
    /// Classes after the failure.
    blocked: Vec<ClassKey>,
    steps: u64,
}

fn run_tour(spec: &Spec, backend: Backend, mutant: Option<Mutant>, tour: &Tour) -> TourResult {
    let (trace, ends, result) = judge(spec, backend, mutant, &tour.actions);
    match result {
        Ok(()) => TourResult {
            agreed: tour.classes.iter().map(|(_, k)| *k).collect(),
            failed: None,
            blocked: Vec::new(),
            steps: trace.steps.len() as u64,
        },
        Err(divergence) => {
            let at = action_at(&ends, divergence.step, tour.actions.len());
            let (agreed, rest): (Vec<_>, Vec<_>) =
                tour.classes.iter().copied().partition(|(i, _)| *i < at);
            TourResult {
                agreed: agreed.into_iter().map(|(_, k)| k).collect(),
                blocked: rest
                    .into_iter()
                    .filter(|(i, _)| *i > at)
                    .map(|(_, k)| k)
                    .collect(),
                steps: divergence.step as u64,
                failed: Some((divergence, tour.actions[..=at].to_vec())),
            }
        }
    }
}

/// `actions` printed as a trace and replayed on a fresh engine making the mistake `mutant`
/// (none: the engine as built): each step's result, and after each action the observable state
/// ([`observable_state`]), against the model's. Also the trace and each action's last step.
pub(crate) fn judge(
    spec: &Spec,
    backend: Backend,
    mutant: Option<Mutant>,
    actions: &[Action],
) -> (Trace, Vec<usize>, Result<(), Divergence>) {
    let (trace, ends) = path_to_indexed_trace(spec, actions, "conform_tour", "A tour.");
    let replay = ReplayOptions {
        profile: Some(spec.profile),
        mutant,
    };
    let states = model::search::replay(spec, actions);
    let mut observe = |step: usize, seen: &Observed<'_>| {
        // After the last step of an action, the engine shows what the model's state says.
        match ends.iter().rposition(|&end| end == step) {
            Some(k) => observable_state(spec, &states[k + 1].0, seen),
            None => Ok(()),
        }
    };
    let result = replay_observed(&trace, backend, &replay, &mut observe);
    (trace, ends, result)
}

/// Compares what the engine shows after a step with the model's `state`: the checks
/// [`state_checks`] prints (how many instances are allocated and how many run, which database
/// files exist), evaluated on the engine as a replay of them would ([`Observed::shows`]).
fn observable_state(spec: &Spec, state: &State, seen: &Observed<'_>) -> StepResult {
    for check in state_checks(spec, state) {
        let expected = || describe_state(std::slice::from_ref(&check));
        match seen.shows(&check).map_err(|e| (expected(), e))? {
            Some(shown) if shown != check => {
                return Err((expected(), describe_state(std::slice::from_ref(&shown))));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The index of the action behind 1-based trace step `step`, given each action's last step
/// (`path_to_indexed_trace`); a step past them all (the Finish a printer closes with) is the
/// last action's.
pub(crate) fn action_at(ends: &[usize], step: usize, actions: usize) -> usize {
    ends.partition_point(|&end| end < step)
        .min(actions.saturating_sub(1))
}

/// The identity a minimised trace must keep: the call's name, expected and actual; for a trace
/// the model printed that cannot run (step 0), the call its first problem is on.
fn same_disagreement(a: &Divergence, b: &Divergence) -> bool {
    if a.step == 0 || b.step == 0 {
        return a.step == b.step && a.identity().0 == b.identity().0;
    }
    a.identity() == b.identity()
}

/// Deletes steps from `actions` while the engine still disagrees, in the same way, at the last
/// action: each candidate's expectations come from the model again.
pub(crate) fn minimise(
    spec: &Spec,
    backend: Backend,
    actions: Vec<Action>,
    first: &Divergence,
) -> (Vec<Action>, Divergence, u64) {
    let mut kept = actions;
    let mut divergence = first.clone();
    let mut steps = 0;
    let mut i = kept.len().saturating_sub(1);
    while i > 0 {
        i -= 1;
        let mut candidate = kept.clone();
        candidate.remove(i);
        if !generated(spec, &candidate) {
            continue;
        }
        let (trace, ends, result) = judge(spec, backend, None, &candidate);
        if let Err(d) = result {
            steps += d.step as u64;
            let last_start = ends.len().checked_sub(2).map_or(0, |p| ends[p]);
            let at_the_end = d.step > last_start || d.step == 0;
            if at_the_end && same_disagreement(&d, first) {
                kept = candidate;
                divergence = d;
            }
        } else {
            steps += trace.steps.len() as u64;
        }
    }
    (kept, divergence, steps)
}

/// True when every action of `path` is one the model offers in the state it is taken from, so
/// that the shrunk trace is a walk of the model's own (and reads back into the model).
fn generated(spec: &Spec, path: &[Action]) -> bool {
    let mut state = State::INITIAL;
    let mut offered = Vec::with_capacity(256);
    for action in path {
        offered.clear();
        actions(spec, &state, Mode::Probe, &mut offered);
        if !offered.contains(action) {
            return false;
        }
        state = spec.step(&state, action).0;
    }
    true
}

/// A bound on the rounds of tours; each round gets past at least one disagreement per tour.
const ROUNDS_MAX: usize = 1000;

/// The model's graph for `options` (configuration and profile), explored once: hand it to
/// [`run_conform_on`] or [`engine_classes`] as often as needed.
pub fn explore_model(
    options: &ConformOptions,
    mut progress: impl FnMut(ConformProgress),
) -> Result<Graph, String> {
    options.config.validate()?;
    Ok(explore(&spec_of(options), options.threads, |p| {
        progress(ConformProgress::Exploring(p.states))
    }))
}

fn spec_of(options: &ConformOptions) -> Spec {
    Spec::with_profile(options.config, options.profile)
}

/// Runs conform.
pub fn run_conform(
    options: &ConformOptions,
    mut progress: impl FnMut(ConformProgress) + Send,
) -> Result<ConformReport, String> {
    let started = Instant::now();
    let graph = explore_model(options, &mut progress)?;
    let mut report = run_conform_on(&graph, options, progress)?;
    report.model_seconds = started.elapsed().as_secs_f64() - report.seconds;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What the engine did with the classes of one share of a graph: [`engine_classes`].
#[derive(Clone, Debug, Default)]
pub struct EngineClasses {
    /// The classes of the share.
    pub wanted: BTreeSet<ClassKey>,
    /// Classes executed with the model's result.
    pub agreed: BTreeSet<ClassKey>,
    /// Classes not reached because an earlier step of every tour to them disagreed.
    pub blocked: BTreeSet<ClassKey>,
    /// The first divergence of each distinct disagreement (call, expected, actual), in that
    /// order, with the model's actions up to it.
    pub differing: BTreeMap<(String, String, String), (Divergence, Vec<Action>)>,
    /// Tours run (fresh engines).
    pub tours: usize,
    /// Steps replayed on the engine.
    pub engine_calls: u64,
}

/// Runs the tours of `options.shard`'s classes of `graph` (explored by [`explore_model`] with
/// the same options) on engines making the mistake `mutant` (none: the engine as built), with
/// no minimising: the engine half of [`run_conform`], for a graph explored once.
pub fn engine_classes(
    graph: &Graph,
    options: &ConformOptions,
    mutant: Option<Mutant>,
    mut progress: impl FnMut(ConformProgress) + Send,
) -> EngineClasses {
    let spec = spec_of(options);
    let wanted: BTreeSet<ClassKey> = graph
        .class_keys()
        .enumerate()
        .filter(|(i, _)| i % options.shard.count == options.shard.index)
        .map(|(_, k)| *k)
        .collect();
    let mut agreed: BTreeSet<ClassKey> = BTreeSet::new();
    let mut differing: BTreeMap<(String, String, String), (Divergence, Vec<Action>)> =
        BTreeMap::new();
    let mut left = wanted.clone();
    let mut blocked_last: BTreeSet<ClassKey> = BTreeSet::new();
    let mut engine_calls = 0u64;
    let mut tours_run = 0usize;
    // A class behind a disagreement is tried again in a later round, until a round gains
    // nothing: each round gets past at least one disagreement per tour, or stops.
    for _round in 0..ROUNDS_MAX {
        if left.is_empty() {
            break;
        }
        let tours = plan_tours(graph, &left);
        progress(ConformProgress::Planned {
            tours: tours.len(),
            classes: left.len(),
        });
        tours_run += tours.len();
        let results = run_tours(&spec, options, mutant, &tours, &mut progress);
        let mut blocked = BTreeSet::new();
        for result in results {
            engine_calls += result.steps;
            agreed.extend(result.agreed.iter().copied());
            blocked.extend(result.blocked.iter().copied());
            if let Some((d, actions)) = result.failed {
                // Keyed by the whole call text: one disagreement per argument list.
                let key = (d.call.clone(), d.expected.clone(), d.actual.clone());
                differing.entry(key).or_insert((d, actions));
            }
        }
        let next: BTreeSet<ClassKey> = blocked.difference(&agreed).copied().collect();
        if next == left {
            blocked_last = next;
            break;
        }
        blocked_last = next.clone();
        left = next;
    }
    EngineClasses {
        wanted,
        agreed,
        blocked: blocked_last,
        differing,
        tours: tours_run,
        engine_calls,
    }
}

/// [`run_conform`] on a graph [`explore_model`] explored with the same options (its
/// `model_seconds` is 0): the engine as built, every disagreement minimised.
pub fn run_conform_on(
    graph: &Graph,
    options: &ConformOptions,
    progress: impl FnMut(ConformProgress) + Send,
) -> Result<ConformReport, String> {
    let started = Instant::now();
    let spec = spec_of(options);
    let EngineClasses {
        wanted,
        agreed,
        blocked: blocked_last,
        differing,
        tours: tours_run,
        mut engine_calls,
    } = engine_classes(graph, options, None, progress);
    let mut regressions = Vec::new();
    for (d, actions) in differing.into_values() {
        let (actions, d, steps) = minimise(&spec, options.backend, actions, &d);
        engine_calls += steps;
        let trace_path = match &options.out {
            Some(dir) => write_regression(
                &spec,
                dir,
                "conform",
                &format!(
                    "jetspec conform, configuration {}, profile {}",
                    spec.config.name,
                    spec.profile.name()
                ),
                &actions,
                &d,
            )?,
            None => None,
        };
        regressions.push(Disagreement {
            actions: trace_path
                .is_none()
                .then(|| actions.iter().map(|a| format!("{a:?}")).collect()),
            call: d.call.clone(),
            expected: d.expected.clone(),
            actual: d.actual.clone(),
            trace: trace_path,
            steps: actions.len(),
        });
    }
    let engine_seconds = started.elapsed().as_secs_f64();
    let uncovered: Vec<String> = wanted
        .iter()
        .filter(|k| !agreed.contains(k))
        .take(50)
        .map(|(a, code, rule)| format!("{a:?} -> {} ({rule})", code.name()))
        .collect();
    let checks = checks_of(wanted.iter());
    let confirmed = checks_of(agreed.iter());
    let unconfirmed_checks: Vec<String> = checks
        .difference(&confirmed)
        .map(|(function, rule)| format!("{function}: {rule}"))
        .collect();
    Ok(ConformReport {
        config: options.config.name,
        profile: options.profile.name(),
        vfs: options.backend.name(),
        shard: format!("{}/{}", options.shard.index + 1, options.shard.count),
        model_states: graph.states(),
        model_edges: graph.edges(),
        edges_total: wanted.len(),
        edges_covered: agreed.len(),
        disagreements: regressions.len(),
        blocked: blocked_last.len(),
        tours: tours_run,
        engine_calls,
        model_seconds: 0.0,
        engine_seconds,
        seconds: started.elapsed().as_secs_f64(),
        calls_per_sec: if engine_seconds > 0.0 {
            engine_calls as f64 / engine_seconds
        } else {
            0.0
        },
        regressions,
        uncovered,
        checks_total: checks.len(),
        checks_confirmed: checks.len() - unconfirmed_checks.len(),
        unconfirmed_checks,
    })
}

/// Runs `tours` on `options.threads` threads, in tour order in the result.
fn run_tours(
    spec: &Spec,
    options: &ConformOptions,
    mutant: Option<Mutant>,
    tours: &[Tour],
    progress: &mut (impl FnMut(ConformProgress) + Send),
) -> Vec<TourResult> {
    let threads = options.threads.max(1);
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, TourResult)>();
    let mut results: Vec<Option<TourResult>> = (0..tours.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let sender = sender.clone();
            let backend = options.backend;
            scope.spawn(move || {
                for (i, tour) in tours.iter().enumerate().skip(t).step_by(threads) {
                    if sender
                        .send((i, run_tour(spec, backend, mutant, tour)))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(sender);
        for (i, result) in receiver {
            results[i] = Some(result);
            progress(ConformProgress::Toured);
        }
    });
    results.into_iter().flatten().collect()
}

/// Writes the minimised trace of a disagreement under `dir`, named after the finder (`conform`,
/// `fuzz`), the call and the codes; `source` says how it was found. A trace that cannot run
/// (the model printed something the trace format cannot say) is not written, since the corpus
/// holds only valid traces: `None`.
pub(crate) fn write_regression(
    spec: &Spec,
    dir: &Path,
    finder: &str,
    source: &str,
    actions: &[Action],
    d: &Divergence,
) -> Result<Option<PathBuf>, String> {
    if d.step == 0 {
        return Ok(None);
    }
    let function = d.identity().0;
    // `JET_errInvalidPath` -> `invalid_path`; what is not a code (a harness failure) -> `error`.
    let code = |text: &str| match JetErr::from_name(text) {
        Some(code) => snake(code.name())
            .trim_start_matches("jet_err_")
            .trim_start_matches("jet_wrn_")
            .to_string(),
        None => "error".to_string(),
    };
    let name = format!(
        "{finder}_{}_{}_{}_got_{}",
        spec.config.name,
        snake(&function),
        code(&d.expected),
        code(&d.actual)
    );
    let about = format!(
        "jetspec {finder}: on {function} the engine gave {} where the model ({} profile) \
         predicts {}; minimised to {} actions.",
        d.actual,
        spec.profile.name(),
        d.expected,
        actions.len()
    );
    let (mut trace, _) = path_to_indexed_trace(spec, actions, &name, &about);
    trace.source = Some(source.to_string());
    // What the model says can then be seen, so that a disagreement in state (or one that
    // follows a fixed result) fails the replay too.
    let states = model::search::replay(spec, actions);
    if let Some((last, _)) = states.last() {
        trace.steps.extend(state_checks(spec, last));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join(format!("{name}.json"));
    write_atomically(&file, &print_trace(&trace))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(Some(file))
}

/// The report as text.
pub fn render(report: &ConformReport) -> String {
    let mut out = String::new();
    for r in &report.regressions {
        out.push_str(&format!(
            "DISAGREE {}: model {}, engine {} ({} steps){}\n",
            r.call,
            r.expected,
            r.actual,
            r.steps,
            r.trace
                .as_ref()
                .map(|p| format!(", trace {}", p.display()))
                .unwrap_or_default()
        ));
    }
    for u in &report.uncovered {
        out.push_str(&format!("not covered: {u}\n"));
    }
    for c in &report.unconfirmed_checks {
        out.push_str(&format!("check never confirmed: {c}\n"));
    }
    out.push_str(&format!(
        "conform {} ({} profile, {} file system, shard {}): model {} states, {} edges in {:.1} s\n",
        report.config,
        report.profile,
        report.vfs,
        report.shard,
        report.model_states,
        report.model_edges,
        report.model_seconds
    ));
    out.push_str(&format!(
        "edge classes covered {} of {}; {} disagreements; {} blocked behind them\n",
        report.edges_covered, report.edges_total, report.disagreements, report.blocked
    ));
    out.push_str(&format!(
        "checks confirmed {} of {} (a function's check confirmed when a class it decides ran \
         with the model's result)\n",
        report.checks_confirmed, report.checks_total
    ));
    out.push_str(&format!(
        "engine: {} tours, {} steps in {:.1} s ({:.0} steps/s); {:.1} s in all\n",
        report.tours,
        report.engine_calls,
        report.engine_seconds,
        report.calls_per_sec,
        report.seconds
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_one_based_and_refuse_nonsense() {
        assert_eq!(Shard::parse("1/1"), Ok(Shard::ALL));
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 1, count: 4 }));
        for bad in ["0/2", "3/2", "1/0", "x", "1/", "/2", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
