//! `jetspec coverage`: every documented (function, code) row of the 53 function pages,
//! classified against the model: `witnessed` (the model returns it; the shortest trace is in
//! `traces/witnesses/`), `divergent` (only the documented profile returns it; the divergence is
//! named), `unreachable` (no call sequence can produce it, with the reason and its source) or
//! `missing` (the model does not produce it yet). Also the codes the model returns that no page
//! lists (`undocumented`). Each witnessed row's witness is replayed on the engine (simulated
//! disk): the row is confirmed, or the first step where the engine differs is named.

use std::collections::BTreeSet;

use jetapi::JetErr;
use jetapi::doc_table::documented_rows;
use jetapi::trace::Profile;
use model::generate::Mode;
use model::profile::DIVERGENCES;
use model::search::{Report, search_parallel};
use model::to_trace::path_to_trace;
use model::{Config, Spec};
use serde::Serialize;

use crate::replay::{Backend, replay};

/// A row's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The model (profile esent) returns it.
    Witnessed,
    /// Only the documented profile returns it.
    Divergent,
    /// No call sequence can produce it.
    Unreachable,
    /// The model does not produce it yet.
    Missing,
}

/// One documented row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The function.
    pub function: String,
    /// The code as the page prints it.
    pub code: String,
    /// Its status.
    pub status: Status,
    /// The witness trace (witnessed rows).
    pub witness: Option<String>,
    /// The divergence id (divergent rows) or why it cannot happen (unreachable rows).
    pub reason: Option<String>,
    /// What the engine did with the witness (witnessed rows).
    pub engine: Option<EngineResult>,
}

/// A witness replayed on the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum EngineResult {
    /// Every step, the witnessed call included, returned what the model predicts.
    Confirmed,
    /// The first step whose result differs.
    Differs {
        /// The 1-based step of the printed witness.
        step: usize,
        /// Its call.
        call: String,
        /// What the model predicts.
        expected: String,
        /// What the engine returned.
        actual: String,
    },
}

/// Counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Documented rows.
    pub rows: usize,
    /// Rows witnessed.
    pub witnessed: usize,
    /// Witnessed rows whose witness replays on the engine.
    pub confirmed: usize,
    /// Rows only the documented profile produces.
    pub divergent: usize,
    /// Rows no sequence can produce.
    pub unreachable: usize,
    /// Rows the model does not produce yet.
    pub missing: usize,
    /// (function, code) pairs the model returns that no page lists.
    pub undocumented: usize,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct CoverageReport {
    /// The configuration searched.
    pub config: &'static str,
    /// Every documented row, in page order.
    pub rows: Vec<Row>,
    /// The model's (function, code) pairs no page lists.
    pub undocumented: Vec<(String, String)>,
    /// Counts.
    pub summary: Summary,
}

