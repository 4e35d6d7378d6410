//! Every trace the model printed (the witnesses, and the regressions conform and fuzz recorded)
//! reads back into the model's actions and expects exactly what the model returns; a
//! hand-written trace reads back with its own names, or is told apart as unmodelled from the
//! step the model cannot say, never passed by default.

use std::path::PathBuf;

use conformance::model_replay::{ModelVerdict, replay_on_model};
use conformance::trace_files::collect_trace_files;
use jetapi::trace::load_trace_file;

fn traces(folder: &str) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(folder);
    if !root.is_dir() {
        return Vec::new();
    }
    collect_trace_files(&[root]).unwrap()
}

#[test]
fn every_printed_trace_reads_back_into_the_model_and_agrees() {
    let mut files = traces("witnesses");
    assert!(files.len() > 500, "the witnesses are checked in");
    files.extend(traces("regressions"));
    let wrong: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let verdict = replay_on_model(&load_trace_file(f).unwrap());
            (verdict != ModelVerdict::Pass).then(|| format!("{}: {verdict:?}", f.display()))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_changed_expectation_is_a_model_failure_and_a_foreign_step_is_unmodelled() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/witnesses/JetEndExternalBackup/JET_errNoBackup.json");
    let mut trace = load_trace_file(&file).unwrap();
    let last = trace.steps.len() - 1;
    trace.steps[last].expect = jetapi::trace::Expect::Default;
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == last + 1));
    let mut trace = load_trace_file(&file).unwrap();
    // A page size: the model keeps none, and its answers may rest on one.
    trace.steps.insert(1, step(r#"{"call": "JetSetSystemParameter", "args": {"param": "JET_paramDatabasePageSize", "value": 4096}}"#));
    assert_unmodelled_at(&trace, 2);
}

/// Fails unless the model reads `trace` as unmodelled from (1-based) `step`.
fn assert_unmodelled_at(trace: &jetapi::Trace, step: usize) {
    let verdict = replay_on_model(trace);
    assert!(
        matches!(verdict, ModelVerdict::Unmodelled { step: s, .. } if s == step),
        "{verdict:?}"
    );
}

/// One step from its JSON line.
fn step(line: &str) -> jetapi::Step {
    let text = format!(r#"{{"trace": 1, "name": "t", "about": "t", "steps": [{line}]}}"#);
    jetapi::trace::load_trace(&text).unwrap().steps.remove(0)
}

/// A hand-written trace: an instance `@a` named "a", with paths of its own.
fn hand_written(steps: &[&str]) -> jetapi::Trace {
    let text = format!(
        r#"{{"trace": 1, "name": "t", "about": "t", "steps": [{}]}}"#,
        steps.join(",")
    );
    jetapi::trace::load_trace(&text).unwrap()
}

const CREATE: &str =
    r#"{"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}}"#;
const LOGS: &str = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@a", "param": "JET_paramLogFilePath", "value": "a/logs/"}}"#;
const INIT: &str = r#"{"call": "JetInit", "args": {"instance": "@a"}}"#;
const PATHS: &str = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@a", "param": "JET_paramCreatePathIfNotExist", "value": 1}}"#;
const SESSION: &str = r#"{"call": "JetBeginSession", "args": {"instance": "@a", "session": "@s"}}"#;

#[test]
fn a_hand_written_trace_reads_with_its_own_names_settings_left_out_and_rows_passed_over() {
    let create = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let rows = r#"{"call": "InsertRecords", "args": {"session": "@s", "dbid": "@d", "table": "t", "count": 3}}"#;
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let again = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}, "expect": "JET_errBackupInProgress"}"#;
    let trace = hand_written(&[
        CREATE, LOGS, PATHS, INIT, SESSION, create, rows, begin, again,
    ]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // The same trace expecting what the engine does not say fails on the model at that step.
    let wrong = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}, "expect": "JET_errNoBackup"}"#;
    let trace = hand_written(&[
        CREATE, LOGS, PATHS, INIT, SESSION, create, rows, begin, wrong,
    ]);
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 9));
}

