//! The streaming backup calls, in the order of their checks (`ese-behaviour.md` §2.3, §2.4,
//! §4, §5): JetBeginExternalBackup, JetGetAttachInfo, JetOpenFile, JetReadFile, JetCloseFile,
//! JetGetLogInfo, JetGetTruncateLogInfoInstance, JetTruncateLog, JetEndExternalBackup.
//!
//! "ABORTS" in a rule means the failure ends the backup (§2.2); every other failure leaves the
//! state as it was.

use jetapi::JetErr;

use super::lifecycle::moved_or_unchanged;
use super::{Mutation, Outcome, Spec, Transition, moved, refuse, unchanged};
use crate::action::{Action, BackupDirArg, FileArg, HandleArg, ReadArg, Target};
use crate::config::MAX_DBS;
use crate::generate::WORKER;
use crate::profile::Divergence;
use crate::state::{
    Backup, BackupKind, CheckpointFile, DbFile, FileTarget, Gen, Hazard, Health, LogRanges,
    OpenFile, Phase, Probe, Saved, State,
};

/// `JET_bitBackupIncremental`.
pub(crate) const BACKUP_INCREMENTAL: u32 = 0x1;
const BACKUP_SURROGATE: u32 = 0x20;
const BACKUP_INTERNAL_COPY: u32 = 0x40;
const END_NORMAL: u32 = 0x1;
const END_ABORT: u32 = 0x2;
const END_TRUNCATE_DONE: u32 = 0x100;
const END_NO_DB_HEADER_UPDATE: u32 = 0x200;

/// Bits `lo..hi` of a generation mask.
pub(crate) fn gen_range_mask(lo: Gen, hi: Gen) -> u16 {
    (lo..hi).fold(0u16, |mask, g| mask | (1 << g))
}

impl Spec {
    /// The entry checks plus §2.4's common prefix: a local backup runs, and it was not stopped.
    fn enter_running(
        &self,
        s: &State,
        target: Target,
        check_stop: bool,
    ) -> Result<(u8, Backup), Outcome> {
        let slot = self.enter(s, target)?;
        let backup = *s.instances[usize::from(slot)]
            .local_backup()
            .ok_or(refuse(JetErr::NoBackup, "§2.4 no local backup running"))?;
        if check_stop && backup.stop {
            return Err(refuse(
                JetErr::BackupAbortByServer,
                "§2.4 JetStopBackup was called",
            ));
        }
        Ok((slot, backup))
    }

    /// A failure that, in the documented profile, cancels the whole backup (§9).
    fn sequence_failure(
        &self,
        s: &State,
        slot: u8,
        code: JetErr,
        rule: &'static str,
    ) -> Transition {
        if self.documented(Divergence::FailuresCancelBackup) {
            return abort(
                s,
                slot,
                code,
                "doc:a failed backup call cancels the entire backup",
            );
        }
        unchanged(code, rule)
    }

