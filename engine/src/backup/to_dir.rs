//! JetBackup and JetBackupInstance (`ese-behaviour.md` §2.5): the whole streaming sequence in
//! one call, written into a directory: Begin, every attached database (full backups), the log
//! roll and the logs, JetTruncateLog, End (normal on success, abort on any failure, the first
//! error wins). The files are the streams JetReadFile hands out, named after their file names
//! (`a.edb`, `edb00001.log`), so JetExternalRestore takes the directory as its backup set.
//!
//! `JET_bitBackupAtomic` keeps the last complete backup readable at every moment (ESE's
//! `ErrBKIPrepareDirectory` / `ErrBKIPromoteDirectory`): the previous backup in `new/` moves to
//! `old/` (whose files are deleted first), a full backup is written into `temp/` and renamed to
//! `new/` only once it is complete, then `old/` is emptied; an atomic incremental backup adds
//! its logs to `old/`. JetRestore looks in the directory, then `new/`, then `old/`. A plain
//! incremental backup needs `new/` and `old/` empty (`JET_errBackupDirectoryNotEmpty`), as
//! ESE's does. Steps: `docs/durability.md`, "JetBackup".

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
use crate::params::InstanceParams;
use crate::paths::checked_path;
use crate::storage::{IoError, Storage};

/// The bits the JetBackupInstance page names: `JET_bitBackupIncremental`,
/// `JET_bitBackupAtomic` and `JET_bitBackupSnapshot` (0x10).
const JET_BACKUP_KNOWN_BITS: u32 = BACKUP_INCREMENTAL | BACKUP_ATOMIC | 0x10;

/// The subdirectory holding the last complete atomic backup (`wszAtomicNew`).
pub const ATOMIC_NEW: &str = "new";
/// The subdirectory holding the one before it, during a backup (`wszAtomicOld`).
pub const ATOMIC_OLD: &str = "old";
/// The subdirectory a full atomic backup is written into (`wszTempDir`).
pub const ATOMIC_TEMP: &str = "temp";

/// True when `dir` exists and holds a file.
fn has_files(storage: &dyn Storage, dir: &Path) -> Result<bool, JetErr> {
    match storage.list(dir) {
        Ok(names) => Ok(!names.is_empty()),
        Err(IoError::NotFound) => Ok(false),
        Err(e) => Err(in_area(Area::Directory)(e)),
    }
}

