//! Hard recovery of a streaming backup set: JetExternalRestore and JetExternalRestore2, with
//! the check order of `ese-behaviour.md` §6.1 (first failing check wins), then the replay of
//! §6.2: the backed-up logs `gen_low..=gen_high` from the backup log directory, then any later
//! logs of the same stream in the log directory (roll forward), into the databases of the
//! restore map; each ends clean with its backup marker cleared, and a new log generation and
//! checkpoint are written in the given log and checkpoint directories so JetInit can start
//! there. Steps: `docs/durability.md`, "Hard recovery".
//!
//! A running target instance (named, or found by its log path, §6.1 steps 4 and 5) closes its
//! current generation for the restore; roll forward then reads the target's log path up to
//! that generation, the restore's own paths get the new generation and checkpoint, and success
//! is `JET_wrnTargetInstanceRunning` (§6.1 step 13). A target running circular logging is
//! treated as no target.
//!
//! Safer than ESE: every directory and file it writes is checked first: `..`, absolute paths
//! and symbolic links that leave the engine's root are `JET_errInvalidPath`; logs in the
//! backup directory outside the range are left alone (ESE deletes them); a database whose
//! copy needs logs outside the range replayed is refused before anything is written, with
//! ESE's replay-time code (`esent`) or the page's range code (`documented`), never replayed
//! with a gap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jetapi::JetErr;

use crate::allocation::Allocation;
use crate::checkpoint::{self, Checkpoint};
use crate::core::ATTACHED_MAX;
use crate::dbfile::{BackupInfo, DbFile, DbState, read_trailer};
use crate::engine::{Engine, api_enter, lock};
use crate::errors::{Area, in_area};
use crate::lifecycle::{Lifecycle, RunMode};
use crate::log::{
    LogPos, LogRecord, LogWriter, TxnOp, read_generation, read_log_header, verify_closed_generation,
};
use crate::mutant::Mutant;
use crate::paths::{archived_log, checked_file, checked_path, checkpoint_file, current_log};
use crate::recovery::{flush_if_full, list_logs};
use crate::storage::{Storage, read_all};

mod from_dir;

pub use from_dir::{ATOMIC_SUBDIRS, RESTORE_INSTANCE_NAME};

/// `sizeof(JET_LOGINFO_A)`: `cbSize`, `ulGenLow`, `ulGenHigh`, `szBaseName[4]`.
pub const LOGINFO_CB_SIZE: i64 = 16;

/// The `JET_LOGINFO` JetExternalRestore2 takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreLogInfo {
    /// `cbSize`.
    pub cb_size: i64,
    /// `ulGenLow`.
    pub gen_low: u32,
    /// `ulGenHigh`.
    pub gen_high: u32,
    /// `szBaseName`.
    pub base_name: String,
}

/// The arguments of JetExternalRestore2 (JetExternalRestore passes no target and a log info
/// with the base name `edb`). Paths are relative to the engine's root; `None` is NULL.
#[derive(Clone, Debug, Default)]
pub struct ExternalRestore<'a> {
    /// `szCheckpointFilePath`: where the restored instance's checkpoint goes.
    pub checkpoint_file_path: Option<&'a str>,
    /// `szLogPath`: where replay continues and the new log generation goes.
    pub log_path: Option<&'a str>,
    /// `rgrstmap`: (name in the logs, where the copy is now).
    pub restore_map: &'a [(String, String)],
    /// `crstfilemap`.
    pub restore_map_count: i64,
    /// `szBackupLogPath`: where the backed-up logs are.
    pub backup_log_path: Option<&'a str>,
    /// The range to replay from the backup log path and the base name.
    pub log_info: Option<RestoreLogInfo>,
    /// `szTargetInstanceName`.
    pub target_instance_name: Option<&'a str>,
    /// `szTargetInstanceLogPath`.
    pub target_instance_log_path: Option<&'a str>,
    /// `szTargetInstanceCheckpointPath`.
    pub target_instance_checkpoint_path: Option<&'a str>,
}

/// A database being restored.
struct RestoredDb {
    file: DbFile,
    /// Where the database was when it was copied (its trailer), for JetRestore.
    original_path: String,
}

