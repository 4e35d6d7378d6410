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

/// The observer `conform` compares the model's state with sees the engine after each step:
/// the instances it has allocated and runs, and the files, without spending an injected fault.
#[test]
fn an_observer_sees_instances_and_files_after_each_step_and_its_refusal_is_the_divergence() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/engine/crash_then_init_recovers_committed_records.json");
    let trace = load_trace(&std::fs::read_to_string(path).unwrap()).unwrap();
    let options = conformance::replay::ReplayOptions {
        profile: None,
        mutant: None,
    };
    for backend in [Backend::Sim, Backend::Os] {
        let mut seen = Vec::new();
        conformance::replay::replay_observed(&trace, backend, &options, &mut |step, o| {
            seen.push((step, o.instances("other"), o.exists("a.edb").unwrap()));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), trace.steps.len(), "{backend:?}");
        assert_eq!(seen[0], (1, (1, 0), false), "created, not running");
        assert_eq!(seen[1], (2, (0, 1), false), "running");
        assert_eq!(seen[3], (4, (0, 1), true), "the database file exists");
        assert_eq!(seen[8], (9, (0, 0), true), "the crash takes every instance");
        let refused =
            conformance::replay::replay_observed(&trace, backend, &options, &mut |s, _| {
                if s == 3 {
                    Err(("what the model says".into(), "what the engine shows".into()))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert_eq!(
            (
                refused.step,
                refused.expected.as_str(),
                refused.actual.as_str()
            ),
            (3, "what the model says", "what the engine shows")
        );
    }
}
