//! Restore stays inside the directories it is given: symbolic links that leave the engine's
//! root are seen by the OS backend, and JetExternalRestore refuses them before writing.

use std::path::Path;
use std::sync::Arc;

use engine::storage::{OsStorage, Storage};
use engine::{Engine, JetErr};

use crate::data::scratch_dir;

#[test]
fn the_os_backend_sees_links_that_leave_its_root() {
    let root = scratch_dir("links");
    let outside = scratch_dir("links-outside");
    std::fs::create_dir_all(root.join("inside")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("not-yet"), root.join("dangling")).unwrap();
    std::os::unix::fs::symlink(root.join("inside"), root.join("alias")).unwrap();
    let s = OsStorage::new(&root);
    assert!(s.stays_inside(Path::new("inside")));
    assert!(s.stays_inside(Path::new("inside/new/file")));
    assert!(
        s.stays_inside(Path::new("alias/file")),
        "a link within the root"
    );
    assert!(!s.stays_inside(Path::new("out")));
    assert!(!s.stays_inside(Path::new("out/logs")));
    assert!(!s.stays_inside(Path::new("dangling")));
}

#[test]
fn external_restore_refuses_a_log_directory_linked_outside_the_root() {
    let root = scratch_dir("restore-link");
    let outside = scratch_dir("restore-link-outside");
    std::os::unix::fs::symlink(&outside, root.join("logs")).unwrap();
    let engine = Engine::new(Arc::new(OsStorage::new(&root)));
    let map = [("a.edb".to_string(), "a.edb".to_string())];
    let r = engine.external_restore(Some("sys"), Some("logs"), &map, 1, Some("backup"), 1, 1);
    assert_eq!(r, Err(JetErr::InvalidPath));
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing was written through the link"
    );
    assert!(
        !root.join("sys").exists(),
        "refused before creating anything"
    );
}

fn rows_after_restore_of(engine: &Engine, dir: &str) -> usize {
    use engine::InstanceHandle;
    let mut b = InstanceHandle::NULL;
    engine.create_instance(Some(&mut b), Some("b")).unwrap();
    for (id, v) in [
        (engine::params::SYSTEM_PATH, "sys/"),
        (engine::params::LOG_FILE_PATH, "logs/"),
    ] {
        let v = jetapi::args::ParamValue::Text(v.into());
        engine
            .set_system_parameter(b, engine::SessionHandle(0), id, &v)
            .unwrap();
    }
    engine.restore_instance(b, Some(dir), None).unwrap();
    engine.init(Some(&mut b)).unwrap();
    let s = engine.begin_session(b, None, None).unwrap();
    engine.attach_database(s, Some("a.edb"), 0).unwrap();
    let db = engine.open_database(s, Some("a.edb"), 0).unwrap();
    let t = engine.open_table(s, db, Some("t"), 0).unwrap();
    let n = engine.records(s, t).unwrap().len();
    engine.end_session(s, 0).unwrap();
    engine.term(b).unwrap();
    n
}

#[test]
fn an_atomic_incremental_backup_restores_from_old_with_its_full_backup() {
    use engine::storage::SimStorage;
    use engine::{InstanceHandle, SessionHandle};
    const ATOMIC: u32 = 0x4;
    const INCREMENTAL: u32 = 0x1;
    let sim = Arc::new(SimStorage::new());
    let engine = Engine::new(sim.clone());
    let mut a = InstanceHandle::NULL;
    engine.create_instance(Some(&mut a), Some("a")).unwrap();
    for (id, v) in [
        (engine::params::SYSTEM_PATH, "sys/"),
        (engine::params::LOG_FILE_PATH, "logs/"),
    ] {
        let v = jetapi::args::ParamValue::Text(v.into());
        engine
            .set_system_parameter(a, SessionHandle(0), id, &v)
            .unwrap();
    }
    let on = jetapi::args::ParamValue::Number(1);
    engine
        .set_system_parameter(
            a,
            SessionHandle(0),
            engine::params::CREATE_PATH_IF_NOT_EXIST,
            &on,
        )
        .unwrap();
    engine.init(Some(&mut a)).unwrap();
    let s = engine.begin_session(a, None, None).unwrap();
    engine.create_database(s, Some("a.edb"), 0).unwrap();
    let db = engine.open_database(s, Some("a.edb"), 0).unwrap();
    let t = engine.create_table(s, db, Some("t")).unwrap();
    let insert = |from: usize, to: usize| {
        for i in from..to {
            engine.begin_transaction(s).unwrap();
            engine
                .insert(s, t, format!("{i:04}").as_bytes(), b"v")
                .unwrap();
            engine.commit_transaction(s, 0).unwrap();
        }
    };
    insert(0, 10);
    engine.backup_instance(a, Some("bk/"), ATOMIC).unwrap();
    insert(10, 25);
    engine
        .backup_instance(a, Some("bk/"), ATOMIC | INCREMENTAL)
        .unwrap();
    assert!(
        !sim.exists(Path::new("bk/new")).unwrap(),
        "new/ moved to old/"
    );
    insert(25, 30);
    engine.end_session(s, 0).unwrap();
    engine.term(a).unwrap();
    for dir in ["logs", "sys"] {
        for name in sim.list(Path::new(dir)).unwrap() {
            sim.delete(&Path::new(dir).join(name)).unwrap();
        }
    }
    sim.delete(Path::new("a.edb")).unwrap();
    assert_eq!(
        rows_after_restore_of(&engine, "bk/"),
        25,
        "the full backup in old/ and the incremental's logs beside it"
    );
}
