//! A fixed-seed `jetspec fuzz` run: seeded walks through the model with crashes, faults and
//! held calls, replayed on the engine. Every disagreement it meets must be one already recorded
//! under `traces/regressions/` (the open ones, each a shrunk trace); a new one fails the test
//! with its seed, walk and shrunk trace.

use std::path::PathBuf;

use conformance::fuzz::{FuzzOptions, render, run_fuzz};
use conformance::replay::Backend;
use jetapi::trace::Profile;
use model::Config;

/// The seed the suite walks with; any seed reproduces from the command line with
/// `jetspec fuzz --seed S --steps N --config small`.
const SEED: u64 = 20_261_206;

/// `jetspec fuzz` at `config` with `seed`, knowing the disagreements recorded under
/// `traces/regressions/`; new ones are written under a fresh temporary directory, returned.
fn walk(
    config: Config,
    seed: u64,
    steps: usize,
    walk_len: usize,
) -> (conformance::fuzz::FuzzReport, PathBuf) {
    let regressions = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces/regressions");
    let out = std::env::temp_dir().join(format!(
        "jetspec-fuzz-test-{}-{}-{seed}",
        config.name,
        std::process::id()
    ));
    let report = run_fuzz(
        &FuzzOptions {
            config,
            profile: Profile::Esent,
            backend: Backend::Sim,
            seed,
            steps,
            walk_len,
            out: Some(out.clone()),
            known: regressions.is_dir().then_some(regressions),
        },
        |_| {},
    )
    .unwrap();
    (report, out)
}

#[test]
fn a_fixed_seed_walk_finds_no_disagreement_not_already_recorded() {
    let (report, out) = walk(Config::SMALL, SEED, 3_000, 150);
    assert_eq!(report.steps, 3_000);
    assert!(report.environment_moves > 0, "{report:?}");
    assert!(
        report.failed == 0,
        "new disagreements (traces under {}):\n{}",
        out.display(),
        render(&report)
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// At the default configuration (two instances, two databases) the walks that recorded the
/// disagreements under `traces/regressions/fuzz_default_*` (`jetspec fuzz --config default
/// --steps 20000 --seed S`, S = 1, 2, 3), all fixed since, find none, recorded or new.
#[test]
fn the_default_configuration_walks_find_no_disagreement() {
    for seed in 1..=3 {
        let (report, out) = walk(Config::DEFAULT, seed, 20_000, 200);
        assert!(
            report.failures.is_empty(),
            "seed {seed}: disagreements (traces under {}):\n{}",
            out.display(),
            render(&report)
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}
