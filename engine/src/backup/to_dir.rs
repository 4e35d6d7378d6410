//! JetBackup and JetBackupInstance (`ese-behaviour.md` §2.5): the whole streaming sequence in
//! one call, written into a directory: Begin, every attached database (full backups), the log
//! roll and the logs, JetTruncateLog, End (normal on success, abort on any failure, the first
//! error wins). The files are the streams JetReadFile hands out, named after their file names
//! (`a.edb`, `edb00001.log`), so JetExternalRestore takes the directory as its backup set.
//!
//! `JET_bitBackupAtomic` (ESE's new/old subdirectory juggling) is accepted and ignored: the
//! copy goes into the directory itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jetapi::JetErr;

use super::stream::log_stopped;
use super::{
    AlignedBuffer, BACKUP_ATOMIC, BACKUP_END_ABORT, BACKUP_END_NORMAL, BACKUP_INCREMENTAL,
};
use crate::engine::{Engine, lock};
use crate::errors::{Area, in_area};
use crate::handles::InstanceHandle;
use crate::paths::checked_path;
use crate::storage::Storage;

/// The bits the JetBackupInstance page names: `JET_bitBackupIncremental`,
/// `JET_bitBackupAtomic` and `JET_bitBackupSnapshot` (0x10).
const JET_BACKUP_KNOWN_BITS: u32 = BACKUP_INCREMENTAL | BACKUP_ATOMIC | 0x10;

/// The chunk JetBackup reads: a multiple of every page size.
const CHUNK_BYTES: usize = 1 << 20;

impl Engine {
    /// JetBackup: the legacy form.
    pub fn backup(&self, backup_path: Option<&str>, grbit: u32) -> Result<(), JetErr> {
        self.backup_instance(self.legacy_instance()?, backup_path, grbit)
    }

    /// JetBackupInstance (§2.5). The grbit is not validated (unknown bits are ignored).
    pub fn backup_instance(
        &self,
        instance: InstanceHandle,
        backup_path: Option<&str>,
        grbit: u32,
    ) -> Result<(), JetErr> {
        let incremental = grbit & BACKUP_INCREMENTAL != 0;
        let documented = self.documented();
        let dir = self.with_backup_core(instance, |inst, core| {
            if !lock(&inst.api).backup_allowed {
                return Err(JetErr::BackupNotAllowedYet); // §1.3
            }
            // `backup-grbit-not-validated`: the page's InvalidGrbit row.
            if documented && grbit & !JET_BACKUP_KNOWN_BITS != 0 {
                return Err(JetErr::InvalidGrbit);
            }
            let dir = checked_path(backup_path.unwrap_or_default())?; // path completion
            let checks = [
                (!core.params.recovery, JetErr::LoggingDisabled),
                (log_stopped(core), JetErr::LogWriteFail),
                (
                    incremental && core.params.circular_log,
                    JetErr::InvalidBackup,
                ),
                (
                    core.failed == Some(JetErr::LogDiskFull),
                    JetErr::LogDiskFull,
                ),
                (
                    core.log_end().generation >= super::stream::GENERATION_MAX,
                    JetErr::LogSequenceEnd,
                ),
                (core.backup.is_some(), JetErr::BackupInProgress),
            ];
            if let Some((_, code)) = checks.iter().find(|(failed, _)| *failed) {
                return Err(*code);
            }
            let storage = core.storage.as_ref();
            if !storage.stays_inside(&dir) {
                return Err(JetErr::InvalidPath); // safer than ESE: no link out of the root
            }
            if !storage.exists(&dir).map_err(|_| JetErr::DiskIO)? {
                if !core.params.create_path_if_not_exist {
                    return Err(JetErr::InvalidPath);
                }
                storage
                    .create_dir_all(&dir)
                    .map_err(in_area(Area::Directory))?;
            }
            let empty = storage
                .list(&dir)
                .map_err(in_area(Area::Directory))?
                .is_empty();
            if !empty && !incremental && grbit & BACKUP_ATOMIC == 0 {
                return Err(JetErr::BackupDirectoryNotEmpty);
            }
            Ok(dir)
        })?;
        self.begin_external_backup_instance(instance, grbit & BACKUP_INCREMENTAL)?;
        let copied = self.copy_backup_set(instance, &dir, incremental);
        let end = if copied.is_ok() {
            BACKUP_END_NORMAL
        } else {
            BACKUP_END_ABORT
        };
        let ended = self.end_external_backup_instance2(instance, end);
        copied.and(ended)
    }

    fn copy_backup_set(
        &self,
        instance: InstanceHandle,
        dir: &Path,
        incremental: bool,
    ) -> Result<(), JetErr> {
        let storage = Arc::clone(&self.storage);
        if !incremental {
            let databases = self.backup_list(|e, b| e.get_attach_info_instance(instance, b))?;
            for name in databases {
                self.copy_one(storage.as_ref(), instance, &name, dir)?;
            }
        }
        let logs = self.backup_list(|e, b| e.get_log_info_instance(instance, b))?;
        for name in logs {
            self.copy_one(storage.as_ref(), instance, &name, dir)?;
        }
        storage.sync_dir(dir).map_err(in_area(Area::Database))?;
        self.truncate_log_instance(instance)
    }

    /// A list call with a buffer as large as it needs.
    fn backup_list(
        &self,
        call: impl Fn(&Engine, Option<&mut [u8]>) -> Result<usize, JetErr>,
    ) -> Result<Vec<String>, JetErr> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut n = call(self, Some(&mut buf))?;
        if n >= buf.len() {
            buf = vec![0u8; call(self, None)?];
            n = call(self, Some(&mut buf))?;
        }
        Ok(buf[..n.min(buf.len())]
            .split(|b| *b == 0)
            .take_while(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect())
    }

    /// Open, read to the end, close: the stream goes to `dir/<file name>`, synced.
    fn copy_one(
        &self,
        storage: &dyn Storage,
        instance: InstanceHandle,
        name: &str,
        dir: &Path,
    ) -> Result<(), JetErr> {
        let io = in_area(Area::Database);
        let file_name = Path::new(name).file_name().ok_or(JetErr::InvalidPath)?;
        let to: PathBuf = dir.join(file_name);
        let (handle, _) = self.open_file_instance(instance, Some(name))?;
        storage.create(&to).map_err(&io)?;
        let mut buf = AlignedBuffer::new(CHUNK_BYTES);
        let mut offset = 0u64;
        loop {
            let n = self.read_file_instance(instance, handle, buf.as_mut_slice())?;
            if n == 0 {
                break;
            }
            storage
                .write_at(&to, offset, &buf.as_slice()[..n])
                .map_err(&io)?;
            offset += n as u64;
        }
        self.close_file_instance(instance, handle)?;
        storage.sync(&to).map_err(&io)
    }
}