impl Engine {
    /// JetExternalRestore: JetExternalRestore2 with a `JET_LOGINFO` of `gen_low`, `gen_high`
    /// and base name `edb`, and no target instance.
    #[allow(clippy::too_many_arguments)]
    pub fn external_restore(
        &self,
        checkpoint_file_path: Option<&str>,
        log_path: Option<&str>,
        restore_map: &[(String, String)],
        restore_map_count: i64,
        backup_log_path: Option<&str>,
        gen_low: u32,
        gen_high: u32,
    ) -> Result<JetErr, JetErr> {
        self.external_restore2(&ExternalRestore {
            checkpoint_file_path,
            log_path,
            restore_map,
            restore_map_count,
            backup_log_path,
            log_info: Some(RestoreLogInfo {
                cb_size: LOGINFO_CB_SIZE,
                gen_low,
                gen_high,
                base_name: "edb".into(),
            }),
            ..ExternalRestore::default()
        })
    }

    /// JetExternalRestore2 (§6.1). `Ok(JET_errSuccess)` when the databases were restored.
    pub fn external_restore2(&self, args: &ExternalRestore<'_>) -> Result<JetErr, JetErr> {
        let info = args
            .log_info
            .clone()
            .filter(|i| i.cb_size == LOGINFO_CB_SIZE)
            .ok_or(JetErr::InvalidParameter)?; // §6.1.1
        // The exported (ANSI) forms convert the paths and the map before any other check.
        self.allocations.allocate(Allocation::Memory)?;
        if args.target_instance_log_path.is_some() != args.target_instance_checkpoint_path.is_some()
            || (args.target_instance_name.is_some() && args.target_instance_log_path.is_some())
        {
            return Err(JetErr::InvalidParameter); // §6.1.2
        }
        let running = |state: Lifecycle| {
            matches!(
                state,
                Lifecycle::Running | Lifecycle::Terminating | Lifecycle::Restoring
            )
        };
        // Steps 3 to 5, in the process lock: the mode and the running target.
        let (found, target) = {
            let mut p = lock(&self.process);
            if p.mode == RunMode::OneInst {
                return Err(JetErr::RunningInOneInstanceMode); // §6.1.3
            }
            // Only freeing an instance returns the mode to NoSet (§1.1): a failure before the
            // private instance exists leaves multi-instance mode behind.
            p.set_mode(RunMode::MultiInst);
            let found = if let Some(name) = args.target_instance_name {
                let named = p
                    .instances
                    .values()
                    .find(|i| i.name.as_deref() == Some(name) && running(lock(&i.api).state))
                    .cloned();
                Some(named.ok_or(JetErr::BadRestoreTargetInstance)?) // §6.1.4
            } else if let Some(target_log) = args.target_instance_log_path {
                // A target by log path that is not running: the restore runs in its paths.
                let dir = checked_path(target_log);
                p.instances
                    .values()
                    .find(|i| {
                        let api = lock(&i.api);
                        running(api.state)
                            && dir.is_ok()
                            && checked_path(&api.params.log_file_path) == dir
                    })
                    .cloned()
            } else {
                None
            };
            let target = match &found {
                None => None,
                Some(inst) => {
                    let api = lock(&inst.api);
                    api_enter(&api, false)?; // §6.1.5
                    if !api.params.base_name.eq_ignore_ascii_case(&info.base_name) {
                        return Err(JetErr::BadRestoreTargetInstance);
                    }
                    // A target running circular logging is treated as no target.
                    (!api.params.circular_log).then(|| Arc::clone(inst))
                }
            };
            (found.is_some(), target)
        };
        // §6.1.5: the running target closes its current generation, which becomes the last
        // one replayed from its log path (phase II). ESE does it before the private instance
        // exists (ErrINSTPrepareTargetInstance before ErrNewInst), so the roll stays whatever
        // fails after it.
        let target = match target {
            None => None,
            Some(inst) => {
                let mut slot = lock(&inst.core);
                let core = slot.as_mut().ok_or(JetErr::NotInitialized)?;
                core.roll_log()?;
                Some((core.log_dir.clone(), core.log_end().generation - 1))
            }
        };
        // Step 6: the private instance and its paths. A running target, even one that is no
        // target for replay (circular logging), keeps its paths to itself: the restore runs
        // in its own.
        let (page_size, log_path, system_path, free_resets_mode) = {
            let p = lock(&self.process);
            let (log_path, system_path) = match (
                found,
                args.target_instance_log_path,
                args.target_instance_checkpoint_path,
            ) {
                (false, Some(log), Some(chk)) if args.target_instance_name.is_none() => (log, chk),
                _ => (
                    args.log_path.unwrap_or_default(),
                    args.checkpoint_file_path.unwrap_or_default(),
                ),
            };
            // Path errors are step 7's, after the private instance exists.
            let log_dir = checked_path(log_path);
            let system_dir = checked_path(system_path);
            if p.instances.len() as i64 >= p.global.max_instances {
                return Err(JetErr::TooManyInstances); // §6.1.6
            }
            for other in p.instances.values() {
                let api = lock(&other.api);
                if !running(api.state) {
                    continue;
                }
                if log_dir.is_ok() && checked_path(&api.params.log_file_path) == log_dir {
                    return Err(JetErr::LogFilePathInUse);
                }
                if system_dir.is_ok() && checked_path(&api.params.system_path) == system_dir {
                    return Err(JetErr::SystemPathInUse);
                }
            }
            // The private restore instance is freed at the end; with no other instance the
            // mode returns to NoSet then.
            let free_resets_mode = p.instances.is_empty();
            let page_size = usize::try_from(p.global.page_size).expect("range-checked");
            (page_size, log_dir, system_dir, free_resets_mode)
        };
        let result =
            self.external_restore_job(args, &info, page_size, log_path, system_path, target);
        if free_resets_mode {
            let mut p = lock(&self.process);
            if p.instances.is_empty() {
                p.set_mode(RunMode::NoSet);
            }
        }
        result
    }

