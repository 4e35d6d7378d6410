//! A real storage engine that implements ESE's instance and data API on real files:
//! checksummed database pages, a write-ahead log in generations, a checkpoint, crash recovery
//! (this issue, 4), and later streaming backup, log truncation and hard recovery (issue 5).
//!
//! Everything goes through [`Engine`]: one method per ESE call, returning
//! `Result<_, jetapi::JetErr>`, with handles as newtypes over the raw values a caller passes.
//! Every file operation goes through the [`storage::Storage`] seam. Architecture invariant:
//! this crate never depends on `model`; it speaks to the rest of jetspec only through
//! `jetapi`. Layouts are in `docs/file-formats.md`, write orders in `docs/durability.md`.

pub mod checkpoint;
pub mod codec;
pub mod core;
mod data;
pub mod dbfile;
mod engine;
pub mod errors;
pub mod handles;
pub mod lifecycle;
pub mod log;
pub mod params;
pub mod paths;
pub mod pause;
pub mod recovery;
mod startup;
pub mod storage;
mod tables;

pub use engine::{Engine, InstanceInfo};
pub use handles::{DatabaseId, InstanceHandle, SessionHandle, TableId};
pub use jetapi::JetErr;
pub use lifecycle::{Lifecycle, RunMode};
pub use startup::{TERM_ABRUPT, TERM_DIRTY, TERM_STOP_BACKUP};
pub use tables::{COMMIT_LAZY_FLUSH, KEY_BYTES_MAX, ROLLBACK_ALL, Record, WAIT_ALL_LEVEL0_COMMIT};
