//! The seams a test harness drives the engine through, each shown alone: allocation failures
//! (`FailAllocation`), a file another process holds (`HoldFile`), the read-only attribute
//! (`MakeReadOnly`), a failed log write (`FailLogWrites`), a rollback that cannot be logged
//! (`MakeUnavailable`) and a JetInit held at `api_locked`. The trace runner composes the same
//! calls; these tests pin what each one does to the engine.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use engine::allocation::Allocation;
use engine::pause::API_LOCKED;
use engine::storage::{
    FaultRule, FaultyStorage, IoError, OpKind, OsStorage, SimStorage, Storage, read_all,
};
use engine::{Engine, InstanceHandle, JetErr, SessionHandle};
use jetapi::args::ParamValue;

use crate::data::scratch_dir;

/// An engine on a fault wrapper over the simulation, with one running instance and a session.
fn running() -> (Engine, Arc<FaultyStorage>, InstanceHandle, SessionHandle) {
    let storage = Arc::new(FaultyStorage::new(Arc::new(SimStorage::new())));
    let engine = Engine::new(storage.clone());
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    engine.init(Some(&mut inst)).unwrap();
    let session = engine.begin_session(inst, None, None).unwrap();
    (engine, storage, inst, session)
}

/// Creates `name`, then closes and detaches it, leaving the file behind.
fn detached_database(engine: &Engine, session: SessionHandle, name: &str) {
    let db = engine.create_database(session, Some(name), 0).unwrap();
    engine.close_database(session, db, 0).unwrap();
    engine.detach_database(session, Some(name), 0).unwrap();
}

#[test]
fn a_failed_memory_allocation_fails_the_next_create_once() {
    let (engine, _, _, session) = running();
    engine.fail_next_allocation(Allocation::Memory);
    assert!(engine.allocation_fails(Allocation::Memory));
    assert_eq!(
        engine.create_database(session, Some("a.edb"), 0),
        Err(JetErr::OutOfMemory)
    );
    assert!(!engine.allocation_fails(Allocation::Memory), "spent");
    engine.create_database(session, Some("a.edb"), 0).unwrap();
}

#[test]
fn a_failed_memory_allocation_waits_for_a_call_that_allocates() {
    let (engine, _, inst, session) = running();
    engine.fail_next_allocation(Allocation::Memory);
    engine.begin_transaction(session).unwrap();
    engine.rollback(session, 0).unwrap();
    assert_eq!(
        engine.begin_external_backup_instance(inst, 0),
        Err(JetErr::OutOfMemory),
        "a full backup allocates its checkpoint buffer"
    );
    engine.begin_external_backup_instance(inst, 0).unwrap();
    engine.end_external_backup_instance(inst).unwrap();
    engine.fail_next_allocation(Allocation::Memory);
    assert_eq!(engine.get_instance_info(), Err(JetErr::OutOfMemory));
    assert_eq!(engine.get_instance_info().unwrap().len(), 1);
}

#[test]
fn a_failed_buffer_allocation_fails_the_next_attach_with_out_of_buffers() {
    let (engine, _, _, session) = running();
    detached_database(&engine, session, "a.edb");
    engine.fail_next_allocation(Allocation::Buffers);
    assert_eq!(
        engine.attach_database(session, Some("a.edb"), 0),
        Err(JetErr::OutOfBuffers)
    );
    assert_eq!(
        engine.attach_database(session, Some("a.edb"), 0),
        Ok(JetErr::Success)
    );
}

#[test]
fn a_held_file_denies_opens_but_answers_lookups() {
    let storage = FaultyStorage::new(Arc::new(SimStorage::new()));
    let p = Path::new("f");
    storage.create(p).unwrap();
    storage.write_at(p, 0, b"abc").unwrap();
    storage.hold(p);
    assert_eq!(storage.read_at(p, 0, 3), Err(IoError::AccessDenied));
    assert_eq!(storage.write_at(p, 0, b"x"), Err(IoError::AccessDenied));
    assert_eq!(storage.delete(p), Err(IoError::AccessDenied));
    assert_eq!(storage.create(p), Err(IoError::AccessDenied));
    assert_eq!(storage.exists(p), Ok(true));
    assert_eq!(storage.len(p), Ok(3));
    storage.release_all();
    assert_eq!(read_all(&storage, p).unwrap(), b"abc".to_vec());
}

#[test]
fn attaching_a_held_database_is_file_access_denied() {
    let (engine, storage, _, session) = running();
    detached_database(&engine, session, "a.edb");
    storage.hold(Path::new("a.edb"));
    assert_eq!(
        engine.attach_database(session, Some("a.edb"), 0),
        Err(JetErr::FileAccessDenied)
    );
    storage.release_all();
    assert_eq!(
        engine.attach_database(session, Some("a.edb"), 0),
        Ok(JetErr::Success)
    );
}

fn read_only_attribute(s: &dyn Storage) {
    let p = Path::new("f");
    s.create(p).unwrap();
    assert_eq!(s.read_only(p), Ok(false));
    s.set_read_only(p, true).unwrap();
    assert_eq!(s.read_only(p), Ok(true));
    s.set_read_only(p, false).unwrap();
    assert_eq!(s.read_only(p), Ok(false));
    assert_eq!(s.read_only(Path::new("missing")), Err(IoError::NotFound));
    assert_eq!(
        s.set_read_only(Path::new("missing"), true),
        Err(IoError::NotFound)
    );
}