    /// §6.1 steps 7 to 13. `target`: the running target's log path and its last closed
    /// generation.
    fn external_restore_job(
        &self,
        args: &ExternalRestore<'_>,
        info: &RestoreLogInfo,
        page_size: usize,
        log_path: Result<PathBuf, JetErr>,
        system_path: Result<PathBuf, JetErr>,
        target: Option<(PathBuf, u32)>,
    ) -> Result<JetErr, JetErr> {
        let (log_path, system_path) = (log_path?, system_path?);
        let backup_dir = checked_path(args.backup_log_path.unwrap_or_default())?;
        let storage = self.storage.as_ref();
        for dir in [&log_path, &system_path] {
            if !storage.stays_inside(dir) {
                return Err(JetErr::InvalidPath);
            }
            storage
                .create_dir_all(dir)
                .map_err(in_area(Area::Directory))?; // §6.1.7
        }
        let job = Restore {
            storage,
            documented: self.documented(),
            mutant: self.mutant,
            page_size,
            base: info.base_name.clone(),
            log_dir: log_path,
            system_dir: system_path,
            backup_dir,
        };
        let signature = job.check_backup_logs(info.gen_low, info.gen_high)?; // §6.1.8
        let later = match &target {
            Some((dir, limit)) => job.later_logs(dir, info.gen_high, Some(*limit), signature)?,
            None => job.later_logs(&job.log_dir, info.gen_high, None, signature)?,
        };
        let count = args.restore_map_count;
        if count < 0 || count > 2 * ATTACHED_MAX as i64 {
            return Err(JetErr::InvalidParameter); // §6.1.9
        }
        let map = &args.restore_map[..(count as usize).min(args.restore_map.len())];
        let last = later.keys().next_back().copied().unwrap_or(info.gen_high);
        let mut dbs = job.open_databases(map, (info.gen_low, last), signature)?; // §6.1.10
        job.replay(info.gen_low, info.gen_high, &later, &mut dbs)?; // §6.1.12
        let (last, last_path) = match later.iter().next_back() {
            Some((g, p)) => (*g, p.clone()),
            None => (
                info.gen_high,
                archived_log(&job.backup_dir, &job.base, info.gen_high),
            ),
        };
        let replayed_own_current = target.is_none() && !later.is_empty();
        job.finish(
            &mut dbs,
            signature,
            (last, &last_path),
            replayed_own_current,
        )?;
        Ok(if target.is_some() {
            JetErr::WrnTargetInstanceRunning // §6.1.13
        } else {
            JetErr::Success
        })
    }
}

struct Restore<'a> {
    storage: &'a dyn Storage,
    /// The `documented` profile's codes where §6.1 and the pages disagree.
    documented: bool,
    /// The engine's deliberate mistake, if any (`mutant.rs`).
    mutant: crate::mutant::Planted,
    page_size: usize,
    base: String,
    log_dir: PathBuf,
    system_dir: PathBuf,
    backup_dir: PathBuf,
}

