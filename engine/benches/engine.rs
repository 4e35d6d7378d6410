//! `cargo bench -p engine --bench engine`: durable commits per second, batched commits per
//! second and crash-recovery replay speed, each beside a baseline measured in the same run on
//! the same directory: a plain `write` + `fsync` loop of the same bytes for the commits, and a
//! plain read of the same log files for recovery. Figures go to `docs/benchmarks.md`.
//!
//! The baselines use `std::fs` directly: they measure the machine, not the engine.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use engine::storage::OsStorage;
use engine::{
    COMMIT_LAZY_FLUSH, Engine, InstanceHandle, SessionHandle, TERM_DIRTY, TableId,
    WAIT_ALL_LEVEL0_COMMIT,
};
use jetapi::args::ParamValue;

const VALUE_BYTES: usize = 100;

fn bench_dir(name: &str) -> PathBuf {
    let root = option_env!("CARGO_TARGET_TMPDIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = root.join(format!("jetspec-bench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Open {
    engine: Engine,
    inst: InstanceHandle,
    s: SessionHandle,
    t: TableId,
}

fn open(dir: &Path, log_kib: i64) -> Open {
    let engine = Engine::new(Arc::new(OsStorage::new(dir)));
    let mut inst = InstanceHandle::NULL;
    engine
        .create_instance(Some(&mut inst), Some("bench"))
        .unwrap();
    for (id, v) in [
        (engine::params::LOG_FILE_SIZE, log_kib),
        (engine::params::CHECKPOINT_DEPTH_MAX, 64 << 20),
    ] {
        engine
            .set_system_parameter(inst, SessionHandle(0), id, &ParamValue::Number(v))
            .unwrap();
    }
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    let db = engine.create_database(s, Some("bench.edb"), 0).unwrap();
    let t = engine.create_table(s, db, Some("t")).unwrap();
    Open { engine, inst, s, t }
}

fn commit_one(o: &Open, i: usize, grbit: u32) {
    o.engine.begin_transaction(o.s).unwrap();
    let key = format!("k{i:010}");
    o.engine
        .insert(o.s, o.t, key.as_bytes(), &[b'v'; VALUE_BYTES])
        .unwrap();
    o.engine.commit_transaction(o.s, grbit).unwrap();
}

/// The bytes one commit appends to the log: an Op record and a Commit record with frames.
fn log_bytes_per_commit() -> usize {
    let op = 8 + 1 + 8 + 1 + 4 + 2 + 1 + 2 + 11 + 2 + VALUE_BYTES;
    let commit = 8 + 1 + 8;
    op + commit
}

fn baseline_fsync_loop(dir: &Path, commits: usize, batch: usize) -> f64 {
    let path = dir.join("baseline.bin");
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .unwrap();
    let chunk = vec![0x5Au8; log_bytes_per_commit()];
    let start = Instant::now();
    for i in 0..commits {
        f.write_all(&chunk).unwrap();
        if (i + 1) % batch == 0 {
            f.sync_data().unwrap();
        }
    }
    f.sync_data().unwrap();
    commits as f64 / start.elapsed().as_secs_f64()
}

fn durable_commits(commits: usize) -> (f64, f64) {
    let dir = bench_dir("durable");
    let o = open(&dir, 5120);
    let start = Instant::now();
    for i in 0..commits {
        commit_one(&o, i, 0);
    }
    let engine_rate = commits as f64 / start.elapsed().as_secs_f64();
    o.engine.term(o.inst).unwrap();
    (engine_rate, baseline_fsync_loop(&dir, commits, 1))
}

fn batched_commits(commits: usize, batch: usize) -> (f64, f64) {
    let dir = bench_dir("batched");
    let o = open(&dir, 5120);
    let start = Instant::now();
    for i in 0..commits {
        let last = (i + 1) % batch == 0;
        commit_one(
            &o,
            i,
            if last {
                WAIT_ALL_LEVEL0_COMMIT
            } else {
                COMMIT_LAZY_FLUSH
            },
        );
    }
    let engine_rate = commits as f64 / start.elapsed().as_secs_f64();
    o.engine.term(o.inst).unwrap();
    (engine_rate, baseline_fsync_loop(&dir, commits, batch))
}

fn recovery(commits: usize, batch: usize) -> (f64, f64, u64) {
    let dir = bench_dir("recovery");
    let o = open(&dir, 4096);
    for i in 0..commits {
        let last = (i + 1) % batch == 0;
        commit_one(
            &o,
            i,
            if last {
                WAIT_ALL_LEVEL0_COMMIT
            } else {
                COMMIT_LAZY_FLUSH
            },
        );
    }
    assert_eq!(
        o.engine.term2(o.inst, TERM_DIRTY),
        Err(engine::JetErr::DirtyShutdown)
    );
    let logs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    let start = Instant::now();
    let mut read = 0u64;
    for p in &logs {
        read += std::fs::read(p).unwrap().len() as u64;
    }
    let baseline = read as f64 / 1e6 / start.elapsed().as_secs_f64();
    let engine = Engine::new(Arc::new(OsStorage::new(&dir)));
    let mut inst = InstanceHandle::NULL;
    engine
        .create_instance(Some(&mut inst), Some("bench"))
        .unwrap();
    let start = Instant::now();
    engine.init(Some(&mut inst)).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let stats = engine.instance_stats(inst).unwrap();
    assert_eq!(
        stats.recovered.committed as usize,
        commits + 1,
        "every commit (and the table creation) replayed"
    );
    engine.term(inst).unwrap();
    (
        stats.recovered.bytes as f64 / 1e6 / secs,
        baseline,
        stats.recovered.bytes,
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (durable, batched, replay) = if quick {
        (200, 5_000, 20_000)
    } else {
        (2_000, 50_000, 200_000)
    };
    println!("engine benchmarks (release build, OS backend, {VALUE_BYTES}-byte values)");
    let (e, b) = durable_commits(durable);
    println!(
        "durable commits/s ({durable} commits, one fsync each): engine {e:.0}, baseline write+fsync {b:.0}"
    );
    let (e, b) = batched_commits(batched, 100);
    println!(
        "batched commits/s ({batched} commits, fsync per 100): engine {e:.0}, baseline write+fsync {b:.0}"
    );
    let (e, b, bytes) = recovery(replay, 1000);
    println!(
        "recovery replay MB/s ({:.1} MB of log, {replay} transactions): engine {e:.1}, baseline read of the same logs {b:.1}",
        bytes as f64 / 1e6
    );
}