    pub(super) fn begin_backup(&self, s: &State, target: Target, grbit: u32) -> Transition {
        let slot = match self.enter(s, target) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        let inst = &s.instances[usize::from(slot)];
        let checks: [(bool, JetErr, &'static str); 9] = [
            (
                !inst.backup_allowed,
                JetErr::BackupNotAllowedYet,
                "§1.3 Begin: backup not allowed (failed JetTerm)",
            ),
            (
                inst.settings.recovery_off,
                JetErr::LoggingDisabled,
                "§2.3.1 logging disabled",
            ),
            (
                inst.health == Health::LogStopped,
                JetErr::LogWriteFail,
                "§2.3.2 log writes stopped",
            ),
            (
                grbit & !(BACKUP_INCREMENTAL | BACKUP_SURROGATE | BACKUP_INTERNAL_COPY) != 0,
                JetErr::InvalidGrbit,
                "§2.3.4 unknown grbit",
            ),
            (
                grbit & BACKUP_INCREMENTAL != 0 && inst.settings.circular,
                JetErr::InvalidBackup,
                "§2.3.5 incremental with circular logging",
            ),
            (
                grbit & BACKUP_SURROGATE != 0 && inst.settings.circular,
                JetErr::InvalidBackup,
                "§2.3.6 surrogate with circular logging",
            ),
            (
                grbit & BACKUP_INTERNAL_COPY != 0
                    && grbit & (BACKUP_SURROGATE | BACKUP_INCREMENTAL) != 0,
                JetErr::InvalidGrbit,
                "§2.3.7 InternalCopy with Surrogate or Incremental",
            ),
            (
                inst.health == Health::LogDiskLow,
                JetErr::LogDiskFull,
                "§2.3.8 log disk low",
            ),
            (
                inst.storage.current >= self.config.max_gen,
                JetErr::LogSequenceEnd,
                "§2.3.8 log generations exhausted",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        match inst.backup {
            Some(b) if b.kind == BackupKind::Surrogate => {
                return unchanged(
                    JetErr::SurrogateBackupInProgress,
                    "§2.3.9 surrogate backup running",
                );
            }
            Some(_) => return unchanged(JetErr::BackupInProgress, "§2.3.9 backup running"),
            None => {}
        }
        let incremental = grbit & BACKUP_INCREMENTAL != 0;
        if let Err(outcome) = backup_history_check(&inst.storage, incremental) {
            return (None, outcome);
        }
        let kind = match (grbit & BACKUP_SURROGATE != 0, incremental) {
            (true, _) => BackupKind::Surrogate,
            (false, true) => BackupKind::Incremental,
            (false, false) => BackupKind::Full,
        };
        if kind == BackupKind::Full && super::probe::heap_alloc_fails(s) {
            return super::probe::spent(
                s.clone(),
                JetErr::OutOfMemory,
                "ErrBKBeginExternalBackup: the checkpoint buffer is not allocated; the backup does not start",
            );
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].backup = Some(Backup {
            kind,
            phase: if kind == BackupKind::Incremental {
                Phase::Logs
            } else {
                Phase::Databases
            },
            stop: false,
            file: None,
            begin_checkpoint: inst.storage.checkpoint,
            ranges: None,
            dbs_copied: 0,
            logs_copied: 0,
            copy_sum: 0,
            truncated: false,
        });
        moved(next, JetErr::Success, "§2.3.11 backup begun")
    }

    pub(super) fn get_attach_info(&self, s: &State, target: Target) -> Transition {
        let (slot, backup) = match self.enter_running(s, target, true) {
            Ok(found) => found,
            Err(outcome) => return (None, outcome),
        };
        if backup.kind == BackupKind::Incremental {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidBackupSequence,
                "§2.4 GetAttachInfo in an incremental backup",
            );
        }
        unchanged(
            JetErr::Success,
            "§2.4 GetAttachInfo lists the attached databases",
        )
    }

    pub(super) fn open_file(&self, s: &State, target: Target, file: FileArg) -> Transition {
        let (slot, backup) = match self.enter_running(s, target, true) {
            Ok(found) => found,
            Err(outcome) => return (None, outcome),
        };
        match file {
            FileArg::Null | FileArg::Empty => {
                return self.sequence_failure(
                    s,
                    slot,
                    JetErr::InvalidParameter,
                    "§2.4 OpenFile: NULL or empty name",
                );
            }
            _ if backup.file.is_some() => {
                return self.sequence_failure(
                    s,
                    slot,
                    JetErr::OutOfMemory,
                    "§2.4 OpenFile: the one handle is in use",
                );
            }
            FileArg::TooLong => {
                return self.sequence_failure(
                    s,
                    slot,
                    JetErr::InvalidPath,
                    "§2.4 OpenFile: path completion fails",
                );
            }
            _ => {}
        }
        let storage = &s.instances[usize::from(slot)].storage;
        let attached_db = match file {
            FileArg::Db(d) if storage.dbs[usize::from(d)].file == DbFile::Attached => Some(d),
            _ => None,
        };
        let opened = |target: FileTarget| {
            let mut next = s.clone();
            let backup = next.instances[usize::from(slot)]
                .backup
                .as_mut()
                .expect("a backup runs");
            backup.file = Some(OpenFile {
                target,
                read_to_end: false,
            });
            next
        };
        if let Some(d) = attached_db {
            if backup.kind == BackupKind::Incremental {
                return abort(
                    s,
                    slot,
                    JetErr::InvalidBackupSequence,
                    "§2.4 OpenFile: database in an incremental backup (ABORTS)",
                );
            }
            if backup.phase == Phase::Logs {
                return abort(
                    s,
                    slot,
                    JetErr::InvalidBackupSequence,
                    "§2.4 OpenFile: database after the log phase began (ABORTS)",
                );
            }
            return moved(
                opened(FileTarget::Db(d)),
                JetErr::Success,
                "§2.4 OpenFile: database opened",
            );
        }
        if backup.phase == Phase::Databases {
            return unchanged(
                JetErr::DatabaseNotFound,
                "§2.4 OpenFile: not an attached database (backup goes on)",
            );
        }
        let (target, exists) = match file {
            FileArg::Log(g) => (
                FileTarget::Log(g),
                g >= storage.oldest && g < storage.current,
            ),
            FileArg::Db(d) => (
                FileTarget::Patch,
                storage.dbs[usize::from(d)].file != DbFile::Absent,
            ),
            _ => (FileTarget::Patch, false),
        };
        if !exists {
            return abort(
                s,
                slot,
                JetErr::MissingFileToBackup,
                "§2.4 OpenFile: file missing (ABORTS)",
            );
        }
        let held = |d: u8| slot == WORKER && s.probe == Some(Probe::Held(FileTarget::Db(d)));
        if matches!(file, FileArg::Db(d) if held(d)) {
            return abort(
                s,
                slot,
                JetErr::FileAccessDenied,
                "ErrBKOpenFile: the read-only open is denied (another process holds the file) (ABORTS)",
            );
        }
        moved(
            opened(target),
            JetErr::Success,
            "§2.4 OpenFile: log or patch file opened",
        )
    }

    pub(super) fn read_file(
        &self,
        s: &State,
        target: Target,
        handle: HandleArg,
        buffer: ReadArg,
    ) -> Transition {
        let (slot, backup) = match self.enter_running(s, target, true) {
            Ok(found) => found,
            Err(outcome) => return (None, outcome),
        };
        if buffer == ReadArg::Unaligned {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidParameter,
                "§2.4 ReadFile: buffer not page aligned",
            );
        }
        let open = match (handle, backup.file) {
            (HandleArg::Open, Some(open)) => open,
            _ => {
                return if matches!(buffer, ReadArg::Chunk | ReadArg::TwoPages) {
                    unchanged(
                        JetErr::Success,
                        "§2.4 ReadFile: handle not open reads 0 bytes (handle not validated)",
                    )
                } else {
                    self.sequence_failure(
                        s,
                        slot,
                        JetErr::InvalidParameter,
                        "§2.4 ReadFile: handle not open, size not 2+ pages",
                    )
                };
            }
        };
        let first = !open.read_to_end;
        let is_db = matches!(open.target, FileTarget::Db(_));
        if matches!(buffer, ReadArg::Ragged) || (is_db && buffer == ReadArg::Zero) {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidParameter,
                "§2.4 ReadFile: size not a multiple of the page size",
            );
        }
        if first && (buffer == ReadArg::Zero || (buffer == ReadArg::OnePage && !is_db)) {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidParameter,
                "§2.4 ReadFile: first log read under 2 pages",
            );
        }
        if first && is_db && matches!(buffer, ReadArg::TwoPages | ReadArg::OnePage) {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidParameter,
                "§2.4 ReadFile: first database read under 3 pages",
            );
        }
        if !first {
            return unchanged(JetErr::Success, "§2.4 ReadFile: end of file, 0 bytes");
        }
        if slot == WORKER && s.corrupt() == Some(open.target) {
            return read_verify_failure(s, slot, open.target);
        }
        let mut next = s.clone();
        let file = next.instances[usize::from(slot)]
            .backup
            .as_mut()
            .and_then(|b| b.file.as_mut());
        file.expect("a file is open").read_to_end = true;
        moved(next, JetErr::Success, "§2.4 ReadFile: read to the end")
    }

    /// The harness action CopyBackupFile, as the runner does it: JetOpenFile; JetReadFile of
    /// 64 KiB chunks until one reads no bytes; JetCloseFile. The answer is the first call's
    /// that failed; after a failed read the handle is closed all the same, that close's answer
    /// ignored (the read may have closed it or ended the backup).
    pub(super) fn copy_backup_file(&self, s: &State, target: Target, file: FileArg) -> Transition {
        let (opened, outcome) = self.step(s, &Action::OpenFile { target, file });
        if outcome.code != JetErr::Success {
            return (Some(opened), outcome);
        }
        let read = Action::ReadFile {
            target,
            handle: HandleArg::Open,
            buffer: ReadArg::Chunk,
        };
        let close = Action::CloseFile {
            target,
            handle: HandleArg::Open,
        };
        let mut state = opened;
        // The model's first read takes the whole file; the next reads 0 bytes, at its end.
        for _ in 0..2 {
            let (after, outcome) = self.step(&state, &read);
            if outcome.code != JetErr::Success {
                let (closed, _) = self.step(&after, &close);
                return (Some(closed), outcome);
            }
            state = after;
        }
        let (closed, outcome) = self.step(&state, &close);
        if outcome.code != JetErr::Success {
            return (Some(closed), outcome);
        }
        moved(
            closed,
            JetErr::Success,
            "CopyBackupFile: opened, read to the end, closed",
        )
    }

    pub(super) fn close_file(&self, s: &State, target: Target, handle: HandleArg) -> Transition {
        let (slot, backup) = match self.enter_running(s, target, false) {
            Ok(found) => found,
            Err(outcome) => return (None, outcome),
        };
        let open = match (handle, backup.file) {
            (HandleArg::Open, Some(open)) => open,
            _ => {
                return self.sequence_failure(
                    s,
                    slot,
                    JetErr::InvalidParameter,
                    "§2.4 CloseFile: handle not open",
                );
            }
        };
        let mut next = s.clone();
        let b = next.instances[usize::from(slot)]
            .backup
            .as_mut()
            .expect("a backup runs");
        b.file = None;
        if open.read_to_end {
            match open.target {
                FileTarget::Db(d) => b.dbs_copied |= 1 << d,
                FileTarget::Log(g) => {
                    if let Some(r) = b.ranges.filter(|r| g >= r.copy_mic && g < r.copy_mac) {
                        b.logs_copied |= 1 << g;
                        b.copy_sum = (b.copy_sum + g).min(range_sum(r));
                    }
                }
                FileTarget::Patch => {}
            }
        }
        moved(next, JetErr::Success, "§2.4 CloseFile")
    }

    pub(super) fn get_log_info(&self, s: &State, target: Target) -> Transition {
        let (slot, backup) = match self.enter_running(s, target, true) {
            Ok(found) => found,
            Err(outcome) => return (None, outcome),
        };
        if backup.file.is_some() {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidBackupSequence,
                "§2.4 GetLogInfo: a file is still open",
            );
        }
        if backup.ranges.is_some() {
            return unchanged(
                JetErr::Success,
                "§2.4 GetLogInfo: repeated call (no second roll)",
            );
        }
        let storage = &s.instances[usize::from(slot)].storage;
        if backup.kind == BackupKind::Incremental && incremental_chain_broken(storage) {
            return self.sequence_failure(
                s,
                slot,
                JetErr::MissingFileToBackup,
                "§5.2 incremental: logs since the last backup are gone",
            );
        }
        let health = s.instances[usize::from(slot)].health;
        if health == Health::LogStopped {
            return self.sequence_failure(
                s,
                slot,
                JetErr::LogWriteFail,
                "§5.1 the log roll cannot write: log writes stopped (§3.2)",
            );
        }
        if storage.current >= self.config.max_gen {
            return self.sequence_failure(
                s,
                slot,
                JetErr::LogSequenceEnd,
                "§5.1 the log roll finds no generation left",
            );
        }
        let mut next = s.clone();
        roll(&mut next, slot);
        let inst = &mut next.instances[usize::from(slot)];
        let storage = inst.storage;
        let copy_mic = if backup.kind == BackupKind::Full {
            backup.begin_checkpoint
        } else {
            storage.oldest
        };
        let copy_mac = storage.current;
        let mut delete_mac = storage.checkpoint.min(copy_mac);
        if backup.kind == BackupKind::Full {
            for (d, db) in storage.dbs.iter().enumerate() {
                if db.file == DbFile::Attached && backup.dbs_copied & (1 << d) == 0 {
                    delete_mac = delete_mac.min(db.full_high);
                }
            }
        }
        let delete_mic = storage.oldest.min(delete_mac);
        let b = inst.backup.as_mut().expect("a backup runs");
        debug_assert!(crate::state::Phase::can_transition(b.phase, Phase::Logs));
        b.phase = Phase::Logs;
        b.ranges = Some(LogRanges {
            copy_mic,
            copy_mac,
            delete_mic,
            delete_mac,
        });
        moved(
            next,
            JetErr::Success,
            "§5.1 GetLogInfo: log rolled, copy range fixed",
        )
    }

    pub(super) fn truncate_log(&self, s: &State, target: Target) -> Transition {
        let (slot, backup) = match self.enter_running(s, target, true) {
            Ok(found) => found,
            Err(outcome) => return (None, outcome),
        };
        if backup.file.is_some() {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidBackupSequence,
                "§2.4 TruncateLog: a file is still open",
            );
        }
        let Some(ranges) = backup.ranges else {
            return self.sequence_failure(
                s,
                slot,
                JetErr::InvalidBackupSequence,
                "§2.4 TruncateLog before GetLogInfo",
            );
        };
        // ESE compares sums, not sets: a log read twice makes up for one never read
        // (backup.cxx ErrBKTruncateLog, "there is a chance that they copy one file twice").
        let all_copied = backup.copy_sum >= range_sum(ranges);
        let check_copies = !self.documented(Divergence::TruncateLogFileNotCopied);
        let mut next = s.clone();
        let delete = |next: &mut State| {
            let inst = &mut next.instances[usize::from(slot)];
            // An empty range in the model's generations may still hold the checkpoint
            // generation's earlier log files in ESE's.
            inst.storage.delete_below(ranges.delete_mac);
            inst.backup.as_mut().expect("a backup runs").truncated = true;
        };
        if self.mutation == Some(Mutation::TruncateBeforeCopyCheck) {
            delete(&mut next);
        }
        if check_copies && !all_copied {
            return moved_or_unchanged(
                s,
                next,
                JetErr::LogFileNotCopied,
                "§2.4 TruncateLog: required logs not copied",
            );
        }
        delete(&mut next);
        // A log of the copy range deleted before the backup read it: the implementation's sum
        // check was fooled, or (documented profile) there is no check.
        if required_logs_missing(&next.instances[usize::from(slot)].storage, &backup) {
            next.hazard = Some(Hazard::TruncatedUncopiedLog);
        }
        moved_or_unchanged(
            s,
            next,
            JetErr::Success,
            "§5.3 TruncateLog deletes [DeleteMic, DeleteMac)",
        )
    }

    pub(super) fn end_backup(&self, s: &State, target: Target, grbit: Option<u32>) -> Transition {
        let slot = match self.enter(s, target) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        let bits = grbit.unwrap_or(END_NORMAL);
        if (bits & END_NORMAL != 0) == (bits & END_ABORT != 0) {
            return unchanged(
                JetErr::InvalidParameter,
                "§4.2 End: both or neither of Normal and Abort",
            );
        }
        let Some(backup) = s.instances[usize::from(slot)].backup else {
            return unchanged(JetErr::NoBackup, "§4.3 End: no backup");
        };
        let abort_requested = bits & END_ABORT != 0;
        let normal = !abort_requested && !backup.stop && backup.phase == Phase::Logs;
        let mut next = s.clone();
        let inst = &mut next.instances[usize::from(slot)];
        inst.backup = None;
        if normal && backup.kind != BackupKind::Surrogate {
            if backup_set_would_not_restore(&inst.storage, &backup) && next.violation.is_none() {
                next.violation = Some(crate::state::Violation::BackupWouldNotRestore);
            }
            if bits & END_NO_DB_HEADER_UPDATE == 0 {
                let inst = &mut next.instances[usize::from(slot)];
                record_backup_in_headers(
                    inst,
                    &backup,
                    backup.truncated || bits & END_TRUNCATE_DONE != 0,
                );
            }
        }
        let documented_code =
            if abort_requested && self.documented(Divergence::EndAbortReturnsSuccess) {
                Some((
                    JetErr::BackupAbortByCaller,
                    "doc:End with JET_bitBackupEndAbort",
                ))
            } else if backup.stop && self.documented(Divergence::EndAfterStopBackup) {
                Some((JetErr::BackupAbortByServer, "doc:End after JetStopBackup"))
            } else if backup.kind == BackupKind::Full
                && backup.phase == Phase::Databases
                && self.documented(Divergence::EndBeforeLogs)
            {
                Some((
                    JetErr::BackupAbortByCaller,
                    "doc:End before the logs were copied",
                ))
            } else {
                None
            };
        let (code, rule) = documented_code.unwrap_or(if normal {
            (JetErr::Success, "§4.4 End: normal end updates the headers")
        } else {
            (
                JetErr::Success,
                "§4.4 End: an abnormal end still returns success",
            )
        });
        moved(next, code, rule)
    }
}