#[test]
fn a_name_stands_for_one_thing_and_a_path_out_of_the_sandbox_for_no_path_inside() {
    // `@a` cannot stand for a second instance while it names the first.
    let second = r#"{"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "b"}, "expect": "JET_errInstanceNameInUse"}"#;
    let trace = hand_written(&[CREATE, second]);
    assert!(!matches!(replay_on_model(&trace), ModelVerdict::Pass));
    // The model's database path is inside the sandbox; an absolute one is not read as it.
    let absolute = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "/abs.edb", "dbid": "@d"}, "expect": "JET_errDatabaseInvalidPath"}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, absolute]);
    assert_unmodelled_at(&trace, 6);
}

#[test]
fn an_answer_resting_on_a_limit_the_trace_left_out_is_not_the_models() {
    // Without JET_paramMaxSessions the engine's own limit holds, not the model's one session.
    let more = r#"{"call": "JetBeginSession", "args": {"instance": "@a", "session": "@t"}, "expect": "JET_errOutOfSessions"}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, more]);
    assert_unmodelled_at(&trace, 6);
}

#[test]
fn a_path_not_created_on_demand_is_no_model_failure_but_an_existing_one_reads_on() {
    // Paths of its own without JET_paramCreatePathIfNotExist: the engine finds no directory,
    // which the model (whose paths are created) cannot say; it stops rather than fail.
    let fails = r#"{"call": "JetInit", "args": {"instance": "@a"}, "expect": "JET_errInvalidLogDirectory"}"#;
    let trace = hand_written(&[CREATE, LOGS, fails]);
    assert_unmodelled_at(&trace, 3);
    // A fresh sandbox has no such directory: an init expected to succeed there is not read.
    let trace = hand_written(&[CREATE, LOGS, INIT, SESSION]);
    assert_unmodelled_at(&trace, 3);
    // Where an earlier init of the instance made its directories, the next one reads on.
    let term = r#"{"call": "JetTerm", "args": {"instance": "@a"}}"#;
    let again =
        r#"{"call": "JetCreateInstance", "args": {"instance": "@b", "instance_name": "a"}}"#;
    let logs_b = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@b", "param": "JET_paramLogFilePath", "value": "a/logs/"}}"#;
    let init_b = r#"{"call": "JetInit", "args": {"instance": "@b"}}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, term, again, logs_b, init_b]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(
        conformance::replay::replay(&trace, conformance::replay::Backend::Sim),
        Ok(())
    );
}

#[test]
fn state_checks_hold_on_the_engine_and_in_the_model_and_a_wrong_one_fails_on_both() {
    use conformance::replay::{Backend, replay};
    let created = r#"{"call": "VerifyInstances", "args": {"allocated": 1, "running": 0}}"#;
    let running = r#"{"call": "VerifyInstances", "args": {"allocated": 0, "running": 1}}"#;
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let there = r#"{"call": "VerifyFile", "args": {"path": "a/x.edb", "exists": true}}"#;
    let steps = [
        CREATE, LOGS, PATHS, created, INIT, running, SESSION, db, there,
    ];
    let trace = hand_written(&steps);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // Each check made wrong: the engine and the model both fail it, at that step.
    for (at, wrong) in [
        (
            4,
            r#"{"call": "VerifyInstances", "args": {"allocated": 0, "running": 1}}"#,
        ),
        (
            9,
            r#"{"call": "VerifyFile", "args": {"path": "a/x.edb", "exists": false}}"#,
        ),
    ] {
        let mut steps = steps.to_vec();
        steps[at - 1] = wrong;
        let trace = hand_written(&steps);
        let engine = replay(&trace, Backend::Sim).unwrap_err();
        assert_eq!(engine.step, at, "{engine}");
        assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == at));
    }
}

