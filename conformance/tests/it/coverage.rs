//! The coverage report classifies every documented row, and only honestly.

use conformance::coverage::{Status, coverage, render_markdown};
use model::Config;

/// One instance, one database, two generations: small enough to search in seconds.
const TINY: Config = Config {
    name: "tiny",
    instances: 1,
    dbs: 1,
    max_gen: 2,
    legacy: true,
};

#[test]
fn every_documented_row_gets_one_status_and_each_status_its_detail() {
    let report = coverage(TINY, 2);
    let s = &report.summary;
    assert_eq!(s.rows, 438);
    assert_eq!(s.witnessed + s.divergent + s.unreachable + s.missing, 438);
    // Most witnesses replay on the engine; the ones that do not are named in the report.
    assert!(
        s.confirmed <= s.witnessed && s.confirmed + 10 >= s.witnessed,
        "{s:?}"
    );
    for row in &report.rows {
        match row.status {
            Status::Witnessed => {
                assert!(row.witness.is_some() && row.engine.is_some(), "{row:?}")
            }
            Status::Divergent | Status::Unreachable => {
                assert!(row.reason.is_some() && row.engine.is_none(), "{row:?}")
            }
            Status::Missing => assert!(row.witness.is_none() && row.reason.is_none(), "{row:?}"),
        }
    }
    let witnessed = |f: &str, c: &str| {
        report
            .rows
            .iter()
            .any(|r| r.function == f && r.code == c && r.status == Status::Witnessed)
    };
    assert!(witnessed("JetTruncateLogInstance", "JET_errNoBackup"));
    assert!(witnessed("JetOpenFileInstance", "JET_errOutOfMemory"));
    let divergent = report.rows.iter().find(|r| {
        r.function == "JetEndExternalBackupInstance2" && r.code == "JET_errBackupAbortByCaller"
    });
    assert_eq!(divergent.map(|r| r.status), Some(Status::Divergent));
    assert!(
        report
            .undocumented
            .iter()
            .any(|(f, c)| f == "JetTruncateLogInstance" && c == "JET_errLogFileNotCopied")
    );
}

/// The `tiny` report, reviewed as a diff: a
/// change to any row's status, witness or reason shows here. `docs/coverage.md`, the `default`
/// report, is compared with `jetspec coverage --markdown` by CI (`.ci/run`).
#[test]
fn the_tiny_coverage_report_is_reviewed_as_a_snapshot() {
    insta::assert_snapshot!("coverage_tiny", render_markdown(&coverage(TINY, 2)));
}
