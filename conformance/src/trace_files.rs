//! `jetspec trace validate` and `jetspec trace fmt`: finding trace files under the paths given,
//! checking each (and that names are unique within a folder), and rewriting them canonically
//! without ever leaving a file half-written.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jetapi::trace::{TraceError, parse_trace, print_trace};
use serde::Serialize;

/// Every `.json` file under `paths` (directories searched recursively), sorted, each once.
pub fn collect_trace_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut files).map_err(|e| format!("{}: {e}", path.display()))?;
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    Ok(())
}

/// The trace files under `dir`, none when it is not a directory (an optional folder of the
/// corpus, such as `traces/regressions/`).
pub fn trace_files_under(dir: &Path) -> Vec<PathBuf> {
    if dir.is_dir() {
        collect_trace_files(&[dir.to_path_buf()]).unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// One problem, as `trace validate --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The trace file.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl From<TraceError> for Problem {
    fn from(e: TraceError) -> Problem {
        Problem {
            file: e.file.unwrap_or_default(),
            line: e.line,
            reason: e.reason,
        }
    }
}

/// The result of validating files.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ValidationReport {
    /// Files read.
    pub files: usize,
    /// Files without problems.
    pub valid: usize,
    /// Every problem found.
    pub problems: Vec<Problem>,
}

/// Validates every file: structure, meaning, and names unique within each folder.
pub fn validate_files(files: &[PathBuf]) -> ValidationReport {
    let mut report = ValidationReport {
        files: files.len(),
        ..ValidationReport::default()
    };
    let mut names: BTreeMap<(PathBuf, String), PathBuf> = BTreeMap::new();
    for file in files {
        match jetapi::trace::load_trace_file(file) {
            Ok(trace) => {
                let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
                if let Some(first) = names.insert((folder, trace.name.clone()), file.clone()) {
                    report.problems.push(Problem {
                        file: file.clone(),
                        line: name_line(file),
                        reason: format!(
                            "name {:?} is also the name of {}; names are unique within a folder",
                            trace.name,
                            first.display()
                        ),
                    });
                } else {
                    report.valid += 1;
                }
            }
            Err(errors) => report
                .problems
                .extend(errors.into_iter().map(Problem::from)),
        }
    }
    report
}

fn name_line(file: &Path) -> usize {
    let text = fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .position(|l| l.trim_start().starts_with("\"name\""))
        .map_or(1, |i| i + 1)
}

/// What `trace fmt` did to one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FmtOutcome {
    /// Already canonical.
    Unchanged,
    /// Rewritten (or, with `--check`, would be).
    Rewritten,
}

/// Formats one file canonically. With `check`, only reports whether it would change.
pub fn format_file(file: &Path, check: bool) -> Result<FmtOutcome, Problem> {
    let text =
        fs::read_to_string(file).map_err(|e| problem(file, 1, format!("cannot read: {e}")))?;
    let (trace, _) = parse_trace(&text).map_err(|e| Problem::from(e.in_file(file)))?;
    let canonical = print_trace(&trace);
    if canonical == text {
        return Ok(FmtOutcome::Unchanged);
    }
    if !check {
        write_atomically(file, &canonical)
            .map_err(|e| problem(file, 1, format!("cannot write: {e}")))?;
    }
    Ok(FmtOutcome::Rewritten)
}

fn problem(file: &Path, line: usize, reason: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        line,
        reason,
    }
}

/// Replaces `file` with `text`: a sibling temporary file, synced, renamed over the original,
/// then the directory synced. A crash leaves the old file or the new one, never a mix.
pub fn write_atomically(file: &Path, text: &str) -> std::io::Result<()> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.jetspec-tmp"));
    let result = (|| {
        let mut out = fs::File::create(&temp)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
        fs::rename(&temp, file)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
