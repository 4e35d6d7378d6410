//! The model's witnesses that use the harness actions of the world around the engine
//! (FailLogWrites, MakeUnavailable, FailAllocation, MakeReadOnly, HoldFile) or hold a JetInit
//! with Start / Finish replay on the engine, on the simulated disk and on real files. Where the
//! engine disagrees with the model, the witness is listed in `DISAGREES` with the step it
//! diverges at and why; a listed witness that starts to agree fails the test too, so the list
//! cannot go stale.

use std::path::PathBuf;

use conformance::replay::Backend;
use conformance::trace_files::collect_trace_files;

/// What marks a witness as one of these: the actions, and a started JetInit.
const MARKS: &[&str] = &[
    r#""call": "FailLogWrites""#,
    r#""call": "MakeUnavailable""#,
    r#""call": "FailAllocation""#,
    r#""call": "MakeReadOnly""#,
    r#""call": "HoldFile""#,
    r#"{"call": {"call": "JetInit"#,
];

/// `(folder/file, step that diverges, why)`. Empty: the session witnesses of an unavailable
/// instance begin a session first since the model checks the session before the instance
/// (jetapi.cxx JET_VALIDATE_SESID), as the engine does.
const DISAGREES: &[(&str, usize, &str)] = &[];

fn witnesses() -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces/witnesses");
    let mut out = Vec::new();
    for file in collect_trace_files(std::slice::from_ref(&root)).unwrap() {
        let text = std::fs::read_to_string(&file).unwrap();
        if !MARKS.iter().any(|m| text.contains(m)) {
            continue;
        }
        out.push((crate::listed::witness_name(&file), file));
    }
    assert!(out.len() >= 77, "only {} harness witnesses", out.len());
    out
}

fn check(backend: Backend) {
    crate::listed::check_against_list(witnesses(), DISAGREES, backend);
}

#[test]
fn the_harness_action_witnesses_replay_on_the_engine_on_the_simulated_disk() {
    check(Backend::Sim);
}

#[test]
fn the_harness_action_witnesses_replay_on_the_engine_on_real_files() {
    check(Backend::Os);
}