impl Restore<'_> {
    /// The process-wide page size, as log headers record it.
    fn page_size_u32(&self) -> u32 {
        u32::try_from(self.page_size).expect("page sizes fit u32")
    }

    /// §6.1.8: every generation of the range is in the backup directory, of one stream.
    /// Returns the stream's signature.
    fn check_backup_logs(&self, gen_low: u32, gen_high: u32) -> Result<u64, JetErr> {
        let zero = gen_low == 0 && !self.mutant.is(Mutant::RestoreAcceptsGenLowZero);
        if zero {
            return Err(JetErr::InvalidParameter);
        }
        if gen_high < gen_low {
            // ESE reads no log for an empty range, so it never chooses a log extension and
            // naming the log directory's generations fails: JET_errInternalError in a retail
            // build (logstream.cxx LOG_STREAM::ErrLGMakeLogNameBaseless). No log or database
            // is written.
            return Err(JetErr::InternalError);
        }
        let mut signature = None;
        for g in gen_low..=gen_high {
            let path = archived_log(&self.backup_dir, &self.base, g);
            if !self.storage.exists(&path).map_err(|_| JetErr::DiskIO)? {
                if self.mutant.is(Mutant::RestoreIgnoresMissingLog) && g > gen_low {
                    continue;
                }
                return Err(JetErr::FileNotFound);
            }
            let header = read_log_header(self.storage, &path)?;
            // `LOG_STREAM::ErrLGReadFileHdr` compares each header's page size with the
            // process-wide one before the caller compares signatures.
            if header.page_size != self.page_size_u32() {
                return Err(JetErr::PageSizeMismatch);
            }
            if *signature.get_or_insert(header.signature) != header.signature {
                return Err(JetErr::GivenLogFileHasBadSignature);
            }
            if header.generation != g {
                return Err(JetErr::GivenLogFileIsNotContiguous);
            }
            // A damaged record must fail the restore, not end the replay early.
            let bytes = read_all(self.storage, &path).map_err(in_area(Area::LogRead))?;
            if !verify_closed_generation(&bytes, g, header.signature) {
                return Err(JetErr::LogFileCorrupt);
            }
        }
        Ok(signature.expect("the range is not empty"))
    }

    /// The generations of `dir` after `gen_high` (up to `limit`, a running target's last
    /// closed one) for roll forward, phase II: they must be of the same stream and follow on
    /// without a gap.
    fn later_logs(
        &self,
        dir: &Path,
        gen_high: u32,
        limit: Option<u32>,
        signature: u64,
    ) -> Result<BTreeMap<u32, PathBuf>, JetErr> {
        let logs = list_logs(self.storage, dir, &self.base)?;
        let later: BTreeMap<u32, PathBuf> = logs
            .into_iter()
            .filter(|(g, _)| *g > gen_high && limit.is_none_or(|l| *g <= l))
            .collect();
        for (expected, (g, path)) in (gen_high + 1..).zip(&later) {
            if read_log_header(self.storage, path)?.signature != signature {
                return Err(JetErr::ExistingLogFileHasBadSignature);
            }
            if *g != expected {
                return Err(if expected == gen_high + 1 {
                    JetErr::MissingCurrentLogFiles
                } else {
                    JetErr::MissingRestoreLogFiles
                });
            }
        }
        Ok(later)
    }

    /// §6.1.10: each mapped copy opens, carries the backup marker and its trailer, and its
    /// logs start no later than `gen_low`. Keyed by the copy's log id.
    ///
    /// `last` is the last generation replay will read. A copy needing older logs than
    /// `gen_low`, or newer ones than `last` (its pages hold changes up to its header's
    /// `gen_max_required`), is refused: ESE computes `JET_errStartingRestoreLogTooHigh` /
    /// `JET_errEndingRestoreLogTooLow`, overwrites them and fails in replay instead
    /// (`JET_errMissingLogFile` / `JET_errRequiredLogFilesMissing`, the `esent` profile); the
    /// `documented` profile returns the first two (`restore-log-range-checks`). Either way
    /// nothing is replayed with a gap.
    fn open_databases(
        &self,
        map: &[(String, String)],
        (gen_low, last): (u32, u32),
        signature: u64,
    ) -> Result<BTreeMap<u32, RestoredDb>, JetErr> {
        let mut dbs = BTreeMap::new();
        for (_, new_name) in map {
            let path = checked_file(new_name)?;
            if !self.storage.stays_inside(&path) {
                return Err(JetErr::InvalidPath);
            }
            let file = match DbFile::open(self.storage, &path, self.page_size) {
                Ok(opened) => opened,
                Err(JetErr::FileNotFound) => return Err(JetErr::FileNotFound),
                Err(JetErr::PageSizeMismatch) => return Err(JetErr::PageSizeMismatch),
                // A data page that fails its checksum is physical corruption (the JetRestore
                // pages' ReadVerifyFailure); an unreadable header is §6.1.10's code.
                Err(JetErr::ReadVerifyFailure) => return Err(JetErr::ReadVerifyFailure),
                Err(_) => return Err(JetErr::DatabaseCorrupted),
            };
            let marker = file.header.backup_in_progress;
            if marker.gen_low == 0 {
                return Err(JetErr::RestoreOfNonBackupDatabase);
            }
            let ids = read_trailer(self.storage, &path, &file.header, self.page_size)?
                .filter(|ids| ids.log_signature == signature)
                .ok_or(JetErr::DatabasePatchFileMismatch)?;
            if gen_low > marker.gen_low {
                return Err(if self.documented {
                    JetErr::StartingRestoreLogTooHigh
                } else {
                    JetErr::MissingLogFile
                });
            }
            if last < file.header.gen_max_required {
                return Err(if self.documented {
                    JetErr::EndingRestoreLogTooLow
                } else {
                    JetErr::RequiredLogFilesMissing
                });
            }
            dbs.insert(
                ids.db_log_id,
                RestoredDb {
                    file,
                    original_path: ids.original_path,
                },
            );
        }
        Ok(dbs)
    }

    /// §6.1.12: replays the backed-up range, then the later logs, applying committed
    /// transactions to the restored databases. Attach records (after a restart of the
    /// instance) rebind log ids by database signature.
    fn replay(
        &self,
        gen_low: u32,
        gen_high: u32,
        later: &BTreeMap<u32, PathBuf>,
        dbs: &mut BTreeMap<u32, RestoredDb>,
    ) -> Result<(), JetErr> {
        let backed_up =
            (gen_low..=gen_high).map(|g| (g, archived_log(&self.backup_dir, &self.base, g)));
        let all: Vec<(u32, PathBuf)> = backed_up
            .chain(later.iter().map(|(g, p)| (*g, p.clone())))
            .collect();
        let mut pending: BTreeMap<u64, Vec<TxnOp>> = BTreeMap::new();
        for (g, path) in all {
            let (records, _) = read_generation(self.storage, &path, g, 0)?;
            for (_, record) in records {
                match record {
                    LogRecord::Op { txn, op } => pending.entry(txn).or_default().push(op),
                    LogRecord::Commit { txn } => {
                        for op in pending.remove(&txn).unwrap_or_default() {
                            if let Some(d) = dbs.get_mut(&op.db()) {
                                d.file.apply(&op);
                                flush_if_full(self.storage, &mut d.file)?;
                            }
                        }
                    }
                    LogRecord::Rollback { txn } => {
                        pending.remove(&txn);
                    }
                    LogRecord::Attach {
                        db, db_signature, ..
                    } => {
                        let old = dbs
                            .iter()
                            .find(|(_, d)| d.file.header.db_signature == db_signature)
                            .map(|(id, _)| *id);
                        if let Some(old) = old.filter(|old| *old != db) {
                            let d = dbs.remove(&old).expect("found above");
                            dbs.insert(db, d);
                        }
                    }
                    LogRecord::Detach { .. } => {}
                }
            }
        }
        Ok(())
    }

    /// The databases flushed clean without their marker; then the log directory's current
    /// generation archived (when replay read it), a new generation begun after `last`, and a
    /// checkpoint at its start.
    fn finish(
        &self,
        dbs: &mut BTreeMap<u32, RestoredDb>,
        signature: u64,
        (last, last_path): (u32, &Path),
        replayed_current: bool,
    ) -> Result<(), JetErr> {
        for d in dbs.values_mut() {
            d.file.header.backup_in_progress = BackupInfo::default();
            // Tables replay did not touch keep the copy's pages, verified when it was opened.
            d.file.flush(self.storage, DbState::CleanShutdown, (0, 0))?;
        }
        let io = in_area(Area::LogWrite);
        let current = current_log(&self.log_dir, &self.base);
        if replayed_current && self.storage.exists(&current).map_err(&io)? {
            let generation = read_log_header(self.storage, &current)?.generation;
            if generation == last {
                self.storage
                    .rename(&current, &archived_log(&self.log_dir, &self.base, last))
                    .map_err(&io)?;
                self.storage.sync_dir(&self.log_dir).map_err(&io)?;
            }
        }
        let size_kib = read_log_header(self.storage, last_path).map_or(5120, |h| h.size_kib);
        let log = LogWriter::start(
            self.storage,
            &self.log_dir,
            &self.base,
            signature,
            (size_kib, self.page_size_u32()),
            last + 1,
        )?;
        let chk = Checkpoint {
            seq: 1,
            log_signature: signature,
            pos: LogPos {
                generation: log.end().generation,
                offset: log.end().offset,
            },
            attached: Vec::new(),
        };
        checkpoint::write(
            self.storage,
            &checkpoint_file(&self.system_dir, &self.base),
            &chk,
            true,
        )
    }
}