#[test]
fn a_read_size_is_read_as_its_class_a_zero_argument_as_left_out_and_a_second_open_counts() {
    use conformance::replay::{Backend, replay};
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let open = r#"{"call": "JetOpenFileInstance", "args": {"instance": "@a", "filename": "a/x.edb", "file": "@f"}}"#;
    // Three pages: the model's 64 KiB read, which a database's first read may be.
    let three =
        r#"{"call": "JetReadFileInstance", "args": {"instance": "@a", "file": "@f", "cb": 24576}}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, db, begin, open, three]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    // Two pages are too few for a database's first read; the model says so.
    let two =
        r#"{"call": "JetReadFileInstance", "args": {"instance": "@a", "file": "@f", "cb": 16384}}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, db, begin, open, two]);
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 9));
    // One page, which the search never tries, is read as such: too few for a first read.
    let one = r#"{"call": "JetReadFileInstance", "args": {"instance": "@a", "file": "@f", "cb": 8192}, "expect": "JET_errInvalidParameter"}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, db, begin, open, one]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    // A maximum size of 0 is the model's JetCreateDatabase2 with none given; opened again,
    // the database needs two closes (a third finds it closed).
    let db2 = r#"{"call": "JetCreateDatabase2", "args": {"session": "@s", "filename": "a/x.edb", "database_size_max": 0, "dbid": "@d"}}"#;
    let again = r#"{"call": "JetOpenDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let close = r#"{"call": "JetCloseDatabase", "args": {"session": "@s", "dbid": "@d"}}"#;
    let closed = r#"{"call": "JetCloseDatabase", "args": {"session": "@s", "dbid": "@d"}, "expect": "JET_errInvalidDatabaseId"}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, db2, again, close, close]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    let trace = hand_written(&[
        CREATE, LOGS, PATHS, INIT, SESSION, db2, again, close, closed,
    ]);
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 9));
    assert_eq!(replay(&trace, Backend::Sim).unwrap_err().step, 9);
}

