//! The data calls and their durability: records survive a clean shutdown on real files, a
//! crash drops what never committed, rollbacks and conflicts give ESE's codes, a corrupt page
//! is detected, and a failed log sync stops logged work.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use engine::dbfile::PAGE_FRAME;
use engine::storage::{FaultRule, FaultyStorage, IoError, OpKind, OsStorage, SimStorage, Storage};
use engine::{DatabaseId, Engine, InstanceHandle, JetErr, SessionHandle, TableId};
use jetapi::args::ParamValue;

/// A fresh directory under the system's temporary directory.
pub fn scratch_dir(label: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "jetspec-engine-{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Open {
    engine: Engine,
    inst: InstanceHandle,
    s: SessionHandle,
    db: DatabaseId,
    t: TableId,
}

fn open(storage: Arc<dyn Storage>, create: bool, recovery: bool) -> Open {
    let engine = Engine::new(storage);
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("d")).unwrap();
    if !recovery {
        let off = ParamValue::Text("Off".into());
        engine
            .set_system_parameter(inst, SessionHandle(0), engine::params::RECOVERY, &off)
            .unwrap();
    }
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    let db = if create {
        engine.create_database(s, Some("d.edb"), 0).unwrap()
    } else {
        engine.attach_database(s, Some("d.edb"), 0).unwrap();
        engine.open_database(s, Some("d.edb"), 0).unwrap()
    };
    let t = if create {
        engine.create_table(s, db, Some("t")).unwrap()
    } else {
        engine.open_table(s, db, Some("t"), 0).unwrap()
    };
    Open {
        engine,
        inst,
        s,
        db,
        t,
    }
}

fn rows(o: &Open) -> Vec<(String, String)> {
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    o.engine
        .records(o.s, o.t)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (text(k), text(v)))
        .collect()
}

