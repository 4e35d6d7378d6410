//! The state of the abstract ESE process: the run mode, a fixed number of instance slots (each
//! with the storage its paths point at, which outlives the instance), and at most one long call
//! held in progress.
//!
//! Every field is small and `Copy`, arrays have fixed sizes, and a value that cannot be observed
//! is kept in one canonical form (a freed instance's settings are the process defaults, a stop flag without a
//! backup is dropped) so that equal behaviour means equal states.

use crate::config::{MAX_DBS, MAX_INSTANCES};

/// Log generation number; 0 means "no log yet".
pub type Gen = u8;

/// The process run mode (`ese-behaviour.md` §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunMode {
    /// No instance yet; the next call decides.
    NoSet,
    /// Legacy single-instance mode.
    OneInst,
    /// Multi-instance mode.
    MultiInst,
}

/// Where an instance slot is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Life {
    /// No instance in this slot.
    Unused,
    /// Created by JetCreateInstance, not initialized.
    Created,
    /// Initialized by JetInit.
    Initialized,
}

impl Life {
    /// The one place lifecycle moves are judged: every (from, to) pair is listed.
    pub const fn can_transition(from: Life, to: Life) -> bool {
        match (from, to) {
            (Life::Unused, Life::Created) => true,
            (Life::Unused, Life::Initialized) => true,
            (Life::Unused, Life::Unused) => false,
            (Life::Created, Life::Initialized) => true,
            (Life::Created, Life::Unused) => true,
            (Life::Created, Life::Created) => false,
            (Life::Initialized, Life::Unused) => true,
            (Life::Initialized, Life::Created) => false,
            (Life::Initialized, Life::Initialized) => false,
        }
    }
}

/// What has gone wrong with an instance's logging (§7). The model lets one thing go wrong per
/// instance life: a second fault changes no answer the first does not already give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Health {
    /// Nothing.
    Ok,
    /// Log writing stopped for good (a log write failed, or StopAndEmitLog).
    LogStopped,
    /// The log disk is low on space.
    LogDiskLow,
    /// A fatal error made the instance unavailable.
    Unavailable,
    /// A fatal error caused by a full log disk made the instance unavailable.
    UnavailableLogDiskFull,
}

impl Health {
    /// True when the instance refuses all work.
    pub const fn unavailable(self) -> bool {
        matches!(self, Health::Unavailable | Health::UnavailableLogDiskFull)
    }
}

/// The state of an instance's checkpoint file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckpointFile {
    /// Present and readable.
    Good,
    /// Deleted.
    Missing,
    /// Damaged.
    Corrupt,
}

/// The session of an instance (the model keeps at most one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Session {
    /// No session.
    None,
    /// Open, no transaction.
    Open,
    /// Open, inside a transaction.
    InTransaction,
}

/// A database file of a slot's storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DbFile {
    /// No file.
    Absent,
    /// The file exists and the instance has it attached.
    Attached,
    /// The file exists, not attached.
    Detached,
}

/// A database: its file, the backup history its header records, and the abstract data view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Db {
    /// The file.
    pub file: DbFile,
    /// `bkinfoFullPrev.genHigh` of the last full backup that ended normally with truncation; 0
    /// for none.
    pub full_high: Gen,
    /// `bkinfoIncPrev.genHigh` of the last incremental backup; 0 for none.
    pub inc_high: Gen,
}

impl Db {
    /// A database that does not exist.
    pub const ABSENT: Db = Db {
        file: DbFile::Absent,
        full_high: 0,
        inc_high: 0,
    };
}

/// What a slot's paths point at: the checkpoint, the logs, the databases. It outlives the
/// instance: a crash or JetTerm frees the instance, and the next JetInit on the slot finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Storage {
    /// The current log generation (`<base>.log`); 0 before the first JetInit.
    pub current: Gen,
    /// The checkpoint generation: every transaction logged before it is in the database files.
    pub checkpoint: Gen,
    /// The oldest log generation still on disk.
    pub oldest: Gen,
    /// The checkpoint file.
    pub checkpoint_file: CheckpointFile,
    /// The databases.
    pub dbs: [Db; MAX_DBS],
    /// What the last full JetBackup(Instance) into a new directory left there.
    pub saved: Option<Saved>,
    /// The current generation is more than one log file in ESE's and the engine's numbering:
    /// a JetInit over an existing log (logredo.cxx `LOG::ErrLGSoftStart` ->
    /// `ErrLGSwitchToNewLogFile`), a restore that replays into the log path, or a
    /// JetExternalRestore2 naming the instance began a file the model counts in the current
    /// generation ([`Storage::new_log_file`]).
    pub current_split: bool,
    /// The checkpoint lies past the first log file of its generation, so a deletion up to the
    /// checkpoint takes that file.
    pub checkpoint_late: bool,
    /// The first log file of the oldest generation is gone: a deletion up to a checkpoint past
    /// it (circular logging's recycling, logstream.cxx `ErrLGIReuseArchivedLogFile`, or a
    /// backup's truncation) took it, so the log path starts after the generation before
    /// `oldest`.
    pub oldest_trimmed: bool,
}

