//! The `jetspec` command as a user runs it: exit statuses, JSON shapes, messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn jetspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jetspec"))
        .args(args)
        .output()
        .expect("jetspec runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A fresh directory for one test, removed first if an earlier run left it.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn errors_json_lists_every_catalogue_code_with_its_pages() {
    let output = jetspec(&["errors", "--json"]);
    assert!(output.status.success());
    let rows: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(rows.len(), jetapi::CATALOGUE.len());
    for info in jetapi::CATALOGUE {
        let row = rows.iter().find(|r| r["name"] == info.name).unwrap();
        assert_eq!(row["value"], info.value);
        assert_eq!(row["internal"], info.code.is_internal());
        assert!(row["documented_in"].is_array());
    }
    let no_backup = rows
        .iter()
        .find(|r| r["name"] == "JET_errNoBackup")
        .unwrap();
    assert_eq!(no_backup["documented_in"].as_array().unwrap().len(), 17);
    let abort = rows
        .iter()
        .find(|r| r["name"] == "errBackupAbortByCaller")
        .unwrap();
    assert_eq!(
        (abort["value"].as_i64(), abort["internal"].as_bool()),
        (Some(-800), Some(true))
    );
}

#[test]
fn errors_with_a_code_shows_when_each_page_says_it_comes() {
    let output = jetspec(&["errors", "-616"]);
    assert!(output.status.success());
    assert!(stdout(&output).starts_with("JET_errLogFileNotCopied (-616)"));
    let output = jetspec(&["errors", "NotACode"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("no code is named or numbered \"NotACode\"")
    );
}

#[test]
fn validate_reports_a_malformed_trace_with_its_line_and_exits_1() {
    let dir = scratch("validate_malformed");
    let file = write(
        &dir,
        "bad.json",
        "{\n  \"trace\": 1,\n  \"name\": \"bad\",\n  \"about\": \"x\",\n  \"steps\": [\n    {\"call\": \"JetTerm\", \"args\": {\"instance\": \"@nobody\"}}\n  ]\n}\n",
    );
    let output = jetspec(&["trace", "validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("bad.json:6: step 1 (JetTerm): handle @nobody was never bound"),
        "{text}"
    );

    let output = jetspec(&["trace", "validate", "--json", dir.to_str().unwrap()]);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        (report["files"].as_u64(), report["valid"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(report["problems"][0]["line"], 6);
}

#[test]
fn validate_refuses_two_traces_of_one_name_in_a_folder() {
    let dir = scratch("validate_duplicate_names");
    let text = "{\"trace\": 1, \"name\": \"same\", \"about\": \"x\", \"steps\": [{\"call\": \"JetStopService\"}]}";
    write(&dir, "a.json", text);
    write(&dir, "b.json", text);
    let output = jetspec(&["trace", "validate", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("names are unique within a folder"));
}

#[test]
fn fmt_rewrites_canonically_and_check_then_passes() {
    let dir = scratch("fmt_rewrites");
    let file = write(
        &dir,
        "t.json",
        "{\"steps\": [{\"expect\": [\"JET_errInvalidgrbit\"], \"call\": \"JetBeginExternalBackup\", \"args\": {\"grbit\": [\"JET_bitBackupAtomic\"]}}], \"about\": \"x\", \"name\": \"t\", \"trace\": 1}",
    );
    let path = file.to_str().unwrap();
    assert_eq!(
        jetspec(&["trace", "fmt", "--check", path]).status.code(),
        Some(1)
    );
    assert!(jetspec(&["trace", "fmt", path]).status.success());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        "{\n  \"trace\": 1,\n  \"name\": \"t\",\n  \"about\": \"x\",\n  \"steps\": [\n    {\"call\": \"JetBeginExternalBackup\", \"args\": {\"grbit\": \"JET_bitBackupAtomic\"}, \"expect\": \"JET_errInvalidGrbit\"}\n  ]\n}\n"
    );
    assert!(jetspec(&["trace", "fmt", "--check", path]).status.success());
}

#[test]
fn fmt_leaves_an_unreadable_trace_untouched() {
    let dir = scratch("fmt_unreadable");
    let broken = "{\"trace\": 1, \"name\": \"t\",";
    let file = write(&dir, "t.json", broken);
    let output = jetspec(&["trace", "fmt", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
    assert!(stdout(&output).contains("t.json:1: not valid JSON"));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let output = jetspec(&["trace", "validate", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn replay_against_both_reads_witnesses_and_examples_back_into_the_model_and_counts_the_unsayable_apart()
 {
    let witnesses = repo("traces/witnesses/JetBeginExternalBackup");
    let output = jetspec(&["replay", "--against", "both", "--json", witnesses.as_str()]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["unmodelled"], 0, "{report}");
    assert_eq!(report["invalid"], 0, "{report}");
    // The examples are hand-written with names of their own: the model reads them all.
    let examples = repo("traces/examples");
    let output = jetspec(&["replay", "--against", "both", "--json", examples.as_str()]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["passed"], report["traces"], "{report}");
    assert_eq!(output.status.code(), Some(0));
    // Some engine traces copy files by hand and set parameters the model does not keep: each
    // marks the step where the model's reach ends, and the model reads each up to there.
    let engine = repo("traces/engine");
    let output = jetspec(&["replay", "--against", "model", "--json", engine.as_str()]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["passed"], report["traces"], "{report}");
    let marked = report["beyond_model"].as_array().unwrap();
    assert!(!marked.is_empty(), "{report}");
    // Each listed trace is judged up to the step its file marks, for the reason it gives.
    for m in marked {
        let text = std::fs::read_to_string(m["file"].as_str().unwrap()).unwrap();
        let trace: serde_json::Value = serde_json::from_str(&text).unwrap();
        let steps = trace["steps"].as_array().unwrap();
        let at = steps.iter().position(|s| s.get("beyond_model").is_some());
        assert_eq!(
            at.map(|i| i + 1),
            m["step"].as_u64().map(|s| s as usize),
            "{m}"
        );
        assert_eq!(steps[at.unwrap()]["beyond_model"], m["reason"], "{m}");
        assert!(!m["model_says"].as_str().unwrap().is_empty(), "{m}");
    }
    assert_eq!(output.status.code(), Some(0));
    // Without its mark, such a trace is unmodelled, which is no pass.
    let file = repo("traces/engine/system_parameters_are_checked.json");
    let text = std::fs::read_to_string(file).unwrap();
    let mut trace: serde_json::Value = serde_json::from_str(&text).unwrap();
    for step in trace["steps"].as_array_mut().unwrap() {
        step.as_object_mut().unwrap().remove("beyond_model");
    }
    let (status, report) = replay_against_both("unmarked", &trace);
    assert_eq!(report["unmodelled"], 1, "{report}");
    assert_eq!(report["passed"], 0, "{report}");
    assert_eq!(status, Some(1));
}

#[test]
fn conform_fuzz_and_verify_refuse_bad_arguments_before_any_work() {
    for (args, says) in [
        (&["conform", "--shard", "0/2"][..], "--shard takes I/N"),
        (&["conform", "--shard", "3/2"], "--shard takes I/N"),
        (&["conform", "--config", "huge"], "no configuration"),
        (&["conform", "--vfs", "nfs"], "unknown --vfs"),
        (&["conform", "--profile", "x"], "no profile"),
        (
            &["fuzz", "--walk-len", "0", "--steps", "1"],
            "--walk-len must be at least 1",
        ),
        (&["fuzz", "--config", "huge"], "no configuration"),
        (&["verify", "--config", "huge"], "no configuration"),
        (&["verify", "--traces", "no/such/dir"], "no trace corpus"),
    ] {
        let output = jetspec(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["errors", "--help"],
        &["trace", "validate", "--help"],
        &["trace", "fmt", "--help"],
        &["replay", "--help"],
        &["conform", "--help"],
        &["fuzz", "--help"],
        &["verify", "--help"],
    ] {
        let output = jetspec(args);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn the_error_table_is_reviewed_as_a_snapshot() {
    let table = conformance::catalogue::render_table(&conformance::catalogue::error_rows());
    insta::assert_snapshot!("error_table", table);
}

#[test]
fn check_small_reports_every_property_holding_with_the_pinned_state_count() {
    let out = scratch("check_small");
    let output = jetspec(&[
        "check",
        "--config",
        "small",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["config"], "small");
    assert_eq!(report["unique_states"], 774_630);
    let properties = report["properties"].as_array().unwrap();
    assert_eq!(properties.len(), model::properties::PROPERTIES.len());
    let (safety, hazards): (Vec<&Value>, Vec<&Value>) =
        properties.iter().partition(|p| p["kind"] == "always");
    assert!(safety.iter().all(|p| p["holds"] == true), "{safety:?}");
    // ESE's one known hazard is found, with its shortest trace, and does not fail the check.
    assert_eq!(hazards.len(), 1);
    assert_eq!(hazards[0]["kind"], "hazard");
    assert_eq!(hazards[0]["holds"], false);
    assert_eq!(hazards[0]["steps"], 12);
    let trace = hazards[0]["trace"].as_str().unwrap();
    let trace = jetapi::trace::load_trace_file(std::path::Path::new(trace)).unwrap();
    assert_eq!(
        trace.steps.last().unwrap().call.name(),
        "JetTruncateLogInstance"
    );
}

#[test]
fn check_catches_a_planted_mistake_with_a_replayable_shortest_counterexample() {
    let out = scratch("check_mutation");
    let args = [
        "check",
        "--config",
        "small",
        "--json",
        "--mutation",
        "truncate-before-copy-check",
    ];
    let output = jetspec(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let failed: Vec<&Value> = report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["holds"] == false && p["kind"] == "always")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["steps"], 6);
    let trace = failed[0]["trace"].as_str().unwrap();
    let trace = jetapi::trace::load_trace_file(std::path::Path::new(trace)).unwrap();
    let last = trace.steps.last().unwrap();
    assert_eq!(last.call.name(), "JetTruncateLogInstance");
}

#[test]
fn check_on_two_threads_counts_the_same_states() {
    let out = scratch("check_threads");
    let output = jetspec(&[
        "check",
        "--config",
        "small",
        "--json",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["unique_states"], 774_630);
    assert_eq!(
        jetspec(&["check", "--config", "small", "--threads", "0"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn check_refuses_unknown_configurations_and_profiles() {
    assert_eq!(
        jetspec(&["check", "--config", "huge"]).status.code(),
        Some(2)
    );
    assert_eq!(
        jetspec(&["check", "--profile", "guess"]).status.code(),
        Some(2)
    );
}

#[test]
fn divergences_json_names_each_with_both_profiles() {
    let output = jetspec(&["divergences", "--json"]);
    assert!(output.status.success());
    let list: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(list.len(), model::profile::DIVERGENCES.len());
    for d in &list {
        for key in [
            "id",
            "functions",
            "situation",
            "esent",
            "documented",
            "sources",
        ] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
    }
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .display()
        .to_string()
}

#[test]
fn replay_of_the_engine_corpus_passes_on_both_file_systems() {
    for vfs in ["sim", "os"] {
        let output = jetspec(&["replay", "--vfs", vfs, "--json", &repo("traces/engine")]);
        assert!(output.status.success(), "{vfs}: {}", stdout(&output));
        let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let traces = report["traces"].as_u64().unwrap();
        assert!(traces >= 50, "{report}");
        assert_eq!(report["passed"].as_u64(), Some(traces));
        assert_eq!(report["failures"], Value::Array(Vec::new()));
    }
}

#[test]
fn replay_names_the_first_differing_step_and_counts_invalid_traces_apart() {
    let dir = scratch("replay_failures");
    write(
        &dir,
        "wrong.json",
        r#"{"trace": 1, "name": "wrong", "about": "A backup cannot end before it begins.", "steps": [
  {"call": "JetCreateInstance", "args": {"instance": "@a", "instance_name": "a"}},
  {"call": "JetInit", "args": {"instance": "@a"}},
  {"call": "JetEndExternalBackupInstance", "args": {"instance": "@a"}}
]}"#,
    );
    write(&dir, "broken.json", "{\"trace\": 1, \"name\": ");
    let output = jetspec(&["replay", "--json", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        (report["traces"].as_u64(), report["passed"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(
        (report["failed"].as_u64(), report["invalid"].as_u64()),
        (Some(1), Some(1))
    );
    let failures = report["failures"].as_array().unwrap();
    let wrong = failures
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("wrong.json"))
        .unwrap();
    assert_eq!(wrong["step"], 3);
    assert_eq!(wrong["call"], "JetEndExternalBackupInstance");
    assert_eq!(wrong["expected"], "JET_errSuccess");
    assert_eq!(wrong["actual"], "JET_errNoBackup");
    let broken = failures
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("broken.json"))
        .unwrap();
    assert_eq!(broken["step"], 0);
}

#[test]
fn replay_refuses_what_it_cannot_do_as_usage_errors() {
    let corpus = repo("traces/engine");
    for args in [
        &["replay", "--against", "judge", corpus.as_str()][..],
        &["replay", "--vfs", "ramdisk", corpus.as_str()],
        &["replay", "--profile", "windows", corpus.as_str()],
        &["replay", "no/such/dir"],
    ] {
        let output = jetspec(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

/// The witness of JetEndExternalBackupInstance's `JET_errNoBackup`, as JSON to change.
fn no_backup_witness() -> Value {
    let witness = repo("traces/witnesses/JetEndExternalBackupInstance/JET_errNoBackup.json");
    serde_json::from_str(&std::fs::read_to_string(witness).unwrap()).unwrap()
}

/// `jetspec replay --against both --json` of `trace`, written to the scratch folder `name`:
/// the exit status and the report.
fn replay_against_both(name: &str, trace: &Value) -> (Option<i32>, Value) {
    let file = write(&scratch(name), "t.json", &trace.to_string());
    let output = jetspec(&[
        "replay",
        "--against",
        "both",
        "--json",
        file.to_str().unwrap(),
    ]);
    (
        output.status.code(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

#[test]
fn replay_against_both_reports_the_two_states_after_a_step_the_engine_fails() {
    let mut trace = no_backup_witness();
    let steps = trace["steps"].as_array_mut().unwrap();
    let last = steps.len() - 1;
    steps[last].as_object_mut().unwrap().remove("expect"); // expects success: both refuse
    let (status, report) = replay_against_both("states_after_a_failing_step", &trace);
    assert_eq!(status, Some(1));
    let failure = &report["failures"][0];
    assert_eq!(failure["step"], last + 1, "{report}");
    let running = "0 allocated, 1 running; i0/db0.edb absent";
    assert!(
        failure["states"]["model"]
            .as_str()
            .unwrap()
            .starts_with(running),
        "{report}"
    );
    assert_eq!(
        failure["states"]["model"], failure["states"]["engine"],
        "{report}"
    );
}

#[test]
fn replay_against_both_reports_the_states_after_a_failing_check_too() {
    let mut trace = no_backup_witness();
    let steps = trace["steps"].as_array_mut().unwrap();
    // The database file was never created: a check that it exists fails on both.
    steps.push(
        serde_json::json!({"call": "VerifyFile", "args": {"path": "i0/db0.edb", "exists": true}}),
    );
    let at = steps.len();
    let (_, report) = replay_against_both("states_after_a_failing_check", &trace);
    let failure = &report["failures"][0];
    assert_eq!(failure["step"], at, "{report}");
    let states = &failure["states"];
    assert!(
        states["model"]
            .as_str()
            .unwrap()
            .contains("i0/db0.edb absent"),
        "{report}"
    );
    assert_eq!(states["model"], states["engine"], "{report}");
}
