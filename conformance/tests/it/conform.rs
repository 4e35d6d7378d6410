//! `jetspec conform` at the small configuration: every edge class of the model's graph is
//! executed on the engine with the model's result, and every check that decides a class is
//! confirmed. A disagreement fails the test with its minimised actions.

use conformance::conform::{ConformOptions, Shard, run_conform};
use conformance::replay::Backend;
use jetapi::trace::Profile;
use model::Config;

fn small(profile: Profile, shard: Shard) -> conformance::conform::ConformReport {
    run_conform(
        &ConformOptions {
            config: Config::SMALL,
            profile,
            backend: Backend::Sim,
            shard,
            out: None,
            threads: 2,
        },
        |_| {},
    )
    .unwrap()
}

/// Every class of the graph ran on the engine, which agreed with the model on each.
fn assert_every_class_agrees(report: &conformance::conform::ConformReport) {
    assert!(report.edges_total > 1000, "{report:?}");
    assert!(
        report.edges_covered == report.edges_total && report.disagreements == 0,
        "conform ({} profile) covered {} of {} classes at small with {} disagreements:\n{}",
        report.profile,
        report.edges_covered,
        report.edges_total,
        report.disagreements,
        conformance::conform::render(report)
    );
}

#[test]
fn every_class_runs_on_the_engine_with_the_models_result_and_every_check_is_confirmed() {
    let report = small(Profile::Esent, Shard::ALL);
    assert_every_class_agrees(&report);
    for r in &report.regressions {
        assert_ne!(r.expected, r.actual, "{r:?}");
        assert!(r.steps >= 1, "{r:?}");
    }
    // Every check that decides a class is either confirmed or named.
    assert_eq!(
        report.checks_confirmed + report.unconfirmed_checks.len(),
        report.checks_total,
        "{report:?}"
    );
    assert!(
        report.unconfirmed_checks.is_empty(),
        "the engine confirmed {} of {} checks at small:\n{}",
        report.checks_confirmed,
        report.checks_total,
        report.unconfirmed_checks.join("\n")
    );
}

#[test]
fn the_documented_profile_runs_every_class_on_the_engine_too() {
    let report = small(Profile::Documented, Shard::ALL);
    assert_every_class_agrees(&report);
    assert!(report.unconfirmed_checks.is_empty(), "{report:?}");
}