fn row(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn committed_records_survive_a_clean_term_on_real_files() {
    let dir = scratch_dir("clean");
    let o = open(Arc::new(OsStorage::new(&dir)), true, true);
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    o.engine.insert(o.s, o.t, b"b", b"2").unwrap();
    o.engine.term(o.inst).unwrap();
    assert!(dir.join("edb.chk").exists() && dir.join("edb.log").exists());
    let o = open(Arc::new(OsStorage::new(&dir)), false, true);
    assert_eq!(rows(&o), vec![row("a", "1"), row("b", "2")]);
    o.engine.term(o.inst).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_crash_keeps_committed_work_and_drops_uncommitted_work() {
    let sim = Arc::new(SimStorage::new());
    let o = open(sim.clone(), true, true);
    let s2 = o.engine.begin_session(o.inst, None, None).unwrap();
    let db2 = o.engine.open_database(s2, Some("d.edb"), 0).unwrap();
    let t2 = o.engine.open_table(s2, db2, Some("t"), 0).unwrap();
    o.engine.begin_transaction(s2).unwrap();
    o.engine.insert(s2, t2, b"open", b"0").unwrap();
    // This commit makes the open transaction's change durable in the log too.
    o.engine.insert(o.s, o.t, b"kept", b"1").unwrap();
    o.engine.begin_transaction(o.s).unwrap();
    o.engine.insert(o.s, o.t, b"lost", b"2").unwrap();
    o.engine
        .commit_transaction(o.s, engine::COMMIT_LAZY_FLUSH)
        .unwrap();
    o.engine.crash();
    sim.crash();
    let o = open(sim.clone(), false, true);
    assert_eq!(
        rows(&o),
        vec![row("kept", "1")],
        "a lazy commit never flushed is lost, an open one undone"
    );
    let stats = o.engine.instance_stats(o.inst).unwrap();
    assert_eq!(
        (stats.recovered.committed, stats.recovered.undone),
        (2, 1),
        "{stats:?}"
    );
}

#[test]
fn rollbacks_undo_one_level_or_all() {
    let o = open(Arc::new(SimStorage::new()), true, true);
    o.engine.begin_transaction(o.s).unwrap();
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    o.engine.begin_transaction(o.s).unwrap();
    o.engine.insert(o.s, o.t, b"b", b"2").unwrap();
    o.engine.rollback(o.s, 0).unwrap();
    assert_eq!(rows(&o), vec![row("a", "1")]);
    o.engine.rollback(o.s, 0).unwrap();
    assert_eq!(rows(&o), vec![]);
    assert_eq!(o.engine.rollback(o.s, 0), Err(JetErr::NotInTransaction));
    assert_eq!(
        o.engine.commit_transaction(o.s, 0),
        Err(JetErr::NotInTransaction)
    );
}

#[test]
fn keys_and_conflicts_get_ese_codes() {
    let o = open(Arc::new(SimStorage::new()), true, true);
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    assert_eq!(
        o.engine.insert(o.s, o.t, b"a", b"2"),
        Err(JetErr::KeyDuplicate)
    );
    assert_eq!(
        o.engine.update(o.s, o.t, b"z", b"2"),
        Err(JetErr::RecordNotFound)
    );
    assert_eq!(o.engine.seek(o.s, o.t, b"z"), Err(JetErr::RecordNotFound));
    let big = vec![0u8; 9000];
    assert_eq!(
        o.engine.insert(o.s, o.t, b"big", &big),
        Err(JetErr::RecordTooBig)
    );
    let s2 = o.engine.begin_session(o.inst, None, None).unwrap();
    let db2 = o.engine.open_database(s2, Some("d.edb"), 0).unwrap();
    let t2 = o.engine.open_table(s2, db2, Some("t"), 0).unwrap();
    o.engine.begin_transaction(o.s).unwrap();
    o.engine.update(o.s, o.t, b"a", b"3").unwrap();
    assert_eq!(
        o.engine.update(s2, t2, b"a", b"4"),
        Err(JetErr::WriteConflict)
    );
    assert_eq!(
        o.engine.seek(s2, t2, b"a"),
        Ok(b"1".to_vec()),
        "uncommitted work is private"
    );
    assert_eq!(o.engine.term(o.inst), Err(JetErr::TooManyActiveUsers));
    o.engine.commit_transaction(o.s, 0).unwrap();
    assert_eq!(o.engine.seek(s2, t2, b"a"), Ok(b"3".to_vec()));
    assert_eq!(
        o.engine.detach_database(o.s, Some("d.edb"), 0),
        Err(JetErr::DatabaseInUse)
    );
    o.engine.term(o.inst).unwrap();
}

#[test]
fn a_corrupt_page_is_a_read_verify_failure() {
    let sim = Arc::new(SimStorage::new());
    let o = open(sim.clone(), true, true);
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    o.engine.term(o.inst).unwrap();
    // Flip a byte in the payload of every data page (after the two header pages).
    let len = sim.len("d.edb".as_ref()).unwrap();
    let mut page = 2 * 8192;
    while page < len {
        let at = page + PAGE_FRAME as u64 + 1;
        let b = sim.read_at("d.edb".as_ref(), at, 1).unwrap();
        sim.write_at("d.edb".as_ref(), at, &[b[0] ^ 0xFF]).unwrap();
        page += 8192;
    }
    let engine = Engine::new(sim);
    let mut inst = InstanceHandle::NULL;
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    assert_eq!(
        engine.attach_database(s, Some("d.edb"), 0),
        Err(JetErr::ReadVerifyFailure)
    );
}

#[test]
fn with_recovery_off_a_crash_leaves_the_database_dirty() {
    let sim = Arc::new(SimStorage::new());
    let o = open(sim.clone(), true, false);
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    assert!(!sim.exists("edb.chk".as_ref()).unwrap() && !sim.exists("edb.log".as_ref()).unwrap());
    o.engine.crash();
    sim.crash();
    let engine = Engine::new(sim);
    let mut inst = InstanceHandle::NULL;
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    assert_eq!(
        engine.attach_database(s, Some("d.edb"), 0),
        Err(JetErr::DatabaseDirtyShutdown)
    );
}

#[test]
fn after_a_failed_log_sync_the_instance_refuses_logged_work_without_retrying() {
    let sim = Arc::new(SimStorage::new());
    let faulty = Arc::new(FaultyStorage::new(sim.clone()));
    let o = open(faulty.clone(), true, true);
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    faulty.inject(FaultRule {
        op: Some(OpKind::Sync),
        path: Some("edb.log".into()),
        after: 0,
        error: IoError::Io,
    });
    assert_eq!(
        o.engine.insert(o.s, o.t, b"b", b"2"),
        Err(JetErr::LogWriteFail)
    );
    assert_eq!(faulty.fired(), 1);
    // The insert ran in a transaction of its own, which could not log its rollback: the
    // instance is unavailable (ese-behaviour.md §7) and does no further log I/O.
    assert_eq!(
        o.engine.insert(o.s, o.t, b"c", b"3"),
        Err(JetErr::InstanceUnavailable)
    );
    assert_eq!(
        faulty.fired(),
        1,
        "the failed instance does no further log I/O"
    );
    // An unavailable instance terminates as after an error, flushing nothing, and the term
    // reports success (ESE's tm.cxx ErrIsamTerm); the restart recovers from the log.
    assert_eq!(o.engine.term(o.inst), Ok(()));
    o.engine.crash();
    sim.crash();
    let o = open(sim, false, true);
    assert_eq!(rows(&o), vec![row("a", "1")]);
}

#[test]
fn a_full_log_disk_then_a_failed_rollback_makes_the_instance_unavailable() {
    let faulty = Arc::new(FaultyStorage::new(Arc::new(SimStorage::new())));
    let o = open(faulty.clone(), true, true);
    o.engine.begin_transaction(o.s).unwrap();
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    faulty.inject(FaultRule {
        op: Some(OpKind::Write),
        path: Some("edb.log".into()),
        after: 0,
        error: IoError::NoSpace,
    });
    assert_eq!(
        o.engine.commit_transaction(o.s, 0),
        Err(JetErr::LogDiskFull)
    );
    o.engine.rollback(o.s, 0).unwrap();
    assert_eq!(
        o.engine.begin_session(o.inst, None, None),
        Err(JetErr::InstanceUnavailableDueToFatalLogDiskFull)
    );
}

#[test]
fn a_database_with_uncommitted_changes_cannot_be_detached_even_when_closed() {
    let o = open(Arc::new(SimStorage::new()), true, true);
    o.engine.begin_transaction(o.s).unwrap();
    o.engine.insert(o.s, o.t, b"a", b"1").unwrap();
    o.engine.close_database(o.s, o.db, 0).unwrap();
    let s2 = o.engine.begin_session(o.inst, None, None).unwrap();
    assert_eq!(
        o.engine.detach_database(s2, Some("d.edb"), 0),
        Err(JetErr::DatabaseInUse)
    );
    o.engine.commit_transaction(o.s, 0).unwrap();
    o.engine.detach_database(s2, Some("d.edb"), 0).unwrap();
    o.engine.term(o.inst).unwrap();
}

#[test]
fn a_table_whose_creation_was_rolled_back_is_an_invalid_table_id() {
    let o = open(Arc::new(SimStorage::new()), true, true);
    o.engine.begin_transaction(o.s).unwrap();
    let u = o.engine.create_table(o.s, o.db, Some("u")).unwrap();
    o.engine.insert(o.s, u, b"a", b"1").unwrap();
    o.engine.rollback(o.s, 0).unwrap();
    assert_eq!(
        o.engine.insert(o.s, u, b"b", b"2"),
        Err(JetErr::InvalidTableId)
    );
    assert_eq!(o.engine.records(o.s, u), Err(JetErr::InvalidTableId));
    assert_eq!(
        o.engine.open_table(o.s, o.db, Some("u"), 0),
        Err(JetErr::ObjectNotFound)
    );
}

/// An instance on `storage` whose checkpoint depth never triggers a checkpoint, with a new
/// database `big.edb` and table `t`.
fn deep_instance(storage: Arc<dyn Storage>) -> Open {
    let engine = Engine::new(storage);
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("d")).unwrap();
    let depth = ParamValue::Number(i64::from(i32::MAX));
    engine
        .set_system_parameter(
            inst,
            SessionHandle(0),
            engine::params::CHECKPOINT_DEPTH_MAX,
            &depth,
        )
        .unwrap();
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    let db = engine.create_database(s, Some("big.edb"), 0).unwrap();
    let t = engine.create_table(s, db, Some("t")).unwrap();
    Open {
        engine,
        inst,
        s,
        db,
        t,
    }
}

/// Rows of 8,000 bytes: enough of them to pass `core::PENDING_BYTES_MAX`.
const BIG_ROWS: usize = 2_200;

fn big_key(i: usize) -> Vec<u8> {
    format!("{i:06}").into_bytes()
}

fn big_value(i: usize) -> Vec<u8> {
    vec![(i % 251) as u8; 8_000]
}

#[test]
fn committed_changes_past_the_memory_bound_are_checkpointed_and_read_back_from_pages() {
    let sim = Arc::new(SimStorage::new());
    let o = deep_instance(sim.clone());
    const { assert!(BIG_ROWS * 8_000 > engine::core::PENDING_BYTES_MAX) };
    for i in 0..BIG_ROWS {
        o.engine
            .insert(o.s, o.t, &big_key(i), &big_value(i))
            .unwrap();
    }
    let stats = o.engine.instance_stats(o.inst).unwrap();
    assert!(stats.checkpoints >= 1, "{stats:?}");
    // Early rows now live only in pages: seeks find them there.
    for i in [0, 1, 777, 1_500, BIG_ROWS - 1] {
        assert_eq!(o.engine.seek(o.s, o.t, &big_key(i)).unwrap(), big_value(i));
    }
    assert_eq!(
        o.engine.seek(o.s, o.t, b"999999"),
        Err(JetErr::RecordNotFound)
    );
    o.engine.term(o.inst).unwrap();
    let o = open_big(sim);
    let all = o.engine.records(o.s, o.t).unwrap();
    assert_eq!(all.len(), BIG_ROWS);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, (k, v))| *k == big_key(i) && *v == big_value(i))
    );
}

