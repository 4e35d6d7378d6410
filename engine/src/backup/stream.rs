//! The streaming backup calls of one instance, each with the check order of
//! `ese-behaviour.md` §2.3 and §2.4 (first failing check wins): JetBeginExternalBackup,
//! JetGetAttachInfo, JetOpenFile, JetReadFile, JetCloseFile and JetStopBackup, plus the
//! legacy (instance-less) forms. The log calls (JetGetLogInfo, JetTruncateLog,
//! JetEndExternalBackup) are in `logs.rs`. "ABORTS" marks a failure that ends the backup.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use jetapi::JetErr;

use super::ahead::ReadAhead;
use super::read::{database_copy_bytes, read_database_chunk, read_verified_log};
use super::{
    BACKUP_INCREMENTAL, BACKUP_INTERNAL_COPY, BACKUP_SURROGATE, BUFFER_ALIGNMENT, BackupFileHandle,
    BackupKind, BackupPhase, BackupSession, BackupTarget, OpenBackupFile, multi_string,
    now_seconds,
};
use crate::allocation::Allocation;
use crate::checkpoint;
use crate::core::Core;
use crate::dbfile::{BackupInfo, BackupSlot, TrailerIds};
use crate::engine::{Engine, Instance, api_enter, lock};
use crate::errors::{Area, in_area};
use crate::handles::InstanceHandle;
use crate::lifecycle::RunMode;
use crate::mutant::Mutant;
use crate::paths::{archived_generation, checked_file, checkpoint_file};

impl Engine {
    /// §1.2 step 0: the legacy forms' run-mode check, then the single instance.
    pub(crate) fn legacy_instance(&self) -> Result<InstanceHandle, JetErr> {
        let p = lock(&self.process);
        match p.mode {
            RunMode::NoSet => Err(JetErr::InvalidParameter),
            RunMode::MultiInst => Err(JetErr::RunningInMultiInstanceMode),
            RunMode::OneInst => Ok(p.find(InstanceHandle::NULL)?.handle),
        }
    }

    /// §1.2 steps 3 and 4 (`ErrFindPinst`, `ErrAPIEnter`), then `f` on the instance's core.
    pub(crate) fn with_backup_core<R>(
        &self,
        instance: InstanceHandle,
        f: impl FnOnce(&Instance, &mut Core) -> Result<R, JetErr>,
    ) -> Result<R, JetErr> {
        let inst = lock(&self.process).find_checked(instance, self.profile)?;
        api_enter(&lock(&inst.api), false)?;
        let mut slot = lock(&inst.core);
        let core = slot.as_mut().ok_or(JetErr::NotInitialized)?;
        f(&inst, core)
    }

    /// `with_backup_core` for the calls of a running backup (GetAttachInfo, OpenFile,
    /// ReadFile, CloseFile, GetLogInfo, GetTruncateLogInfo, TruncateLog). In the `documented`
    /// profile a failure past the entry checks cancels the whole backup (the
    /// `failures-cancel-backup` divergence), except "no backup" and "stopped", which have
    /// nothing left to cancel, and JetOpenFile of a database not attached, which the pages
    /// except (ese-doc-notes.md §1: it does not cancel the backup).
    pub(crate) fn with_running_backup<R>(
        &self,
        instance: InstanceHandle,
        f: impl FnOnce(&Instance, &mut Core) -> Result<R, JetErr>,
    ) -> Result<R, JetErr> {
        let documented = self.documented();
        self.with_backup_core(instance, |inst, core| {
            let result = f(inst, core);
            if let Err(e) = &result {
                let stays = matches!(
                    e,
                    JetErr::NoBackup | JetErr::BackupAbortByServer | JetErr::DatabaseNotFound
                );
                if documented && !stays && core.backup.as_ref().is_some_and(|b| b.is_local()) {
                    abort(core);
                }
            }
            result
        })
    }

    /// JetBeginExternalBackup: the legacy form.
    pub fn begin_external_backup(&self, grbit: u32) -> Result<(), JetErr> {
        self.begin_external_backup_instance(self.legacy_instance()?, grbit)
    }