#[test]
fn instances_left_at_the_default_paths_read_until_a_second_one_starts() {
    use conformance::replay::{Backend, replay};
    // Neither instance is given paths: the engine gives both its defaults, the model its own.
    let b = r#"{"call": "JetCreateInstance", "args": {"instance": "@b", "instance_name": "b"}}"#;
    let init_a = r#"{"call": "JetInit", "args": {"instance": "@a"}}"#;
    let term_a = r#"{"call": "JetTerm", "args": {"instance": "@a"}}"#;
    let term_b = r#"{"call": "JetTerm", "args": {"instance": "@b"}}"#;
    let init_b = r#"{"call": "JetInit", "args": {"instance": "@b"}}"#;
    let trace = hand_written(&[CREATE, b, init_a, term_a, term_b]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // A second one starting finds the first's logs in the engine (or, both running, its paths
    // in use), which the model's apart paths cannot say: the reading stops rather than fail.
    let trace = hand_written(&[CREATE, b, init_a, term_a, init_b]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_unmodelled_at(&trace, 5);
    let in_use =
        r#"{"call": "JetInit", "args": {"instance": "@b"}, "expect": "JET_errTempPathInUse"}"#;
    let trace = hand_written(&[CREATE, b, init_a, in_use]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_unmodelled_at(&trace, 4);
}

#[test]
fn a_count_of_0_and_a_limit_written_by_a_list_are_not_read_as_the_models() {
    use conformance::replay::{Backend, replay};
    let max = r#"{"call": "JetSetSystemParameter", "args": {"param": "JET_paramMaxInstances", "value": 2}}"#;
    let enable = r#"{"call": "JetEnableMultiInstance"}"#;
    // A count of 0 sets nothing, where a count left out means the whole list: not the model's
    // list given again.
    let count0 = r#"{"call": "JetEnableMultiInstance", "args": {"set_sys_param": [{"param": "JET_paramMaxInstances", "value": 2}], "set_sys_param_count": 0}, "expect": "JET_errSystemParameterConflict"}"#;
    let trace = hand_written(&[max, enable, count0]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_unmodelled_at(&trace, 3);
    // JET_paramMaxInstances written by a JetEnableMultiInstance list, not the model's setting.
    let listed = r#"{"call": "JetEnableMultiInstance", "args": {"set_sys_param": [{"param": "JET_paramMaxInstances", "value": 2}]}}"#;
    let conflict =
        r#"{"call": "JetEnableMultiInstance", "expect": "JET_errSystemParameterConflict"}"#;
    let trace = hand_written(&[listed, conflict]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert!(!matches!(replay_on_model(&trace), ModelVerdict::Fail(_)));
}

#[test]
fn a_null_pinstance_starts_legacy_mode_only_while_no_mode_is_set() {
    use conformance::replay::{Backend, replay};
    let legacy = r#"{"call": "JetInit"}"#;
    let no_create = r#"{"call": "JetCreateInstance", "args": {"instance": "@b", "instance_name": "b"}, "expect": "JET_errRunningInOneInstanceMode"}"#;
    let by_zero = r#"{"call": "JetTerm", "args": {"instance": 0}}"#;
    let trace = hand_written(&[legacy, no_create, by_zero]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // In multi-instance mode a NULL pinstance is refused, not read as a pointer to a nil handle.
    let trace = hand_written(&[CREATE, legacy]);
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 2));
}

#[test]
fn a_commit_reads_as_the_models_only_without_rows_inserted_before() {
    use conformance::replay::{Backend, replay};
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let begin = r#"{"call": "JetBeginTransaction", "args": {"session": "@s"}}"#;
    let rows = r#"{"call": "InsertRecords", "args": {"session": "@s", "dbid": "@d", "table": "t", "count": 2}}"#;
    let commit = r#"{"call": "JetCommitTransaction", "args": {"session": "@s"}}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, db, begin, commit]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // Rows inserted (passed over by the reading) would make the commit write to the log.
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, db, begin, rows, commit]);
    assert_eq!(replay(&trace, Backend::Sim), Ok(()));
    assert_unmodelled_at(&trace, 9);
}

#[test]
fn a_beyond_model_mark_passes_only_where_the_models_reading_ends() {
    const KEEPS_NO_DEPTH: &str = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@a", "param": "JET_paramCheckpointDepthMax", "value": 1}"#;
    let depth = format!(r#"{KEEPS_NO_DEPTH}, "beyond_model": "the model keeps no depth"}}"#);
    let depth_unmarked = format!("{KEEPS_NO_DEPTH}}}");
    let marked_session = r#"{"call": "JetBeginSession", "args": {"instance": "@a", "session": "@s"}, "beyond_model": "too early"}"#;
    // Marked where the model stops: a pass, judged as far as the mark.
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, &depth]);
    let verdict = replay_on_model(&trace);
    assert!(
        matches!(&verdict, ModelVerdict::Beyond { step: 6, reason, model_says }
            if reason == "the model keeps no depth" && model_says.contains("CheckpointDepthMax")),
        "{verdict:?}"
    );
    // The model stops before the mark: a failure at the step where it stops.
    let trace = hand_written(&[CREATE, LOGS, PATHS, &depth_unmarked, INIT, marked_session]);
    let verdict = replay_on_model(&trace);
    assert!(
        matches!(&verdict, ModelVerdict::Fail(d) if d.step == 4 && d.actual.contains("cannot say step 4")),
        "{verdict:?}"
    );
    // The model reads past the mark (and stops later): move the mark.
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, marked_session, &depth_unmarked]);
    let verdict = replay_on_model(&trace);
    assert!(
        matches!(&verdict, ModelVerdict::Fail(d) if d.step == 5 && d.actual.contains("move the mark")),
        "{verdict:?}"
    );
    // The model reads the whole trace: drop the mark.
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, marked_session]);
    let verdict = replay_on_model(&trace);
    assert!(
        matches!(&verdict, ModelVerdict::Fail(d) if d.step == 5 && d.actual.contains("drop the mark")),
        "{verdict:?}"
    );
    // A disagreement before the mark is a failure as without one.
    let wrong = r#"{"call": "JetBeginSession", "args": {"instance": "@a", "session": "@s"}, "expect": "JET_errNotInitialized"}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, wrong, &depth]);
    let verdict = replay_on_model(&trace);
    assert!(
        matches!(&verdict, ModelVerdict::Fail(d) if d.step == 5 && !d.expected.contains("mark")),
        "{verdict:?}"
    );
}