/// The backup set a full JetBackup(Instance) wrote into its directory (`backups/i{slot}_g{high}/`
/// in traces): copies of the databases attached then, and the logs `low..=high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Saved {
    /// The first log generation in the set: the checkpoint generation when the backup began.
    pub low: Gen,
    /// The last log generation in the set: the one the backup's log roll closed.
    pub high: Gen,
    /// Bit d: database d is in the set.
    pub dbs: u8,
}

impl Storage {
    /// Storage no instance has used.
    pub const EMPTY: Storage = Storage {
        current: 0,
        checkpoint: 0,
        oldest: 0,
        checkpoint_file: CheckpointFile::Good,
        dbs: [Db::ABSENT; MAX_DBS],
        saved: None,
        current_split: false,
        checkpoint_late: false,
        oldest_trimmed: false,
    };

    /// The checkpoint moves to where the log ends: the last file of the current generation.
    pub fn checkpoint_to_current(&mut self) {
        self.checkpoint = self.current;
        self.checkpoint_late = self.current_split;
    }

    /// The log rolls to a new generation, one file so far.
    pub fn roll(&mut self) {
        self.current += 1;
        self.current_split = false;
    }

    /// A new log file the model counts in the current generation (see
    /// [`Storage::current_split`]); `checkpoint`: the checkpoint is written at its start.
    pub fn new_log_file(&mut self, checkpoint: bool) {
        self.current_split = true;
        if checkpoint {
            self.checkpoint_to_current();
        }
    }

    /// Deletes the log files before generation `bound`, the checkpoint's or an earlier one
    /// (ESE deletes up to the checkpoint's log file, so the checkpoint generation's files before
    /// it go too).
    pub fn delete_below(&mut self, bound: Gen) {
        if bound > self.oldest {
            self.oldest = bound;
            self.oldest_trimmed = false;
        }
        if bound == self.oldest && bound == self.checkpoint && self.checkpoint_late {
            self.oldest_trimmed = true;
        }
    }

    /// Drops the split flags no restore can observe, so that equal behaviour means equal
    /// states. Only the gap check after the worker's set looks at them, and only at the
    /// generation after the set, `saved.high + 1`: whether its first log file is gone. That
    /// file can go only while the checkpoint lies past it in the same generation, which it can
    /// only while that generation is (or was, when the checkpoint reached it) split. A later
    /// full backup into a new directory moves the set on to a fresh, unsplit generation after
    /// its own roll, so a flag about any other generation is never read.
    pub fn canonicalize(&mut self) {
        let after = self.saved.map(|v| v.high + 1);
        if after != Some(self.current) {
            self.current_split = false;
        }
        if after != Some(self.checkpoint) {
            self.checkpoint_late = false;
        }
        if after != Some(self.oldest) {
            self.oldest_trimmed = false;
        }
    }

    /// True when the logs on disk do not follow on from a set ending with generation `high`.
    pub fn gap_after(&self, high: Gen) -> bool {
        self.current != 0
            && (self.oldest > high + 1 || (self.oldest == high + 1 && self.oldest_trimmed))
    }

    /// True when generation `g` is on disk (archived or current).
    pub fn has_log(&self, g: Gen) -> bool {
        self.current != 0 && g >= self.oldest && g <= self.current
    }
}

/// Full or incremental; surrogate backups are local to no instance's file API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackupKind {
    /// Databases, then logs.
    Full,
    /// Logs only.
    Incremental,
    /// A surrogate backup: counted as running, but not local.
    Surrogate,
}

/// The backup phase (`m_fBackupStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Databases may be opened (full backups only).
    Databases,
    /// Only logs (and patch files) may be opened.
    Logs,
}

