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
