//! The log half of a streaming backup (`ese-behaviour.md` §2.4, §4, §5): JetGetLogInfo(Instance,
//! Instance2) and JetGetTruncateLogInfoInstance (the one log roll and the ranges, §5.1-§5.3),
//! JetTruncateLog(Instance) and JetEndExternalBackup(Instance, Instance2), which records the
//! backup in the database headers. Write orders: `docs/durability.md`, "Streaming backup".

use std::sync::Arc;

use jetapi::JetErr;

use super::stream::{abort, running, session};
use super::{
    BACKUP_END_ABORT, BACKUP_END_NORMAL, BACKUP_NO_DB_HEADER_UPDATE, BACKUP_TRUNCATE_DONE,
    BackupKind, BackupPhase, LogRanges, multi_string,
};
use crate::core::Core;
use crate::dbfile::{BackupInfo, BackupSlot};
use crate::engine::Engine;
use crate::errors::{Area, in_area};
use crate::handles::InstanceHandle;
use crate::mutant::Mutant;
use crate::paths::archived_log;
use crate::recovery::archived_logs;
use crate::storage::IoError;

/// `JET_LOGINFO` as JetGetLogInfoInstance2 fills it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogInfo {
    /// `ulGenLow`: the first generation to copy.
    pub gen_low: u32,
    /// `ulGenHigh`: the last generation to copy.
    pub gen_high: u32,
    /// `szBaseName`.
    pub base_name: String,
}

/// Which list a log-info call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LogList {
    /// `[copy_mic, copy_mac)`: JetGetLogInfo.
    Copy,
    /// `[delete_mic, delete_mac)`: JetGetTruncateLogInfoInstance.
    Truncate,
}

impl Engine {
    /// JetGetLogInfo: the legacy form.
    pub fn get_log_info(&self, buffer: Option<&mut [u8]>) -> Result<usize, JetErr> {
        self.get_log_info_instance(self.legacy_instance()?, buffer)
    }

    /// JetGetLogInfoInstance (§2.4, §5): the logs to copy as a double-NUL list; the first call
    /// of a backup rolls the log once. Returns `pcbActual`: with a buffer, the smaller of its
    /// size and the list's; without, the list's.
    pub fn get_log_info_instance(
        &self,
        instance: InstanceHandle,
        buffer: Option<&mut [u8]>,
    ) -> Result<usize, JetErr> {
        self.log_list(instance, buffer, LogList::Copy)
            .map(|(n, _)| n)
    }

    /// JetGetLogInfoInstance2: JetGetLogInfoInstance and the `JET_LOGINFO`.
    pub fn get_log_info_instance2(
        &self,
        instance: InstanceHandle,
        buffer: Option<&mut [u8]>,
    ) -> Result<(usize, LogInfo), JetErr> {
        self.log_list(instance, buffer, LogList::Copy)
    }

    /// JetGetTruncateLogInfoInstance: the logs a JetTruncateLog would delete.
    pub fn get_truncate_log_info_instance(
        &self,
        instance: InstanceHandle,
        buffer: Option<&mut [u8]>,
    ) -> Result<usize, JetErr> {
        self.log_list(instance, buffer, LogList::Truncate)
            .map(|(n, _)| n)
    }

