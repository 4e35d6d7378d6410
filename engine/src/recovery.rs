//! Soft recovery, run by JetInit: find the logs, replay every transaction committed after the
//! checkpoint into the databases it touched, drop the ones that never committed (nothing of an
//! uncommitted transaction ever reaches a database page, so dropping it is the undo), then
//! flush the databases clean. The instance then starts a new log generation (`Core::start`).
//! Steps in `docs/durability.md`, "Crash recovery".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jetapi::JetErr;

use crate::checkpoint::{self, Checkpoint};
use crate::core::PENDING_BYTES_MAX;
use crate::dbfile::{DbFile, DbState};
use crate::log::{LogPos, LogRecord, TxnOp, read_generation, read_log_header};
use crate::paths::{archived_generation, checkpoint_file, current_log};
use crate::storage::Storage;

/// What recovery found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The log stream's signature (0: no log existed).
    pub log_signature: u64,
    /// The checkpoint read, if any.
    pub checkpoint: Option<Checkpoint>,
    /// The newest generation present (0: none).
    pub last_generation: u32,
    /// True when `<base>.log` exists.
    pub current_exists: bool,
    /// Transactions replayed.
    pub committed: u64,
    /// Transactions found without a commit, dropped.
    pub undone: u64,
    /// Log bytes scanned.
    pub bytes: u64,
}

/// How recovery treats the databases the logs name.
#[derive(Clone, Debug, Default)]
pub struct RecoveryOptions {
    /// `(name in the logs, where it is now)` (JetInit3's restore map).
    pub restore_map: Vec<(String, String)>,
    /// `JET_bitReplayIgnoreMissingDB`: a missing database is skipped, not an error.
    pub ignore_missing_db: bool,
    /// `JET_paramDeleteOutOfRangeLogs`: logs of another stream, or past a gap after the
    /// checkpoint's generation, are deleted instead of failing recovery.
    pub delete_out_of_range_logs: bool,
    /// The engine's deliberate mistake, if any (`mutant.rs`).
    pub mutant: crate::mutant::Planted,
}

struct ReplayDb {
    file: DbFile,
}

/// The logs present in `log_dir`: generation -> file, oldest first.
pub fn list_logs(
    storage: &dyn Storage,
    log_dir: &Path,
    base: &str,
) -> Result<BTreeMap<u32, PathBuf>, JetErr> {
    let mut logs = archived_logs(storage, log_dir, base)?;
    let current = current_log(log_dir, base);
    if storage.exists(&current).map_err(|_| JetErr::DiskIO)? {
        let header = read_log_header(storage, &current)?;
        logs.insert(header.generation, current);
    }
    Ok(logs)
}

/// The archived generations in `log_dir` (named `<base>XXXXX.log`), by their names alone:
/// generation -> file, oldest first.
pub fn archived_logs(
    storage: &dyn Storage,
    log_dir: &Path,
    base: &str,
) -> Result<BTreeMap<u32, PathBuf>, JetErr> {
    let names = storage.list(log_dir).map_err(|e| match e {
        crate::storage::IoError::NotFound => JetErr::InvalidLogDirectory,
        other => crate::errors::io_to_jet(&other, crate::errors::Area::LogRead),
    })?;
    let mut logs = BTreeMap::new();
    for name in names {
        if let Some(generation) = archived_generation(&name, base) {
            logs.insert(generation, log_dir.join(&name));
        }
    }
    Ok(logs)
}

