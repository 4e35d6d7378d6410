//! A real storage engine that implements the ESE API on real files: checksummed database pages,
//! a write-ahead log in generations, a checkpoint, crash recovery, streaming backup, log
//! truncation and hard recovery.
//!
//! Not built yet (issues 4 and 5). Architecture invariant: this crate never depends on `model`;
//! it speaks to the rest of jetspec only through `jetapi`.