/// Why a documented row cannot happen, or `None`.
fn unreachable_reason(function: &str, code: JetErr, note: Option<&str>) -> Option<String> {
    if note.is_some_and(|n| n.contains("Windows 2000 only")) {
        return Some("the page says Windows 2000 only; jetspec follows Windows XP and later (ese-doc-notes.md §7)".into());
    }
    let instance_form = function.ends_with("Instance") || function.ends_with("Instance2");
    if code == JetErr::RunningInMultiInstanceMode && instance_form {
        return Some(
            "copy-paste row: an Instance form takes a handle and never checks the run mode; only the legacy form does (ese-behaviour.md §1.2 step 0; ese-doc-notes.md §5)"
                .into(),
        );
    }
    let legacy_backup_call = matches!(
        function,
        "JetBeginExternalBackup"
            | "JetGetAttachInfo"
            | "JetOpenFile"
            | "JetReadFile"
            | "JetCloseFile"
            | "JetGetLogInfo"
            | "JetTruncateLog"
            | "JetEndExternalBackup"
            | "JetBackup"
    );
    if code == JetErr::NotInitialized && legacy_backup_call {
        return Some(
            "in one-instance mode the single instance exists only once JetInit has succeeded, and a legacy call before that gets JET_errInvalidParameter (ese-behaviour.md §1.1, §1.2 steps 0 and 3)"
                .into(),
        );
    }
    let reason = match (function, code) {
        ("JetTerm" | "JetTerm2", JetErr::NotInitialized) => {
            "only when another thread frees the instance between ErrFindPinst and taking its lock; an instance never initialized is freed with JET_errSuccess instead, and the model's calls do not interleave inside one another (ese-behaviour.md §1.3)"
        }
        ("JetEndSession", JetErr::RestoreInProgress) => {
            "a session needs an initialized instance and a restore needs one that is not initialized (JET_errAlreadyInitialized), so no session is open on an instance being restored (ese-behaviour.md §6.3, §6.4)"
        }
        ("JetEndSession", JetErr::NotInitialized) => {
            "a session exists only on an initialized instance, and JetTerm ends every session with it; a session handle after that is JET_errInvalidSesid (ese-behaviour.md §1.3)"
        }
        ("JetEndSession", JetErr::ClientRequestToStopJetService) => {
            "JetEndSession is one of the calls JetStopService leaves allowed (ese-doc-notes.md §4)"
        }
        ("JetExternalRestore", JetErr::BadRestoreTargetInstance) => {
            "JetExternalRestore has no target-instance parameters; the v1 page describes JetExternalRestore2's (ese-doc-notes.md §6)"
        }
        ("JetEnableMultiInstance" | "JetSetSystemParameter", JetErr::InvalidPath) => {
            "a path parameter longer than its range (246 characters, 247 for JET_paramTempPath) is JET_errInvalidParameter before the path is looked at (ESE source, jetapi.cxx CJetParam::ValidateSet; sysparamtable.g.cxx); JET_errInvalidPath comes only from ErrPathComplete failing on a shorter path (CJetParam::SetFolder / SetPath), e.g. one whose completion against the process's working directory passes MAX_PATH, which the model does not represent"
        }
        ("JetEnableMultiInstance" | "JetSetSystemParameter", JetErr::IndexTuplesInvalidLimits) => {
            "the pages date this error to Windows XP and Server 2003 only (ese-doc-notes.md §7); the esent profile follows the current implementation"
        }
        (
            "JetCreateDatabase" | "JetCreateDatabase2",
            JetErr::DatabaseInUse
            | JetErr::DatabaseLocked
            | JetErr::DatabaseNotFound
            | JetErr::InvalidDatabase
            | JetErr::OneDatabasePerSession
            | JetErr::WrnFileOpenReadOnly,
        ) => {
            "the create path never returns it: these rows describe opening a database, and creating one opens nothing another session holds (ESE source, db.cxx ErrIsamCreateDatabase / ErrDBCreateDatabase)"
        }
        ("JetCreateDatabase" | "JetCreateDatabase2", JetErr::WrnDatabaseAttached) => {
            "create turns the warning of a name already attached into JET_errDatabaseDuplicate, which the model returns (ESE source, db.cxx ErrDBCreateDatabase after FMP::ErrNewAndWriteLatch)"
        }
        ("JetCreateDatabase" | "JetCreateDatabase2", JetErr::DatabaseInvalidPages) => {
            "the page-count check tests the engine's own initial size (CpgDBInitialUserDatabaseSize, a few hundred pages at most), never cpgDatabaseSizeMax, which is not range-checked (ESE source, db.cxx ErrDBCreateDatabase, ErrDBParseDbParams)"
        }
        ("JetAttachDatabase" | "JetAttachDatabase2", JetErr::DatabaseInUse) => {
            "attach never returns it: a file another process holds is JET_errFileAccessDenied from the file open (ESE source, db.cxx ErrIsamAttachDatabase; os/osfile.cxx)"
        }
        (
            "JetAttachDatabase" | "JetAttachDatabase2",
            JetErr::PrimaryIndexCorrupted | JetErr::SecondaryIndexCorrupted,
        ) => {
            "needs indexes over Unicode data built under an older sort-order version of the operating system; the model has one system and no indexes (ESE source, cat.cxx ErrCATDeleteOrUpdateOutOfDateLocalizedIndexes, reached from db.cxx ErrIsamAttachDatabase)"
        }
        ("JetOpenDatabase", JetErr::WrnFileOpenReadOnly) => {
            "ErrIsamOpenDatabase returns a literal JET_errSuccess after ErrDBOpenDatabase set the warning, so the caller never sees it (ESE source, db.cxx)"
        }
        ("JetCloseDatabase", JetErr::DatabaseNotFound) => {
            "the session's entry check refuses a database the session has not open with JET_errInvalidDatabaseId before ErrDBCloseDatabase could return this (ESE source, jetapi.cxx APICALL_SESID::FEnter, db.cxx ErrDBCloseDatabase)"
        }
        (
            "JetSetSystemParameter",
            JetErr::NotInitialized
            | JetErr::ClientRequestToStopJetService
            | JetErr::InstanceUnavailable,
        ) => {
            "JetSetSystemParameter enters without init (INST::ErrAPIEnterWithoutInit), which looks only at the API lock: not at initialization, the stop-service flag or unavailability (ESE source, jetapi.cxx)"
        }
        ("JetBackup" | "JetBackupInstance", JetErr::SessionSharingViolation) => {
            "JetBackup takes no session: it enters through the instance, and its internal backup session begins and commits each read on the calling thread (ESE source, jetapi.cxx APICALL_INST::FEnter, backup.cxx ErrBKReadFile)"
        }
        ("JetEndSession", JetErr::OutOfMemory | JetErr::OutOfBuffers) => {
            "only from rolling back an open transaction's updates, when undo must bring a page back that the cache evicted and the allocation for it fails; the rollback then makes the instance unavailable (ESE source, tm.cxx ErrIsamEndSession, ver.cxx rollback-failure branch). No call sequence produces it: it needs cache pressure at that moment, and a transaction with no updates allocates nothing; the model has neither a cache nor updates inside a transaction"
        }
        ("JetBeginSession", JetErr::OutOfMemory) => {
            "the exported JetBeginSession (the ANSI form) allocates nothing whose failure returns it: a session that cannot be allocated is JET_errOutOfSessions (ErrPIBBeginSession maps a failed `new PIB`); only the wide form's conversion of a user name could (ESE source, jetapi.cxx JetBeginSessionExW, pib.cxx ErrPIBBeginSession)"
        }
        ("JetEndSession", JetErr::InvalidParameter) => {
            "JetEndSession validates only the session; its grbit is never read (ESE source, jetapi.cxx JetEndSessionEx, tm.cxx ErrIsamEndSession)"
        }
        ("JetRestore" | "JetRestore2", JetErr::InvalidParameter) => {
            "the only source is ErrFindPinst on the handle, and these calls pass one-instance mode's own instance or none (a temporary one), which it always finds (ESE source, jetapi.cxx JetRestore*, JetRestoreInstanceEx)"
        }
        _ => return None,
    };
    Some(reason.into())
}