/// True when a log the backup must still copy is gone from disk. A stopped backup can only
/// end as an abort, so it needs nothing more.
/// The sum of the generations in the copy range: what `m_cGenCopyDone` must reach.
pub(crate) fn range_sum(r: LogRanges) -> u8 {
    (r.copy_mic..r.copy_mac).sum()
}

pub(crate) fn required_logs_missing(storage: &crate::state::Storage, backup: &Backup) -> bool {
    if backup.stop {
        return false;
    }
    let (lo, hi) = match backup.ranges {
        Some(r) => (r.copy_mic, r.copy_mac),
        None if backup.kind == BackupKind::Full => (backup.begin_checkpoint, storage.current),
        None => return false,
    };
    (lo..hi).any(|g| backup.logs_copied & (1 << g) == 0 && g < storage.oldest)
}

/// §2.3 step 12: an incremental backup needs a previous full backup of every attached
/// database; a full one reads the checkpoint file.
fn backup_history_check(storage: &crate::state::Storage, incremental: bool) -> Result<(), Outcome> {
    let mut attached = storage.dbs.iter().filter(|db| db.file == DbFile::Attached);
    if incremental {
        if attached.any(|db| db.full_high == 0) {
            return Err(refuse(
                JetErr::MissingFullBackup,
                "§2.3.12 incremental without a full backup",
            ));
        }
        return Ok(());
    }
    match storage.checkpoint_file {
        CheckpointFile::Good => Ok(()),
        CheckpointFile::Missing => Err(refuse(
            JetErr::CheckpointFileNotFound,
            "§2.3.12 checkpoint file missing",
        )),
        CheckpointFile::Corrupt => Err(refuse(
            JetErr::CheckpointCorrupt,
            "§2.3.12 checkpoint file corrupt",
        )),
    }
}

