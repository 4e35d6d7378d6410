//! Exhaustive breadth-first search of the model's state graph, keeping for every state the first
//! (hence shortest) path that reached it. stateright 0.31's BFS overwrites a state's parent when
//! it meets the state again, so its paths are not always shortest; this search never overwrites,
//! which is what makes counterexamples and witnesses minimal.
//!
//! Besides the properties, the search records the first time each (function, code) pair is
//! returned: the shortest path to it, from which witness traces are made.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::time::Instant;

use jetapi::JetErr;
use rustc_hash::{FxHashMap, FxHasher};

use crate::action::Action;
use crate::generate::{Mode, actions};
use crate::properties::PROPERTIES;
use crate::state::State;
use crate::step::Spec;

/// A state's 64-bit fingerprint.
pub type Fingerprint = u64;

/// The fingerprint of `state`.
pub fn fingerprint(state: &State) -> Fingerprint {
    let mut hasher = FxHasher::default();
    state.hash(&mut hasher);
    hasher.finish()
}

/// A hasher for keys that are already fingerprints.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// How the first path reached a state.
#[derive(Clone, Copy)]
struct Parent {
    /// The previous state (itself for the initial state).
    from: Fingerprint,
    /// The action taken (meaningless for the initial state).
    action: Option<Action>,
}

/// Progress, reported every so many states.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Unique states so far.
    pub states: usize,
    /// The depth being explored.
    pub depth: usize,
    /// States waiting to be explored.
    pub queued: usize,
}

