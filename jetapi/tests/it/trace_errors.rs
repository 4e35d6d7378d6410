//! A trace that cannot run is refused with its line and a reason a person can act on.

use jetapi::trace::load_trace;

/// Loads `text` and returns the first error as `line: reason`.
fn first_error(text: &str) -> (usize, String) {
    let errors = load_trace(text).expect_err("the trace should be refused");
    (errors[0].line, errors[0].reason.clone())
}

fn trace_with(steps: &[&str]) -> String {
    format!(
        "{{\n  \"trace\": 1,\n  \"name\": \"t\",\n  \"about\": \"A test.\",\n  \"steps\": [\n    {}\n  ]\n}}\n",
        steps.join(",\n    ")
    )
}

const CREATE: &str = r#"{"call": "JetCreateInstance", "args": {"instance": "@a"}}"#;
const INIT: &str = r#"{"call": "JetInit", "args": {"instance": "@a"}}"#;

fn assert_refused(steps: &[&str], line: usize, words: &str) {
    let (got_line, reason) = first_error(&trace_with(steps));
    assert!(reason.contains(words), "expected {words:?} in: {reason}");
    assert_eq!(got_line, line, "{reason}");
}

#[test]
fn broken_json_names_the_line_of_the_break() {
    let text = "{\n  \"trace\": 1,\n  \"name\": \"t\",,\n}";
    let (line, reason) = first_error(text);
    assert_eq!(line, 3);
    assert!(reason.starts_with("not valid JSON"), "{reason}");
}