#[test]
fn both_backends_keep_the_read_only_attribute() {
    read_only_attribute(&SimStorage::new());
    let dir = scratch_dir("read-only");
    read_only_attribute(&OsStorage::new(&dir));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_read_only_database_attaches_only_with_jet_bit_db_read_only() {
    let (engine, storage, _, session) = running();
    detached_database(&engine, session, "a.edb");
    storage.set_read_only(Path::new("a.edb"), true).unwrap();
    assert_eq!(
        engine.attach_database(session, Some("a.edb"), 0),
        Err(JetErr::DatabaseFileReadOnly)
    );
    assert_eq!(
        engine.attach_database(session, Some("a.edb"), engine::DB_READ_ONLY),
        Ok(JetErr::Success)
    );
}

/// Arms a one-shot write fault on the instance's log directory.
fn fail_next_log_write(engine: &Engine, storage: &FaultyStorage, inst: InstanceHandle, e: IoError) {
    let dir = engine
        .log_directory(inst)
        .expect("a running, logging instance");
    storage.inject(FaultRule {
        op: Some(OpKind::Write),
        path: Some(dir),
        after: 0,
        error: e,
    });
}

#[test]
fn a_log_write_on_a_full_disk_leaves_the_log_disk_full() {
    let (engine, storage, inst, _) = running();
    assert_eq!(
        engine.write_log_now(inst),
        Ok(true),
        "writes when nothing fails"
    );
    fail_next_log_write(&engine, &storage, inst, IoError::NoSpace);
    assert_eq!(engine.write_log_now(inst), Err(JetErr::LogDiskFull));
    assert_eq!(
        engine.begin_external_backup_instance(inst, 0),
        Err(JetErr::LogDiskFull)
    );
    assert_eq!(engine.log_directory(inst), None, "logging has failed");
    assert_eq!(
        engine.write_log_now(inst),
        Ok(false),
        "nothing more to fail"
    );
}

#[test]
fn a_log_write_failing_with_eio_stops_logging() {
    let (engine, storage, inst, session) = running();
    fail_next_log_write(&engine, &storage, inst, IoError::Io);
    assert_eq!(engine.write_log_now(inst), Err(JetErr::LogWriteFail));
    assert_eq!(
        engine.begin_external_backup_instance(inst, 0),
        Err(JetErr::LogWriteFail)
    );
    assert_eq!(
        engine.create_database(session, Some("a.edb"), 0),
        Err(JetErr::LogWriteFail)
    );
}

#[test]
fn a_rollback_that_cannot_be_logged_makes_the_instance_unavailable() {
    let (engine, storage, inst, session) = running();
    assert_eq!(
        engine.roll_back_now(inst),
        Ok(true),
        "rolls back when nothing fails"
    );
    assert_eq!(engine.begin_transaction(session), Ok(()));
    engine.rollback(session, 0).unwrap();
    fail_next_log_write(&engine, &storage, inst, IoError::Io);
    assert_eq!(engine.roll_back_now(inst), Err(JetErr::LogWriteFail));
    assert_eq!(
        engine.begin_transaction(session),
        Err(JetErr::InstanceUnavailable)
    );
    assert_eq!(
        engine.begin_session(inst, None, None),
        Err(JetErr::InstanceUnavailable)
    );
    assert_eq!(engine.roll_back_now(inst), Ok(false), "unavailable already");
}

#[test]
fn a_rollback_on_a_full_log_disk_is_the_fatal_log_disk_full_code() {
    let (engine, storage, inst, _) = running();
    fail_next_log_write(&engine, &storage, inst, IoError::NoSpace);
    assert_eq!(engine.roll_back_now(inst), Err(JetErr::LogDiskFull));
    assert_eq!(
        engine.begin_session(inst, None, None),
        Err(JetErr::InstanceUnavailableDueToFatalLogDiskFull)
    );
}

#[test]
fn a_held_jet_init_is_init_in_progress_for_jet_set_system_parameter() {
    let engine = Arc::new(Engine::new(Arc::new(SimStorage::new())));
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    engine.pause_gates().arm(API_LOCKED);
    let init = {
        let engine = Arc::clone(&engine);
        std::thread::spawn(move || engine.init(Some(&mut inst.clone())))
    };
    assert!(
        engine
            .pause_gates()
            .wait_reached(API_LOCKED, Duration::from_secs(10))
    );
    let circular = jetapi::params::sys_param_by_name("JET_paramCircularLog").unwrap();
    assert_eq!(
        engine.set_system_parameter(inst, SessionHandle(0), circular.id, &ParamValue::Number(1)),
        Err(JetErr::InitInProgress)
    );
    engine.pause_gates().release(API_LOCKED);
    assert_eq!(init.join().unwrap(), Ok(()));
}

#[test]
fn a_lowered_generation_limit_ends_the_log_sequence_for_rolls_and_backups() {
    let (engine, _, inst, _) = running();
    assert_eq!(
        engine.log_generation_max(),
        engine::generations::GENERATION_MAX
    );
    engine.limit_log_generations(2);
    assert_eq!(engine.log_generation_max(), 2);
    assert_eq!(engine.roll_log(inst), Ok(true), "generation 1 rolls to 2");
    assert_eq!(
        engine.roll_log(inst),
        Ok(false),
        "the last generation does not roll"
    );
    assert_eq!(
        engine.begin_external_backup_instance(inst, 0),
        Err(JetErr::LogSequenceEnd)
    );
    assert_eq!(
        engine.backup_instance(inst, Some("bk/"), 0),
        Err(JetErr::LogSequenceEnd)
    );
    engine.limit_log_generations(3);
    engine.begin_external_backup_instance(inst, 0).unwrap();
}