#[test]
fn a_copied_backup_file_reads_as_open_read_close_and_the_copy_stands_for_nothing_of_the_models() {
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let copy = r#"{"call": "CopyBackupFile", "args": {"instance": "@a", "filename": "a/x.edb", "to": "copy/"}}"#;
    let logs = r#"{"call": "JetGetLogInfoInstance", "args": {"instance": "@a", "cb_max": 3}}"#;
    let end = r#"{"call": "JetEndExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let start = [CREATE, LOGS, PATHS, INIT, SESSION, db];
    let trace = hand_written(&[&start[..], &[begin, copy, logs, end]].concat());
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // Without a backup the copy's first call fails, and the model says so.
    let refused = r#"{"call": "CopyBackupFile", "args": {"instance": "@a", "filename": "a/x.edb", "to": "copy/"}, "expect": "JET_errNoBackup"}"#;
    let trace = hand_written(&[&start[..], &[refused]].concat());
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    let trace = hand_written(&[&start[..], &[copy]].concat());
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 7));
    // The copy is the trace's own: a path under it stands for no database of the model's.
    let attach = r#"{"call": "JetAttachDatabase", "args": {"session": "@s", "filename": "copy/x.edb"}, "expect": "JET_errFileNotFound"}"#;
    let trace = hand_written(&[&start[..], &[begin, copy, attach]].concat());
    assert_unmodelled_at(&trace, 9);
    // Nor can a copy go where a path of the model's is.
    let over = r#"{"call": "CopyBackupFile", "args": {"instance": "@a", "filename": "a/x.edb", "to": "a/logs/"}}"#;
    let trace = hand_written(&[&start[..], &[begin, over]].concat());
    assert_unmodelled_at(&trace, 8);
}

#[test]
fn a_copy_whose_read_fails_answers_the_reads_error_on_the_engine_and_in_the_model() {
    use conformance::replay::{Backend, replay};
    for (witness, code) in [
        (
            "JetReadFileInstance/JET_errReadVerifyFailure.json",
            "JET_errReadVerifyFailure",
        ),
        (
            "JetReadFileInstance/JET_errLogReadVerifyFailure.json",
            "JET_errLogReadVerifyFailure",
        ),
    ] {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../traces/witnesses")
            .join(witness);
        let mut trace = load_trace_file(&file).unwrap();
        // The open and the read that fails become one copy.
        let open = trace
            .steps
            .iter()
            .position(|s| s.call.name() == "JetOpenFileInstance")
            .unwrap();
        let filename = trace.steps[open].call.arg("filename").unwrap().to_json();
        trace.steps.truncate(open);
        let copy = format!(
            r#"{{"call": "CopyBackupFile", "args": {{"instance": "@i0", "filename": {filename}, "to": "copy/"}}, "expect": "{code}"}}"#
        );
        let create = r#"{"call": "JetCreateInstance", "args": {"instance": "@i0"}}"#;
        trace
            .steps
            .push(hand_written(&[create, &copy]).steps.remove(1));
        assert_eq!(replay(&trace, Backend::Sim), Ok(()), "{witness}");
        assert_eq!(replay_on_model(&trace), ModelVerdict::Pass, "{witness}");
        // Expecting the copy to succeed fails on both.
        trace.steps[open].expect = jetapi::trace::Expect::Default;
        assert!(replay(&trace, Backend::Sim).is_err(), "{witness}");
        assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == open + 1));
    }
}