    /// JetBeginExternalBackupInstance (§1.3, §2.3).
    pub fn begin_external_backup_instance(
        &self,
        instance: InstanceHandle,
        grbit: u32,
    ) -> Result<(), JetErr> {
        let mutant = self.mutant;
        self.with_backup_core(instance, |inst, core| {
            if !lock(&inst.api).backup_allowed {
                return Err(JetErr::BackupNotAllowedYet); // §1.3
            }
            if mutant.is(Mutant::BeginBackupInProgressFirst) && core.backup.is_some() {
                return Err(JetErr::BackupInProgress);
            }
            let incremental = grbit & BACKUP_INCREMENTAL != 0;
            let surrogate = grbit & BACKUP_SURROGATE != 0;
            let circular = core.params.circular_log;
            let checks = [
                (!core.params.recovery, JetErr::LoggingDisabled), // §2.3.1
                (log_stopped(core), JetErr::LogWriteFail),        // §2.3.2
                (
                    grbit & !(BACKUP_INCREMENTAL | BACKUP_SURROGATE | BACKUP_INTERNAL_COPY) != 0,
                    if mutant.is(Mutant::BeginUnknownGrbitWrongCode) {
                        JetErr::InvalidParameter
                    } else {
                        JetErr::InvalidGrbit // §2.3.4
                    },
                ),
                (
                    incremental && circular && !mutant.is(Mutant::BeginIncrementalWithCircularLog),
                    JetErr::InvalidBackup, // §2.3.5
                ),
                (surrogate && circular, JetErr::InvalidBackup), // §2.3.6
                (
                    grbit & BACKUP_INTERNAL_COPY != 0 && (incremental || surrogate),
                    JetErr::InvalidGrbit, // §2.3.7
                ),
                (
                    core.failed == Some(JetErr::LogDiskFull),
                    JetErr::LogDiskFull, // §2.3.8
                ),
                (
                    core.log_end().generation >= self.log_generation_max(),
                    JetErr::LogSequenceEnd, // §2.3.8
                ),
            ];
            if let Some((_, code)) = checks.iter().find(|(failed, _)| *failed) {
                return Err(*code);
            }
            match &core.backup {
                Some(b) if b.kind == BackupKind::Surrogate => {
                    return Err(JetErr::SurrogateBackupInProgress); // §2.3.9
                }
                Some(_) => return Err(JetErr::BackupInProgress), // §2.3.9
                None => {}
            }
            let begin_checkpoint = if incremental {
                // §2.3.12: every attached database needs a previous full backup.
                if !mutant.is(Mutant::BeginIncrementalWithoutFullBackup)
                    && core
                        .dbs
                        .values()
                        .any(|d| d.file.header.backup(BackupSlot::Full).gen_low == 0)
                {
                    return Err(JetErr::MissingFullBackup);
                }
                0
            } else {
                // §2.3.12: a full backup copies logs from the checkpoint file's generation,
                // read into a buffer it allocates first.
                if !surrogate {
                    self.allocations.allocate(Allocation::Memory)?;
                }
                let path = checkpoint_file(&core.system_dir, &core.params.base_name);
                checkpoint::read(core.storage.as_ref(), &path)?
                    .ok_or(JetErr::CheckpointFileNotFound)?
                    .pos
                    .generation
            };
            let kind = match (surrogate, incremental) {
                (true, _) => BackupKind::Surrogate,
                (false, true) => BackupKind::Incremental,
                (false, false) => BackupKind::Full,
            };
            let mut session = BackupSession {
                kind,
                phase: BackupPhase::NotStarted,
                stop: false,
                begin_checkpoint,
                ranges: None,
                open: None,
                handles_ever: 0,
                dbs_copied: BTreeSet::new(),
                logs_copied: BTreeSet::new(),
                truncated: false,
                started: now_seconds(),
            };
            session.move_to(if kind == BackupKind::Incremental {
                BackupPhase::Logs
            } else {
                BackupPhase::Databases
            });
            core.backup = Some(session);
            Ok(())
        })
    }