/// Runs the model in probe mode under both profiles, on `threads` threads, and classifies
/// every documented row.
pub fn coverage(config: Config, threads: usize) -> CoverageReport {
    let esent = search_parallel(&Spec::new(config), Mode::Probe, threads, |_| {});
    coverage_with(config, &esent, threads)
}

/// [`coverage`], given the probe-mode search of `config` under the esent profile (as
/// `jetspec conform`'s exploration returns it): only the documented profile is searched.
pub fn coverage_with(config: Config, esent: &Report, threads: usize) -> CoverageReport {
    let documented = search_parallel(
        &Spec {
            profile: Profile::Documented,
            ..Spec::new(config)
        },
        Mode::Probe,
        threads,
        |_| {},
    );
    let has =
        |report: &model::search::Report, f: &str, c: JetErr| report.outcomes.contains_key(&(f, c));
    let spec = Spec::new(config);
    let mut rows = Vec::new();
    let mut documented_pairs = BTreeSet::new();
    for (page, doc_row) in documented_rows() {
        let (f, code) = (page.function.as_str(), doc_row.code());
        documented_pairs.insert((f.to_string(), code));
        let row = |status, witness, reason| Row {
            function: f.to_string(),
            code: doc_row.printed.clone(),
            status,
            witness,
            reason,
            engine: None,
        };
        rows.push(if let Some(path) = esent.outcomes.get(&(f, code)) {
            Row {
                engine: Some(on_engine(&spec, path, f, code)),
                ..row(
                    Status::Witnessed,
                    Some(format!("traces/witnesses/{f}/{}.json", code.name())),
                    None,
                )
            }
        } else if has(&documented, f, code) {
            let divergence = DIVERGENCES
                .iter()
                .find(|d| d.functions.contains(&f) && d.documented.contains(code.name()))
                .map_or("documented profile only", |d| d.id);
            row(Status::Divergent, None, Some(divergence.to_string()))
        } else if let Some(reason) = unreachable_reason(f, code, doc_row.note.as_deref()) {
            row(Status::Unreachable, None, Some(reason))
        } else {
            row(Status::Missing, None, None)
        });
    }
    let undocumented: Vec<(String, String)> = esent
        .outcomes
        .keys()
        .filter(|(f, c)| !documented_pairs.contains(&(f.to_string(), *c)))
        .map(|(f, c)| (f.to_string(), c.name().to_string()))
        .collect();
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let summary = Summary {
        rows: rows.len(),
        witnessed: count(Status::Witnessed),
        confirmed: rows
            .iter()
            .filter(|r| r.engine == Some(EngineResult::Confirmed))
            .count(),
        divergent: count(Status::Divergent),
        unreachable: count(Status::Unreachable),
        missing: count(Status::Missing),
        undocumented: undocumented.len(),
    };
    CoverageReport {
        config: config.name,
        rows,
        undocumented,
        summary,
    }
}

