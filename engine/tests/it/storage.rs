//! The storage contract, checked on every backend: the OS backend and the simulation answer
//! the same operations the same way, the simulation's crash keeps exactly what was synced, and
//! the fault wrapper fails the operation it aims at and only that one.

use std::path::Path;
use std::sync::Arc;

use engine::storage::{FaultRule, FaultyStorage, IoError, OpKind, OsStorage, SimStorage, Storage};

use crate::data::scratch_dir;

fn contract(s: &dyn Storage) {
    let p = Path::new("d/f");
    assert_eq!(
        s.create(p),
        Err(IoError::NotFound),
        "no parent directory yet"
    );
    s.create_dir_all(Path::new("d")).unwrap();
    s.create(p).unwrap();
    s.write_at(p, 4, b"abcd").unwrap();
    assert_eq!(s.len(p), Ok(8));
    assert_eq!(s.read_at(p, 0, 100).unwrap(), b"\0\0\0\0abcd".to_vec());
    assert_eq!(s.read_at(p, 6, 100).unwrap(), b"cd".to_vec());
    s.sync(p).unwrap();
    s.rename(p, Path::new("d/g")).unwrap();
    s.sync_dir(Path::new("d")).unwrap();
    assert_eq!(s.list(Path::new("d")).unwrap(), vec!["g".to_string()]);
    assert_eq!(s.exists(p), Ok(false));
    assert_eq!(s.exists(Path::new("d")), Ok(true));
    assert_eq!(s.len(p), Err(IoError::NotFound));
    s.delete(Path::new("d/g")).unwrap();
    assert_eq!(s.delete(Path::new("d/g")), Err(IoError::NotFound));
    assert_eq!(s.list(Path::new("d")).unwrap(), Vec::<String>::new());
}

#[test]
fn the_os_backend_and_the_simulation_keep_the_same_contract() {
    let dir = scratch_dir("contract");
    contract(&OsStorage::new(&dir));
    contract(&SimStorage::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_simulated_crash_keeps_synced_bytes_and_entries_only() {
    let sim = SimStorage::new();
    sim.create(Path::new("a")).unwrap();
    sim.write_at(Path::new("a"), 0, b"old").unwrap();
    sim.sync(Path::new("a")).unwrap();
    sim.sync_dir(Path::new("")).unwrap();
    sim.write_at(Path::new("a"), 0, b"new").unwrap();
    sim.create(Path::new("b")).unwrap();
    sim.sync(Path::new("b")).unwrap();
    sim.rename(Path::new("a"), Path::new("c")).unwrap();
    sim.crash();
    assert_eq!(
        sim.list(Path::new("")).unwrap(),
        vec!["a".to_string()],
        "b and c were never in a synced directory"
    );
    assert_eq!(sim.read_at(Path::new("a"), 0, 10).unwrap(), b"old".to_vec());
}

#[test]
fn a_fault_fires_once_on_the_aimed_operation() {
    let faulty = FaultyStorage::new(Arc::new(SimStorage::new()));
    faulty.create(Path::new("x")).unwrap();
    faulty.create(Path::new("y")).unwrap();
    faulty.inject(FaultRule {
        op: Some(OpKind::Write),
        path: Some("y".into()),
        after: 1,
        error: IoError::NoSpace,
    });
    faulty.write_at(Path::new("x"), 0, b"1").unwrap();
    faulty.write_at(Path::new("y"), 0, b"1").unwrap();
    assert_eq!(
        faulty.write_at(Path::new("y"), 1, b"2"),
        Err(IoError::NoSpace)
    );
    faulty.write_at(Path::new("y"), 1, b"2").unwrap();
    assert_eq!((faulty.fired(), faulty.ops()), (1, 6));
}
