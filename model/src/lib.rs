//! The executable specification of ESE's instance, streaming-backup and restore state machine:
//! a pure `step(&State, &Call) -> (State, Outcome)` and the stateright model around it.
//!
//! Not built yet (issue 3). Architecture invariant: this crate does no I/O and never depends on
//! `engine`; it speaks to the rest of jetspec only through `jetapi`.
