//! Witnesses replayed on the engine against a list of the ones known to disagree, each with the
//! step it diverges at and why: an unlisted failure fails, a listed witness diverging elsewhere
//! fails, and a listed witness that starts to agree fails too, so the list cannot go stale.

use std::path::{Path, PathBuf};

use conformance::replay::{Backend, replay_file};

/// A witness's name in the lists: `Function/JET_errCode.json`.
pub fn witness_name(file: &Path) -> String {
    let folder = file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    format!("{folder}/{}", file.file_name().unwrap().to_string_lossy())
}

/// `(folder/file, step that diverges, why)`.
pub type Listed = (&'static str, usize, &'static str);

/// Replays `witnesses` (`(folder/file, path)`) on `backend` and fails on what `disagrees` does
/// not account for.
pub fn check_against_list(
    witnesses: Vec<(String, PathBuf)>,
    disagrees: &[Listed],
    backend: Backend,
) {
    let mut problems = Vec::new();
    for (name, file) in witnesses {
        let listed = disagrees.iter().find(|(n, _, _)| *n == name);
        match (replay_file(&file, backend), listed) {
            (Ok(()), None) => {}
            (Ok(()), Some(_)) => problems.push(format!(
                "{name} now replays on the engine: remove it from DISAGREES"
            )),
            (Err(d), None) => problems.push(d.to_string()),
            (Err(d), Some((_, step, why))) if d.step != *step => {
                problems.push(format!("{d}: listed as diverging at step {step} ({why})"))
            }
            (Err(_), Some(_)) => {}
        }
    }
    assert!(problems.is_empty(), "{backend:?}:\n{}", problems.join("\n"));
}
