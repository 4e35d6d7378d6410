//! Every trace under `traces/engine/` replays against the engine, on real files and on the
//! simulated disk; a failure names each failing file and step. `a_pasted_trace_replays` is
//! the smoke test a failing trace can be pasted into.

use std::path::PathBuf;

use conformance::replay::{Backend, replay, replay_file, replay_file_as};
use conformance::trace_files::collect_trace_files;
use jetapi::trace::Profile;
use jetapi::trace::load_trace;

fn engine_traces() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces/engine");
    let files = collect_trace_files(&[root]).unwrap();
    assert!(
        files.len() >= 20,
        "traces/engine holds the lifecycle traces"
    );
    files
}

fn replay_all(backend: Backend) {
    let failures: Vec<String> = engine_traces()
        .iter()
        .filter_map(|f| replay_file(f, backend).err())
        .map(|d| d.to_string())
        .collect();
    assert!(failures.is_empty(), "{backend:?}:\n{}", failures.join("\n"));
}

#[test]
fn every_engine_trace_replays_on_real_files() {
    replay_all(Backend::Os);
}

#[test]
fn every_engine_trace_replays_on_the_simulated_disk() {
    replay_all(Backend::Sim);
}

#[test]
fn a_wrong_expectation_is_reported_with_its_step_and_both_codes() {
    let trace = load_trace(
        r#"{"trace": 1, "name": "x", "about": "A wrong expectation.", "steps": [
            {"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}},
            {"call": "JetInit", "args": {"instance": "@a"}, "expect": "JET_errAlreadyInitialized"}
        ]}"#,
    )
    .unwrap();
    let d = replay(&trace, Backend::Sim).unwrap_err();
    assert_eq!((d.step, d.call.as_str()), (2, "JetInit"));
    assert_eq!(
        (d.expected.as_str(), d.actual.as_str()),
        ("JET_errAlreadyInitialized", "JET_errSuccess")
    );
}

#[test]
fn a_records_mismatch_fails_verify_records() {
    let trace = load_trace(
        r#"{"trace": 1, "name": "x", "about": "VerifyRecords sees the wrong count.", "steps": [
            {"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}},
            {"call": "JetInit", "args": {"instance": "@a"}},
            {"call": "JetBeginSession", "args": {"instance": "@a", "session": "@s"}},
            {"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a.edb", "dbid": "@d"}},
            {"call": "InsertRecords", "args": {"session": "@s", "dbid": "@d", "table": "t", "count": 2}},
            {"call": "VerifyRecords", "args": {"session": "@s", "dbid": "@d", "table": "t", "count": 3}}
        ]}"#,
    )
    .unwrap();
    let d = replay(&trace, Backend::Os).unwrap_err();
    assert_eq!(d.step, 6, "{d}");
    assert!(d.actual.contains("holds 2 rows"), "{d}");
}

#[test]
fn a_pasted_trace_replays() {
    let trace = load_trace(
        r#"{"trace": 1, "name": "smoke", "about": "Paste a failing trace here.", "steps": [
            {"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}},
            {"call": "JetInit", "args": {"instance": "@a"}},
            {"call": "JetTerm", "args": {"instance": "@a"}}
        ]}"#,
    )
    .unwrap();
    replay(&trace, Backend::Sim).unwrap();
}

#[test]
fn the_documented_profile_trace_diverges_when_the_engine_follows_esent() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/engine/documented_profile_follows_the_pages.json");
    replay_file_as(&file, Backend::Sim, None).unwrap();
    let d = replay_file_as(&file, Backend::Sim, Some(Profile::Esent)).unwrap_err();
    assert_eq!(d.step, 2, "{d}");
    assert_eq!(d.actual, "JET_errSystemParameterConflict", "{d}");
}
