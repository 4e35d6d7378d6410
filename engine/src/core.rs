//! One initialized instance's storage state ([`Core`]): its log writer, checkpoint, attached
//! databases, sessions and transactions, and the durable steps that change them: commit,
//! checkpoint, attach, detach, clean shutdown. The lifecycle checks around it live in
//! `engine.rs`; the table calls in `data.rs`.
//!
//! Transactions are no-steal and redo-only: a transaction's changes are logged as they happen
//! but reach the database's committed changes (and so its pages, at the next flush) only
//! after its commit record is durable. Recovery therefore redoes committed transactions and drops the rest.
//! After any failed log write or sync the core is *failed*: it refuses further logged work
//! with `JET_errLogWriteFail` and never retries (fjall's `Poisoned`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use jetapi::JetErr;

use crate::backup::BackupSession;
use crate::checkpoint::{self, Checkpoint};
use crate::dbfile::{DbFile, DbState};
use crate::generations::GenerationLimit;
use crate::log::{LogPos, LogRecord, LogWriter, TxnOp};
use crate::mutant::Mutant;
use crate::params::InstanceParams;
use crate::paths::{archived_log, checkpoint_file, current_log};
use crate::recovery::{Recovered, list_logs};
use crate::storage::Storage;

/// User databases an instance may attach at once (ESE's limit).
pub const ATTACHED_MAX: usize = jetapi::limits::USER_DATABASES_MAX;

/// Committed changes the attached databases may hold in memory before a checkpoint flushes
/// them to their pages, whatever `JET_paramCheckpointDepthMax` says.
pub const PENDING_BYTES_MAX: usize = 16 << 20;

/// An attached database.
#[derive(Debug)]
pub struct AttachedDb {
    /// The path as given (relative to the root), used in the log and by JetGetInstanceInfo.
    pub name: String,
    /// The file, with the committed changes not yet flushed to it.
    pub file: DbFile,
}

/// A transaction (all nesting levels of one session).
#[derive(Debug)]
pub struct Txn {
    /// Its id in the log.
    pub id: u64,
    /// Changes, in order.
    pub ops: Vec<TxnOp>,
    /// `ops.len()` at the start of each nested level beyond the first.
    pub savepoints: Vec<usize>,
    /// Where the log ended when it began; the checkpoint never passes it.
    pub begin: LogPos,
}

/// A session.
#[derive(Debug, Default)]
pub struct Session {
    /// The open transaction.
    pub txn: Option<Txn>,
    /// Databases opened: dbid -> database log id. A session has one dbid per database, as
    /// ESE's is the database's (an IFMP): opening it again returns the same one.
    pub dbids: BTreeMap<u64, u32>,
    /// dbid -> how many more times the session opened it after the first. ESE counts every
    /// open (`PIB::rgcdbOpen`), and each needs its JetCloseDatabase.
    pub reopened: BTreeMap<u64, u32>,
    /// Databases this session opened with `JET_bitDbExclusive` (log ids); ESE's
    /// `FMP::SetExclusiveOpen`, reset when the session closes one of its opens of it.
    pub exclusive: std::collections::BTreeSet<u32>,
    /// Tables opened: tableid -> (database log id, table).
    pub tables: BTreeMap<u64, (u32, String)>,
    /// The thread that set a context with JetSetSessionContext (the value itself is the
    /// caller's and never read back).
    pub context: Option<std::thread::ThreadId>,
}

/// Counters for tests and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Level-0 commits with changes.
    pub commits: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
    /// Log generations rolled.
    pub rolls: u64,
    /// What recovery did at JetInit.
    pub recovered: Recovered,
}

/// An initialized instance's storage state.
#[derive(Debug)]
pub struct Core {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) params: InstanceParams,
    pub(crate) page_size: usize,
    pub(crate) system_dir: PathBuf,
    pub(crate) log_dir: PathBuf,
    pub(crate) log: Option<LogWriter>,
    pub(crate) checkpoint: Option<Checkpoint>,
    pub(crate) dbs: BTreeMap<u32, AttachedDb>,
    pub(crate) next_db: u32,
    pub(crate) sessions: BTreeMap<u64, Session>,
    pub(crate) locks: BTreeMap<(u32, String, Vec<u8>), u64>,
    pub(crate) next_txn: u64,
    pub(crate) failed: Option<JetErr>,
    pub(crate) log_stopped_deliberately: bool,
    pub(crate) became_unavailable: Option<JetErr>,
    pub(crate) stats: Stats,
    /// The instance this core belongs to (set by JetInit once it succeeded).
    pub(crate) owner: crate::handles::InstanceHandle,
    /// The running backup, if any (`backup/`).
    pub(crate) backup: Option<BackupSession>,
}