/// Prints the witness `path` of (`function`, `code`) as `jetspec witnesses` does and replays it on
/// a fresh engine on the simulated disk.
fn on_engine(spec: &Spec, path: &[model::Action], function: &str, code: JetErr) -> EngineResult {
    let name = format!("{function}/{}", code.name());
    match replay(&path_to_trace(spec, path, &name, ""), Backend::Sim) {
        Ok(()) => EngineResult::Confirmed,
        Err(d) => EngineResult::Differs {
            step: d.step,
            call: d.call,
            expected: d.expected,
            actual: d.actual,
        },
    }
}

/// The report as Markdown (the text of `docs/coverage.md`).
pub fn render_markdown(report: &CoverageReport) -> String {
    let s = &report.summary;
    let mut out = String::from("# Coverage of the documented return codes\n\n");
    out.push_str(&format!(
        "Generated by `jetspec coverage --markdown` at configuration `{}`; do not edit by hand.\n\n",
        report.config
    ));
    out.push_str(&format!(
        "{} documented (function, code) rows: {} witnessed ({} confirmed by the engine), {} divergent, \
         {} unreachable, {} missing. The model also returns {} (function, code) pairs no page lists.\n\n",
        s.rows,
        s.witnessed,
        s.confirmed,
        s.divergent,
        s.unreachable,
        s.missing,
        s.undocumented
    ));
    let differs: Vec<_> = report
        .rows
        .iter()
        .filter_map(|r| match &r.engine {
            Some(EngineResult::Differs {
                step,
                call,
                expected,
                actual,
            }) => Some((r, step, call, expected, actual)),
            _ => None,
        })
        .collect();
    out.push_str(&format!(
        "## Witnessed, not confirmed by the engine ({})\n\n\
         The witness replayed on the engine (simulated disk) differs at the step named.\n\n\
         | function | code | step | call | model | engine |\n|---|---|---|---|---|---|\n",
        differs.len()
    ));
    let cell = |t: &str| t.replace('|', "\\|");
    for (r, step, call, expected, actual) in differs {
        out.push_str(&format!(
            "| {} | {} | {step} | `{}` | {} | {} |\n",
            r.function,
            r.code,
            cell(call),
            cell(expected),
            cell(actual)
        ));
    }
    out.push('\n');
    for status in [
        Status::Missing,
        Status::Divergent,
        Status::Unreachable,
        Status::Witnessed,
    ] {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| r.status == status).collect();
        let title = match status {
            Status::Missing => "Missing: the model does not produce these yet",
            Status::Divergent => "Divergent: only the documented profile produces these",
            Status::Unreachable => "Unreachable",
            Status::Witnessed => "Witnessed",
        };
        out.push_str(&format!(
            "## {title} ({})\n\n| function | code | detail |\n|---|---|---|\n",
            rows.len()
        ));
        for r in rows {
            let detail = r
                .witness
                .clone()
                .or_else(|| r.reason.clone())
                .unwrap_or_default();
            out.push_str(&format!("| {} | {} | {} |\n", r.function, r.code, detail));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "## Undocumented: returned by the model, listed by no page ({})\n\n",
        report.undocumented.len()
    ));
    out.push_str("| function | code |\n|---|---|\n");
    for (f, c) in &report.undocumented {
        out.push_str(&format!("| {f} | {c} |\n"));
    }
    out
}