    /// JetGetAttachInfo: the legacy form.
    pub fn get_attach_info(&self, buffer: Option<&mut [u8]>) -> Result<usize, JetErr> {
        self.get_attach_info_instance(self.legacy_instance()?, buffer)
    }

    /// JetGetAttachInfoInstance (§2.4): the attached databases as a double-NUL list in
    /// `buffer` (truncated when it is too small, which is not an error); returns the size the
    /// whole list needs (`pcbActual`).
    pub fn get_attach_info_instance(
        &self,
        instance: InstanceHandle,
        buffer: Option<&mut [u8]>,
    ) -> Result<usize, JetErr> {
        let mutant = self.mutant;
        self.with_running_backup(instance, |_, core| {
            let b = running(core, true)?;
            if b.kind == BackupKind::Incremental && !mutant.is(Mutant::AttachInfoDuringIncremental)
            {
                return Err(JetErr::InvalidBackupSequence);
            }
            let names: Vec<String> = core.dbs.values().map(|d| d.name.clone()).collect();
            let list = multi_string(&names);
            if let Some(buffer) = buffer {
                let n = buffer.len().min(list.len());
                buffer[..n].copy_from_slice(&list[..n]);
            }
            Ok(list.len())
        })
    }

    /// JetOpenFile: the legacy form.
    pub fn open_file(&self, filename: Option<&str>) -> Result<(BackupFileHandle, u64), JetErr> {
        self.open_file_instance(self.legacy_instance()?, filename)
    }

    /// JetOpenFileInstance (§2.4): opens an attached database (database phase of a full
    /// backup) or one of the instance's archived logs (log phase); returns the handle and the
    /// size the caller will read.
    pub fn open_file_instance(
        &self,
        instance: InstanceHandle,
        filename: Option<&str>,
    ) -> Result<(BackupFileHandle, u64), JetErr> {
        let mutant = self.mutant;
        self.with_running_backup(instance, |_, core| {
            let b = running(core, true)?;
            if mutant.is(Mutant::OpenFileHandleCheckBeforeName) && b.open.is_some() {
                return Err(JetErr::OutOfMemory);
            }
            let name = filename
                .filter(|n| !n.is_empty())
                .ok_or(JetErr::InvalidParameter)?;
            if b.open.is_some() && !mutant.is(Mutant::OpenFileTwoHandles) {
                return Err(JetErr::OutOfMemory); // §2.4 OpenFile 4: one handle only
            }
            let path = checked_file(name)?;
            let (kind, phase) = (b.kind, b.phase);
            let attached = core
                .dbs
                .iter()
                .find(|(_, d)| d.file.path == path)
                .map(|(id, _)| *id);
            let (target, size_bytes) = match attached {
                Some(_) if kind == BackupKind::Incremental || phase == BackupPhase::Logs => {
                    abort(core);
                    return Err(JetErr::InvalidBackupSequence); // ABORTS
                }
                Some(db) => {
                    let d = core.dbs.get_mut(&db).expect("found above");
                    let mut snapshot = d.file.pin();
                    // ESE raises every attached header's genMaxRequired to each generation as
                    // it is committed (`ErrLGUpdateGenRequired`), so a copy needs the logs up
                    // to the one current when it was opened, even if no page changed in it.
                    let current = core.log_end().generation;
                    let required = &mut snapshot.header.gen_max_required;
                    *required = (*required).max(current);
                    let b = core.backup.as_ref().expect("running");
                    snapshot.header.backup_in_progress = BackupInfo {
                        gen_low: b.begin_checkpoint,
                        gen_high: 0,
                        time: b.started,
                    };
                    let size = database_copy_bytes(&snapshot, core.page_size);
                    let target = BackupTarget::Database {
                        db,
                        path: path.clone(),
                        snapshot: Arc::new(snapshot),
                        ahead: None,
                    };
                    (target, size)
                }
                None if phase == BackupPhase::Databases => {
                    return Err(JetErr::DatabaseNotFound); // the backup goes on
                }
                None => match open_log(core, &path)? {
                    Some(found) => found,
                    // §2.4 OpenFile 7 (backup.cxx ErrBKOpenFile): in the log phase ESE opens
                    // any other name as a patch file, and a missing one is
                    // JET_errMissingFileToBackup, which ABORTS.
                    None if !core.storage.exists(&path).unwrap_or(false) => {
                        abort(core);
                        return Err(JetErr::MissingFileToBackup);
                    }
                    // Safer than ESE: no link out of the root (the backup goes on).
                    None if !core.storage.stays_inside(&path) => {
                        return Err(JetErr::InvalidPath);
                    }
                    // Any other existing file is streamed as ESE streams a patch file.
                    // ESE's read-only open of it fails when another process holds it
                    // (JET_errFileAccessDenied, which ABORTS like any failed open there).
                    None => {
                        let opened = core
                            .storage
                            .read_at(&path, 0, 1)
                            .and_then(|_| core.storage.len(&path));
                        match opened {
                            Ok(size) => (BackupTarget::Other { path }, size),
                            Err(e) => {
                                abort(core);
                                return Err(in_area(Area::Database)(e));
                            }
                        }
                    }
                },
            };
            if mutant.is(Mutant::OpenFileTwoHandles) {
                close_open_file(core); // the first handle's pin goes with it
            }
            let b = session(core);
            b.handles_ever = b.handles_ever.max(1);
            b.open = Some(OpenBackupFile {
                target,
                size_bytes,
                offset: 0,
            });
            Ok((BackupFileHandle(0), size_bytes))
        })
    }