impl Phase {
    /// Phases only move forward.
    pub const fn can_transition(from: Phase, to: Phase) -> bool {
        match (from, to) {
            (Phase::Databases, Phase::Logs) => true,
            (Phase::Databases, Phase::Databases) => true,
            (Phase::Logs, Phase::Logs) => true,
            (Phase::Logs, Phase::Databases) => false,
        }
    }
}

/// What the one backup file handle has open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileTarget {
    /// Database `d`.
    Db(u8),
    /// Log generation `g`.
    Log(Gen),
    /// A file that is neither an attached database nor a log, read as a patch file.
    Patch,
}

/// The one backup file handle (`crhfMax = 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpenFile {
    /// What is open.
    pub target: FileTarget,
    /// True once the file was read to its end.
    pub read_to_end: bool,
}

/// The ranges the first JetGetLogInfo fixes (§5.1, §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogRanges {
    /// First generation to copy.
    pub copy_mic: Gen,
    /// One past the last generation to copy (the current log after the roll).
    pub copy_mac: Gen,
    /// First generation truncation deletes.
    pub delete_mic: Gen,
    /// One past the last generation truncation deletes.
    pub delete_mac: Gen,
}

/// A running backup (`BACKUP_CONTEXT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Backup {
    /// Full, incremental or surrogate.
    pub kind: BackupKind,
    /// The phase.
    pub phase: Phase,
    /// JetStopBackup was called.
    pub stop: bool,
    /// The open handle.
    pub file: Option<OpenFile>,
    /// The checkpoint generation read at Begin (full backups): the first log to copy.
    pub begin_checkpoint: Gen,
    /// Set by the first JetGetLogInfo / JetGetTruncateLogInfo.
    pub ranges: Option<LogRanges>,
    /// Bit d: database d was read to the end and closed.
    pub dbs_copied: u8,
    /// Bit g: log generation g was read to the end and closed.
    pub logs_copied: u16,
    /// `m_cGenCopyDone`: the sum of the generations of the logs in the copy range read to the
    /// end and closed, a log read twice counted twice (§2.4); kept up to the sum of the whole
    /// range, past which JetTruncateLog's check cannot tell more.
    pub copy_sum: u8,
    /// JetTruncateLog ran.
    pub truncated: bool,
}

impl Backup {
    /// A backup of `kind` with nothing done yet; stands for a backup whose details can no
    /// longer be observed.
    pub const fn placeholder(kind: BackupKind) -> Backup {
        Backup {
            kind,
            phase: Phase::Databases,
            stop: false,
            file: None,
            begin_checkpoint: 0,
            ranges: None,
            dbs_copied: 0,
            logs_copied: 0,
            copy_sum: 0,
            truncated: false,
        }
    }
}

/// Settings made with JetSetSystemParameter before JetInit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Settings {
    /// `JET_paramCircularLog`.
    pub circular: bool,
    /// `JET_paramRecovery` "Off".
    pub recovery_off: bool,
}

impl Settings {
    /// The defaults.
    pub const DEFAULT: Settings = Settings {
        circular: false,
        recovery_off: false,
    };
}

/// The most further opens of one database in one session that [`Instance::reopened`] counts:
/// all six bits set, the width it is packed in.
pub const REOPEN_MAX: u8 = 0b11_1111;

/// One instance slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instance {
    /// Where the instance is in its life.
    pub life: Life,
    /// The instance name: `None` for NULL, `Some(k)` for the name `k`.
    pub name: Option<u8>,
    /// Parameters.
    pub settings: Settings,
    /// `m_fStopJetService`.
    pub stop_service: bool,
    /// `m_fBackupAllowed`: true after JetInit, false from the start of JetTerm on.
    pub backup_allowed: bool,
    /// Log faults and `m_errInstanceUnavailable`.
    pub health: Health,
    /// The session.
    pub session: Session,
    /// Bit d: the session has database d open (JetCreateDatabase or JetOpenDatabase).
    pub open_dbs: u8,
    /// For each database the session has open, how many more times it opened it: ESE counts
    /// every open, and each needs its close. The generator never opens an open database again,
    /// so exhaustive search keeps these 0; traces and shrunk walks may, up to [`REOPEN_MAX`].
    pub reopened: [u8; MAX_DBS],
    /// The running backup.
    pub backup: Option<Backup>,
    /// What the slot's paths point at.
    pub storage: Storage,
}

