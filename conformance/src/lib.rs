//! The judge, and the library behind the `jetspec` command.
//!
//! Today it holds the commands of the foundation: the error catalogue (`jetspec errors`) and
//! the trace-file tools (`jetspec trace validate|fmt|calls`). Replay, lockstep conformance,
//! random walks and the coverage gate come with later issues; `not_built` names them.
//! Architecture invariant: only this crate sees both `model` and `engine`.

pub mod bench;
pub mod catalogue;
pub mod check;
pub mod conform;
pub mod coverage;
pub mod dispatch;
pub mod fuzz;
pub mod model_replay;
pub mod not_built;
pub mod replay;
pub mod replay_report;
pub mod trace_files;
pub mod verify;
pub mod witnesses;
