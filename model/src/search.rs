//! Exhaustive breadth-first search of the model's state graph, keeping for every state the first
//! (hence shortest) path that reached it. stateright 0.31's BFS overwrites a state's parent when
//! it meets the state again, so its paths are not always shortest; this search never overwrites,
//! which is what makes counterexamples and witnesses minimal.
//!
//! Besides the properties, the search records the first time each (function, code) pair is
//! returned: the shortest path to it, from which witness traces are made.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use jetapi::JetErr;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::action::Action;
use crate::generate::{Mode, actions};
use crate::properties::PROPERTIES;
use crate::state::State;
use crate::step::Spec;

/// A state's 64-bit fingerprint.
pub type Fingerprint = u64;

pub use crate::pack::fingerprint;

/// The fingerprints of the states seen: open addressing with linear probing over a power-of-two
/// table of bare fingerprints, at most five eighths full. A lookup reads one slot and usually its
/// neighbours in the same cache line: one cache miss, where a general map with separate
/// control bytes and entries takes two. On a table of millions of states that miss is most of
/// the search's time.
struct Seen {
    slots: Vec<u64>,
    len: usize,
}

/// The empty slot; a fingerprint that happens to be 0 is stored as [`ZERO_STANDS_IN`].
const EMPTY: u64 = 0;
const ZERO_STANDS_IN: u64 = 1;

