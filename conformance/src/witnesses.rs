//! `jetspec witnesses`: for every (function, code) the model can return, the shortest trace that
//! returns it, written as `<out>/<Function>/<code>.json`. The files are generated: a run
//! rewrites what changed, deletes what the model no longer produces, and gives the same bytes
//! every time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jetapi::JetErr;
use jetapi::trace::{Profile, print_trace};
use model::generate::Mode;
use model::search::Progress;
use model::to_trace::path_to_trace;
use model::{Config, Spec};
use serde::Serialize;

/// What a witness run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WitnessReport {
    /// The configuration.
    pub config: &'static str,
    /// The profile.
    pub profile: &'static str,
    /// (function, code) pairs witnessed.
    pub witnessed: usize,
    /// Files written because they were new or changed.
    pub written: usize,
    /// Files deleted because the model no longer produces them.
    pub deleted: usize,
    /// Unique states of the probe search.
    pub unique_states: usize,
    /// Seconds of the probe search.
    pub seconds: f64,
}

/// `JET_errNoBackup` as a trace name: `jet_err_no_backup`.
pub fn snake(code_name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in code_name.chars() {
        if c == '_' {
            out.push('_');
            prev_lower = false;
        } else if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    let mut snake = String::new();
    for part in out.split('_').filter(|p| !p.is_empty()) {
        if !snake.is_empty() {
            snake.push('_');
        }
        snake.push_str(part);
    }
    snake
}

/// The witness file of (function, code) under `out`.
pub fn witness_path(out: &Path, function: &str, code: JetErr) -> PathBuf {
    out.join(function).join(format!("{}.json", code.name()))
}

/// Every witness the model produces at `config` under `profile`, as (file, text).
pub fn witness_files(
    config: Config,
    profile: Profile,
    out: &Path,
    threads: usize,
    progress: impl FnMut(Progress),
) -> (BTreeMap<PathBuf, String>, model::search::Report) {
    let spec = Spec::with_profile(config, profile);
    let report = model::search::search_parallel(&spec, Mode::Probe, threads, progress);
    let mut files = BTreeMap::new();
    for ((function, code), path) in &report.outcomes {
        let last = model::search::replay(&spec, path);
        let rule = last
            .last()
            .and_then(|(_, o)| o.map(|o| o.rule))
            .unwrap_or("");
        let about = format!(
            "The shortest path ({} model steps) to {function} returning {}: {rule}.",
            path.len(),
            code.name()
        );
        let trace = path_to_trace(&spec, path, &snake(code.name()), &about);
        files.insert(witness_path(out, function, *code), print_trace(&trace));
    }
    (files, report)
}

/// Writes the witnesses under `out`, deleting stale ones; with `check`, changes nothing and
/// only counts what would be written and deleted.
pub fn run_witnesses(
    config: Config,
    profile: Profile,
    out: &Path,
    check: bool,
    threads: usize,
    progress: impl FnMut(Progress),
) -> Result<WitnessReport, String> {
    let (files, report) = witness_files(config, profile, out, threads, progress);
    let mut result = WitnessReport {
        config: config.name,
        profile: profile.name(),
        witnessed: files.len(),
        unique_states: report.unique_states,
        seconds: report.seconds,
        ..WitnessReport::default()
    };
    let existing = if out.exists() {
        crate::trace_files::collect_trace_files(&[out.to_path_buf()])?
    } else {
        Vec::new()
    };
    for stale in existing.iter().filter(|f| !files.contains_key(*f)) {
        if check {
            result.deleted += 1;
            continue;
        }
        std::fs::remove_file(stale).map_err(|e| format!("{}: {e}", stale.display()))?;
        result.deleted += 1;
    }
    for (file, text) in &files {
        if std::fs::read_to_string(file).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            result.written += 1;
            continue;
        }
        let dir = file
            .parent()
            .expect("witness files live in a function folder");
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        crate::trace_files::write_atomically(file, text)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        result.written += 1;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_become_snake_case_trace_names() {
        assert_eq!(snake("JET_errNoBackup"), "jet_err_no_backup");
        assert_eq!(
            snake("errBackupAbortByCaller"),
            "err_backup_abort_by_caller"
        );
        assert_eq!(
            snake("JET_wrnTargetInstanceRunning"),
            "jet_wrn_target_instance_running"
        );
        assert_eq!(snake("JET_errDiskIO"), "jet_err_disk_io");
    }
}
