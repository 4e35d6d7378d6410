//! `jetspec conform` at the small configuration: every edge class of the model's graph is
//! either executed on the engine with the model's result, or is a named disagreement, or sits
//! behind one; the covered count never falls below the floor pinned here (raise it when the
//! engine and the model come to agree on more).

use conformance::conform::{ConformOptions, Shard, run_conform};
use conformance::replay::Backend;
use jetapi::trace::Profile;
use model::Config;

/// Classes covered at `small` on the simulated disk when the floor was last raised.
const COVERED_FLOOR: usize = 1365;

/// Checks (function, deciding check) the engine confirmed at `small` when the floor was set.
const CHECKS_FLOOR: usize = 562;

fn small(shard: Shard) -> conformance::conform::ConformReport {
    run_conform(
        &ConformOptions {
            config: Config::SMALL,
            profile: Profile::Esent,
            backend: Backend::Sim,
            shard,
            out: None,
            threads: 2,
        },
        |_| {},
    )
    .unwrap()
}

#[test]
fn every_class_is_covered_disagreed_or_behind_a_disagreement_and_coverage_does_not_fall() {
    let report = small(Shard::ALL);
    assert!(report.edges_total > 1000, "{report:?}");
    assert!(
        report.edges_covered >= COVERED_FLOOR,
        "conform covered {} of {} classes at small, fewer than the floor {COVERED_FLOOR}:\n{}",
        report.edges_covered,
        report.edges_total,
        conformance::conform::render(&report)
    );
    // Each disagreement is one class at least; whatever is neither covered nor blocked is one.
    let unexplained = report
        .edges_total
        .saturating_sub(report.edges_covered + report.blocked);
    assert!(
        unexplained >= report.disagreements.min(1),
        "classes neither covered nor blocked must be the disagreeing ones: {report:?}"
    );
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
        report.checks_confirmed >= CHECKS_FLOOR,
        "the engine confirmed {} of {} checks at small, fewer than the floor {CHECKS_FLOOR}:\n{}",
        report.checks_confirmed,
        report.checks_total,
        report.unconfirmed_checks.join("\n")
    );
}