    /// JetReadFile: the legacy form.
    pub fn read_file(&self, file: BackupFileHandle, buffer: &mut [u8]) -> Result<usize, JetErr> {
        self.read_file_instance(self.legacy_instance()?, file, buffer)
    }

    /// JetReadFileInstance (§2.4): the next chunk of the open file into `buffer`, which must
    /// start on a [`BUFFER_ALIGNMENT`] boundary and hold whole pages; returns the bytes read,
    /// 0 at the end of the file.
    pub fn read_file_instance(
        &self,
        instance: InstanceHandle,
        file: BackupFileHandle,
        buffer: &mut [u8],
    ) -> Result<usize, JetErr> {
        let mutant = self.mutant;
        self.with_running_backup(instance, |_, core| {
            running(core, true)?;
            if buffer.as_ptr() as usize % BUFFER_ALIGNMENT != 0
                && !mutant.is(Mutant::ReadFileUnalignedBuffer)
            {
                return Err(JetErr::InvalidParameter); // §2.4 ReadFile 2
            }
            let page = core.page_size;
            let cb = buffer.len();
            let storage = Arc::clone(&core.storage);
            let signature = core
                .log
                .as_ref()
                .map_or(0, crate::log::LogWriter::signature);
            let b = session(core);
            let handle_ok = file.0 == 0 || mutant.is(Mutant::ReadFileIgnoresHandle);
            let Some(open) = b.open.as_mut().filter(|_| handle_ok) else {
                // §2.4 ReadFile 3 and 8: the handle is not validated; one that is not open
                // reads like an empty log.
                return if cb % page == 0 && cb >= 2 * page {
                    Ok(0)
                } else {
                    Err(JetErr::InvalidParameter)
                };
            };
            let first = open.offset == 0;
            match &mut open.target {
                BackupTarget::Log {
                    generation,
                    path,
                    verified,
                } => {
                    if cb % page != 0 || (first && cb < 2 * page) {
                        return Err(JetErr::InvalidParameter);
                    }
                    if verified.is_none() {
                        match read_verified_log(storage.as_ref(), path, *generation, signature) {
                            Ok(bytes) => *verified = Some(bytes),
                            Err(e) => {
                                abort(core);
                                return Err(e); // ABORTS
                            }
                        }
                    }
                    let bytes = verified.as_deref().expect("verified above");
                    let at = usize::try_from(open.offset).expect("a log fits in memory");
                    let n = cb.min(bytes.len().saturating_sub(at));
                    buffer[..n].copy_from_slice(&bytes[at..at + n]);
                    open.offset += n as u64;
                    Ok(n)
                }
                BackupTarget::Other { path } => {
                    if cb % page != 0 || (first && cb < 2 * page) {
                        return Err(JetErr::InvalidParameter);
                    }
                    let left = open.size_bytes.saturating_sub(open.offset);
                    let n = usize::try_from(left).map_or(cb, |left| cb.min(left));
                    let bytes = match storage.read_at(path, open.offset, n) {
                        Ok(bytes) => bytes,
                        Err(e) => {
                            abort(core);
                            return Err(in_area(Area::Database)(e)); // ABORTS
                        }
                    };
                    buffer[..bytes.len()].copy_from_slice(&bytes);
                    open.offset += bytes.len() as u64;
                    Ok(bytes.len())
                }
                BackupTarget::Database {
                    db,
                    path,
                    snapshot,
                    ahead,
                } => {
                    let ids = TrailerIds {
                        db_log_id: *db,
                        log_signature: signature,
                        original_path: path.to_string_lossy().replace('\\', "/"),
                    };
                    if cb % page != 0 || cb == 0 || (first && cb < 3 * page) {
                        return Err(JetErr::InvalidParameter);
                    }
                    let offset = open.offset;
                    let read = match ahead.as_mut().and_then(|a| a.take(offset, buffer)) {
                        Some(read) => read,
                        None => read_database_chunk(
                            storage.as_ref(),
                            path,
                            snapshot,
                            &ids,
                            page,
                            offset,
                            buffer,
                        ),
                    };
                    match read {
                        Ok(n) => {
                            open.offset += n as u64;
                            if n > 0 && open.offset < open.size_bytes {
                                if ahead.is_none() && storage.reads_ahead() {
                                    *ahead = ReadAhead::start(
                                        Arc::clone(&storage),
                                        path.clone(),
                                        Arc::clone(snapshot),
                                        ids,
                                        page,
                                        open.size_bytes,
                                    );
                                }
                                if let Some(a) = ahead.as_mut() {
                                    a.request(open.offset, cb);
                                }
                            }
                            Ok(n)
                        }
                        Err(e) => {
                            // §2.4 ReadFile 5: the handle is closed and this database dropped
                            // from the backup, which goes on.
                            close_open_file(core);
                            Err(e)
                        }
                    }
                }
            }
        })
    }