    fn log_list(
        &self,
        instance: InstanceHandle,
        buffer: Option<&mut [u8]>,
        list: LogList,
    ) -> Result<(usize, LogInfo), JetErr> {
        let mutant = self.mutant;
        self.with_running_backup(instance, |_, core| {
            let r = prepare_logs(core)?;
            let (lo, hi) = match list {
                LogList::Copy if mutant.is(Mutant::LogInfoOmitsLastGeneration) => {
                    (r.copy_mic, r.copy_mac - 1)
                }
                LogList::Copy => (r.copy_mic, r.copy_mac),
                LogList::Truncate => (r.delete_mic, r.delete_mac),
            };
            let base = &core.params.base_name;
            let names: Vec<String> = (lo..hi)
                .map(|g| {
                    archived_log(&core.log_dir, base, g)
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            let bytes = multi_string(&names);
            let actual = match buffer {
                Some(buffer) => {
                    let n = buffer.len().min(bytes.len());
                    buffer[..n].copy_from_slice(&bytes[..n]);
                    n
                }
                None => bytes.len(),
            };
            let info = LogInfo {
                gen_low: r.copy_mic,
                gen_high: r.copy_mac - u32::from(!mutant.is(Mutant::LogInfoGenHighOneTooFar)),
                base_name: base.clone(),
            };
            Ok((actual, info))
        })
    }

    /// JetTruncateLog: the legacy form.
    pub fn truncate_log(&self) -> Result<(), JetErr> {
        self.truncate_log_instance(self.legacy_instance()?)
    }

    /// JetTruncateLogInstance (§2.4, §5.3): deletes `[delete_mic, delete_mac)`, oldest first,
    /// once every log of the copy range was read to the end and closed. None of its failures
    /// end the backup.
    pub fn truncate_log_instance(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        let documented = self.documented();
        let mutant = self.mutant;
        self.with_running_backup(instance, |_, core| {
            let b = running(core, true)?;
            if b.open.is_some() {
                return Err(JetErr::InvalidBackupSequence);
            }
            if mutant.is(Mutant::TruncateCopyCheckBeforeLogList) && !b.all_logs_copied() {
                return Err(JetErr::LogFileNotCopied);
            }
            let Some(r) = b.ranges else {
                return Err(JetErr::InvalidBackupSequence);
            };
            // `truncate-log-file-not-copied`: the pages have no such check.
            if !b.all_logs_copied() && !documented && !mutant.is(Mutant::TruncateWithoutCopyCheck) {
                return Err(JetErr::LogFileNotCopied);
            }
            session(core).truncated = true;
            let storage = Arc::clone(&core.storage);
            let mut deleted = false;
            let delete_mac =
                r.delete_mac + u32::from(mutant.is(Mutant::TruncateOneGenerationTooFar));
            for g in r.delete_mic..delete_mac {
                let path = archived_log(&core.log_dir, &core.params.base_name, g);
                match storage.delete(&path) {
                    Ok(()) => deleted = true,
                    Err(IoError::NotFound) => {}
                    Err(e) => return Err(in_area(Area::Database)(e)),
                }
            }
            if deleted {
                storage
                    .sync_dir(&core.log_dir)
                    .map_err(in_area(Area::Database))?;
            }
            Ok(())
        })
    }

    /// JetEndExternalBackup: the legacy form (`JET_bitBackupEndNormal`).
    pub fn end_external_backup(&self) -> Result<(), JetErr> {
        self.end_external_backup_instance(self.legacy_instance()?)
    }

    /// JetEndExternalBackupInstance: JetEndExternalBackupInstance2 with
    /// `JET_bitBackupEndNormal`.
    pub fn end_external_backup_instance(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        self.end_external_backup_instance2(instance, BACKUP_END_NORMAL)
    }

    /// JetEndExternalBackupInstance2 (§4): ends any backup and returns success; a normal end
    /// (Normal, not stopped, in the log phase) records it in the database headers: a full
    /// backup in the databases it copied (full if the logs were truncated, else copy), an
    /// incremental one in every attached database (incremental or differential).
    pub fn end_external_backup_instance2(
        &self,
        instance: InstanceHandle,
        grbit: u32,
    ) -> Result<(), JetErr> {
        let documented = self.documented();
        let mutant = self.mutant;
        self.with_backup_core(instance, |_, core| {
            if (grbit & BACKUP_END_NORMAL != 0) == (grbit & BACKUP_END_ABORT != 0)
                && !mutant.is(Mutant::EndGrbitUnchecked)
            {
                return Err(JetErr::InvalidParameter); // §4.2
            }
            let Some(b) = core.backup.as_ref() else {
                if mutant.is(Mutant::EndWithoutBackupSucceeds) {
                    return Ok(());
                }
                return Err(JetErr::NoBackup); // §4.3
            };
            let normal = grbit & BACKUP_END_ABORT == 0 && !b.stop && b.phase == BackupPhase::Logs;
            // What the pages say an abnormal end returns; ESE returns success (§4, §9).
            let documented_code = if !documented {
                None
            } else if grbit & BACKUP_END_ABORT != 0 {
                Some(JetErr::BackupAbortByCaller) // `end-abort-returns-success`
            } else if b.stop {
                Some(JetErr::BackupAbortByServer) // `end-after-stop-backup`
            } else if b.kind == BackupKind::Full && b.phase == BackupPhase::Databases {
                Some(JetErr::BackupAbortByCaller) // `end-before-logs`
            } else {
                None
            };
            let record = match (b.ranges, b.kind) {
                (Some(r), BackupKind::Full | BackupKind::Incremental)
                    if normal && grbit & BACKUP_NO_DB_HEADER_UPDATE == 0 =>
                {
                    let truncated = b.truncated || grbit & BACKUP_TRUNCATE_DONE != 0;
                    let info = BackupInfo {
                        gen_low: r.copy_mic,
                        gen_high: r.copy_mac - 1,
                        time: b.started,
                    };
                    let (slot, dbs): (BackupSlot, Vec<u32>) = match (b.kind, truncated) {
                        (BackupKind::Full, true) => {
                            (BackupSlot::Full, b.dbs_copied.iter().copied().collect())
                        }
                        (BackupKind::Full, false) => {
                            (BackupSlot::Copy, b.dbs_copied.iter().copied().collect())
                        }
                        (_, true) => (BackupSlot::Incremental, core.dbs.keys().copied().collect()),
                        (_, false) => {
                            (BackupSlot::Differential, core.dbs.keys().copied().collect())
                        }
                    };
                    Some((slot, dbs, info))
                }
                _ => None,
            };
            if mutant.is(Mutant::EndKeepsBackup) {
                return documented_code.map_or(Ok(()), Err);
            }
            abort(core);
            if let Some((slot, dbs, info)) = record {
                if mutant.is(Mutant::FullBackupHeaderNotUpdated) && slot == BackupSlot::Full {
                    return documented_code.map_or(Ok(()), Err);
                }
                record_in_headers(core, slot, &dbs, info);
            }
            documented_code.map_or(Ok(()), Err)
        })
    }
}

/// §4.4: writes `info` as the previous backup of `slot` into each database's header. A failed
/// header write does not fail the End (ESE only logs an event), but it fails the instance:
/// nothing is retried after a failed write.
fn record_in_headers(core: &mut Core, slot: BackupSlot, dbs: &[u32], info: BackupInfo) {
    let storage = Arc::clone(&core.storage);
    let mut failure = None;
    for id in dbs {
        let Some(d) = core.dbs.get_mut(id) else {
            continue;
        };
        d.file.header.backups[slot as usize] = info;
        if let Err(e) = d.file.write_header(storage.as_ref()) {
            failure = Some(e);
            break;
        }
    }
    if let Some(e) = failure {
        core.fail(e);
    }
}

/// §2.4 GetLogInfo 1-5: the checks, and on the backup's first call the log roll (§5.1) and
/// the copy and truncate ranges (§5.2, §5.3). Errors of the first call leave the backup
/// running, unprepared (ESE's "UNDONE").
fn prepare_logs(core: &mut Core) -> Result<LogRanges, JetErr> {
    let b = running(core, true)?;
    if b.open.is_some() {
        return Err(JetErr::InvalidBackupSequence);
    }
    if let Some(r) = b.ranges {
        return Ok(r); // repeated calls do not roll again
    }
    let kind = b.kind;
    let begin_checkpoint = b.begin_checkpoint;
    // The archived generations by name and the current one from the writer, as ESE knows it
    // in memory (backup.cxx ErrBKIPrepareLogFiles reads no log header here): a damaged
    // header is found when the copy verifies the generation (JET_errLogReadVerifyFailure).
    let archived = archived_logs(core.storage.as_ref(), &core.log_dir, &core.params.base_name)?;
    let current = core.log_end().generation;
    let oldest = archived.keys().next().copied().unwrap_or(current);
    if kind == BackupKind::Incremental {
        // §5.2: each database's last full or incremental backup must reach the oldest log.
        let broken = core.dbs.values().any(|d| {
            let h = &d.file.header;
            h.backup(BackupSlot::Full)
                .gen_high
                .max(h.backup(BackupSlot::Incremental).gen_high)
                + 1
                + u32::from(core.params.mutant.is(Mutant::IncrementalGapOffByOne))
                < oldest
        });
        if broken {
            return Err(JetErr::MissingFileToBackup);
        }
    }
    core.roll_log()?;
    let copy_mac = core.log_end().generation;
    let copy_mic = if kind == BackupKind::Full {
        begin_checkpoint
    } else {
        oldest
    };
    let checkpoint = core.checkpoint.as_ref().map_or(0, |c| c.pos.generation);
    let mut delete_mac = checkpoint.min(copy_mac);
    if kind == BackupKind::Full {
        let copied = &core.backup.as_ref().expect("running").dbs_copied;
        for (id, d) in &core.dbs {
            if !copied.contains(id) {
                delete_mac = delete_mac.min(d.file.header.backup(BackupSlot::Full).gen_high);
            }
        }
    }
    let ranges = LogRanges {
        copy_mic,
        copy_mac,
        delete_mic: oldest.min(delete_mac),
        delete_mac,
    };
    let b = session(core);
    if b.phase == BackupPhase::Databases {
        b.move_to(BackupPhase::Logs);
    }
    b.ranges = Some(ranges);
    Ok(ranges)
}