impl Instance {
    /// A slot never used.
    pub const UNUSED: Instance = Instance {
        life: Life::Unused,
        name: None,
        settings: Settings::DEFAULT,
        stop_service: false,
        backup_allowed: false,
        health: Health::Ok,
        session: Session::None,
        open_dbs: 0,
        reopened: [0; MAX_DBS],
        backup: None,
        storage: Storage::EMPTY,
    };

    /// The session has no database open any more.
    pub fn close_all_dbs(&mut self) {
        self.open_dbs = 0;
        self.reopened = [0; MAX_DBS];
    }

    /// True when an instance lives in the slot.
    pub fn is_live(&self) -> bool {
        self.life != Life::Unused
    }

    /// The slot after its instance is freed: memory state gone, storage kept.
    pub fn freed(&self) -> Instance {
        debug_assert!(Life::can_transition(self.life, Life::Unused));
        Instance {
            storage: self.storage,
            ..Instance::UNUSED
        }
    }

    /// Drops what can no longer be observed, so that equal behaviour means equal states:
    /// an unavailable instance answers every call but JetTerm, JetStopService and
    /// JetStopBackup with its unavailable code (a session's calls once the session is known
    /// to exist), and a stopped one every backup call with
    /// `JET_errClientRequestToStopJetService`, so their backup details, session and log faults
    /// no longer matter (a stopped instance keeps the fact that a backup runs, which JetTerm
    /// checks).
    pub fn canonicalize(&mut self) {
        if self.health.unavailable() {
            self.backup = None;
            // Whether a session was begun still shows: its calls get the unavailable code, a
            // handle never begun JET_errInvalidSesid (jetapi.cxx JET_VALIDATE_SESID first).
            if self.session != Session::None {
                self.session = Session::Open;
            }
            self.close_all_dbs();
        } else if self.stop_service {
            self.health = Health::Ok;
        }
        self.storage.canonicalize();
        if self.stop_service {
            self.backup = self.backup.map(|b| Backup::placeholder(b.kind));
        }
        // After JetStopBackup only JetCloseFile (which closes whatever is open) and the end
        // (always an abort) are answered; what was copied no longer matters.
        if let Some(b) = self.backup.filter(|b| b.stop) {
            let mut stopped = Backup::placeholder(b.kind);
            stopped.stop = true;
            stopped.file = b.file.map(|_| OpenFile {
                target: FileTarget::Patch,
                read_to_end: false,
            });
            self.backup = Some(stopped);
        }
    }

    /// The running local backup (full or incremental), if any.
    pub fn local_backup(&self) -> Option<&Backup> {
        self.backup
            .as_ref()
            .filter(|b| b.kind != BackupKind::Surrogate)
    }
}

/// A long call held at its pause point by `Start`, so other calls observe it in progress.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pending {
    /// JetTerm2 on slot `i` holds the instance's API lock.
    Term { slot: u8, grbit: u32 },
    /// JetRestore or JetRestoreInstance holds slot `i`'s API lock "restoring" (§6.3, §6.4);
    /// `temporary` when the call allocated the instance and frees it at the end.
    Restore { slot: u8, temporary: bool },
}

impl Pending {
    /// The slot whose API lock the call holds.
    pub const fn slot(self) -> u8 {
        match self {
            Pending::Term { slot, .. } | Pending::Restore { slot, .. } => slot,
        }
    }
}

/// A property violation recorded by a transition (never set by a correct model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Violation {
    /// A backup that ended normally after its files were read would not restore every
    /// transaction committed before its log roll.
    BackupWouldNotRestore,
    /// Crash recovery found a committed transaction's log missing.
    CommittedTransactionLost,
}

/// The whole state. Its `Hash` is its packed form ([`crate::pack`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct State {
    /// The run mode.
    pub mode: RunMode,
    /// The process-wide values of the instance parameters, set with no instance (the `g_rgparam`
    /// defaults of jetapi.cxx): they outlive every instance (JetTerm frees an instance, not the
    /// process's parameter table) and each new instance starts from them; an unused slot's
    /// `settings` are these.
    pub defaults: Settings,
    /// The instance slots.
    pub instances: [Instance; MAX_INSTANCES],
    /// A long call in progress.
    pub pending: Option<Pending>,
    /// The first property violation a transition recorded.
    pub violation: Option<Violation>,
    /// A condition only probe mode sets up (a damaged page, a failing allocation, a file
    /// another process holds, ...): see [`State::probe_only`].
    pub probe: Option<Probe>,
    /// A hazard of ESE's that a transition ran into: the search records the shortest path to
    /// it and goes no further.
    pub hazard: Option<Hazard>,
}