/// §5.2: some attached database's last full or incremental backup ends before the oldest log
/// on disk, so an incremental backup could not continue its chain.
fn incremental_chain_broken(storage: &crate::state::Storage) -> bool {
    storage
        .dbs
        .iter()
        .any(|db| db.file == DbFile::Attached && db.full_high.max(db.inc_high) + 1 < storage.oldest)
}

/// Ends the backup with `code` (an "ABORTS" failure, §2.2).
/// A read of `target` found a page that does not verify (§2.4 ReadFile 4, 5): a database's
/// handle is closed and the database dropped from the backup, which goes on; a log's failure
/// ends the backup.
fn read_verify_failure(s: &State, slot: u8, target: FileTarget) -> Transition {
    if let FileTarget::Db(_) = target {
        let mut next = s.clone();
        if let Some(b) = next.instances[usize::from(slot)].backup.as_mut() {
            b.file = None;
        }
        return moved(
            next,
            JetErr::ReadVerifyFailure,
            "§2.4 ReadFile 5: a database page does not verify; the handle closes, the backup goes on",
        );
    }
    abort(
        s,
        slot,
        JetErr::LogReadVerifyFailure,
        "§2.4 ReadFile 4: a log block does not verify; the backup ends",
    )
}

fn abort(s: &State, slot: u8, code: JetErr, rule: &'static str) -> Transition {
    let mut next = s.clone();
    next.instances[usize::from(slot)].backup = None;
    moved(next, code, rule)
}

