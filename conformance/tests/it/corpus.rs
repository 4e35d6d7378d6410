//! Every trace under `traces/` is valid and printed canonically.

use std::path::PathBuf;

use conformance::trace_files::{FmtOutcome, collect_trace_files, format_file, validate_files};

fn corpus() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let files = collect_trace_files(&[root]).unwrap();
    assert!(!files.is_empty(), "traces/ holds no trace");
    files
}

#[test]
fn every_trace_in_the_corpus_is_valid() {
    let report = validate_files(&corpus());
    let problems: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}:{}: {}", p.file.display(), p.line, p.reason))
        .collect();
    assert!(
        problems.is_empty(),
        "invalid traces:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_trace_in_the_corpus_is_canonical() {
    let not_canonical: Vec<_> = corpus()
        .into_iter()
        .filter(|f| format_file(f, true) != Ok(FmtOutcome::Unchanged))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        not_canonical.is_empty(),
        "run jetspec trace fmt on: {not_canonical:?}"
    );
}
