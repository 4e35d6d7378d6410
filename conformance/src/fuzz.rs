//! `jetspec fuzz`: seeded random walks through the model, each replayed on a fresh engine.
//!
//! A walk starts at the model's initial state and takes `walk_len` actions, each chosen among
//! every call the model can make there (valid or not) and the environment's moves that change
//! something: crashes, log write failures (EIO) and a full log disk (ENOSPC), fatal errors,
//! damaged files, held long calls (JetTerm2, restores) that other calls then meet. The choice is
//! weighted toward what the run has seen least: an action whose (call, code, deciding check) has
//! come up `n` times weighs `1 / (1 + n)`, so rare states and error paths come up often. The
//! walk is printed as a trace with the model's expectations and replayed; a walk the engine
//! disagrees with is shrunk (steps deleted while the same call still disagrees the same way,
//! each candidate re-predicted by the model) and written to `--out` with its seed.
//!
//! The same seed gives the same walks on every machine: the generator is SplitMix64, written
//! here so that no library's version changes the sequence.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use jetapi::trace::Profile;
use model::edges::ClassKey;
use model::generate::{Mode, actions};
use model::{Action, Config, Spec, State};
use serde::Serialize;

use crate::conform::{action_at, judge, minimise, write_regression};
use crate::replay::{Backend, Identity, recorded_disagreements};

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): one 64-bit state, one add and three xor-shift-multiplies per number.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0.0..1.0`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct FuzzOptions {
    /// The configuration whose bounds the walks keep to.
    pub config: Config,
    /// The profile.
    pub profile: Profile,
    /// The file system.
    pub backend: Backend,
    /// The run's seed; walk `w` uses a generator derived from it.
    pub seed: u64,
    /// Actions in all.
    pub steps: usize,
    /// Actions per walk (per fresh engine).
    pub walk_len: usize,
    /// Where shrunk failures go; `None` writes nothing.
    pub out: Option<PathBuf>,
    /// Traces of disagreements already known (a folder such as `traces/regressions/`): a
    /// failure on the same call with the same expected and actual result is reported as known,
    /// not as a failure.
    pub known: Option<PathBuf>,
}

/// A walk the engine disagreed with.
#[derive(Clone, Debug, Serialize)]
pub struct FuzzFailure {
    /// The run's seed.
    pub seed: u64,
    /// Which walk (0-based); with the seed and the options it reproduces the walk.
    pub walk: usize,
    /// The call that differed.
    pub call: String,
    /// The model's result.
    pub expected: String,
    /// The engine's.
    pub actual: String,
    /// Actions of the walk up to the failure, and after shrinking.
    pub actions: usize,
    /// Actions after shrinking.
    pub shrunk_to: usize,
    /// The shrunk trace, when written.
    pub trace: Option<PathBuf>,
    /// Whether a trace under `--known` already records this disagreement.
    pub known: bool,
}

/// What a fuzz run did.
#[derive(Clone, Debug, Serialize)]
pub struct FuzzReport {
    /// The seed.
    pub seed: u64,
    /// The configuration.
    pub config: &'static str,
    /// The profile.
    pub profile: &'static str,
    /// Actions walked.
    pub steps: usize,
    /// Walks (fresh engines).
    pub walks: usize,
    /// Steps replayed on the engine, shrinking included.
    pub engine_steps: u64,
    /// Distinct (call, code, deciding check) the walks met.
    pub classes_seen: usize,
    /// Crashes, faults and held calls among the actions.
    pub environment_moves: usize,
    /// New failures (not under `--known`).
    pub failed: usize,
    /// Every failure, known or not.
    pub failures: Vec<FuzzFailure>,
    /// Seconds.
    pub seconds: f64,
}

/// The generator for walk `walk` of a run seeded `seed`.
fn walk_rng(seed: u64, walk: usize) -> SplitMix64 {
    let mut mix = SplitMix64::new(seed ^ (walk as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    SplitMix64::new(mix.next_u64())
}

/// A candidate action: its weight, the state it leads to (`None`: unchanged) and its class.
type Weighed = (Action, f64, Option<State>, ClassKey);

/// One walk of `len` actions: every choice weighted by how rarely its class came up so far.
fn walk(
    spec: &Spec,
    rng: &mut SplitMix64,
    len: usize,
    seen: &mut BTreeMap<ClassKey, u64>,
) -> Vec<Action> {
    let mut state = State::INITIAL;
    let mut path = Vec::with_capacity(len);
    let mut candidates = Vec::with_capacity(256);
    let mut weighed: Vec<Weighed> = Vec::with_capacity(256);
    while path.len() < len {
        candidates.clear();
        actions(spec, &state, Mode::Probe, &mut candidates);
        weighed.clear();
        for action in &candidates {
            let (next, outcome) = spec.apply(&state, action);
            // An environment move that changes nothing is no event at all.
            if action.is_environment() && next.is_none() {
                continue;
            }
            let key = (*action, outcome.code, outcome.rule);
            let count = seen.get(&key).copied().unwrap_or(0);
            weighed.push((*action, 1.0 / (1.0 + count as f64), next, key));
        }
        // A state with nothing to do (a hazard's) ends the walk.
        if weighed.is_empty() {
            break;
        }
        let total: f64 = weighed.iter().map(|w| w.1).sum();
        let mut pick = rng.next_f64() * total;
        let mut chosen = weighed.len() - 1;
        for (i, w) in weighed.iter().enumerate() {
            if pick < w.1 {
                chosen = i;
                break;
            }
            pick -= w.1;
        }
        let (action, _, next, key) = weighed.swap_remove(chosen);
        *seen.entry(key).or_insert(0) += 1;
        path.push(action);
        if let Some(next) = next {
            state = next;
        }
    }
    path
}

/// Runs the walks, calling `progress` with the actions walked so far.
pub fn run_fuzz(
    options: &FuzzOptions,
    mut progress: impl FnMut(usize),
) -> Result<FuzzReport, String> {
    options.config.validate()?;
    if options.walk_len == 0 {
        return Err("--walk-len must be at least 1".into());
    }
    let started = Instant::now();
    let spec = Spec::with_profile(options.config, options.profile);
    let known = options
        .known
        .as_deref()
        .map(|dir| recorded_disagreements(dir, options.backend).0)
        .unwrap_or_default();
    let mut seen = BTreeMap::new();
    let mut report = FuzzReport {
        seed: options.seed,
        config: options.config.name,
        profile: options.profile.name(),
        steps: 0,
        walks: 0,
        engine_steps: 0,
        classes_seen: 0,
        environment_moves: 0,
        failed: 0,
        failures: Vec::new(),
        seconds: 0.0,
    };
    let mut reported: Vec<Identity> = Vec::new();
    while report.steps < options.steps {
        let len = options.walk_len.min(options.steps - report.steps);
        let mut rng = walk_rng(options.seed, report.walks);
        let path = walk(&spec, &mut rng, len, &mut seen);
        // A walk cut short (at a hazard's state) still counts its length, so the run ends.
        report.steps += len;
        report.environment_moves += path.iter().filter(|a| a.is_environment()).count();
        let index = report.walks;
        report.walks += 1;
        let (trace, ends, result) = judge(&spec, options.backend, None, &path);
        match result {
            Ok(()) => report.engine_steps += trace.steps.len() as u64,
            Err(d) => {
                report.engine_steps += d.step as u64;
                let at = action_at(&ends, d.step, path.len());
                let id = d.identity();
                // One report per distinct disagreement in a run; the walk goes on being counted.
                if !reported.contains(&id) {
                    reported.push(id.clone());
                    let (shrunk, d2, steps) =
                        minimise(&spec, options.backend, path[..=at].to_vec(), &d);
                    report.engine_steps += steps;
                    let is_known = known.contains(&id);
                    let trace = match (&options.out, is_known) {
                        (Some(dir), false) => write_regression(
                            &spec,
                            dir,
                            "fuzz",
                            &format!(
                                "jetspec fuzz --seed {} (walk {index}), configuration {}, profile {}",
                                options.seed,
                                spec.config.name,
                                spec.profile.name()
                            ),
                            &shrunk,
                            &d2,
                        )?,
                        _ => None,
                    };
                    if !is_known {
                        report.failed += 1;
                    }
                    report.failures.push(FuzzFailure {
                        seed: options.seed,
                        walk: index,
                        call: d.call.clone(),
                        expected: d.expected.clone(),
                        actual: d.actual.clone(),
                        actions: at + 1,
                        shrunk_to: shrunk.len(),
                        trace,
                        known: is_known,
                    });
                }
            }
        }
        progress(report.steps);
    }
    report.classes_seen = seen.len();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The report as text.
pub fn render(report: &FuzzReport) -> String {
    let mut out = String::new();
    for f in &report.failures {
        out.push_str(&format!(
            "{} seed {} walk {}: {}: model {}, engine {} (shrunk from {} to {} actions){}\n",
            if f.known { "known" } else { "FAIL" },
            f.seed,
            f.walk,
            f.call,
            f.expected,
            f.actual,
            f.actions,
            f.shrunk_to,
            f.trace
                .as_ref()
                .map(|p| format!(", trace {}", p.display()))
                .unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "fuzz seed {} ({} configuration, {} profile): {} actions in {} walks, {} of them \
         crashes, faults or held calls; {} classes met; {} engine steps in {:.1} s; {} new \
         failures, {} known\n",
        report.seed,
        report.config,
        report.profile,
        report.steps,
        report.walks,
        report.environment_moves,
        report.classes_seen,
        report.engine_steps,
        report.seconds,
        report.failed,
        report.failures.len() - report.failed
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_the_published_sequence() {
        // The first outputs for seed 0 (the reference implementation's).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn one_seed_gives_one_walk() {
        let spec = Spec::new(Config::SMALL);
        let a = walk(&spec, &mut walk_rng(7, 0), 60, &mut BTreeMap::new());
        let b = walk(&spec, &mut walk_rng(7, 0), 60, &mut BTreeMap::new());
        let c = walk(&spec, &mut walk_rng(8, 0), 60, &mut BTreeMap::new());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(!a.is_empty());
    }
}