    /// JetCloseFile: the legacy form.
    pub fn close_file(&self, file: BackupFileHandle) -> Result<(), JetErr> {
        self.close_file_instance(self.legacy_instance()?, file)
    }

    /// JetCloseFileInstance (§2.4): works after JetStopBackup; a file read to the end counts
    /// as copied.
    pub fn close_file_instance(
        &self,
        instance: InstanceHandle,
        file: BackupFileHandle,
    ) -> Result<(), JetErr> {
        let mutant = self.mutant;
        self.with_running_backup(instance, |_, core| {
            let b = running(core, false)?;
            if file.0 >= b.handles_ever || b.open.is_none() {
                return Err(JetErr::InvalidParameter);
            }
            let b = session(core);
            let open = b.open.as_ref().expect("checked");
            if open.read_to_end() {
                match &open.target {
                    BackupTarget::Database { db, .. } => {
                        b.dbs_copied.insert(*db);
                    }
                    BackupTarget::Log { generation, .. } => {
                        if b.ranges
                            .is_some_and(|r| (r.copy_mic..r.copy_mac).contains(generation))
                            && !mutant.is(Mutant::CloseFileForgetsCopiedLog)
                        {
                            b.logs_copied.insert(*generation);
                        }
                    }
                    BackupTarget::Other { .. } => {}
                }
            }
            close_open_file(core);
            Ok(())
        })
    }

    /// JetStopBackup: the legacy form.
    pub fn stop_backup(&self) -> Result<(), JetErr> {
        self.stop_backup_instance(self.legacy_instance()?)
    }