#[test]
fn a_copy_and_the_models_paths_never_overlap_however_spelled() {
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let start = [CREATE, LOGS, PATHS, INIT, SESSION, db, begin];
    let copy = |to: &str| {
        format!(
            r#"{{"call": "CopyBackupFile", "args": {{"instance": "@a", "filename": "a/x.edb", "to": "{to}"}}}}"#
        )
    };
    // Into the model's log directory, spelled another way: not the model's copy.
    for to in ["./a/logs/", "a//logs/", "a/logs", "a/logs/edb.log", "a/"] {
        let copy = copy(to);
        let trace = hand_written(&[&start[..], &[copy.as_str()]].concat());
        assert_unmodelled_at(&trace, 8);
    }
    // A directory named after the copy, which holds it, is no directory of the model's.
    let copy_into = copy("bk/x.edb");
    let end = r#"{"call": "JetEndExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let backup =
        r#"{"call": "JetBackupInstance", "args": {"instance": "@a", "backup_path": "./bk/"}}"#;
    let trace = hand_written(&[&start[..], &[copy_into.as_str(), end, backup]].concat());
    assert_unmodelled_at(&trace, 10);
    // Paths left at the engine's defaults are the sandbox itself: no copy is the model's.
    let create =
        r#"{"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}}"#;
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "x.edb", "dbid": "@d"}}"#;
    let copy = r#"{"call": "CopyBackupFile", "args": {"instance": "@a", "filename": "x.edb", "to": "edb.log"}}"#;
    let trace = hand_written(&[create, INIT, SESSION, db, begin, copy]);
    assert_unmodelled_at(&trace, 6);
}

#[test]
fn one_directory_may_be_an_instances_system_and_log_path_and_nothing_else() {
    let system = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@a", "param": "JET_paramSystemPath", "value": "a/"}}"#;
    let logs = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@a", "param": "JET_paramLogFilePath", "value": "a/"}}"#;
    let info = r#"{"call": "JetGetInstanceInfo", "returns": {"instance_count": 1}}"#;
    let trace = hand_written(&[CREATE, system, logs, PATHS, INIT, SESSION, info]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    // A backup into that directory finds it holds files, as the model's system path does.
    let backup = r#"{"call": "JetBackupInstance", "args": {"instance": "@a", "backup_path": "a/"}, "expect": "JET_errBackupDirectoryNotEmpty"}"#;
    let trace = hand_written(&[CREATE, system, logs, PATHS, INIT, SESSION, backup]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(
        conformance::replay::replay(&trace, conformance::replay::Backend::Sim),
        Ok(())
    );
    // The model's backup directories are not the instance's.
    let restore = r#"{"call": "JetRestoreInstance", "args": {"instance": "@a", "backup_path": "a/"}, "expect": "JET_errAlreadyInitialized"}"#;
    let trace = hand_written(&[CREATE, system, logs, PATHS, INIT, SESSION, restore]);
    assert_unmodelled_at(&trace, 7);
    // Nor are two instances' paths one directory.
    let create_b =
        r#"{"call": "JetCreateInstance", "args": {"instance": "@b", "instance_name": "b"}}"#;
    let logs_b = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@b", "param": "JET_paramLogFilePath", "value": "a/"}}"#;
    let trace = hand_written(&[CREATE, system, PATHS, create_b, logs_b]);
    assert_unmodelled_at(&trace, 5);
}

#[test]
fn a_path_is_read_as_the_engine_names_places_and_defaults_keep_their_files() {
    // `\` is a letter of a name, not a separator: `a\x.edb` is not `a/x.edb`.
    let create = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a\\x.edb", "dbid": "@d"}}"#;
    let close = r#"{"call": "JetCloseDatabase", "args": {"session": "@s", "dbid": "@d"}}"#;
    let detach =
        r#"{"call": "JetDetachDatabase", "args": {"session": "@s", "filename": "a/x.edb"}}"#;
    let trace = hand_written(&[CREATE, LOGS, PATHS, INIT, SESSION, create, close, detach]);
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 8));
    // The sandbox itself, which the engine's default paths are, is no path of the model's.
    let root = r#"{"call": "JetSetSystemParameter", "args": {"instance": "@a", "param": "JET_paramSystemPath", "value": ".//"}}"#;
    assert_unmodelled_at(&hand_written(&[CREATE, root]), 2);
    // A copy named as ESE names an instance's files, made before a second instance starts at
    // the default paths, is not read beside them.
    let path = |param: &str, value: &str| {
        format!(
            r#"{{"call": "JetSetSystemParameter", "args": {{"instance": "@a", "param": "JET_param{param}", "value": "{value}"}}}}"#
        )
    };
    let (system, temp) = (path("SystemPath", "a/"), path("TempPath", "a/tmp/"));
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let end = r#"{"call": "JetEndExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let create_b =
        r#"{"call": "JetCreateInstance", "args": {"instance": "@b", "instance_name": "b"}}"#;
    let init_b = r#"{"call": "JetInit", "args": {"instance": "@b"}}"#;
    for to in ["edb.log", "edb00001.log/", "tmp.edb"] {
        let copy = format!(
            r#"{{"call": "CopyBackupFile", "args": {{"instance": "@a", "filename": "a/x.edb", "to": "{to}"}}}}"#
        );
        let steps = [
            CREATE, &system, LOGS, &temp, PATHS, INIT, SESSION, db, begin, &copy, end,
        ];
        let trace = hand_written(&[&steps[..], &[create_b, init_b]].concat());
        let verdict = replay_on_model(&trace);
        assert!(
            matches!(verdict, ModelVerdict::Unmodelled { .. }),
            "{to}: {verdict:?}"
        );
        // Elsewhere the copy is the trace's own, and the second instance reads on.
        let copy = copy.replace(to, "copies/");
        let steps = [
            CREATE, &system, LOGS, &temp, PATHS, INIT, SESSION, db, begin, &copy, end,
        ];
        let trace = hand_written(&[&steps[..], &[create_b, init_b]].concat());
        assert_eq!(replay_on_model(&trace), ModelVerdict::Pass, "{to}");
        let engine = conformance::replay::replay(&trace, conformance::replay::Backend::Sim);
        assert_eq!(engine, Ok(()), "{to}");
    }
}