fn open_big(storage: Arc<dyn Storage>) -> Open {
    let engine = Engine::new(storage);
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("d")).unwrap();
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    engine.attach_database(s, Some("big.edb"), 0).unwrap();
    let db = engine.open_database(s, Some("big.edb"), 0).unwrap();
    let t = engine.open_table(s, db, Some("t"), 0).unwrap();
    Open {
        engine,
        inst,
        s,
        db,
        t,
    }
}

#[test]
fn recovery_replaying_more_than_the_memory_bound_flushes_midway_and_loses_nothing() {
    let sim = Arc::new(SimStorage::new());
    let o = deep_instance(sim.clone());
    // An open transaction holds the checkpoint at its start, so recovery replays every row.
    let s2 = o.engine.begin_session(o.inst, None, None).unwrap();
    let db2 = o.engine.open_database(s2, Some("big.edb"), 0).unwrap();
    let t2 = o.engine.open_table(s2, db2, Some("t"), 0).unwrap();
    o.engine.begin_transaction(s2).unwrap();
    o.engine.insert(s2, t2, b"open", b"0").unwrap();
    for i in 0..BIG_ROWS {
        o.engine
            .insert(o.s, o.t, &big_key(i), &big_value(i))
            .unwrap();
    }
    o.engine.crash();
    sim.crash();
    let o = open_big(sim);
    let stats = o.engine.instance_stats(o.inst).unwrap();
    assert!(
        stats.recovered.bytes > engine::core::PENDING_BYTES_MAX as u64,
        "{stats:?}"
    );
    assert_eq!(stats.recovered.undone, 1, "{stats:?}");
    let all = o.engine.records(o.s, o.t).unwrap();
    assert_eq!(all.len(), BIG_ROWS, "the open transaction's row is undone");
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, (k, v))| *k == big_key(i) && *v == big_value(i))
    );
}

