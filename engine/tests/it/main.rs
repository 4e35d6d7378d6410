//! Integration tests of the engine: its data calls and durability on the simulated and OS
//! backends, the crash sweep and the fault sweep. Slow sweeps run in full with
//! `JETSPEC_SLOW=1`; a small fixed version always runs.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

mod concurrency;
mod crash_sweep;
mod data;
mod fault_sweep;
mod formats;
mod fuzzy_backup;
mod harness_seams;
mod lifecycle;
mod read_ahead;
mod restore;
mod storage;
mod workload;