    /// JetStopBackupInstance (§1.3, §3.1): no entry check; marks a running backup as stopped
    /// by the server, which it does not end. With no backup it changes nothing visible (ESE's
    /// flag is cleared by the next Begin).
    pub fn stop_backup_instance(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        let inst = lock(&self.process).find_checked(instance, self.profile)?;
        if let Some(b) = lock(&inst.core).as_mut().and_then(|c| c.backup.as_mut()) {
            b.stop = !self.mutant.is(Mutant::StopBackupIgnored);
        }
        Ok(())
    }
}

/// Logging stopped for good: a failed log write or `StopAndEmitLog` (not a full log disk).
pub(crate) fn log_stopped(core: &Core) -> bool {
    core.log_stopped_deliberately || core.failed.is_some_and(|e| e != JetErr::LogDiskFull)
}

/// §2.4's common prefix: a local backup runs (`JET_errNoBackup`), and, when `check_stop`, it
/// was not stopped (`JET_errBackupAbortByServer`). Neither ends the backup.
pub(crate) fn running(core: &Core, check_stop: bool) -> Result<&BackupSession, JetErr> {
    let b = core
        .backup
        .as_ref()
        .filter(|b| b.is_local())
        .ok_or(JetErr::NoBackup)?;
    if check_stop && b.stop && !core.params.mutant.is(Mutant::StopFlagUnchecked) {
        return Err(JetErr::BackupAbortByServer);
    }
    Ok(b)
}

/// The running backup (callers checked [`running`]).
pub(crate) fn session(core: &mut Core) -> &mut BackupSession {
    core.backup
        .as_mut()
        .expect("callers check that a backup runs")
}

/// Closes the open file, if any, releasing a pinned database.
pub(crate) fn close_open_file(core: &mut Core) {
    let open = core.backup.as_mut().and_then(|b| b.open.take());
    if let Some(OpenBackupFile {
        target: BackupTarget::Database { db, .. },
        ..
    }) = open
    {
        if let Some(d) = core.dbs.get_mut(&db) {
            d.file.unpin();
        }
    }
}

/// Ends the backup (§2.2 "ABORTS", and every end): the open file is closed, the state goes.
pub(crate) fn abort(core: &mut Core) {
    close_open_file(core);
    if let Some(b) = core.backup.as_mut() {
        if b.phase != BackupPhase::NotStarted {
            b.move_to(BackupPhase::NotStarted);
        }
    }
    core.backup = None;
}

/// §2.4 OpenFile 7 in the log phase: one of the instance's own archived logs, any generation
/// below the one being written. `Ok(None)`: not one of those. A malformed name in the log directory
/// is `JET_errInvalidParameter` and a missing log `JET_errMissingFileToBackup`; both ABORT.
fn open_log(core: &mut Core, path: &Path) -> Result<Option<(BackupTarget, u64)>, JetErr> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let base = core.params.base_name.clone();
    let in_log_dir = path.parent() == Some(core.log_dir.as_path());
    let is_log = name.to_ascii_lowercase().ends_with(".log");
    let ours = name
        .to_ascii_lowercase()
        .starts_with(&base.to_ascii_lowercase());
    if !(in_log_dir && is_log && ours) {
        return Ok(None);
    }
    let Some(generation) = archived_generation(name, &base) else {
        abort(core);
        return Err(JetErr::InvalidParameter); // ABORTS
    };
    // Any archived (closed) generation of this instance opens, in the copy range or not, as
    // in ESE (backup.cxx ErrBKOpenFile opens whatever log file exists); a generation at or
    // past the one being written has no archived file of this stream.
    if generation >= core.log_end().generation {
        return Ok(None);
    }
    match core.storage.len(path) {
        Ok(size) => Ok(Some((
            BackupTarget::Log {
                generation,
                path: path.to_path_buf(),
                verified: None,
            },
            size,
        ))),
        Err(_) => {
            abort(core);
            Err(JetErr::MissingFileToBackup) // ABORTS
        }
    }
}
