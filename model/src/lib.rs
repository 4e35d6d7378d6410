//! The executable specification of ESE's instance, streaming-backup and restore state machine.
//!
//! [`Spec::step`] is one pure function: for any [`State`] and any [`Action`] (every call in
//! scope, valid or not, and the environment's moves) it gives the code the call returns, the
//! check that decided it, and the next state. The model checker ([`search`]), random walks and
//! trace replay all call it. Architecture invariant: this crate does no I/O and never depends on
//! `engine`; it speaks to the rest of jetspec only through `jetapi`.

pub mod action;
pub mod checker;
pub mod config;
pub mod edges;
pub mod generate;
pub mod pack;
pub mod probes;
pub mod profile;
pub mod properties;
pub mod search;
pub mod state;
pub mod step;
pub mod to_trace;

pub use action::Action;
pub use config::Config;
pub use state::State;
pub use step::{Mutation, Outcome, Spec};
