//! `jetspec verify`: the one command for CI. It runs, in order, each as a phase with its own
//! verdict:
//!
//! 1. **model**: `check` of the configuration; every safety property holds (ESE's hazards are
//!    reported, not failed).
//! 2. **corpus**: every trace under `traces/` except `witnesses/` and `regressions/` replays on
//!    the engine (the hand-written traces: no exception).
//! 3. **witnesses**: the model's witnesses replay on the engine. One that disagrees the way an
//!    open disagreement under `traces/regressions/` already records is **known**; any other
//!    fails the phase.
//! 4. **regressions**: the open disagreements, replayed; those that now pass are reported as
//!    fixed (they stay as regression tests), never as failures. Then **model replay**: every
//!    trace the model printed (witnesses, regressions) reads back into the model and agrees,
//!    and every hand-written one agrees as far as the model reaches: to its end, or to the step
//!    it marks `beyond_model`.
//! 5. **conform**: lockstep over every edge class of the configuration; new disagreements fail.
//! 6. **coverage**: every documented (function, code) row is witnessed, divergent or
//!    unreachable with a reason (no row missing), `docs/coverage.md` is what the model prints,
//!    and each witnessed row the engine confirms (its witness replays) is counted; the rows
//!    it does not confirm are named.
//!
//! A disagreement's identity is (call, expected, actual), as `fuzz` uses.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use jetapi::trace::{Profile, load_trace_file};
use model::Config;
use serde::Serialize;

use crate::check::run_check;
use crate::conform::{ConformOptions, Shard, explore_model, run_conform_on};
use crate::coverage::{EngineResult, Status, coverage, coverage_with, render_markdown};
use crate::model_replay::{ModelVerdict, replay_on_model};
use crate::replay::{Backend, call_name, recorded_disagreements, replay_file};
use crate::trace_files::trace_files_under;

/// What to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The configuration of `check`, `conform` and `coverage`.
    pub config: Config,
    /// The engine's file system.
    pub backend: Backend,
    /// The corpus (`traces/`).
    pub traces: PathBuf,
    /// The checked-in coverage report (`docs/coverage.md`), compared when it exists.
    pub coverage_doc: PathBuf,
    /// Threads for `check` and `conform`.
    pub threads: usize,
}

/// A phase's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing wrong.
    Pass,
    /// Nothing new is wrong; known disagreements remain.
    Known,
    /// Something new is wrong.
    Fail,
}

/// One phase's result.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    /// `model`, `corpus`, `witnesses`, `regressions`, `model replay`, `conform` or `coverage`.
    pub name: &'static str,
    /// Its verdict.
    pub verdict: Verdict,
    /// One line of figures.
    pub summary: String,
    /// What went wrong, one item per line (new failures first, then known ones).
    pub details: Vec<String>,
    /// Seconds.
    pub seconds: f64,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// The configuration.
    pub config: &'static str,
    /// Each phase, in order.
    pub phases: Vec<Phase>,
    /// Seconds in all.
    pub seconds: f64,
}

impl VerifyReport {
    /// True when no phase failed.
    pub fn passed(&self) -> bool {
        self.phases.iter().all(|p| p.verdict != Verdict::Fail)
    }
}

