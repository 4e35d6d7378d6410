//! The model's witnesses of JetRestore* replay on the engine, on the simulated disk and on
//! real files: those of the three restore folders, and every other witness that holds a
//! restore with Start / Finish (a call refused with `JET_errRestoreInProgress` meanwhile).
//! Where the engine disagrees with the model on purpose, the witness is listed in `DISAGREES`
//! with the step it diverges at and why; a listed witness that starts to agree fails the test
//! too, so the list cannot go stale.

use std::path::PathBuf;

use conformance::replay::Backend;
use conformance::trace_files::collect_trace_files;

/// The witness folders replayed here: the restore calls of issue 5.
const FOLDERS: &[&str] = &[
    "JetRestore",
    "JetRestore2",
    "JetRestoreInstance",
    "JetExternalRestore",
    "JetExternalRestore2",
];

/// `(folder/file, step that diverges, why)`.
const DISAGREES: &[(&str, usize, &str)] = &[];

fn witnesses() -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces/witnesses");
    let mut out = Vec::new();
    for folder in FOLDERS {
        for file in collect_trace_files(&[root.join(folder)]).unwrap() {
            out.push((crate::listed::witness_name(&file), file));
        }
    }
    for file in collect_trace_files(std::slice::from_ref(&root)).unwrap() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = crate::listed::witness_name(&file);
        let folder = name.split('/').next().unwrap_or("");
        if FOLDERS.contains(&folder) || !text.contains(r#"{"call": {"call": "JetRestore"#) {
            continue;
        }
        out.push((name, file));
    }
    assert!(out.len() >= 40, "only {} restore witnesses", out.len());
    out
}

fn check(backend: Backend) {
    crate::listed::check_against_list(witnesses(), DISAGREES, backend);
}

#[test]
fn the_restore_witnesses_replay_on_the_engine_on_the_simulated_disk() {
    check(Backend::Sim);
}

#[test]
fn the_restore_witnesses_replay_on_the_engine_on_real_files() {
    check(Backend::Os);
}
