//! Fault sweep: the workload is run with an I/O error (EIO, then ENOSPC) injected at operation
//! n, for every n in turn. The failing call must return a documented code; after a restart
//! (power loss included) no transaction whose commit returned is lost.

use std::sync::Arc;

use engine::storage::{FaultRule, FaultyStorage, IoError, SimStorage, Storage};
use engine::{Engine, JetErr};

use crate::workload::{Shape, recover_and_match, run, slow};

/// The codes an I/O failure may surface as (ese-behaviour.md §7 and the catalogue).
const IO_CODES: &[JetErr] = &[
    JetErr::LogWriteFail,
    JetErr::LogDiskFull,
    JetErr::DiskIO,
    JetErr::DiskFull,
    JetErr::InstanceUnavailable,
    JetErr::InstanceUnavailableDueToFatalLogDiskFull,
];

fn sweep(shape: Shape, error: IoError) -> u64 {
    let probe = Arc::new(FaultyStorage::new(Arc::new(SimStorage::new())));
    assert_eq!(run(&Engine::new(probe.clone()), shape).error, None);
    let ops = probe.ops();
    let mut tried = 0;
    for n in 0..ops {
        let sim = Arc::new(SimStorage::new());
        let faulty = Arc::new(FaultyStorage::new(sim.clone()));
        faulty.inject(FaultRule {
            op: None,
            path: None,
            after: n,
            error: error.clone(),
        });
        let engine = Engine::new(faulty.clone() as Arc<dyn Storage>);
        let failed = run(&engine, shape);
        let code = failed
            .error
            .unwrap_or_else(|| panic!("fault at op {n} ({error}) was never reported"));
        assert!(
            IO_CODES.contains(&code),
            "fault at op {n} ({error}) surfaced as {code:?}"
        );
        engine.crash();
        sim.crash();
        recover_and_match(sim, shape, failed.committed)
            .unwrap_or_else(|e| panic!("fault at op {n} of {ops} ({error}): {e}"));
        tried += 1;
    }
    println!("fault sweep {shape:?} {error}: {tried} of {ops} operations tried");
    tried
}

#[test]
fn an_eio_at_any_operation_loses_no_returned_commit() {
    let n = if slow() { 200 } else { 25 };
    sweep(
        Shape {
            transactions: n,
            circular: false,
        },
        IoError::Io,
    );
}

#[test]
fn an_enospc_at_any_operation_loses_no_returned_commit() {
    let n = if slow() { 200 } else { 25 };
    sweep(
        Shape {
            transactions: n,
            circular: true,
        },
        IoError::NoSpace,
    );
}