/// Something ESE itself does that loses or endangers data, as the profile's behaviour gives it.
/// Each is a finding `jetspec check` reports with its shortest trace, not a mistake of the
/// model; the properties it breaks are stated as holding everywhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hazard {
    /// JetTruncateLog deleted a log of the copy range that the backup never read to the end
    /// and closed. In the implementation its check compares sums of generations, so a log read
    /// twice makes up for one never read; the pages list no check at all.
    TruncatedUncopiedLog,
}

/// A condition of the world that probe mode sets up beside the worker to show what the calls
/// it concerns return, one at a time. Each is tried only where one of those calls comes next,
/// and the search then tries only those calls (`generate::probe_calls`): the model says what
/// they return, not how an instance lives on afterwards, so the model checker and its
/// properties never see these states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// A page of one of the worker's files no longer verifies; only a backup's read finds it.
    Corrupt(FileTarget),
    /// `FailAllocation`: the next heap allocation (`buffers`: page buffer of the cache) an ESE
    /// call makes fails.
    AllocFails {
        /// A page buffer of the cache (`JET_errOutOfBuffers`), not the heap.
        buffers: bool,
    },
    /// JetSetSessionContext tied the worker's session to a context.
    SessionContext,
    /// `JET_paramOneDatabasePerSession` was set on the worker before its JetInit.
    OneDbPerSession,
    /// A second session of the worker opened database `d` with `JET_bitDbExclusive`.
    LockedByOtherSession(u8),
    /// Another instance of the process has the worker's database `d` file attached.
    AttachedElsewhere(u8),
    /// The worker has six user databases attached, ESE's limit (its own and fillers).
    SixAttached,
    /// The worker's detached database `d` file has the read-only attribute.
    ReadOnly(u8),
    /// Another process holds a file open with no sharing: database `d`, or the patch file.
    Held(FileTarget),
    /// The process-wide page size was changed after the worker's JetBackup set was written.
    PageSizeChanged,
    /// The worker's JetInit is held in progress.
    InitHeld,
    /// A probe's call has run; nothing more is tried.
    Spent,
}

impl std::hash::Hash for State {
    fn hash<H: std::hash::Hasher>(&self, hasher: &mut H) {
        crate::pack::pack(self).hash(hasher);
    }
}

impl State {
    /// The initial state: nothing created.
    pub const INITIAL: State = State {
        mode: RunMode::NoSet,
        defaults: Settings::DEFAULT,
        instances: [Instance::UNUSED; MAX_INSTANCES],
        pending: None,
        violation: None,
        probe: None,
        hazard: None,
    };

    /// True for a state only probe mode reaches (see [`Probe`]).
    pub fn probe_only(&self) -> bool {
        self.probe.is_some()
    }

    /// The damaged file, if a probe damaged one.
    pub fn corrupt(&self) -> Option<FileTarget> {
        match self.probe {
            Some(Probe::Corrupt(target)) => Some(target),
            _ => None,
        }
    }

    /// ESE's `m_fJetInitialized` for `slot`: initialized, or locked by a held JetTerm or
    /// restore (jetapi.cxx JetRestoreInstanceEx sets it while the restore runs).
    pub fn jet_initialized(&self, slot: u8) -> bool {
        self.instances[usize::from(slot)].life == Life::Initialized
            || matches!(self.pending, Some(p) if p.slot() == slot)
    }

    /// How many instances live.
    pub fn live_count(&self) -> usize {
        self.instances.iter().filter(|i| i.is_live()).count()
    }

    /// The single instance of legacy mode (the lowest live slot).
    pub fn single_instance(&self) -> Option<u8> {
        self.instances
            .iter()
            .position(Instance::is_live)
            .map(|i| i as u8)
    }

    /// Frees slot `slot`; the mode returns to NoSet when it was the last instance (§1.1).
    pub fn free(&mut self, slot: u8) {
        let inst = &mut self.instances[usize::from(slot)];
        *inst = inst.freed();
        // The process-wide parameter values survive the instance (jetapi.cxx: an INST copies
        // g_rgparam when it is made; FreePinst frees only its own copy).
        inst.settings = self.defaults;
        if self.live_count() == 0 {
            self.mode = RunMode::NoSet;
        }
    }
}
