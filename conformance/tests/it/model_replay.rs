//! Every trace the model printed (the witnesses, and the regressions conform and fuzz recorded)
//! reads back into the model's actions and expects exactly what the model returns; a
//! hand-written trace is told apart as unmodelled, never as a pass.

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
    trace.steps.insert(
        1,
        trace.steps[0].clone(), // JET_paramMaxInstances twice: the printer never does that
    );
    // The first action prints the opening step with its own: the trace is unmodelled from 1.
    assert!(matches!(
        replay_on_model(&trace),
        ModelVerdict::Unmodelled { step: 1, .. }
    ));
}
