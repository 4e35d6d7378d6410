//! Streaming (external) backup: the state of a running backup ([`BackupSession`], one per
//! instance, kept in its `Core`) and the calls that drive it, with the check order of
//! `ese-behaviour.md` §2.3-§5 (first failing check wins). `stream.rs` has the calls,
//! `read.rs` what a backup file handle reads: a database as of its header at JetOpenFile (pages
//! verified, header marked as a backup copy, a trailer page appended), or a log generation
//! (every record verified). Write orders are in `docs/durability.md`, "Streaming backup".
//!
//! Failures follow §2.2: most refusals leave the backup running; the ones marked "ABORTS"
//! end it ([`abort`]), after which every call but Begin gets `JET_errNoBackup`.
//!
//! JetOpenFile opens what ESE's `ErrBKOpenFile` opens: an attached database, and in the log
//! phase an archived log of the instance or any other existing file, which ESE takes for a
//! patch file and streams as it is. A path that leaves the engine's root is refused
//! (`JET_errInvalidPath`), which ESE does not do.

mod ahead;
mod logs;
mod read;
mod stream;
mod to_dir;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::dbfile::DbSnapshot;

pub use logs::LogInfo;
pub use read::AlignedBuffer;
pub(crate) use stream::abort as end_backup;

/// `JET_bitBackupIncremental`.
pub const BACKUP_INCREMENTAL: u32 = 0x1;
/// `JET_bitBackupAtomic`.
pub const BACKUP_ATOMIC: u32 = 0x4;
/// `JET_bitBackupSurrogate` (header only).
pub const BACKUP_SURROGATE: u32 = 0x20;
/// `JET_bitInternalCopy` (header only).
pub const BACKUP_INTERNAL_COPY: u32 = 0x40;
/// `JET_bitBackupEndNormal`.
pub const BACKUP_END_NORMAL: u32 = 0x1;
/// `JET_bitBackupEndAbort`.
pub const BACKUP_END_ABORT: u32 = 0x2;
/// `JET_bitBackupTruncateDone`.
pub const BACKUP_TRUNCATE_DONE: u32 = 0x100;
/// `JET_bitBackupNoDbHeaderUpdate` (header only).
pub const BACKUP_NO_DB_HEADER_UPDATE: u32 = 0x200;

/// The page-commit granularity a JetReadFile buffer must be aligned to.
pub const BUFFER_ALIGNMENT: usize = 4096;

/// `JET_HANDLE` of a backup file. ESE has one handle slot per backup, so the only handle it
/// ever hands out is 0 (§2.1 `crhfMax = 1`); other values reach the checks of §2.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackupFileHandle(pub u64);

/// What the backup copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BackupKind {
    /// Databases, then the logs from the checkpoint at Begin.
    Full,
    /// Only the logs since the last full or incremental backup.
    Incremental,
    /// Another node takes the copy (`JET_bitBackupSurrogate`): no file calls here.
    Surrogate,
}

/// Where a backup is (`m_fBackupStatus`, §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupPhase {
    /// No backup.
    NotStarted,
    /// Databases may be opened (full backups only).
    Databases,
    /// The log roll happened (or the backup is incremental): only logs may be opened.
    Logs,
}

impl BackupPhase {
    /// Whether a backup may move from `from` to `to`.
    pub fn can_transition(from: BackupPhase, to: BackupPhase) -> bool {
        use BackupPhase::{Databases, Logs, NotStarted};
        match (from, to) {
            (NotStarted, Databases | Logs) => true,
            (Databases, Logs | NotStarted) => true,
            (Logs, NotStarted) => true,
            (NotStarted, NotStarted) => false,
            (Databases, Databases) => false,
            (Logs, Databases | Logs) => false,
        }
    }
}

/// The generations a backup copies and may truncate (§5.2, §5.3): `[copy_mic, copy_mac)` and
/// `[delete_mic, delete_mac)`. Invariant: `delete_mac <= copy_mac` and `delete_mic <= delete_mac`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogRanges {
    pub copy_mic: u32,
    pub copy_mac: u32,
    pub delete_mic: u32,
    pub delete_mac: u32,
}