/// Deletes every file of `dir` (if it exists) and makes that durable.
fn empty_dir(storage: &dyn Storage, dir: &Path) -> Result<(), JetErr> {
    let io = in_area(Area::Directory);
    let names = match storage.list(dir) {
        Ok(names) => names,
        Err(IoError::NotFound) => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    for name in &names {
        storage.delete(&dir.join(name)).map_err(&io)?;
    }
    if !names.is_empty() {
        storage.sync_dir(dir).map_err(&io)?;
    }
    Ok(())
}

/// `ErrBKIPrepareDirectory` for an atomic backup: a left-over `temp/` is emptied; a complete
/// backup in `new/` becomes `old/` (the previous `old/` emptied first); then the directory the
/// copy goes into: a fresh `temp/` (full) or `old/` (incremental, next to its full backup).
fn prepare_atomic(storage: &dyn Storage, dir: &Path, incremental: bool) -> Result<PathBuf, JetErr> {
    let io = in_area(Area::Directory);
    let (new, old, temp) = (
        dir.join(ATOMIC_NEW),
        dir.join(ATOMIC_OLD),
        dir.join(ATOMIC_TEMP),
    );
    for sub in [&new, &old, &temp] {
        if !storage.stays_inside(sub) {
            return Err(JetErr::InvalidPath);
        }
    }
    empty_dir(storage, &temp)?;
    if has_files(storage, &new)? {
        empty_dir(storage, &old)?;
        storage.rename(&new, &old).map_err(&io)?;
        storage.sync_dir(dir).map_err(&io)?;
    }
    if incremental {
        storage.create_dir_all(&old).map_err(&io)?;
        return Ok(old);
    }
    storage
        .create_dir_all(&temp)
        .map_err(|_| JetErr::MakeBackupDirectoryFail)?;
    Ok(temp)
}

/// `ErrBKIPromoteDirectory`: the complete full backup in `temp/` becomes `new/` in one rename,
/// then `old/` is emptied.
fn promote_atomic(storage: &dyn Storage, dir: &Path) -> Result<(), JetErr> {
    let io = in_area(Area::Directory);
    let new = dir.join(ATOMIC_NEW);
    empty_dir(storage, &new)?;
    storage.rename(&dir.join(ATOMIC_TEMP), &new).map_err(&io)?;
    storage.sync_dir(dir).map_err(&io)?;
    empty_dir(storage, &dir.join(ATOMIC_OLD))
}

/// The chunk JetBackup reads: a multiple of every page size.
const CHUNK_BYTES: usize = 1 << 20;

/// `ErrBKIPrepareDirectory`'s checks of the directory a JetBackup writes to: inside the root,
/// made when missing and allowed, empty for a non-atomic full backup, and with no atomic
/// `new`/`old` for a non-atomic incremental one.
fn prepare_dir(
    storage: &dyn Storage,
    dir: &Path,
    params: &InstanceParams,
    grbit: u32,
) -> Result<(), JetErr> {
    let incremental = grbit & BACKUP_INCREMENTAL != 0;
    if !storage.stays_inside(dir) {
        return Err(JetErr::InvalidPath); // safer than ESE: no link out of the root
    }
    if !storage.exists(dir).map_err(|_| JetErr::DiskIO)? {
        if !params.create_path_if_not_exist {
            return Err(JetErr::InvalidPath);
        }
        storage
            .create_dir_all(dir)
            .map_err(in_area(Area::Directory))?;
    }
    let empty = storage
        .list(dir)
        .map_err(in_area(Area::Directory))?
        .is_empty();
    if !empty && !incremental && grbit & BACKUP_ATOMIC == 0 {
        return Err(JetErr::BackupDirectoryNotEmpty);
    }
    if incremental && grbit & BACKUP_ATOMIC == 0 {
        for sub in [ATOMIC_NEW, ATOMIC_OLD] {
            if has_files(storage, &dir.join(sub))? {
                return Err(JetErr::BackupDirectoryNotEmpty);
            }
        }
    }
    Ok(())
}

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
                    core.log_end().generation >= self.log_generation_max(),
                    JetErr::LogSequenceEnd,
                ),
                (core.backup.is_some(), JetErr::BackupInProgress),
            ];
            if let Some((_, code)) = checks.iter().find(|(failed, _)| *failed) {
                return Err(*code);
            }
            Ok(dir)
        })?;
        // backup.cxx ErrBKBackup begins the backup (reading the checkpoint) before
        // ErrBKIPrepareDirectory looks at the directory; a directory refused ends it again.
        self.begin_external_backup_instance(instance, grbit & BACKUP_INCREMENTAL)?;
        self.with_backup_core(instance, |_, core| {
            let prepared = prepare_dir(core.storage.as_ref(), &dir, &core.params, grbit);
            if prepared.is_err() {
                crate::backup::end_backup(core); // the backup ErrBKBackup began ends with it
            }
            prepared
        })?;
        let atomic = grbit & BACKUP_ATOMIC != 0;
        let storage = Arc::clone(&self.storage);
        let copied = if atomic {
            prepare_atomic(storage.as_ref(), &dir, incremental).and_then(|target| {
                self.copy_backup_set(instance, &target, incremental)?;
                if incremental {
                    Ok(())
                } else {
                    promote_atomic(storage.as_ref(), &dir)
                }
            })
        } else {
            self.copy_backup_set(instance, &dir, incremental)
        };
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
