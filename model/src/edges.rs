//! The model's graph labelled for lockstep with an implementation: every edge carries the call
//! with its arguments, the code the model returns and the check that decided it. An **edge
//! class** is one such label; its representative is the first edge found that carries it, so
//! the shortest path to its state plus the edge is a shortest walk that exercises it.
//! `jetspec conform` executes one representative of every class on the engine.

use std::collections::{BTreeMap, VecDeque};

use jetapi::JetErr;
use rustc_hash::FxHashMap;

use crate::action::Action;
use crate::generate::{Mode, actions};
use crate::pack::fingerprint;
use crate::state::State;
use crate::step::Spec;

/// One edge class: the call with its arguments, the code the model returns, the deciding check.
pub type ClassKey = (Action, JetErr, &'static str);

/// A class's representative edge: from which state, and where it leads (`None`: the state is
/// unchanged).
#[derive(Clone, Copy, Debug)]
pub struct Representative {
    /// The state it leaves.
    pub from: u32,
    /// The state it reaches, or `None` when the state is unchanged.
    pub to: Option<u32>,
}

/// The model's graph, as far as conform needs it: each state's parent edge, and each class's
/// representative.
pub struct Graph {
    /// Indexed by state id: (parent state, the action from it); the initial state has none.
    parents: Vec<(u32, Option<Action>)>,
    classes: BTreeMap<ClassKey, Representative>,
    /// Edges evaluated, self-loops included.
    pub edges: u64,
}

impl Graph {
    /// Unique states.
    pub fn states(&self) -> usize {
        self.parents.len()
    }

    /// Edge classes.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// Every class, in key order.
    pub fn class_keys(&self) -> impl Iterator<Item = &ClassKey> {
        self.classes.keys()
    }

    /// A class's representative edge.
    ///
    /// # Panics
    /// When `key` is not a class of this graph.
    pub fn representative(&self, key: &ClassKey) -> Representative {
        self.classes[key]
    }

    /// The actions from the initial state to state `id`: the shortest path.
    pub fn path_to(&self, mut id: u32) -> Vec<Action> {
        let mut path = Vec::new();
        while let (from, Some(action)) = self.parents[id as usize] {
            path.push(action);
            id = from;
        }
        path.reverse();
        path
    }
}

/// Explores `spec`'s graph with every call, calling `progress` with the states found so far.
pub fn explore(spec: &Spec, mut progress: impl FnMut(usize)) -> Graph {
    explore_dyn(spec, &mut progress)
}

/// [`explore`]'s body, not generic, so that it is compiled (and optimized) in this crate, not
/// in each caller's: a test binary built without optimization explores at full speed.
fn explore_dyn(spec: &Spec, progress: &mut dyn FnMut(usize)) -> Graph {
    let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
    let mut parents: Vec<(u32, Option<Action>)> = Vec::new();
    // Keyed by the rule's address while exploring (fast); the report sorts by text.
    let mut firsts: FxHashMap<(Action, JetErr, usize), (ClassKey, Representative)> =
        FxHashMap::default();
    let mut queue: VecDeque<(State, u32)> = VecDeque::new();
    let mut edges = 0u64;
    let mut reported = 0;
    seen.insert(fingerprint(&State::INITIAL), 0);
    parents.push((0, None));
    queue.push_back((State::INITIAL, 0));
    let mut buffer = Vec::with_capacity(256);
    while let Some((state, id)) = queue.pop_front() {
        buffer.clear();
        actions(spec, &state, Mode::Probe, &mut buffer);
        for action in &buffer {
            edges += 1;
            let (next, outcome) = spec.apply(&state, action);
            let to = next.map(|next| {
                let fresh = u32::try_from(parents.len()).expect("fewer than 2^32 states");
                let id_next = *seen.entry(fingerprint(&next)).or_insert(fresh);
                if id_next == fresh {
                    parents.push((id, Some(*action)));
                    queue.push_back((next, fresh));
                }
                id_next
            });
            let rule = outcome.rule.as_ptr() as usize;
            firsts.entry((*action, outcome.code, rule)).or_insert((
                (*action, outcome.code, outcome.rule),
                Representative { from: id, to },
            ));
        }
        if parents.len() >= reported + 65_536 {
            reported = parents.len();
            progress(reported);
        }
    }
    Graph {
        parents,
        // The environment's moves that change nothing are no call at all: nothing to run.
        classes: firsts
            .into_values()
            .filter(|(key, r)| !(key.0.is_environment() && r.to.is_none()))
            .collect(),
        edges,
    }
}