fn now_signature() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32) | 1
}

impl Core {
    /// Starts logging after recovery: archives the old current log, begins a new generation
    /// and writes a checkpoint at its start (steps in docs/durability.md, "Crash recovery").
    pub fn start(
        storage: Arc<dyn Storage>,
        params: InstanceParams,
        page_size: usize,
        system_dir: PathBuf,
        log_dir: PathBuf,
        recovered: Recovered,
        generation_max: GenerationLimit,
    ) -> Result<Core, JetErr> {
        let mut core = Core {
            storage,
            params,
            page_size,
            system_dir,
            log_dir,
            log: None,
            checkpoint: None,
            dbs: BTreeMap::new(),
            next_db: 1,
            sessions: BTreeMap::new(),
            locks: BTreeMap::new(),
            next_txn: 1,
            failed: None,
            log_stopped_deliberately: false,
            became_unavailable: None,
            stats: Stats::default(),
            owner: crate::handles::InstanceHandle::NULL,
            backup: None,
        };
        if core.params.recovery {
            let base = core.params.base_name.clone();
            let s = Arc::clone(&core.storage);
            let io = crate::errors::in_area(crate::errors::Area::LogWrite);
            if recovered.current_exists {
                let current = current_log(&core.log_dir, &base);
                s.rename(
                    &current,
                    &archived_log(&core.log_dir, &base, recovered.last_generation),
                )
                .map_err(&io)?;
                s.sync_dir(&core.log_dir).map_err(&io)?;
            }
            let signature = if recovered.log_signature == 0 {
                now_signature()
            } else {
                recovered.log_signature
            };
            let generation = recovered.last_generation.max(
                recovered
                    .checkpoint
                    .as_ref()
                    .map_or(0, |c| c.pos.generation),
            ) + 1;
            let size = u32::try_from(core.params.log_file_size_kib).expect("range-checked");
            let log = LogWriter::start(
                s.as_ref(),
                &core.log_dir,
                &base,
                signature,
                (
                    size,
                    u32::try_from(core.page_size).expect("page sizes fit u32"),
                ),
                generation,
            )?
            .limited_by(generation_max);
            let pos = log.end();
            core.log = Some(log);
            let chk = Checkpoint {
                seq: recovered.checkpoint.as_ref().map_or(1, |c| c.seq + 1),
                log_signature: signature,
                pos,
                attached: Vec::new(),
            };
            checkpoint::write(
                s.as_ref(),
                &checkpoint_file(&core.system_dir, &base),
                &chk,
                recovered.checkpoint.is_none(),
            )?;
            core.checkpoint = Some(chk);
            // ESE recycles old logs while it creates the new generation (logredo.cxx
            // ErrLGSoftStart -> ErrLGSwitchToNewLogFile -> logstream.cxx
            // ErrLGIReuseArchivedLogFile), against a checkpoint still in the generation it
            // closes: that one is kept, only older ones go.
            core.truncate_circular_below(generation - 1)?;
        }
        core.stats.recovered = recovered;
        Ok(core)
    }

