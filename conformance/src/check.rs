//! `jetspec check`: exhaustive search of the model at a bounded configuration, each property's
//! verdict, and for a property that fails, its shortest counterexample written as a trace v1
//! file that the engine can replay.

use std::path::{Path, PathBuf};

use jetapi::trace::{Profile, print_trace};
use model::generate::Mode;
use model::properties::{Kind, PROPERTIES};
use model::search::{Progress, Report, search_parallel};
use model::to_trace::path_to_trace;
use model::{Config, Mutation, Spec};
use serde::Serialize;

/// One property's verdict, as `check --json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyVerdict {
    /// The sentence.
    pub name: &'static str,
    /// `always`: it must hold in every reachable state; `hazard`: a state where it fails is
    /// something ESE itself does that endangers data, reported with its shortest trace.
    pub kind: Kind,
    /// Whether it holds.
    pub holds: bool,
    /// The counterexample trace file, when it fails.
    pub trace: Option<PathBuf>,
    /// The counterexample's length in steps of the model.
    pub steps: Option<usize>,
}

/// The result of `check`, as `check --json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// The configuration's name.
    pub config: &'static str,
    /// The profile.
    pub profile: &'static str,
    /// Distinct states reached.
    pub unique_states: usize,
    /// Transitions evaluated.
    pub edges: u64,
    /// The deepest state's depth.
    pub max_depth: usize,
    /// Wall-clock seconds of the search.
    pub seconds: f64,
    /// Unique states per second.
    pub states_per_sec: f64,
    /// Each property's verdict.
    pub properties: Vec<PropertyVerdict>,
}

impl CheckReport {
    /// True when every safety property holds (a hazard found is a finding, not a failure).
    pub fn all_hold(&self) -> bool {
        self.properties
            .iter()
            .all(|p| p.holds || p.kind == Kind::Hazard)
    }
}

/// A property's name as a file name: `no_log_a_running_backup_...`.
pub fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("_")
}

/// The mutation named `name` (for demonstrations and tests of the checker).
pub fn mutation_by_name(name: &str) -> Option<Mutation> {
    match name {
        "truncate-before-copy-check" => Some(Mutation::TruncateBeforeCopyCheck),
        _ => None,
    }
}

/// Runs the search on `threads` threads and writes a counterexample trace under `out` for
/// each failing property.
pub fn run_check(
    config: Config,
    profile: Profile,
    mutation: Option<Mutation>,
    threads: usize,
    out: &Path,
    progress: impl FnMut(Progress),
) -> Result<CheckReport, String> {
    let spec = Spec {
        mutation,
        ..Spec::with_profile(config, profile)
    };
    let report: Report = search_parallel(&spec, Mode::Explore, threads, progress);
    let mut properties = Vec::new();
    for (p, property) in report.properties.iter().zip(PROPERTIES) {
        let hazard = property.kind == Kind::Hazard;
        let trace = match &p.counterexample {
            None => None,
            Some(path) => {
                let name = slug(p.name);
                let about = if hazard {
                    format!(
                        "A hazard of ESE's (profile {}): the shortest path ({} model steps) to a state where \"{}\" fails, at configuration {}.",
                        profile.name(),
                        path.len(),
                        p.name,
                        config.name
                    )
                } else {
                    format!(
                        "Shortest counterexample ({} model steps) to \"{}\" at configuration {}.",
                        path.len(),
                        p.name,
                        config.name
                    )
                };
                let trace = path_to_trace(&spec, path, &name, &about);
                std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
                let file = out.join(format!("{name}.json"));
                crate::trace_files::write_atomically(&file, &print_trace(&trace))
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                Some(file)
            }
        };
        properties.push(PropertyVerdict {
            name: p.name,
            kind: property.kind,
            holds: p.counterexample.is_none(),
            steps: p.counterexample.as_ref().map(Vec::len),
            trace,
        });
    }
    Ok(CheckReport {
        config: config.name,
        profile: profile.name(),
        unique_states: report.unique_states,
        edges: report.edges,
        max_depth: report.max_depth,
        seconds: report.seconds,
        states_per_sec: report.states_per_sec(),
        properties,
    })
}

/// The report as text for people.
pub fn render(report: &CheckReport) -> String {
    let mut out = format!(
        "configuration {}, profile {}\n{} unique states, {} edges, depth {}, {:.2} s, {:.0} states/s\n\n",
        report.config,
        report.profile,
        report.unique_states,
        report.edges,
        report.max_depth,
        report.seconds,
        report.states_per_sec
    );
    for p in &report.properties {
        match (&p.trace, p.steps) {
            (Some(file), Some(steps)) if p.kind == Kind::Hazard => out.push_str(&format!(
                "HAZARD {}: ESE breaks it\n       shortest trace, {steps} steps: {}\n",
                p.name,
                file.display()
            )),
            (Some(file), Some(steps)) => out.push_str(&format!(
                "FAILS  {}\n       shortest counterexample, {steps} steps: {}\n",
                p.name,
                file.display()
            )),
            _ => out.push_str(&format!("holds  {}\n", p.name)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_names_become_file_names() {
        assert_eq!(
            slug("a crash loses no committed transaction"),
            "a_crash_loses_no_committed_transaction"
        );
        assert_eq!(slug("JetTruncateLog, never"), "jettruncatelog_never");
    }
}