/// The log roll of §5.1 (and of the environment): a new generation; circular logging recycles
/// logs older than the checkpoint, but never one a running backup still has to copy (§5.4).
pub(crate) fn roll(next: &mut State, slot: u8) {
    let inst = &mut next.instances[usize::from(slot)];
    inst.storage.roll();
    recycle_circular(inst);
}

/// Circular logging's deletion of logs older than the checkpoint, held back by a backup.
pub(crate) fn recycle_circular(inst: &mut crate::state::Instance) {
    if !inst.settings.circular {
        return;
    }
    let floor = match inst.local_backup() {
        Some(b) => b.ranges.map_or(b.begin_checkpoint, |r| r.copy_mic),
        None => Gen::MAX,
    };
    let storage = &mut inst.storage;
    storage.delete_below(storage.checkpoint.min(floor));
}

/// True when a backup ending normally, with every file of its set read and closed, could not
/// be restored: a full set whose log range does not start at or before its Begin checkpoint, or
/// an incremental set that does not continue, for some attached database, the chain of its
/// last full and incremental backups.
fn backup_set_would_not_restore(storage: &crate::state::Storage, backup: &Backup) -> bool {
    let Some(r) = backup.ranges else { return false };
    let required = gen_range_mask(r.copy_mic, r.copy_mac);
    if backup.logs_copied & required != required {
        return false;
    }
    let attached = || {
        storage
            .dbs
            .iter()
            .enumerate()
            .filter(|(_, db)| db.file == DbFile::Attached)
    };
    match backup.kind {
        BackupKind::Full => {
            let complete = attached().all(|(d, _)| backup.dbs_copied & (1 << d) != 0);
            complete && r.copy_mic > backup.begin_checkpoint
        }
        BackupKind::Incremental => attached()
            .any(|(_, db)| db.full_high != 0 && db.full_high.max(db.inc_high) + 1 < r.copy_mic),
        BackupKind::Surrogate => false,
    }
}