/// A property's verdict.
#[derive(Clone, Debug)]
pub struct PropertyResult {
    /// The sentence.
    pub name: &'static str,
    /// The shortest path to a state where it fails, if one is reachable.
    pub counterexample: Option<Vec<Action>>,
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct Report {
    /// Distinct states reached.
    pub unique_states: usize,
    /// (state, action) pairs evaluated, self-loops included.
    pub edges: u64,
    /// The depth of the deepest state.
    pub max_depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Each property's verdict, in [`PROPERTIES`] order.
    pub properties: Vec<PropertyResult>,
    /// For each (function, code) returned, the shortest path that ends with that call
    /// (recorded in [`Mode::Probe`] only).
    pub outcomes: BTreeMap<(&'static str, JetErr), Vec<Action>>,
    /// For each (function, check) that decided a call, the shortest path that ends with it
    /// (recorded in [`Mode::Probe`] only).
    pub rules: BTreeMap<(&'static str, &'static str), Vec<Action>>,
}

impl Report {
    /// States per second.
    pub fn states_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.unique_states as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// True when every property holds.
    pub fn all_hold(&self) -> bool {
        self.properties.iter().all(|p| p.counterexample.is_none())
    }
}

/// Explores every state reachable from [`State::INITIAL`], trying the actions of `mode`:
/// [`Mode::Explore`] to check properties fast, [`Mode::Probe`] to also record every outcome.
pub fn search(spec: &Spec, mode: Mode, mut progress: impl FnMut(Progress)) -> Report {
    check_config(spec);
    let started = Instant::now();
    let mut parents: HashMap<Fingerprint, Parent, BuildHasherDefault<Identity>> =
        HashMap::default();
    let mut queue: VecDeque<(State, Fingerprint, usize)> = VecDeque::new();
    let mut failed: Vec<Option<Fingerprint>> = vec![None; PROPERTIES.len()];
    // Keyed by the strings' addresses while searching (fast), by their text in the report.
    let mut outcomes: FxHashMap<OutcomeKey, OutcomeSeen> = FxHashMap::default();
    let mut rules: FxHashMap<RuleKey, RuleSeen> = FxHashMap::default();
    let (mut edges, mut max_depth) = (0u64, 0usize);
    let record = mode == Mode::Probe;

    let initial = State::INITIAL;
    let root = fingerprint(&initial);
    parents.insert(
        root,
        Parent {
            from: root,
            action: None,
        },
    );
    check_properties(&initial, root, &mut failed);
    queue.push_back((initial, root, 0));
    let mut buffer = Vec::with_capacity(256);
    while let Some((state, fp, depth)) = queue.pop_front() {
        max_depth = max_depth.max(depth);
        buffer.clear();
        actions(spec, &state, mode, &mut buffer);
        for action in &buffer {
            edges += 1;
            let (next, outcome) = spec.apply(&state, action);
            if record {
                if let Some(function) = action.function() {
                    let f = function.as_ptr() as usize;
                    outcomes
                        .entry((f, outcome.code))
                        .or_insert((function, fp, *action));
                    let r = outcome.rule.as_ptr() as usize;
                    rules
                        .entry((f, r))
                        .or_insert((function, outcome.rule, fp, *action));
                }
            }
            let Some(next) = next else { continue };
            let next_fp = fingerprint(&next);
            if parents.contains_key(&next_fp) {
                continue;
            }
            parents.insert(
                next_fp,
                Parent {
                    from: fp,
                    action: Some(*action),
                },
            );
            check_properties(&next, next_fp, &mut failed);
            queue.push_back((next, next_fp, depth + 1));
        }
        if parents.len() / 65_536 != (parents.len() - buffer.len().min(parents.len())) / 65_536 {
            progress(Progress {
                states: parents.len(),
                depth,
                queued: queue.len(),
            });
        }
    }
    finish(
        Found {
            parents,
            failed,
            outcomes,
            rules,
            edges,
            max_depth,
        },
        started,
    )
}

/// A configuration the state's fixed sizes cannot hold is a programmer error.
fn check_config(spec: &Spec) {
    if let Err(e) = spec.config.validate() {
        panic!(
            "configuration {} does not fit the model: {e}",
            spec.config.name
        );
    }
}

/// What either search gathered, before paths are rebuilt.
struct Found {
    parents: HashMap<Fingerprint, Parent, BuildHasherDefault<Identity>>,
    failed: Vec<Option<Fingerprint>>,
    outcomes: FxHashMap<OutcomeKey, OutcomeSeen>,
    rules: FxHashMap<RuleKey, RuleSeen>,
    edges: u64,
    max_depth: usize,
}

/// The report: every recorded fingerprint turned into its shortest path.
fn finish(found: Found, started: Instant) -> Report {
    let Found {
        parents,
        failed,
        outcomes,
        rules,
        edges,
        max_depth,
    } = found;
    let path_to = |fp: Fingerprint| path(&parents, fp);
    Report {
        unique_states: parents.len(),
        edges,
        max_depth,
        seconds: started.elapsed().as_secs_f64(),
        properties: PROPERTIES
            .iter()
            .zip(&failed)
            .map(|(p, fp)| PropertyResult {
                name: p.name,
                counterexample: fp.map(path_to),
            })
            .collect(),
        outcomes: shortest(
            outcomes
                .into_iter()
                .map(|((_, code), (f, fp, a))| ((f, code), with(path_to(fp), a))),
        ),
        rules: shortest(
            rules
                .into_values()
                .map(|(f, rule, fp, a)| ((f, rule), with(path_to(fp), a))),
        ),
    }
}

/// Collects paths by key, keeping the shortest (then the first) when keys meet.
fn shortest<K: Ord>(entries: impl Iterator<Item = (K, Vec<Action>)>) -> BTreeMap<K, Vec<Action>> {
    let mut out: BTreeMap<K, Vec<Action>> = BTreeMap::new();
    for (key, path) in entries {
        match out.get(&key) {
            Some(kept) if kept.len() <= path.len() => {}
            _ => {
                out.insert(key, path);
            }
        }
    }
    out
}

fn with(mut path: Vec<Action>, last: Action) -> Vec<Action> {
    path.push(last);
    path
}

fn check_properties(state: &State, fp: Fingerprint, failed: &mut [Option<Fingerprint>]) {
    for (property, slot) in PROPERTIES.iter().zip(failed.iter_mut()) {
        if slot.is_none() && !(property.holds)(state) {
            *slot = Some(fp);
        }
    }
}

fn path(
    parents: &HashMap<Fingerprint, Parent, BuildHasherDefault<Identity>>,
    mut fp: Fingerprint,
) -> Vec<Action> {
    let mut actions = Vec::new();
    while let Some(parent) = parents.get(&fp) {
        match parent.action {
            Some(action) => actions.push(action),
            None => break,
        }
        fp = parent.from;
    }
    actions.reverse();
    actions
}

/// Replays `path` from the initial state: every state along it, the initial one first.
pub fn replay(spec: &Spec, path: &[Action]) -> Vec<(State, Option<crate::step::Outcome>)> {
    let mut states = vec![(State::INITIAL, None)];
    for action in path {
        let (last, _) = states.last().expect("starts with the initial state");
        let (next, outcome) = spec.step(last, action);
        states.push((next, Some(outcome)));
    }
    states
}

type OutcomeKey = (usize, JetErr);
type OutcomeSeen = (&'static str, Fingerprint, Action);
type RuleKey = (usize, usize);
type RuleSeen = (&'static str, &'static str, Fingerprint, Action);

/// What one thread found expanding its share of a level, in the order a sequential search
/// would have found it.
#[derive(Default)]
struct Expansion {
    edges: u64,
    found: Vec<(State, Fingerprint, Fingerprint, Action)>,
    outcomes: Vec<(OutcomeKey, OutcomeSeen)>,
    rules: Vec<(RuleKey, RuleSeen)>,
}

fn expand(
    spec: &Spec,
    mode: Mode,
    chunk: &[(State, Fingerprint)],
    parents: &HashMap<Fingerprint, Parent, BuildHasherDefault<Identity>>,
) -> Expansion {
    let mut out = Expansion::default();
    let mut seen_outcomes: FxHashMap<OutcomeKey, ()> = FxHashMap::default();
    let mut seen_rules: FxHashMap<RuleKey, ()> = FxHashMap::default();
    let mut buffer = Vec::with_capacity(256);
    for (state, fp) in chunk {
        buffer.clear();
        actions(spec, state, mode, &mut buffer);
        for action in &buffer {
            out.edges += 1;
            let (next, outcome) = spec.apply(state, action);
            if mode == Mode::Probe {
                if let Some(function) = action.function() {
                    let f = function.as_ptr() as usize;
                    if seen_outcomes.insert((f, outcome.code), ()).is_none() {
                        out.outcomes
                            .push(((f, outcome.code), (function, *fp, *action)));
                    }
                    let r = outcome.rule.as_ptr() as usize;
                    if seen_rules.insert((f, r), ()).is_none() {
                        out.rules
                            .push(((f, r), (function, outcome.rule, *fp, *action)));
                    }
                }
            }
            let Some(next) = next else { continue };
            let next_fp = fingerprint(&next);
            if !parents.contains_key(&next_fp) {
                out.found.push((next, next_fp, *fp, *action));
            }
        }
    }
    out
}

/// [`search`] on `threads` threads: each level of the breadth-first search is expanded in
/// parallel and merged in the order a sequential search visits it, so the states, the edges,
/// every shortest path and every witness are the same as [`search`]'s.
pub fn search_parallel(
    spec: &Spec,
    mode: Mode,
    threads: usize,
    mut progress: impl FnMut(Progress),
) -> Report {
    if threads <= 1 {
        return search(spec, mode, progress);
    }
    check_config(spec);
    let started = Instant::now();
    let mut parents: HashMap<Fingerprint, Parent, BuildHasherDefault<Identity>> =
        HashMap::default();
    let mut failed: Vec<Option<Fingerprint>> = vec![None; PROPERTIES.len()];
    let mut outcomes: FxHashMap<OutcomeKey, OutcomeSeen> = FxHashMap::default();
    let mut rules: FxHashMap<RuleKey, RuleSeen> = FxHashMap::default();
    let (mut edges, mut depth) = (0u64, 0usize);
    let initial = State::INITIAL;
    let root = fingerprint(&initial);
    parents.insert(
        root,
        Parent {
            from: root,
            action: None,
        },
    );
    check_properties(&initial, root, &mut failed);
    let mut level = vec![(initial, root)];
    while !level.is_empty() {
        let chunk_size = level.len().div_ceil(threads);
        let expansions: Vec<Expansion> = std::thread::scope(|scope| {
            let parents = &parents;
            let handles: Vec<_> = level
                .chunks(chunk_size)
                .map(|chunk| scope.spawn(move || expand(spec, mode, chunk, parents)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a search thread panicked"))
                .collect()
        });
        let mut next_level = Vec::new();
        for expansion in expansions {
            edges += expansion.edges;
            for (key, seen) in expansion.outcomes {
                outcomes.entry(key).or_insert(seen);
            }
            for (key, seen) in expansion.rules {
                rules.entry(key).or_insert(seen);
            }
            for (state, fp, from, action) in expansion.found {
                if parents.contains_key(&fp) {
                    continue;
                }
                parents.insert(
                    fp,
                    Parent {
                        from,
                        action: Some(action),
                    },
                );
                check_properties(&state, fp, &mut failed);
                next_level.push((state, fp));
            }
        }
        progress(Progress {
            states: parents.len(),
            depth,
            queued: next_level.len(),
        });
        if !next_level.is_empty() {
            depth += 1;
        }
        level = next_level;
    }
    finish(
        Found {
            parents,
            failed,
            outcomes,
            rules,
            edges,
            max_depth: depth,
        },
        started,
    )
}
