//! Crash sweep: the workload is run on the simulated backend and the machine loses power right
//! after each durability point (every `sync` and `sync_dir`) in turn. After each crash a fresh
//! engine recovers, and the table must hold exactly the first k transactions for some k at
//! least the number whose commit had returned. The torn sweep loses power after each *write*
//! in turn instead, on a disk that keeps a random part of every write not yet synced.

use std::sync::Arc;

use engine::Engine;
use engine::storage::SimStorage;

use crate::workload::{Shape, recover_and_match, run, slow};

fn sweep(shape: Shape) -> u64 {
    let sim = Arc::new(SimStorage::new());
    let clean = run(&Engine::new(sim.clone()), shape);
    assert_eq!(clean.error, None, "the workload runs clean without a crash");
    assert_eq!(clean.committed, shape.transactions);
    assert!(
        clean.checkpoints >= 2,
        "the workload checkpoints ({} times)",
        clean.checkpoints
    );
    assert!(
        clean.rolls >= 1,
        "the workload rolls the log ({} times)",
        clean.rolls
    );
    let points = sim.durability_points();
    for point in 1..=points {
        let sim = Arc::new(SimStorage::new());
        sim.power_off_after_durability_points(point);
        let engine = Engine::new(sim.clone());
        let crashed = run(&engine, shape);
        assert!(
            sim.is_powered_off() || point == points,
            "point {point} was reached"
        );
        engine.crash();
        sim.crash();
        let k = recover_and_match(sim.clone(), shape, crashed.committed).unwrap_or_else(|e| {
            panic!("crash after durability point {point} of {points} ({shape:?}): {e}")
        });
        assert!(
            k <= crashed.committed + 1,
            "point {point}: recovered {k} transactions, {} returned",
            crashed.committed
        );
    }
    println!("crash sweep {shape:?}: {points} durability points tried");
    points
}

#[test]
fn every_crash_point_recovers_a_prefix_holding_every_returned_commit() {
    let n = if slow() { 400 } else { 60 };
    let points = sweep(Shape {
        transactions: n,
        circular: false,
    });
    assert!(points > n as u64, "each commit is a durability point");
}

#[test]
fn every_crash_point_recovers_with_circular_logging_too() {
    let n = if slow() { 400 } else { 60 };
    sweep(Shape {
        transactions: n,
        circular: true,
    });
}

fn torn_sweep(shape: Shape) -> u64 {
    let sim = Arc::new(SimStorage::new());
    assert_eq!(run(&Engine::new(sim.clone()), shape).error, None);
    let writes = sim.writes();
    for point in 1..=writes {
        let sim = Arc::new(SimStorage::new());
        sim.power_off_after_writes(point);
        let engine = Engine::new(sim.clone());
        let crashed = run(&engine, shape);
        engine.crash();
        sim.crash_torn(point);
        recover_and_match(sim.clone(), shape, crashed.committed).unwrap_or_else(|e| {
            panic!("torn crash after write {point} of {writes} (seed {point}, {shape:?}): {e}")
        });
    }
    println!("torn crash sweep {shape:?}: {writes} writes tried");
    writes
}

#[test]
fn a_crash_that_tears_any_write_still_recovers_a_prefix() {
    let n = if slow() { 400 } else { 60 };
    torn_sweep(Shape {
        transactions: n,
        circular: true,
    });
}