impl Seen {
    fn new() -> Seen {
        Seen {
            slots: vec![EMPTY; 1 << 16],
            len: 0,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Empties the table, keeping its size.
    fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.len = 0;
    }

    fn key(fp: Fingerprint) -> u64 {
        if fp == EMPTY { ZERO_STANDS_IN } else { fp }
    }

    /// The slot holding `key`, or the empty slot where it would go.
    fn find(&self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        // The fingerprint's bits are all mixed, so its low bits index the table.
        let mut i = key as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == key || slot == EMPTY {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Reads the home slot of every fingerprint of `fps`. The reads do not depend on each
    /// other, so the processor has them all in flight at once, and the inserts that follow
    /// find their cache lines loaded: one memory latency for a state's new successors instead
    /// of one each (a prefetch, without `unsafe`).
    fn touch(&self, fps: impl Iterator<Item = Fingerprint>) {
        let mask = self.slots.len() - 1;
        let mut any = 0;
        for fp in fps {
            any |= self.slots[Self::key(fp) as usize & mask];
        }
        std::hint::black_box(any);
    }

    fn contains(&self, fp: Fingerprint) -> bool {
        let key = Self::key(fp);
        self.slots[self.find(key)] == key
    }

    /// Adds `fp`; false when it was there already.
    fn insert(&mut self, fp: Fingerprint) -> bool {
        let key = Self::key(fp);
        let i = self.find(key);
        if self.slots[i] == key {
            return false;
        }
        self.slots[i] = key;
        self.len += 1;
        if self.len * 8 > self.slots.len() * 5 {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let doubled = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        for key in old.into_iter().filter(|&k| k != EMPTY) {
            let i = self.find(key);
            self.slots[i] = key;
        }
    }
}

/// A state's number: its place in the order the search first reached the states.
type StateId = usize;

/// How the first path reached a state.
#[derive(Clone, Copy)]
struct Parent {
    /// The previous state (the initial state's is itself).
    from: StateId,
    /// The action taken (`None` for the initial state).
    action: Option<Action>,
}

/// The successors of one state met so far while expanding it, each with the action that first
/// reached it. Many actions of a state lead to the same next state (a grbit the state ignores,
/// a handle form that ends alike); checking them here, in a few cache-resident words, spares
/// the table lookup for half of the edges that change the state (7.0 of 13.9 million at
/// `small`). The rest go to the table together, in the order they were met (see
/// [`Seen::touch`]).
#[derive(Default)]
struct Siblings {
    fps: Vec<Fingerprint>,
    next: Vec<(State, Action)>,
}

impl Siblings {
    fn clear(&mut self) {
        self.fps.clear();
        self.next.clear();
    }

    /// Keeps a copy of `next` unless a sibling had its fingerprint.
    fn offer(&mut self, next: &State, fp: Fingerprint, action: Action) {
        if !self.fps.contains(&fp) {
            self.fps.push(fp);
            self.next.push((next.clone(), action));
        }
    }
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

    /// True when every safety property holds (hazards are findings, not failures).
    pub fn all_hold(&self) -> bool {
        self.properties.iter().zip(PROPERTIES).all(|(p, spec)| {
            p.counterexample.is_none() || spec.kind == crate::properties::Kind::Hazard
        })
    }
}

/// Explores every state reachable from [`State::INITIAL`], trying the actions of `mode`:
/// [`Mode::Explore`] to check properties fast, [`Mode::Probe`] to also record every outcome.
pub fn search(spec: &Spec, mode: Mode, mut progress: impl FnMut(Progress)) -> Report {
    search_one_thread(spec, mode, &mut progress)
}

/// [`search`], compiled once here, beside the step function it calls (a generic body would be
/// compiled in each caller's crate, where the step function cannot be inlined).
fn search_one_thread(spec: &Spec, mode: Mode, progress: &mut dyn FnMut(Progress)) -> Report {
    check_config(spec);
    let started = Instant::now();
    let mut found = Found::new();
    let mut queue: VecDeque<(State, StateId, usize)> = VecDeque::new();
    let record = mode == Mode::Probe;
    let initial = State::INITIAL;
    found.root(&initial);
    queue.push_back((initial, 0, 0));
    let mut buffer = Vec::with_capacity(256);
    let mut siblings = Siblings::default();
    while let Some((state, id, depth)) = queue.pop_front() {
        found.max_depth = found.max_depth.max(depth);
        buffer.clear();
        siblings.clear();
        actions(spec, &state, mode, &mut buffer);
        for action in &buffer {
            found.edges += 1;
            // Borrowed, not moved: most edges leave the state unchanged, and a moved result
            // is copied whole before it is looked at.
            let transition = spec.apply(&state, action);
            if record {
                found.record(action, &transition.1, id);
            }
            if let Some(next) = &transition.0 {
                siblings.offer(next, fingerprint(next), *action);
            }
        }
        found.seen.touch(siblings.fps.iter().copied());
        for (&next_fp, (next, action)) in siblings.fps.iter().zip(siblings.next.drain(..)) {
            if let Some(next_id) = found.add(next_fp, id, action, || failing(&next)) {
                queue.push_back((next, next_id, depth + 1));
            }
        }
        let states = found.seen.len();
        if states / 65_536 != states.saturating_sub(buffer.len()) / 65_536 {
            progress(Progress {
                states,
                depth,
                queued: queue.len(),
            });
        }
    }
    found.finish(started)
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

/// The properties `state` fails, bit `i` standing for `PROPERTIES[i]`.
fn failing(state: &State) -> u32 {
    const _: () = assert!(PROPERTIES.len() <= 32);
    PROPERTIES
        .iter()
        .enumerate()
        .filter(|(_, property)| !(property.holds)(state))
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

/// What either search gathers, before paths are rebuilt.
struct Found {
    seen: Seen,
    /// Indexed by [`StateId`].
    parents: Vec<Parent>,
    /// The first state found failing each property.
    failed: Vec<Option<StateId>>,
    // Keyed by the strings' addresses while searching (fast), by their text in the report.
    outcomes: FxHashMap<OutcomeKey, OutcomeSeen>,
    rules: FxHashMap<RuleKey, RuleSeen>,
    /// Recorded by [`search_classes`] only.
    classes: FxHashMap<ClassSeenKey, ClassEdge>,
    edges: u64,
    max_depth: usize,
}

impl Found {
    fn new() -> Found {
        Found {
            seen: Seen::new(),
            parents: Vec::new(),
            failed: vec![None; PROPERTIES.len()],
            outcomes: FxHashMap::default(),
            rules: FxHashMap::default(),
            classes: FxHashMap::default(),
            edges: 0,
            max_depth: 0,
        }
    }

    /// Adds the initial state, as state 0.
    fn root(&mut self, initial: &State) {
        self.add(fingerprint(initial), 0, Action::Crash, || failing(initial));
        self.parents[0].action = None;
    }

    /// Adds the state with fingerprint `fp`, reached from `from` by `action`, unless it was
    /// seen: its id when new. `failing` gives the properties the state fails (see
    /// [`failing`]); it is asked only of a new state.
    fn add(
        &mut self,
        fp: Fingerprint,
        from: StateId,
        action: Action,
        failing: impl FnOnce() -> u32,
    ) -> Option<StateId> {
        if !self.seen.insert(fp) {
            return None;
        }
        let id = self.parents.len();
        self.parents.push(Parent {
            from,
            action: Some(action),
        });
        let failing = failing();
        if failing != 0 {
            for (i, slot) in self.failed.iter_mut().enumerate() {
                if slot.is_none() && failing & (1 << i) != 0 {
                    *slot = Some(id);
                }
            }
        }
        Some(id)
    }

    /// Notes the (function, code) and the (function, check) of a call made from state `from`.
    fn record(&mut self, action: &Action, outcome: &crate::step::Outcome, from: StateId) {
        if let Some((key, seen)) = outcome_entry(action, outcome, from) {
            self.outcomes.entry(key).or_insert(seen);
        }
        if let Some((key, seen)) = rule_entry(action, outcome, from) {
            self.rules.entry(key).or_insert(seen);
        }
    }

    /// The report: every recorded state turned into its shortest path.
    fn finish(self, started: Instant) -> Report {
        let Found {
            seen,
            parents,
            failed,
            outcomes,
            rules,
            classes: _,
            edges,
            max_depth,
        } = self;
        let path_to = |id: StateId| path(&parents, id);
        Report {
            unique_states: seen.len(),
            edges,
            max_depth,
            seconds: started.elapsed().as_secs_f64(),
            properties: PROPERTIES
                .iter()
                .zip(&failed)
                .map(|(p, id)| PropertyResult {
                    name: p.name,
                    counterexample: id.map(path_to),
                })
                .collect(),
            outcomes: shortest(
                outcomes
                    .into_iter()
                    .map(|((_, code), (f, id, a))| ((f, code), with(path_to(id), a))),
            ),
            rules: shortest(
                rules
                    .into_values()
                    .map(|(f, rule, id, a)| ((f, rule), with(path_to(id), a))),
            ),
        }
    }
}

fn outcome_entry(
    action: &Action,
    outcome: &crate::step::Outcome,
    from: StateId,
) -> Option<(OutcomeKey, OutcomeSeen)> {
    let function = action.function()?;
    let f = function.as_ptr() as usize;
    Some(((f, outcome.code), (function, from, *action)))
}

fn rule_entry(
    action: &Action,
    outcome: &crate::step::Outcome,
    from: StateId,
) -> Option<(RuleKey, RuleSeen)> {
    let function = action.function()?;
    let f = function.as_ptr() as usize;
    let r = outcome.rule.as_ptr() as usize;
    Some(((f, r), (function, outcome.rule, from, *action)))
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

/// The actions from the initial state to state `id`.
fn path(parents: &[Parent], mut id: StateId) -> Vec<Action> {
    let mut actions = Vec::new();
    while let Some(action) = parents[id].action {
        actions.push(action);
        id = parents[id].from;
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
type OutcomeSeen = (&'static str, StateId, Action);
type RuleKey = (usize, usize);
type RuleSeen = (&'static str, &'static str, StateId, Action);

/// An edge class's key while searching: the call, the code, the deciding check's address.
type ClassSeenKey = (Action, JetErr, usize);

/// An edge class's first edge: its key, the state it leaves, and the fingerprint of the state
/// it reaches (`None`: the state is unchanged).
pub type ClassEdge = (ClassKey, StateId, Option<Fingerprint>);

/// Each state's parent edge, by [`StateId`]: (the previous state, the action from it); the
/// initial state has no action.
pub type ParentEdges = Vec<(u32, Option<Action>)>;

/// One edge class: the call with its arguments, the code the model returns, the deciding check
/// (see [`crate::edges`]).
pub type ClassKey = (Action, JetErr, &'static str);

/// What one thread found expanding one chunk of a level, in the order a sequential search
/// would have found it.
#[derive(Default)]
struct Expansion {
    edges: u64,
    /// New to this thread in this level: the state, its fingerprint, how it was reached and
    /// the properties it fails.
    found: Vec<(State, Fingerprint, StateId, Action, u32)>,
    outcomes: Vec<(OutcomeKey, OutcomeSeen)>,
    rules: Vec<(RuleKey, RuleSeen)>,
    classes: Vec<(ClassSeenKey, ClassEdge)>,
}

/// What a search thread keeps from chunk to chunk and level to level. Its sets hold what this
/// thread already reported: the thread takes chunks in increasing order and the chunks are
/// merged in index order, so whatever a thread drops because it reported it before, it
/// reported from an earlier place in the sequential order.
struct Worker {
    buffer: Vec<Action>,
    siblings: Siblings,
    /// The states this thread produced in the current level.
    level_seen: Seen,
    outcomes: FxHashSet<OutcomeKey>,
    rules: FxHashSet<RuleKey>,
    classes: FxHashSet<ClassSeenKey>,
    /// The edge met at each place of the previous state's action list (in probe mode).
    /// Neighbouring states mostly offer the same calls in the same order with the same
    /// results, so comparing with it spares most edges the hashing of their outcome, check
    /// and class.
    last_edges: Vec<ClassSeenKey>,
}

impl Worker {
    fn new() -> Worker {
        Worker {
            buffer: Vec::with_capacity(256),
            siblings: Siblings::default(),
            level_seen: Seen::new(),
            outcomes: FxHashSet::default(),
            rules: FxHashSet::default(),
            classes: FxHashSet::default(),
            last_edges: Vec::new(),
        }
    }

    /// Records the outcome, the check and (with [`Record::Classes`]) the class of an edge
    /// unless this thread met them before.
    fn record(
        &mut self,
        record: Record,
        key: ClassSeenKey,
        outcome: &crate::step::Outcome,
        from: StateId,
        to: Option<Fingerprint>,
        out: &mut Expansion,
    ) {
        let action = &key.0;
        if let Some((key, entry)) = outcome_entry(action, outcome, from) {
            if self.outcomes.insert(key) {
                out.outcomes.push((key, entry));
            }
        }
        if let Some((key, entry)) = rule_entry(action, outcome, from) {
            if self.rules.insert(key) {
                out.rules.push((key, entry));
            }
        }
        if record == Record::Classes && self.classes.insert(key) {
            let class = (*action, outcome.code, outcome.rule);
            out.classes.push((key, (class, from, to)));
        }
    }

    fn expand(
        &mut self,
        spec: &Spec,
        record: Record,
        chunk: &[(State, StateId)],
        seen: &Seen,
    ) -> Expansion {
        let mut out = Expansion::default();
        let probe = record != Record::Nothing;
        let mode = if probe { Mode::Probe } else { Mode::Explore };
        // Out of `self` while its actions are taken, so that `record` may borrow `self`.
        let mut buffer = std::mem::take(&mut self.buffer);
        for (state, id) in chunk {
            buffer.clear();
            self.siblings.clear();
            actions(spec, state, mode, &mut buffer);
            for (place, action) in buffer.iter().enumerate() {
                out.edges += 1;
                // Borrowed, as in the one-thread search.
                let transition = spec.apply(state, action);
                let next_fp = transition.0.as_ref().map(fingerprint);
                if probe {
                    let outcome = &transition.1;
                    let key = (*action, outcome.code, outcome.rule.as_ptr() as usize);
                    // What this thread met at this place of the previous state's list was
                    // recorded then; most edges end here.
                    let last = &mut self.last_edges;
                    let fresh = match last.get_mut(place) {
                        None => {
                            last.push(key);
                            true
                        }
                        Some(met) if *met == key => false,
                        Some(met) => {
                            *met = key;
                            true
                        }
                    };
                    if fresh {
                        self.record(record, key, outcome, *id, next_fp, &mut out);
                    }
                }
                if let (Some(next), Some(fp)) = (&transition.0, next_fp) {
                    self.siblings.offer(next, fp, *action);
                }
            }
            seen.touch(self.siblings.fps.iter().copied());
            let siblings = &mut self.siblings;
            for (&next_fp, (next, action)) in siblings.fps.iter().zip(siblings.next.drain(..)) {
                if !seen.contains(next_fp) && self.level_seen.insert(next_fp) {
                    let failing = failing(&next);
                    out.found.push((next, next_fp, *id, action, failing));
                }
            }
        }
        self.buffer = buffer;
        out
    }
}

/// What a search records besides the states and the properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Record {
    /// Nothing: [`Mode::Explore`].
    Nothing,
    /// Each (function, code) and (function, check): [`Mode::Probe`].
    Outcomes,
    /// Those and each edge class ([`Mode::Probe`]).
    Classes,
}

/// [`search`] on `threads` threads: each level of the breadth-first search is expanded in
/// parallel and merged in the order a sequential search visits it, so the states, the edges,
/// every shortest path and every witness are the same as [`search`]'s.
pub fn search_parallel(
    spec: &Spec,
    mode: Mode,
    threads: usize,
    progress: impl FnMut(Progress),
) -> Report {
    if threads <= 1 {
        return search(spec, mode, progress);
    }
    let record = match mode {
        Mode::Explore => Record::Nothing,
        Mode::Probe => Record::Outcomes,
    };
    let started = Instant::now();
    search_levels(spec, record, threads, progress).finish(started)
}

/// The probe-mode graph labelled for lockstep, searched on `threads` threads: the search's
/// report, every state's parent edge (by [`StateId`], the initial state's first), and the first
/// edge of every edge class in breadth-first order.
pub fn search_classes(
    spec: &Spec,
    threads: usize,
    progress: impl FnMut(Progress),
) -> (Report, ParentEdges, Vec<ClassEdge>) {
    let started = Instant::now();
    let mut found = search_levels(spec, Record::Classes, threads.max(1), progress);
    let parents = found
        .parents
        .iter()
        .map(|p| {
            let from = u32::try_from(p.from).expect("fewer than 2^32 states");
            (from, p.action)
        })
        .collect();
    let classes = std::mem::take(&mut found.classes).into_values().collect();
    (found.finish(started), parents, classes)
}

fn search_levels(
    spec: &Spec,
    record: Record,
    threads: usize,
    mut progress: impl FnMut(Progress),
) -> Found {
    check_config(spec);
    let mut found = Found::new();
    let mut depth = 0usize;
    let initial = State::INITIAL;
    found.root(&initial);
    let mut level = vec![(initial, 0)];
    let mut workers: Vec<Worker> = (0..threads).map(|_| Worker::new()).collect();
    while !level.is_empty() {
        // Many small chunks handed out in turn keep both threads busy to the end of the level;
        // the expansions are merged in chunk order, which is the sequential order.
        let chunk_size = level.len().div_ceil(threads * 16).max(64);
        let chunks: Vec<&[(State, StateId)]> = level.chunks(chunk_size).collect();
        let next_chunk = AtomicUsize::new(0);
        let mut expansions: Vec<Option<Expansion>> = (0..chunks.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            let seen = &found.seen;
            let chunks = &chunks;
            let next_chunk = &next_chunk;
            let handles: Vec<_> = workers
                .iter_mut()
                .map(|worker| {
                    scope.spawn(move || {
                        worker.level_seen.clear();
                        let mut done = Vec::new();
                        loop {
                            let i = next_chunk.fetch_add(1, Ordering::Relaxed);
                            let Some(chunk) = chunks.get(i) else { break };
                            done.push((i, worker.expand(spec, record, chunk, seen)));
                        }
                        done
                    })
                })
                .collect();
            for handle in handles {
                for (i, expansion) in handle.join().expect("a search thread panicked") {
                    expansions[i] = Some(expansion);
                }
            }
        });
        let expansions = expansions
            .into_iter()
            .map(|e| e.expect("every chunk expanded"));
        let mut next_level = Vec::new();
        for expansion in expansions {
            found.edges += expansion.edges;
            for (key, seen) in expansion.outcomes {
                found.outcomes.entry(key).or_insert(seen);
            }
            for (key, seen) in expansion.rules {
                found.rules.entry(key).or_insert(seen);
            }
            for (key, edge) in expansion.classes {
                found.classes.entry(key).or_insert(edge);
            }
            // The home slots of a few fingerprints ahead are read first, so their cache
            // misses overlap (see [`Seen::touch`]).
            for batch in expansion.found.chunks(16) {
                found.seen.touch(batch.iter().map(|f| f.1));
                for &(ref state, fp, from, action, failing) in batch {
                    if let Some(id) = found.add(fp, from, action, || failing) {
                        next_level.push((state.clone(), id));
                    }
                }
            }
        }
        progress(Progress {
            states: found.seen.len(),
            depth,
            queued: next_level.len(),
        });
        if !next_level.is_empty() {
            depth += 1;
        }
        level = next_level;
    }
    found.max_depth = depth;
    found
}