    /// Fails with the recorded error when logged work is refused.
    pub fn check_writable(&self) -> Result<(), JetErr> {
        match self.failed {
            Some(JetErr::LogDiskFull) | Some(JetErr::LogWriteFail) => Err(JetErr::LogWriteFail),
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A rollback, which cannot fail, could not be logged: the instance becomes unavailable
    /// (ese-behaviour.md §7), with the fatal-log-disk-full code when the log disk is full.
    pub(crate) fn rollback_failed(&mut self) {
        self.became_unavailable = Some(match self.failed {
            Some(JetErr::LogDiskFull) => JetErr::InstanceUnavailableDueToFatalLogDiskFull,
            _ => JetErr::InstanceUnavailable,
        });
    }

    /// Records the first failure: from now on the core refuses logged work.
    pub(crate) fn fail(&mut self, e: JetErr) -> JetErr {
        if self.failed.is_none() {
            self.failed = Some(e);
        }
        e
    }

    /// Appends a record (not yet durable). `None` position with logging off.
    pub fn log_append(&mut self, record: &LogRecord) -> Result<(), JetErr> {
        self.check_writable()?;
        let storage = Arc::clone(&self.storage);
        let Some(log) = self.log.as_mut() else {
            return Ok(());
        };
        match log.append(storage.as_ref(), record) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Makes every appended record durable.
    pub fn log_flush(&mut self) -> Result<(), JetErr> {
        self.check_writable()?;
        let storage = Arc::clone(&self.storage);
        let Some(log) = self.log.as_mut() else {
            return Ok(());
        };
        match log.flush(storage.as_ref()) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Closes the current generation and starts the next (a backup's log roll, §5.1). A
    /// failure fails the instance.
    pub fn roll_log(&mut self) -> Result<(), JetErr> {
        self.check_writable()?;
        let storage = Arc::clone(&self.storage);
        let Some(log) = self.log.as_mut() else {
            return Err(JetErr::LoggingDisabled);
        };
        match log.roll(storage.as_ref()) {
            Ok(()) => {}
            Err(JetErr::LogSequenceEnd) => return Err(JetErr::LogSequenceEnd),
            Err(e) => return Err(self.fail(e)),
        }
        // ESE recycles old logs at every log switch with circular logging (logstream.cxx
        // LOG_STREAM::ErrLGIReuseArchivedLogFile: the oldest archived log older than the
        // checkpoint and than a running backup's copy range goes).
        self.truncate_circular()
    }

    /// Where the log ends (the default position with logging off).
    pub fn log_end(&self) -> LogPos {
        self.log.as_ref().map_or(LogPos::default(), LogWriter::end)
    }

    /// Applies a committed transaction's changes to its databases' committed changes.
    pub fn apply_committed(&mut self, ops: &[TxnOp]) {
        for op in ops {
            let db = op.db();
            let d = self
                .dbs
                .get_mut(&db)
                .expect("a transaction only touches attached databases");
            d.file.apply(op);
        }
    }

    /// Bytes of committed changes the attached databases hold in memory.
    pub fn pending_bytes(&self) -> usize {
        self.dbs.values().map(|d| d.file.pending_bytes()).sum()
    }

    /// Runs a checkpoint when the log has grown past `JET_paramCheckpointDepthMax`, or the
    /// committed changes not yet flushed past [`PENDING_BYTES_MAX`].
    pub fn maybe_checkpoint(&mut self) -> Result<(), JetErr> {
        if self.pending_bytes() > PENDING_BYTES_MAX {
            return self.checkpoint();
        }
        let (Some(log), Some(chk)) = (&self.log, &self.checkpoint) else {
            return Ok(());
        };
        let end = log.end();
        let depth = u64::from(end.generation - chk.pos.generation) * log.size_bytes()
            + u64::from(end.offset)
            - u64::from(chk.pos.offset);
        if depth as i64 > self.params.checkpoint_depth_max {
            self.checkpoint()?;
        }
        Ok(())
    }

    fn gen_range(&self) -> (u32, u32) {
        let min = self.checkpoint.as_ref().map_or(0, |c| c.pos.generation);
        (min, self.log_end().generation)
    }

    /// Flushes every database and advances the checkpoint (docs/durability.md, "Checkpoint").
    /// Any failure fails the instance.
    pub fn checkpoint(&mut self) -> Result<(), JetErr> {
        self.checkpoint_steps().map_err(|e| self.fail(e))
    }

    fn checkpoint_steps(&mut self) -> Result<(), JetErr> {
        self.check_writable()?;
        self.log_flush()?;
        let target = self
            .sessions
            .values()
            .filter_map(|s| s.txn.as_ref().map(|t| t.begin))
            .chain([self.log_end()])
            .min()
            .expect("the log end is always there");
        let range = (target.generation, self.log_end().generation);
        let storage = Arc::clone(&self.storage);
        for d in self.dbs.values_mut() {
            if !d.file.is_dirty() && d.file.header.gen_min_required == range.0 {
                continue;
            }
            if let Err(e) = d
                .file
                .flush(storage.as_ref(), DbState::DirtyShutdown, range)
            {
                return Err(self.fail(e));
            }
        }
        self.write_checkpoint(target)?;
        self.truncate_circular()
    }

    fn write_checkpoint(&mut self, pos: LogPos) -> Result<(), JetErr> {
        let Some(old) = &self.checkpoint else {
            return Ok(());
        };
        let chk = Checkpoint {
            seq: old.seq + 1,
            log_signature: old.log_signature,
            pos,
            attached: self
                .dbs
                .iter()
                .map(|(id, d)| (*id, d.name.clone()))
                .collect(),
        };
        let path = checkpoint_file(&self.system_dir, &self.params.base_name);
        if let Err(e) = checkpoint::write(self.storage.as_ref(), &path, &chk, false) {
            return Err(self.fail(e));
        }
        self.checkpoint = Some(chk);
        self.stats.checkpoints += 1;
        Ok(())
    }

    /// With circular logging, deletes archived generations older than the checkpoint, but
    /// none a running backup still copies (`ese-behaviour.md` §5.4).
    pub fn truncate_circular(&mut self) -> Result<(), JetErr> {
        let Some(chk) = &self.checkpoint else {
            return Ok(());
        };
        self.truncate_circular_below(chk.pos.generation)
    }

    /// [`Core::truncate_circular`] against the checkpoint generation `checkpoint`.
    fn truncate_circular_below(&mut self, checkpoint: u32) -> Result<(), JetErr> {
        if !self.params.circular_log {
            return Ok(());
        }
        let floor = self.backup.as_ref().and_then(BackupSession::log_floor);
        let floor = floor.filter(|_| !self.params.mutant.is(Mutant::CircularLogIgnoresBackup));
        let keep_from = floor.map_or(checkpoint, |f| f.min(checkpoint));
        let logs = list_logs(self.storage.as_ref(), &self.log_dir, &self.params.base_name)?;
        let current = current_log(&self.log_dir, &self.params.base_name);
        let old: Vec<PathBuf> = logs
            .into_iter()
            .filter(|(g, p)| *g < keep_from && *p != current)
            .map(|(_, p)| p)
            .collect();
        if old.is_empty() {
            return Ok(());
        }
        let io = crate::errors::in_area(crate::errors::Area::LogWrite);
        for path in &old {
            self.storage
                .delete(path)
                .map_err(&io)
                .map_err(|e| self.fail(e))?;
        }
        self.storage
            .sync_dir(&self.log_dir)
            .map_err(&io)
            .map_err(|e| self.fail(e))
    }

    /// Attaches an opened database file under a new log id (logged, then marked dirty).
    pub fn attach(&mut self, name: String, file: DbFile) -> Result<u32, JetErr> {
        if self.dbs.len() >= ATTACHED_MAX {
            return Err(JetErr::TooManyAttachedDatabases);
        }
        let id = self.next_db;
        let record = LogRecord::Attach {
            db: id,
            path: name.clone(),
            db_signature: file.header.db_signature,
        };
        self.log_append(&record)?;
        self.log_flush()?;
        self.next_db += 1;
        let mut d = AttachedDb { name, file };
        d.file.header.log_signature = self.log.as_ref().map_or(0, LogWriter::signature);
        let range = self.gen_range();
        let storage = Arc::clone(&self.storage);
        if let Err(e) = d
            .file
            .flush(storage.as_ref(), DbState::DirtyShutdown, range)
        {
            // The attach is logged but the database could not be marked: ese-behaviour.md §7.
            self.became_unavailable = Some(JetErr::InstanceUnavailable);
            return Err(self.fail(e));
        }
        self.dbs.insert(id, d);
        Ok(id)
    }

    /// Detaches a database: flushes it clean, logs the detach.
    pub fn detach(&mut self, id: u32) -> Result<(), JetErr> {
        self.check_writable()?;
        self.log_flush()?;
        let storage = Arc::clone(&self.storage);
        let d = self.dbs.get_mut(&id).expect("callers pass attached ids");
        if let Err(e) = d
            .file
            .flush(storage.as_ref(), DbState::CleanShutdown, (0, 0))
        {
            return Err(self.fail(e));
        }
        self.dbs.remove(&id);
        self.log_append(&LogRecord::Detach { db: id })?;
        self.log_flush()?;
        self.write_checkpoint(self.log_end())
    }

    /// Clean shutdown: every database flushed clean and detached, the checkpoint at the end.
    pub fn shut_down_clean(&mut self) -> Result<(), JetErr> {
        let ids: Vec<u32> = self.dbs.keys().copied().collect();
        for id in ids {
            self.detach(id)?;
        }
        self.check_writable()?;
        self.log_flush()?;
        self.write_checkpoint(self.log_end())
    }
}