/// What a normal end records in the database headers (§4.4).
fn record_backup_in_headers(inst: &mut crate::state::Instance, backup: &Backup, truncated: bool) {
    let Some(r) = backup.ranges else { return };
    let high = r.copy_mac - 1;
    for (d, db) in inst.storage.dbs.iter_mut().enumerate() {
        match backup.kind {
            BackupKind::Full if backup.dbs_copied & (1 << d) != 0 && truncated => {
                db.full_high = high
            }
            BackupKind::Incremental if db.file == DbFile::Attached && truncated => {
                db.inc_high = high
            }
            _ => {}
        }
    }
}

/// `JET_bitBackupAtomic`: JetBackup keeps the previous backup until the new one is complete.
pub(crate) const BACKUP_ATOMIC: u32 = 0x4;

impl Spec {
    /// JetBackup / JetBackupInstance (`ErrBKBackup`, §2.5): the whole streaming sequence in one
    /// call. On success the log has rolled, every attached database and the logs were copied,
    /// the logs were truncated, and the headers record the backup.
    pub(super) fn backup_to_dir(
        &self,
        s: &State,
        target: Target,
        dir: crate::action::BackupDirArg,
        grbit: u32,
    ) -> Transition {
        let slot = match self.enter(s, target) {
            Ok(slot) => slot,
            Err(outcome) => return (None, outcome),
        };
        let inst = &s.instances[usize::from(slot)];
        let incremental = grbit & BACKUP_INCREMENTAL != 0;
        let known = BACKUP_INCREMENTAL | BACKUP_ATOMIC | 0x10;
        let checks: [(bool, JetErr, &'static str); 9] = [
            (
                !inst.backup_allowed,
                JetErr::BackupNotAllowedYet,
                "§1.3 JetBackup: backup not allowed (failed JetTerm)",
            ),
            // ErrIsamBackup completes the path before ErrBKBackup checks anything; a path
            // longer than MAX_PATH fails there (ESE source, backup.cxx ErrIsamBackup).
            (
                dir == BackupDirArg::TooLong,
                JetErr::InvalidPath,
                "§2.5 JetBackup: path too long to complete",
            ),
            (
                grbit & !known != 0 && self.documented(Divergence::BackupGrbitNotValidated),
                JetErr::InvalidGrbit,
                "doc:JetBackup InvalidGrbit row",
            ),
            (
                inst.settings.recovery_off,
                JetErr::LoggingDisabled,
                "§2.5 JetBackup: logging disabled",
            ),
            (
                inst.health == Health::LogStopped,
                JetErr::LogWriteFail,
                "§2.5 JetBackup: log writes stopped",
            ),
            (
                incremental && inst.settings.circular,
                JetErr::InvalidBackup,
                "§2.5 JetBackup: incremental with circular logging",
            ),
            (
                inst.health == Health::LogDiskLow,
                JetErr::LogDiskFull,
                "§2.3.8 log disk low",
            ),
            (
                inst.storage.current >= self.config.max_gen,
                JetErr::LogSequenceEnd,
                "§2.3.8 log generations exhausted",
            ),
            (
                inst.backup.is_some(),
                JetErr::BackupInProgress,
                "§2.3.9 backup running",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        // ErrBKBackup begins the backup (ErrBKBeginExternalBackup, which reads the checkpoint
        // file of a full one) before ErrBKIPrepareDirectory looks at the directory.
        if let Err(outcome) = backup_history_check(&inst.storage, incremental) {
            return (None, outcome);
        }
        if dir == BackupDirArg::NotEmpty && !incremental && grbit & BACKUP_ATOMIC == 0 {
            return unchanged(
                JetErr::BackupDirectoryNotEmpty,
                "§2.5 JetBackup: non-atomic full into a non-empty directory",
            );
        }
        if incremental && incremental_chain_broken(&inst.storage) {
            return unchanged(
                JetErr::MissingFileToBackup,
                "§5.2 incremental: logs since the last backup are gone",
            );
        }
        let copy_mic = inst.storage.checkpoint;
        if slot == WORKER {
            // §2.5: the databases are copied first, then the log roll, then the logs; the
            // first error ends the backup (an abort: no header records it).
            match s.corrupt() {
                Some(FileTarget::Db(d))
                    if !incremental
                        && inst.storage.dbs[usize::from(d)].file == DbFile::Attached =>
                {
                    return unchanged(
                        JetErr::ReadVerifyFailure,
                        "§2.5 JetBackup: a database page does not verify",
                    );
                }
                Some(FileTarget::Log(g)) if !incremental && g >= copy_mic => {
                    let mut next = s.clone();
                    roll(&mut next, slot);
                    return moved(
                        next,
                        JetErr::LogReadVerifyFailure,
                        "§2.5 JetBackup: a log block does not verify",
                    );
                }
                _ => {}
            }
        }
        let mut next = s.clone();
        roll(&mut next, slot);
        let inst = &mut next.instances[usize::from(slot)];
        let copy_mac = inst.storage.current;
        if !incremental && dir == BackupDirArg::Empty {
            let dbs = (0..MAX_DBS)
                .filter(|&d| inst.storage.dbs[d].file == DbFile::Attached)
                .fold(0u8, |mask, d| mask | 1 << d);
            inst.storage.saved = Some(Saved {
                low: copy_mic,
                high: copy_mac - 1,
                dbs,
            });
        }
        if !inst.settings.circular {
            let delete_mac = inst.storage.checkpoint.min(copy_mac);
            inst.storage.delete_below(delete_mac);
        }
        for db in inst
            .storage
            .dbs
            .iter_mut()
            .filter(|db| db.file == DbFile::Attached)
        {
            if incremental {
                db.inc_high = copy_mac - 1;
            } else {
                db.full_high = copy_mac - 1;
            }
        }
        moved(
            next,
            JetErr::Success,
            "§2.5 JetBackup: copied, truncated, headers updated",
        )
    }
}