#[test]
fn an_unknown_call_is_named_on_its_line() {
    assert_refused(
        &[CREATE, r#"{"call": "JetFrobnicate"}"#],
        7,
        "unknown call \"JetFrobnicate\"",
    );
}

#[test]
fn an_unknown_argument_lists_the_accepted_ones() {
    assert_refused(
        &[CREATE, r#"{"call": "JetInit", "args": {"inst": "@a"}}"#],
        7,
        "it takes instance",
    );
}

#[test]
fn a_handle_used_before_it_is_bound_is_refused() {
    assert_refused(
        &[r#"{"call": "JetTerm", "args": {"instance": "@a"}}"#],
        6,
        "handle @a was never bound",
    );
}

#[test]
fn a_handle_whose_binding_call_expects_failure_says_so() {
    let open = r#"{"call": "JetOpenFileInstance", "args": {"instance": "@a", "filename": "x.edb", "file": "@f"}, "expect": "JET_errNoBackup"}"#;
    let read =
        r#"{"call": "JetReadFileInstance", "args": {"instance": "@a", "file": "@f", "cb": 65536}}"#;
    let (line, reason) = first_error(&trace_with(&[CREATE, INIT, open, read]));
    assert_eq!(line, 9);
    assert!(
        reason
            .contains("handle @f was never bound (JetOpenFileInstance at step 3 expects to fail)"),
        "{reason}"
    );
}

#[test]
fn a_handle_used_as_another_kind_is_refused() {
    let session = r#"{"call": "JetEndSession", "args": {"session": "@a"}}"#;
    assert_refused(&[CREATE, session], 7, "@a is a instance (bound at step 1)");
}

#[test]
fn writing_outside_the_sandbox_is_refused_before_anything_runs() {
    let copy = r#"{"call": "CopyFile", "args": {"from": "db/", "to": "../elsewhere/"}}"#;
    assert_refused(&[copy], 6, "leaves the sandbox");
}

#[test]
fn an_engine_call_expected_to_refuse_an_outside_path_is_allowed() {
    let begin = r#"{"call": "JetBeginExternalBackupInstance", "args": {"instance": "@a"}}"#;
    let open = r#"{"call": "JetOpenFileInstance", "args": {"instance": "@a", "filename": "../outside", "file": "@f"}, "expect": "JET_errInvalidPath"}"#;
    let backup = r#"{"call": "JetBackupInstance", "args": {"instance": "@a", "backup_path": "/tmp/x"}, "expect": "JET_errInvalidPath"}"#;
    load_trace(&trace_with(&[CREATE, INIT, begin, open, backup])).unwrap();
}

#[test]
fn a_success_that_would_write_outside_is_refused() {
    let backup =
        r#"{"call": "JetBackupInstance", "args": {"instance": "@a", "backup_path": "/tmp/x"}}"#;
    assert_refused(
        &[CREATE, INIT, backup],
        8,
        "backup_path \"/tmp/x\" leaves the sandbox",
    );
}

#[test]
fn ok_is_only_for_harness_actions() {
    assert_refused(
        &[r#"{"call": "JetStopService", "expect": "ok"}"#],
        6,
        "\"ok\" is for harness actions",
    );
}

#[test]
fn an_unknown_result_code_is_refused() {
    assert_refused(
        &[r#"{"call": "JetStopService", "expect": "JET_errOops"}"#],
        6,
        "unknown result code",
    );
}

#[test]
fn a_grbit_of_another_family_is_refused_with_its_number() {
    let term =
        r#"{"call": "JetTerm2", "args": {"instance": "@a", "grbit": "JET_bitBackupIncremental"}}"#;
    assert_refused(&[CREATE, INIT, term], 8, "give the number 1");
}

#[test]
fn a_started_call_must_be_finished() {
    let start = r#"{"call": "Start", "args": {"call": {"call": "JetTerm2", "args": {"instance": "@a"}}, "id": "t"}}"#;
    assert_refused(&[CREATE, INIT, start], 8, "never finished");
}

#[test]
fn a_crash_takes_a_started_call_with_it() {
    let start = r#"{"call": "Start", "args": {"call": {"call": "JetTerm2", "args": {"instance": "@a"}}, "id": "t"}}"#;
    let crash = r#"{"call": "Crash"}"#;
    let text = trace_with(&[CREATE, INIT, start, crash]);
    assert!(load_trace(&text).is_ok(), "{text}");
}

#[test]
fn only_long_calls_can_be_started() {
    let start = r#"{"call": "Start", "args": {"call": {"call": "JetStopService"}, "id": "t"}}"#;
    let finish = r#"{"call": "Finish", "args": {"id": "t"}}"#;
    assert_refused(&[start, finish], 6, "JetStopService cannot be started");
}

#[test]
fn returns_with_a_key_the_call_does_not_have_is_refused() {
    let info = r#"{"call": "JetGetInstanceInfo", "returns": {"files": []}}"#;
    assert_refused(
        &[info],
        6,
        "cannot return \"files\"; returns may hold instance_count, instances",
    );
}

#[test]
fn header_problems_name_their_line() {
    let (line, reason) = first_error(
        "{\n  \"trace\": 2,\n  \"name\": \"t\",\n  \"about\": \"x\",\n  \"steps\": []\n}",
    );
    assert_eq!(
        (line, reason.contains("unsupported trace format version 2")),
        (2, true),
        "{reason}"
    );
    let (line, reason) =
        first_error("{\"trace\": 1,\n \"name\": \"Bad Name\", \"about\": \"x\", \"steps\": []}");
    assert_eq!(
        (line, reason.contains("not snake_case")),
        (2, true),
        "{reason}"
    );
    let (line, reason) =
        first_error("{\"trace\": 1, \"name\": \"t\", \"about\": \"x\",\n \"steps\": []}");
    assert_eq!((line, reason.as_str()), (2, "steps is empty"));
    let (_, reason) = first_error("[1, 2]");
    assert!(reason.starts_with("not a trace"), "{reason}");
}

#[test]
fn every_problem_of_a_trace_is_reported_not_just_the_first() {
    let a = r#"{"call": "JetTerm", "args": {"instance": "@x"}}"#;
    let b = r#"{"call": "JetTerm", "args": {"instance": "@y"}}"#;
    let errors = load_trace(&trace_with(&[a, b])).unwrap_err();
    let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [6, 7]);
}

#[test]
fn a_beyond_model_mark_must_say_why_and_comes_once() {
    let marked = |why: &str| {
        format!(r#"{{"call": "JetInit", "args": {{"instance": "@a"}}, "beyond_model": {why}}}"#)
    };
    assert_refused(&[CREATE, &marked("\" \"")], 7, "found an empty string");
    assert_refused(&[CREATE, &marked("1")], 7, "must say why");
    let term = r#"{"call": "JetTerm", "args": {"instance": "@a"}, "beyond_model": "b"}"#;
    assert_refused(&[CREATE, &marked("\"a\""), term], 8, "a second step marked");
    assert!(load_trace(&trace_with(&[CREATE, &marked("\"a\"")])).is_ok());
}