/// Runs soft recovery. `page_size` is the configured page size.
pub fn recover(
    storage: &dyn Storage,
    system_dir: &Path,
    log_dir: &Path,
    base: &str,
    page_size: usize,
    options: &RecoveryOptions,
) -> Result<Recovered, JetErr> {
    // logredo.cxx LOG::ErrLGSoftStart: a checkpoint that ErrLGReadCheckpoint cannot read (both
    // copies damaged) is no error; it is deleted and redo starts at the lowest log generation
    // present, as with no checkpoint at all. JetInit writes a new one.
    let chk_path = checkpoint_file(system_dir, base);
    let chk = match checkpoint::read(storage, &chk_path) {
        Err(JetErr::CheckpointCorrupt) => {
            storage
                .delete(&chk_path)
                .map_err(crate::errors::in_area(crate::errors::Area::Checkpoint))?;
            None
        }
        other => other?,
    };
    let mut logs = list_logs(storage, log_dir, base)?;
    let mut out = Recovered {
        log_signature: chk.as_ref().map_or(0, |c| c.log_signature),
        checkpoint: chk.clone(),
        ..Recovered::default()
    };
    let mut stray = Vec::new();
    for (generation, path) in &logs {
        let header = read_log_header(storage, path)?;
        let same_stream = out.log_signature == 0 || header.signature == out.log_signature;
        if header.generation == *generation && same_stream {
            out.log_signature = header.signature;
        } else if options.delete_out_of_range_logs {
            stray.push(*generation);
        } else if same_stream {
            return Err(JetErr::LogGenerationMismatch);
        } else {
            return Err(JetErr::BadLogSignature);
        }
    }
    delete_logs(storage, log_dir, &mut logs, &stray)?;
    let (start, attached) = match (&chk, logs.keys().next()) {
        (Some(c), _) => (c.pos, c.attached.clone()),
        (None, Some(first)) => (
            LogPos {
                generation: *first,
                offset: 0,
            },
            Vec::new(),
        ),
        (None, None) => return Ok(out),
    };
    if logs.is_empty() {
        out.current_exists = false;
        return if attached.is_empty() {
            Ok(out)
        } else {
            Err(JetErr::MissingLogFile)
        };
    }
    let last = logs.keys().next_back().copied().unwrap_or(0);
    if let Some(gap) =
        (start.generation..=last.max(start.generation)).find(|g| !logs.contains_key(g))
    {
        if gap == start.generation || !options.delete_out_of_range_logs {
            return Err(JetErr::MissingLogFile);
        }
        let beyond: Vec<u32> = logs.keys().copied().filter(|g| *g > gap).collect();
        delete_logs(storage, log_dir, &mut logs, &beyond)?;
    }
    out.last_generation = logs.keys().next_back().copied().unwrap_or(0);
    out.current_exists = logs.values().any(|p| *p == current_log(log_dir, base));
    let mut dbs: BTreeMap<u32, ReplayDb> = BTreeMap::new();
    for (db, path) in &attached {
        open_db(storage, *db, path, None, page_size, options, &mut dbs)?;
    }
    let mut pending: BTreeMap<u64, Vec<TxnOp>> = BTreeMap::new();
    let skip_last = options
        .mutant
        .is(crate::mutant::Mutant::RecoverySkipsLastGeneration);
    let replay_last =
        out.last_generation - u32::from(skip_last && out.last_generation > start.generation);
    for generation in start.generation..=replay_last {
        let path = &logs[&generation];
        let from = if generation == start.generation {
            start.offset
        } else {
            0
        };
        let (records, end) = read_generation(storage, path, generation, from)?;
        out.bytes += u64::from(end.saturating_sub(from));
        for (_, record) in records {
            match record {
                LogRecord::Op { txn, op } => pending.entry(txn).or_default().push(op),
                LogRecord::Commit { txn } => {
                    for op in pending.remove(&txn).unwrap_or_default() {
                        apply(storage, &mut dbs, &op)?;
                    }
                    out.committed += 1;
                }
                LogRecord::Rollback { txn } => {
                    pending.remove(&txn);
                }
                LogRecord::Attach {
                    db,
                    path,
                    db_signature,
                } => {
                    open_db(
                        storage,
                        db,
                        &path,
                        Some(db_signature),
                        page_size,
                        options,
                        &mut dbs,
                    )?;
                }
                LogRecord::Detach { db } => {
                    if let Some(mut d) = dbs.remove(&db) {
                        finish(storage, &mut d)?;
                    }
                }
            }
        }
    }
    out.undone = pending.len() as u64;
    for d in dbs.values_mut() {
        finish(storage, d)?;
    }
    Ok(out)
}

/// Deletes the logs of `generations` (out of range) and makes the deletion durable.
fn delete_logs(
    storage: &dyn Storage,
    log_dir: &Path,
    logs: &mut BTreeMap<u32, PathBuf>,
    generations: &[u32],
) -> Result<(), JetErr> {
    if generations.is_empty() {
        return Ok(());
    }
    let io = crate::errors::in_area(crate::errors::Area::LogWrite);
    for generation in generations {
        if let Some(path) = logs.remove(generation) {
            storage.delete(&path).map_err(&io)?;
        }
    }
    storage.sync_dir(log_dir).map_err(&io)
}

/// Applies a committed change (idempotent: a put or delete of a key, a create of a table).
/// A database holding more than [`PENDING_BYTES_MAX`] of replayed changes is flushed as it
/// was (dirty, same required range), so replay's memory stays bounded; replaying again after
/// a crash redoes the same changes over those pages and ends the same.
fn apply(
    storage: &dyn Storage,
    dbs: &mut BTreeMap<u32, ReplayDb>,
    op: &TxnOp,
) -> Result<(), JetErr> {
    if let Some(d) = dbs.get_mut(&op.db()) {
        d.file.apply(op);
        flush_if_full(storage, &mut d.file)?;
    }
    Ok(())
}

/// Flushes `file` (dirty, its header's required range) when its replayed changes pass
/// [`PENDING_BYTES_MAX`] (recovery and restore replay).
pub(crate) fn flush_if_full(storage: &dyn Storage, file: &mut DbFile) -> Result<(), JetErr> {
    if file.pending_bytes() <= PENDING_BYTES_MAX {
        return Ok(());
    }
    let range = (file.header.gen_min_required, file.header.gen_max_required);
    file.flush(storage, DbState::DirtyShutdown, range)
}

fn open_db(
    storage: &dyn Storage,
    db: u32,
    logged_path: &str,
    signature: Option<u64>,
    page_size: usize,
    options: &RecoveryOptions,
    dbs: &mut BTreeMap<u32, ReplayDb>,
) -> Result<(), JetErr> {
    let path = options
        .restore_map
        .iter()
        .find(|(from, _)| from == logged_path)
        .map_or(logged_path, |(_, to)| to.as_str());
    let path = crate::paths::checked_file(path)?;
    match DbFile::open(storage, &path, page_size) {
        Ok(file) if signature.is_none_or(|s| s == file.header.db_signature) => {
            dbs.insert(db, ReplayDb { file });
            Ok(())
        }
        // Another database now has this name: its records are not for it.
        Ok(_) => Ok(()),
        Err(JetErr::FileNotFound) if options.ignore_missing_db => Ok(()),
        Err(e) => Err(e),
    }
}

fn finish(storage: &dyn Storage, d: &mut ReplayDb) -> Result<(), JetErr> {
    d.file.flush(storage, DbState::CleanShutdown, (0, 0))
}