#[test]
fn open_database_refuses_the_temporary_database_a_locked_one_and_a_second_under_one_database_per_session()
 {
    let engine = Engine::new(Arc::new(SimStorage::new()));
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("d")).unwrap();
    let set = |id: u32, v: ParamValue| {
        engine
            .set_system_parameter(inst, SessionHandle(0), id, &v)
            .unwrap()
    };
    set(engine::params::TEMP_PATH, ParamValue::Text("tmp/".into()));
    set(
        engine::params::ONE_DATABASE_PER_SESSION,
        ParamValue::Number(1),
    );
    let mut started = inst;
    engine.init(Some(&mut started)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    let s2 = engine.begin_session(inst, None, None).unwrap();
    assert_eq!(
        engine.open_database(s, Some("tmp/tmp.edb"), 0),
        Err(JetErr::InvalidDatabase)
    );
    let exclusive = 0x2; // JET_bitDbExclusive
    let a = engine.create_database(s, Some("a.edb"), 0).unwrap();
    let b = engine.create_database(s2, Some("b.edb"), 0).unwrap();
    // The caller's own open counts (ESE's FMP::CPin).
    assert_eq!(
        engine.open_database(s, Some("a.edb"), exclusive),
        Err(JetErr::DatabaseInUse)
    );
    assert_eq!(
        engine.open_database(s, Some("b.edb"), 0),
        Err(JetErr::OneDatabasePerSession)
    );
    engine.close_database(s, a, 0).unwrap();
    engine.close_database(s2, b, 0).unwrap();
    let held = engine.open_database(s2, Some("a.edb"), exclusive).unwrap();
    assert_eq!(
        engine.open_database(s, Some("a.edb"), 0),
        Err(JetErr::DatabaseLocked)
    );
    engine.close_database(s2, held, 0).unwrap();
    engine.open_database(s, Some("a.edb"), 0).unwrap();
}

#[test]
fn a_forced_detach_is_refused_before_the_name_is_looked_at() {
    let o = open(Arc::new(SimStorage::new()), true, true);
    let force = 0x1; // JET_bitForceDetach
    for name in [Some("d.edb"), Some("missing.edb"), None] {
        assert_eq!(
            o.engine.detach_database(o.s, name, force),
            Err(JetErr::ForceDetachNotAllowed)
        );
    }
    o.engine.term(o.inst).unwrap();
}
