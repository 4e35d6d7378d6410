//! The model's graph labelled for lockstep with an implementation: every edge carries the call
//! with its arguments, the code the model returns and the check that decided it. An **edge
//! class** is one such label; its representative is the first edge found that carries it, so
//! the shortest path to its state plus the edge is a shortest walk that exercises it.
//! `jetspec conform` executes one representative of every class on the engine.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use crate::action::Action;
use crate::pack::fingerprint;
use crate::search::{Progress, Report, replay, search_classes};
use crate::step::Spec;

pub use crate::search::ClassKey;

/// A class's representative edge: from which state, and where it leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Representative {
    /// The state it leaves.
    pub from: u32,
    /// Where it leads.
    pub to: Landing,
}

/// Where a representative edge leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    /// The state is unchanged.
    Unchanged,
    /// A state some class's representative leaves.
    At(u32),
    /// A state no representative leaves: nothing more to do from there.
    Elsewhere,
}

/// The model's graph, as far as conform needs it: each state's parent edge, and each class's
/// representative.
pub struct Graph {
    /// Indexed by state id: (parent state, the action from it); the initial state has none.
    parents: Vec<(u32, Option<Action>)>,
    classes: BTreeMap<ClassKey, Representative>,
    /// The search that found it.
    pub report: Report,
}

impl Graph {
    /// Edges evaluated, self-loops included.
    pub fn edges(&self) -> u64 {
        self.report.edges
    }

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

/// Explores `spec`'s graph with every call on `threads` threads (the model's breadth-first
/// search, [`search_classes`]), calling `progress` as it goes.
pub fn explore(spec: &Spec, threads: usize, progress: impl FnMut(Progress)) -> Graph {
    let (report, parents, firsts) = search_classes(spec, threads, progress);
    let mut graph = Graph {
        parents,
        classes: BTreeMap::new(),
        report,
    };
    // The search knows a reached state by its fingerprint; the states representatives leave
    // are few (a thousand or so), so theirs are computed from their paths.
    let froms: BTreeSet<u32> = firsts
        .iter()
        .map(|(_, from, _)| u32::try_from(*from).expect("fewer than 2^32 states"))
        .collect();
    let mut by_fingerprint: FxHashMap<u64, u32> = FxHashMap::default();
    for &from in &froms {
        let states = replay(spec, &graph.path_to(from));
        let (state, _) = states.last().expect("starts with the initial state");
        by_fingerprint.insert(fingerprint(state), from);
    }
    for (key, from, to) in firsts {
        // The environment's moves that change nothing are no call at all: nothing to run.
        if key.0.is_environment() && to.is_none() {
            continue;
        }
        let to = match to {
            None => Landing::Unchanged,
            Some(fp) => by_fingerprint
                .get(&fp)
                .map_or(Landing::Elsewhere, |&id| Landing::At(id)),
        };
        let from = u32::try_from(from).expect("fewer than 2^32 states");
        graph.classes.insert(key, Representative { from, to });
    }
    graph
}