#[test]
fn a_list_giving_the_instance_limit_answers_by_the_value_written_before() {
    let list = |v: u32, expect: &str| {
        format!(
            r#"{{"call": "JetEnableMultiInstance", "args": {{"set_sys_param": [{{"param": "JET_paramMaxInstances", "value": {v}}}]}}, "expect": "{expect}"}}"#
        )
    };
    let first = list(4, "JET_errSuccess");
    let same = list(4, "JET_errSystemParamsAlreadySet");
    let other = list(5, "JET_errSystemParameterConflict");
    let trace = hand_written(&[&first, &same, &other]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(
        conformance::replay::replay(&trace, conformance::replay::Backend::Sim),
        Ok(())
    );
    // The same value answered as another, or another as the same, fails.
    let wrong = list(5, "JET_errSystemParamsAlreadySet");
    let trace = hand_written(&[&first, &same, &wrong]);
    assert!(matches!(replay_on_model(&trace), ModelVerdict::Fail(d) if d.step == 3));
    // Written first with JetSetSystemParameter: the model's own value is another value then.
    let set = r#"{"call": "JetSetSystemParameter", "args": {"param": "JET_paramMaxInstances", "value": 3}}"#;
    let create =
        r#"{"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}}"#;
    let conflict = list(2, "JET_errSystemParameterConflict");
    let trace = hand_written(&[set, create, &conflict]);
    assert_eq!(replay_on_model(&trace), ModelVerdict::Pass);
    assert_eq!(
        conformance::replay::replay(&trace, conformance::replay::Backend::Sim),
        Ok(())
    );
    // Never written, in multi-instance mode: the engine's default is no value the reading has.
    let trace = hand_written(&[create, &list(2, "JET_errSystemParameterConflict")]);
    assert_unmodelled_at(&trace, 2);
}

#[test]
fn a_path_stands_for_the_models_only_where_it_lies_alike() {
    let set = |param: &str, value: &str| {
        format!(
            r#"{{"call": "JetSetSystemParameter", "args": {{"instance": "@a", "param": "JET_param{param}", "value": "{value}"}}}}"#
        )
    };
    let under = |dir: &str| {
        [
            CREATE.to_string(),
            set("SystemPath", &format!("{dir}sys/")),
            set("LogFilePath", &format!("{dir}logs/")),
            set("TempPath", &format!("{dir}tmp/")),
            PATHS.to_string(),
            INIT.to_string(),
            SESSION.to_string(),
        ]
    };
    let read = |start: &[String], more: &[&str]| {
        let steps: Vec<&str> = start
            .iter()
            .map(String::as_str)
            .chain(more.iter().copied())
            .collect();
        replay_on_model(&hand_written(&steps))
    };
    let a = under("a/");
    // A log the engine finds by its directory and name is no log in another directory.
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let logs = r#"{"call": "JetGetLogInfoInstance", "args": {"instance": "@a"}}"#;
    let open = |name: &str| {
        format!(
            r#"{{"call": "JetOpenFileInstance", "args": {{"instance": "@a", "filename": "{name}", "file": "@f"}}}}"#
        )
    };
    assert_eq!(
        read(&a, &[begin, logs, &open("a/logs/edb00001.log")]),
        ModelVerdict::Pass
    );
    // Nor in a directory under it.
    for name in ["zz/edb00001.log", "a/logs/x/edb00001.log"] {
        let verdict = read(&a, &[begin, logs, &open(name)]);
        assert!(
            matches!(verdict, ModelVerdict::Unmodelled { step: 10, .. }),
            "{name}: {verdict:?}"
        );
    }
    // A backup directory holding the database is not empty, where the model's is.
    let s = under("S/");
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "S/x.edb", "dbid": "@d"}}"#;
    let backup =
        r#"{"call": "JetBackupInstance", "args": {"instance": "@a", "backup_path": "S/"}}"#;
    let verdict = read(&s, &[db, backup]);
    assert!(
        matches!(verdict, ModelVerdict::Unmodelled { step: 9, .. }),
        "{verdict:?}"
    );
    // The engine's first handle is no value that was never a handle; a far one is.
    let session = |handle: u32| {
        format!(
            r#"{{"call": "JetBeginSession", "args": {{"instance": {handle}, "session": "@t"}}, "expect": "JET_errInvalidInstance"}}"#
        )
    };
    let verdict = read(&a, &[&session(4096)]);
    assert!(
        matches!(verdict, ModelVerdict::Unmodelled { step: 8, .. }),
        "{verdict:?}"
    );
    assert_eq!(read(&a, &[&session(12345)]), ModelVerdict::Pass);
    // A spelling too long for the engine is not the place it spells.
    let db = r#"{"call": "JetCreateDatabase", "args": {"session": "@s", "filename": "a/x.edb", "dbid": "@d"}}"#;
    let close = r#"{"call": "JetCloseDatabase", "args": {"session": "@s", "dbid": "@d"}}"#;
    let detach = |name: &str| {
        format!(
            r#"{{"call": "JetDetachDatabase", "args": {{"session": "@s", "filename": "{name}"}}}}"#
        )
    };
    assert_eq!(
        read(&a, &[db, close, &detach("./a//x.edb")]),
        ModelVerdict::Pass
    );
    // A database is created only in a directory that exists.
    let create = |name: &str| {
        format!(
            r#"{{"call": "JetCreateDatabase", "args": {{"session": "@s", "filename": "{name}", "dbid": "@d"}}}}"#
        )
    };
    assert_eq!(read(&a, &[&create("x.edb")]), ModelVerdict::Pass);
    for name in ["nd/x.edb", "a/sub/x.edb"] {
        let verdict = read(&a, &[&create(name)]);
        assert!(
            matches!(verdict, ModelVerdict::Unmodelled { step: 8, .. }),
            "{name}: {verdict:?}"
        );
    }
    // The temporary database is found by its name, in the temporary directory.
    let open_db = |name: &str| {
        format!(
            r#"{{"call": "JetOpenDatabase", "args": {{"session": "@s", "filename": "{name}", "dbid": "@t"}}, "expect": "JET_errInvalidDatabase"}}"#
        )
    };
    for name in ["zz/tmp.edb", "a/tmp/foo.edb"] {
        assert!(
            !matches!(read(&a, &[&open_db(name)]), ModelVerdict::Pass),
            "{name}"
        );
    }
    let long = format!("{}a/x.edb", "./".repeat(130));
    assert!(!matches!(
        read(&a, &[db, close, &detach(&long)]),
        ModelVerdict::Pass
    ));
}