/// What an open backup file handle reads.
#[derive(Debug)]
pub(crate) enum BackupTarget {
    /// An attached database (its log id), as of its header at JetOpenFile.
    Database {
        db: u32,
        path: PathBuf,
        snapshot: Arc<DbSnapshot>,
        /// The next chunk, being read on real files (`ahead.rs`).
        ahead: Option<ahead::ReadAhead>,
    },
    /// An archived log generation; its bytes once the first read verified them.
    Log {
        generation: u32,
        path: PathBuf,
        verified: Option<Vec<u8>>,
    },
    /// Any other existing file named in the log phase, streamed as it is (ESE takes it for a
    /// patch file: backup.cxx ErrBKOpenFile). Copying it counts for nothing.
    Other { path: PathBuf },
}

/// The one open backup file.
#[derive(Debug)]
pub(crate) struct OpenBackupFile {
    pub target: BackupTarget,
    /// The size JetOpenFile reported.
    pub size_bytes: u64,
    /// Bytes handed out so far.
    pub offset: u64,
}

impl OpenBackupFile {
    pub fn read_to_end(&self) -> bool {
        self.offset >= self.size_bytes
    }
}

/// A running backup (`BACKUP_CONTEXT`, §2.1).
#[derive(Debug)]
pub(crate) struct BackupSession {
    pub kind: BackupKind,
    pub phase: BackupPhase,
    /// JetStopBackup was called (`m_fStopBackup`).
    pub stop: bool,
    /// The checkpoint's generation read from the checkpoint file at Begin (full backups).
    pub begin_checkpoint: u32,
    /// Fixed by the first JetGetLogInfo / JetGetTruncateLogInfoInstance.
    pub ranges: Option<LogRanges>,
    pub open: Option<OpenBackupFile>,
    /// Handles handed out so far (`m_crhfMac`).
    pub handles_ever: u64,
    /// Databases read to the end and closed (log ids).
    pub dbs_copied: BTreeSet<u32>,
    /// Generations of the copy range read to the end and closed.
    pub logs_copied: BTreeSet<u32>,
    /// JetTruncateLog ran.
    pub truncated: bool,
    /// When Begin ran, seconds since 1970 (recorded in the database headers).
    pub started: u64,
}

impl BackupSession {
    /// True for the backups the file calls act on (`m_fBackupInProgressLocal`).
    pub fn is_local(&self) -> bool {
        self.kind != BackupKind::Surrogate
    }

    /// Generations circular logging must keep while this backup runs (§5.4): from the copy
    /// range's start (or the checkpoint at Begin, before the range is fixed).
    pub fn log_floor(&self) -> Option<u32> {
        self.is_local()
            .then(|| self.ranges.map_or(self.begin_checkpoint, |r| r.copy_mic))
    }

    pub fn move_to(&mut self, to: BackupPhase) {
        assert!(
            BackupPhase::can_transition(self.phase, to),
            "backup {:?} -> {to:?}",
            self.phase
        );
        self.phase = to;
    }

    /// True when every generation of the copy range was read to the end and closed.
    pub fn all_logs_copied(&self) -> bool {
        self.ranges
            .is_some_and(|r| (r.copy_mic..r.copy_mac).all(|g| self.logs_copied.contains(&g)))
    }
}

/// Seconds since 1970 (0 if the clock is before it).
pub(crate) fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The double-NUL list of names ESE returns (`szzDatabases`, `szzLogs`): each name and a NUL,
/// then one more NUL.
pub(crate) fn multi_string(names: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in names {
        out.extend_from_slice(n.as_bytes());
        out.push(0);
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_never_returns_to_its_database_phase() {
        assert!(!BackupPhase::can_transition(
            BackupPhase::Logs,
            BackupPhase::Databases
        ));
        assert!(BackupPhase::can_transition(
            BackupPhase::NotStarted,
            BackupPhase::Logs
        ));
        assert!(!BackupPhase::can_transition(
            BackupPhase::NotStarted,
            BackupPhase::NotStarted
        ));
    }

    #[test]
    fn a_multi_string_ends_with_two_nuls() {
        assert_eq!(multi_string(&["a".into(), "bc".into()]), b"a\0bc\0\0");
        assert_eq!(multi_string(&[]), b"\0");
    }
}