/// Runs every phase, calling `progress(phase, message)` as each starts and moves on.
pub fn run_verify(options: &VerifyOptions, mut progress: impl FnMut(&str, String)) -> VerifyReport {
    let started = Instant::now();
    let mut phases = Vec::new();
    let backend = options.backend;

    // 1. The model.
    let t = Instant::now();
    progress(
        "model",
        format!("checking configuration {}", options.config.name),
    );
    let scratch = std::env::temp_dir().join(format!("jetspec-verify-{}", std::process::id()));
    phases.push(match run_check(
        options.config,
        Profile::Esent,
        None,
        options.threads,
        &scratch.join("counterexamples"),
        |_| {},
    ) {
        Ok(report) => {
            let failing: Vec<String> = report
                .properties
                .iter()
                .filter(|p| !p.holds && p.kind == model::properties::Kind::Always)
                .map(|p| {
                    format!(
                        "FAILS {} (counterexample {})",
                        p.name,
                        p.trace
                            .as_ref()
                            .map_or("-".into(), |f| f.display().to_string())
                    )
                })
                .collect();
            let hazards = report
                .properties
                .iter()
                .filter(|p| !p.holds && p.kind == model::properties::Kind::Hazard)
                .count();
            Phase {
                name: "model",
                verdict: if failing.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                summary: format!(
                    "{} states, {} edges; {} of {} properties hold; {hazards} hazard(s) of ESE's found",
                    report.unique_states,
                    report.edges,
                    report.properties.iter().filter(|p| p.holds).count(),
                    report.properties.len()
                ),
                details: failing,
                seconds: t.elapsed().as_secs_f64(),
            }
        }
        Err(e) => Phase {
            name: "model",
            verdict: Verdict::Fail,
            summary: "could not run".into(),
            details: vec![e],
            seconds: t.elapsed().as_secs_f64(),
        },
    });

    // The open disagreements: what each regression trace does on the engine today.
    let regressions = trace_files_under(&options.traces.join("regressions"));
    let t = Instant::now();
    progress("regressions", format!("{} traces", regressions.len()));
    let (known, fixed) = recorded_disagreements(&options.traces.join("regressions"), backend);
    let regressions_phase = Phase {
        name: "regressions",
        verdict: if known.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Known
        },
        summary: format!(
            "{} recorded disagreements: {} still open, {} now pass",
            regressions.len(),
            regressions.len() - fixed.len(),
            fixed.len()
        ),
        details: fixed
            .iter()
            .map(|f| format!("now passes: {}", f.display()))
            .collect(),
        seconds: t.elapsed().as_secs_f64(),
    };

    // 2. The hand-written corpus.
    let t = Instant::now();
    let corpus: Vec<PathBuf> = trace_files_under(&options.traces)
        .into_iter()
        .filter(|f| {
            let rel = f.strip_prefix(&options.traces).unwrap_or(f);
            !rel.starts_with("witnesses") && !rel.starts_with("regressions")
        })
        .collect();
    progress("corpus", format!("{} traces", corpus.len()));
    let failures: Vec<String> = corpus
        .iter()
        .filter_map(|f| replay_file(f, backend).err().map(|d| d.to_string()))
        .collect();
    phases.push(Phase {
        name: "corpus",
        verdict: if failures.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        summary: format!(
            "{} of {} hand-written traces pass",
            corpus.len() - failures.len(),
            corpus.len()
        ),
        details: failures,
        seconds: t.elapsed().as_secs_f64(),
    });

    // 3. The witnesses.
    let t = Instant::now();
    let witnesses = trace_files_under(&options.traces.join("witnesses"));
    progress("witnesses", format!("{} traces", witnesses.len()));
    let mut new = Vec::new();
    let mut old = Vec::new();
    let mut confirmed: BTreeSet<PathBuf> = BTreeSet::new();
    for file in &witnesses {
        match replay_file(file, backend) {
            Ok(()) => {
                confirmed.insert(file.clone());
            }
            Err(d) if known.contains(&d.identity()) => old.push(d.to_string()),
            Err(d) => new.push(d.to_string()),
        }
    }
    phases.push(Phase {
        name: "witnesses",
        verdict: verdict(new.len(), old.len()),
        summary: format!(
            "{} of {} witnesses replay on the engine; {} new disagreements, {} known",
            confirmed.len(),
            witnesses.len(),
            new.len(),
            old.len()
        ),
        details: new
            .into_iter()
            .chain(old.into_iter().map(|o| format!("known: {o}")))
            .collect(),
        seconds: t.elapsed().as_secs_f64(),
    });
    phases.push(regressions_phase);

    // 4b. The model reads back every trace it printed, and agrees with each; it reads every
    // hand-written one as far as the trace says it reaches (to its end, or to the step marked
    // beyond it), and agrees with each step up to there.
    let t = Instant::now();
    let printed: Vec<&PathBuf> = witnesses.iter().chain(&regressions).collect();
    progress(
        "model replay",
        format!("{} traces", printed.len() + corpus.len()),
    );
    let read = |f: &PathBuf| load_trace_file(f).map(|trace| replay_on_model(&trace));
    let mut disagreeing: Vec<String> = Vec::new();
    for (file, hand_written) in printed
        .iter()
        .map(|f| (*f, false))
        .chain(corpus.iter().map(|f| (f, true)))
    {
        match read(file) {
            Ok(ModelVerdict::Pass) => {}
            Ok(ModelVerdict::Beyond { .. }) if hand_written => {}
            Ok(verdict) => disagreeing.push(format!("{}: {verdict:?}", file.display())),
            Err(e) => disagreeing.push(format!("{}: {}", file.display(), e[0])),
        }
    }
    phases.push(Phase {
        name: "model replay",
        verdict: if disagreeing.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        summary: format!(
            "{} of {} traces read into the model and agree: the printed ones (witnesses, \
             regressions) to their end, the hand-written ones as far as each says the model reaches",
            printed.len() + corpus.len() - disagreeing.len(),
            printed.len() + corpus.len()
        ),
        details: disagreeing,
        seconds: t.elapsed().as_secs_f64(),
    });

    // One probe-mode exploration of the esent profile serves 5 and 6: conform's edge classes
    // and coverage's (function, code) pairs. Coverage then searches the documented profile.
    progress(
        "conform and coverage",
        format!(
            "exploring configuration {} in probe mode on {} threads",
            options.config.name, options.threads
        ),
    );
    let conform_options = ConformOptions {
        config: options.config,
        profile: Profile::Esent,
        backend,
        shard: Shard::ALL,
        out: None,
        threads: options.threads,
    };
    let t = Instant::now();
    let graph = explore_model(&conform_options, |_| {});
    let explored_seconds = t.elapsed().as_secs_f64();
    let (report, coverage_seconds) = {
        let t = Instant::now();
        let esent = graph.as_ref().map(|g| &g.report);
        let report = match esent {
            Ok(esent) => coverage_with(options.config, esent, options.threads),
            Err(_) => coverage(options.config, options.threads),
        };
        (report, t.elapsed().as_secs_f64())
    };
    let t = Instant::now();
    let conformed = graph.and_then(|graph| run_conform_on(&graph, &conform_options, |_| {}));
    let conform_seconds = explored_seconds + t.elapsed().as_secs_f64();

    // 5. Lockstep.
    phases.push(match conformed {
        Ok(report) => {
            let (old, new): (Vec<_>, Vec<_>) = report.regressions.iter().partition(|r| {
                let function = call_name(&r.call).to_string();
                known.contains(&(function, r.expected.clone(), r.actual.clone()))
            });
            let line = |r: &crate::conform::Disagreement| {
                format!("{}: model {}, engine {}", r.call, r.expected, r.actual)
            };
            Phase {
                name: "conform",
                verdict: verdict(new.len(), old.len()),
                summary: format!(
                    "{} of {} edge classes covered ({} blocked); {} of {} checks confirmed; {} \
                         new disagreements, {} known; {} engine steps at {:.0}/s",
                    report.edges_covered,
                    report.edges_total,
                    report.blocked,
                    report.checks_confirmed,
                    report.checks_total,
                    new.len(),
                    old.len(),
                    report.engine_calls,
                    report.calls_per_sec
                ),
                details: new
                    .iter()
                    .map(|r| line(r))
                    .chain(old.iter().map(|r| format!("known: {}", line(r))))
                    .chain(
                        report
                            .unconfirmed_checks
                            .iter()
                            .map(|c| format!("check never confirmed: {c}")),
                    )
                    .collect(),
                seconds: conform_seconds,
            }
        }
        Err(e) => Phase {
            name: "conform",
            verdict: Verdict::Fail,
            summary: "could not run".into(),
            details: vec![e],
            seconds: conform_seconds,
        },
    });

    // 6. Coverage.
    let mut details = Vec::new();
    let missing: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.status == Status::Missing)
        .map(|r| format!("missing: {} {}", r.function, r.code))
        .collect();
    // The gate is the default configuration's: the checked-in report describes it, and a
    // smaller configuration cannot reach every row (two instances, for one).
    let gate = options.config == Config::DEFAULT;
    let doc_differs = std::fs::read_to_string(&options.coverage_doc)
        .ok()
        .filter(|_| gate)
        .map(|doc| doc != render_markdown(&report));
    if doc_differs == Some(true) {
        details.push(format!(
            "{} is out of date: jetspec coverage --markdown > {}",
            options.coverage_doc.display(),
            options.coverage_doc.display()
        ));
    }
    let unconfirmed: Vec<String> = report
        .rows
        .iter()
        .filter_map(|r| match &r.engine {
            Some(EngineResult::Differs {
                step,
                expected,
                actual,
                ..
            }) => Some(format!(
                "not confirmed by the engine: {} {} (step {step}: {expected}, engine {actual})",
                r.function, r.code
            )),
            _ => None,
        })
        .collect();
    let failed = gate && (!missing.is_empty() || doc_differs == Some(true));
    let summary = format!(
        "{} documented rows: {} witnessed ({} confirmed by the engine), {} divergent, {} \
         unreachable, {} missing",
        report.summary.rows,
        report.summary.witnessed,
        report.summary.confirmed,
        report.summary.divergent,
        report.summary.unreachable,
        report.summary.missing
    ) + if gate {
        ""
    } else {
        " (the gate is the default configuration's)"
    };
    details.extend(missing);
    details.extend(unconfirmed);
    phases.push(Phase {
        name: "coverage",
        verdict: if failed {
            Verdict::Fail
        } else if details.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Known
        },
        summary,
        details,
        seconds: coverage_seconds,
    });
    let _ = std::fs::remove_dir_all(&scratch);
    VerifyReport {
        config: options.config.name,
        phases,
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn verdict(new: usize, known: usize) -> Verdict {
    if new > 0 {
        Verdict::Fail
    } else if known > 0 {
        Verdict::Known
    } else {
        Verdict::Pass
    }
}

/// The report as a table, then each phase's details (at most `limit` lines each).
pub fn render(report: &VerifyReport, limit: usize) -> String {
    let mut out = String::new();
    for p in &report.phases {
        if p.details.is_empty() {
            continue;
        }
        out.push_str(&format!("{}:\n", p.name));
        for d in p.details.iter().take(limit) {
            out.push_str(&format!("  {d}\n"));
        }
        if p.details.len() > limit {
            out.push_str(&format!(
                "  ... and {} more (--json lists all)\n",
                p.details.len() - limit
            ));
        }
    }
    out.push_str(&format!(
        "\njetspec verify, configuration {}\n\n| phase | verdict | seconds | result |\n|---|---|---|---|\n",
        report.config
    ));
    for p in &report.phases {
        let verdict = match p.verdict {
            Verdict::Pass => "pass",
            Verdict::Known => "known",
            Verdict::Fail => "FAIL",
        };
        out.push_str(&format!(
            "| {} | {verdict} | {:.1} | {} |\n",
            p.name, p.seconds, p.summary
        ));
    }
    out.push_str(&format!(
        "\n{} in {:.1} s\n",
        if !report.passed() {
            "FAILED"
        } else if report.phases.iter().any(|p| p.verdict == Verdict::Known) {
            "passed (known: open disagreements recorded under traces/regressions/)"
        } else {
            "passed"
        },
        report.seconds
    ));
    out
}
