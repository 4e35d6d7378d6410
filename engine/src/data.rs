//! Sessions and databases: JetBeginSession, JetEndSession, JetCreateDatabase,
//! JetAttachDatabase, JetDetachDatabase, JetOpenDatabase, JetCloseDatabase, with ESE's codes.
//! Transactions and tables are in `tables.rs`.
//! A database name that is missing, empty, absolute, climbs out with `..` or is too long is
//! `JET_errDatabaseInvalidPath`, the code these calls document.
//!
//! Every session call runs the session entry check of ESE's `APICALL_SESID::FEnter`: an
//! unknown session is `JET_errInvalidSesid`; then stop-service (skipped by JetRollback,
//! JetEndSession and JetCloseTable), unavailable, term in progress.

use std::sync::Arc;

use jetapi::JetErr;

use crate::allocation::Allocation;
use crate::core::Core;
use crate::dbfile::{DbFile, DbState};
use crate::engine::{Engine, Instance, api_enter, lock};
use crate::handles::{DatabaseId, InstanceHandle, SessionHandle};
use crate::paths::{checked_file, checked_path};
use crate::tables::rollback_all;

/// `JET_bitDbOverwriteExisting`.
pub const DB_OVERWRITE_EXISTING: u32 = 0x200;
/// `JET_bitDbReadOnly` (JetAttachDatabase).
pub const DB_READ_ONLY: u32 = 0x1;
/// `JET_bitDbExclusive`.
pub const DB_EXCLUSIVE: u32 = 0x2;
/// `JET_bitForceDetach`.
pub const FORCE_DETACH: u32 = 0x1;

/// Where ESE keeps the instance's temporary database (jetapi.cxx ErrInit): TempPath itself
/// when it names a file, `tmp.edb` in it when it names a folder, and a bare file name (the
/// default is `tmp.edb`) in the system path. The engine makes no temporary database; the
/// name is still ESE's, not a user database's. `None` when the path is not one the engine
/// accepts.
fn temp_database(core: &Core) -> Option<std::path::PathBuf> {
    let temp = core.params.temp_path.as_str();
    if temp.is_empty() {
        return Some(core.system_dir.join("tmp.edb"));
    }
    if temp.ends_with('/') {
        return checked_path(temp).ok().map(|dir| dir.join("tmp.edb"));
    }
    if !temp.contains('/') {
        return Some(core.system_dir.join(temp));
    }
    checked_path(temp).ok()
}

impl Engine {
    fn session_instance(
        &self,
        session: SessionHandle,
        ignore_stop: bool,
    ) -> Result<Arc<Instance>, JetErr> {
        let inst = {
            let p = lock(&self.process);
            let handle = p.sessions.get(&session).ok_or(JetErr::InvalidSesid)?;
            p.instances
                .get(handle)
                .cloned()
                .ok_or(JetErr::InvalidSesid)?
        };
        api_enter(&lock(&inst.api), ignore_stop)?;
        Ok(inst)
    }

    pub(crate) fn with_session<R>(
        &self,
        session: SessionHandle,
        ignore_stop: bool,
        f: impl FnOnce(&mut Core, u64) -> Result<R, JetErr>,
    ) -> Result<R, JetErr> {
        let inst = self.session_instance(session, ignore_stop)?;
        let mut slot = lock(&inst.core);
        let core = slot.as_mut().ok_or(JetErr::NotInitialized)?;
        if !core.sessions.contains_key(&session.0) {
            return Err(JetErr::InvalidSesid);
        }
        let result = f(core, session.0);
        self.publish_unavailable(&inst, core);
        result
    }

    /// Moves a core's `became_unavailable` to the instance's API state, where every entry
    /// check then refuses (ese-behaviour.md §7; the first cause is kept).
    pub(crate) fn publish_unavailable(&self, inst: &Instance, core: &mut Core) {
        if let Some(mut code) = core.became_unavailable.take() {
            // `fatal-log-disk-full-code`: the pages list only JET_errInstanceUnavailable.
            if self.documented() && code == JetErr::InstanceUnavailableDueToFatalLogDiskFull {
                code = JetErr::InstanceUnavailable;
            }
            lock(&inst.api).unavailable.get_or_insert(code);
        }
    }

    /// JetBeginSession.
    pub fn begin_session(
        &self,
        instance: InstanceHandle,
        _user: Option<&str>,
        _password: Option<&str>,
    ) -> Result<SessionHandle, JetErr> {
        let inst = lock(&self.process).find_checked(instance, self.profile)?;
        api_enter(&lock(&inst.api), false)?;
        let handle = SessionHandle(self.new_handle());
        {
            let mut slot = lock(&inst.core);
            let core = slot.as_mut().ok_or(JetErr::NotInitialized)?;
            if core.sessions.len() as i64 >= core.params.max_sessions {
                return Err(JetErr::OutOfSessions);
            }
            core.sessions.insert(handle.0, Default::default());
        }
        lock(&self.process).sessions.insert(handle, inst.handle);
        Ok(handle)
    }

    /// JetEndSession: refuses a session whose context is still set (`tm.cxx`
    /// ErrIsamEndSession), then rolls back an open transaction and closes what the session
    /// opened.
    pub fn end_session(&self, session: SessionHandle, _grbit: u32) -> Result<(), JetErr> {
        self.with_session(session, true, |core, sid| {
            if core.sessions[&sid].context.is_some() {
                return Err(JetErr::SessionInUse);
            }
            if core.sessions[&sid].txn.is_some() {
                rollback_all(core, sid);
            }
            core.sessions.remove(&sid);
            Ok(())
        })?;
        lock(&self.process).sessions.remove(&session);
        Ok(())
    }

    /// JetSetSessionContext: ties the session to `context` and the calling thread until
    /// JetResetSessionContext (`pib.cxx` ErrIsamSetSessionContext). 0 and all bits set are
    /// ESE's reserved values.
    pub fn set_session_context(&self, session: SessionHandle, context: u64) -> Result<(), JetErr> {
        self.with_session(session, false, |core, sid| {
            if context == 0 || context == u64::MAX {
                return Err(JetErr::InvalidParameter);
            }
            let slot = &mut core
                .sessions
                .get_mut(&sid)
                .expect("checked by with_session")
                .context;
            if slot.is_some() {
                return Err(JetErr::SessionContextAlreadySet);
            }
            *slot = Some(std::thread::current().id());
            Ok(())
        })
    }

    /// JetResetSessionContext: only the thread that set the context clears it
    /// (`pib.hxx` ErrPIBCheckCorrectSessionContext).
    pub fn reset_session_context(&self, session: SessionHandle) -> Result<(), JetErr> {
        self.with_session(session, true, |core, sid| {
            let slot = &mut core
                .sessions
                .get_mut(&sid)
                .expect("checked by with_session")
                .context;
            match slot {
                Some(thread) if *thread == std::thread::current().id() => {
                    *slot = None;
                    Ok(())
                }
                _ => Err(JetErr::SessionContextNotSetByThisThread),
            }
        })
    }

    /// JetCreateDatabase(2): creates, attaches and opens a database file. The order of checks
    /// is ESE's (`db.cxx` ErrDBCreateDatabase, `fmp.cxx` FMP::ErrNewAndWriteLatch): the
    /// transaction, the name, this instance's attachments, another instance's, the limit of
    /// attached databases, then the file itself.
    pub fn create_database(
        &self,
        session: SessionHandle,
        filename: Option<&str>,
        grbit: u32,
    ) -> Result<DatabaseId, JetErr> {
        let dbid = DatabaseId(self.new_handle());
        let storage = Arc::clone(&self.storage);
        self.with_session(session, false, |core, sid| {
            if core.sessions[&sid].txn.is_some() {
                return Err(JetErr::InTransaction);
            }
            let name = filename
                .filter(|f| !f.is_empty())
                .ok_or(JetErr::DatabaseInvalidPath)?;
            let path = checked_file(name).map_err(|_| JetErr::DatabaseInvalidPath)?;
            if core.dbs.values().any(|d| d.file.path == path) {
                return Err(JetErr::DatabaseDuplicate);
            }
            if !self.claim(&path, core.owner) {
                return Err(JetErr::DatabaseSharingViolation);
            }
            let signature = self.new_handle() ^ 0x5EED_0000_0000_0000;
            let created = (|| {
                if core.dbs.len() >= crate::core::ATTACHED_MAX {
                    return Err(JetErr::TooManyAttachedDatabases);
                }
                // FMP::ErrStoreDbName copies the name of the new database.
                self.allocations.allocate(Allocation::Memory)?;
                let exists = storage.exists(&path).map_err(|_| JetErr::DiskIO)?;
                if exists && grbit & DB_OVERWRITE_EXISTING == 0 {
                    return Err(JetErr::DatabaseDuplicate);
                }
                core.check_writable()?;
                // The new file's header page takes a buffer of the cache.
                self.allocations.allocate(Allocation::Buffers)?;
                let log_signature = core.log.as_ref().map_or(0, |l| l.signature());
                let file = DbFile::create(
                    storage.as_ref(),
                    &path,
                    core.page_size,
                    signature,
                    log_signature,
                )?;
                core.attach(name.to_string(), file)
            })();
            let id = created.inspect_err(|_| self.unclaim(&path))?;
            let session = core.sessions.get_mut(&sid).expect("checked");
            session.dbids.insert(dbid.0, id);
            Ok(())
        })?;
        Ok(dbid)
    }

    /// Claims `path` for `owner`; false when another instance has it attached.
    fn claim(&self, path: &std::path::Path, owner: InstanceHandle) -> bool {
        let mut attached = lock(&self.attached);
        match attached.get(path) {
            Some(o) => *o == owner,
            None => {
                attached.insert(path.to_path_buf(), owner);
                true
            }
        }
    }

    fn unclaim(&self, path: &std::path::Path) {
        lock(&self.attached).remove(path);
    }

    /// JetAttachDatabase(2). `Ok(JET_wrnDatabaseAttached)` when this instance already has it.
    /// The order of checks is ESE's (`db.cxx` ErrIsamAttachDatabase): the transaction, the
    /// name, the file's existence, a running backup, this instance's attachments, another
    /// instance's, the limit, then the file's header.
    pub fn attach_database(
        &self,
        session: SessionHandle,
        filename: Option<&str>,
        grbit: u32,
    ) -> Result<JetErr, JetErr> {
        let storage = Arc::clone(&self.storage);
        self.with_session(session, false, |core, sid| {
            if core.sessions[&sid].txn.is_some() {
                return Err(JetErr::InTransaction);
            }
            let name = filename
                .filter(|f| !f.is_empty())
                .ok_or(JetErr::DatabaseInvalidPath)?;
            let path = checked_file(name).map_err(|_| JetErr::DatabaseInvalidPath)?;
            if !storage.exists(&path).map_err(|_| JetErr::DiskIO)? {
                return Err(JetErr::FileNotFound);
            }
            // ErrUtilPathReadOnly: a read-only file attaches only with JET_bitDbReadOnly.
            let read_only = storage.read_only(&path).map_err(|_| JetErr::DiskIO)?;
            if read_only && grbit & DB_READ_ONLY == 0 {
                return Err(JetErr::DatabaseFileReadOnly);
            }
            if core.backup.is_some() {
                return Err(JetErr::BackupInProgress);
            }
            if core.dbs.values().any(|d| d.file.path == path) {
                return Ok(JetErr::WrnDatabaseAttached);
            }
            if !self.claim(&path, core.owner) {
                return Err(JetErr::DatabaseSharingViolation);
            }
            if core.dbs.len() >= crate::core::ATTACHED_MAX {
                self.unclaim(&path);
                return Err(JetErr::TooManyAttachedDatabases);
            }
            if let Err(e) = core.check_writable() {
                self.unclaim(&path);
                return Err(e);
            }
            let attached = (|| {
                // The header page takes a buffer of the cache.
                self.allocations.allocate(Allocation::Buffers)?;
                let file = DbFile::open(storage.as_ref(), &path, core.page_size)?;
                if file.header.backup_in_progress.gen_low != 0 {
                    // A streamed copy not yet restored (ese-behaviour.md §6.2).
                    return Err(JetErr::SoftRecoveryOnBackupDatabase);
                }
                if file.header.state == DbState::DirtyShutdown {
                    return Err(JetErr::DatabaseDirtyShutdown);
                }
                core.attach(name.to_string(), file)
            })();
            attached.inspect_err(|_| self.unclaim(&path))?;
            Ok(JetErr::Success)
        })
    }

    /// JetDetachDatabase(2): one database, or all when `filename` is `None` or empty.
    /// `JET_bitForceDetach` is refused once the session is entered, before anything else
    /// (jetapi.cxx JetDetachDatabaseEx: `JET_errForceDetachNotAllowed`).
    pub fn detach_database(
        &self,
        session: SessionHandle,
        filename: Option<&str>,
        grbit: u32,
    ) -> Result<(), JetErr> {
        self.with_session(session, true, |core, sid| {
            if grbit & FORCE_DETACH != 0 {
                return Err(JetErr::ForceDetachNotAllowed);
            }
            if core.sessions[&sid].txn.is_some() {
                return Err(JetErr::InTransaction);
            }
            if core.backup.is_some() {
                return Err(JetErr::BackupInProgress);
            }
            let ids: Vec<u32> = match filename.filter(|f| !f.is_empty()) {
                None => core.dbs.keys().copied().collect(),
                Some(name) => {
                    let path = checked_file(name).map_err(|_| JetErr::DatabaseInvalidPath)?;
                    let id = core
                        .dbs
                        .iter()
                        .find(|(_, d)| d.file.path == path)
                        .map(|(id, _)| *id);
                    vec![id.ok_or(JetErr::DatabaseNotFound)?]
                }
            };
            for id in &ids {
                let open = |s: &crate::core::Session| {
                    s.dbids.values().any(|d| d == id)
                        || s.txn
                            .as_ref()
                            .is_some_and(|t| t.ops.iter().any(|op| op.db() == *id))
                };
                if core.sessions.values().any(open) {
                    return Err(JetErr::DatabaseInUse);
                }
            }
            for id in ids {
                let path = core.dbs[&id].file.path.clone();
                core.detach(id)?;
                self.unclaim(&path);
            }
            Ok(())
        })
    }

    /// JetOpenDatabase: opens an attached database in the session, in the order of ESE's
    /// `db.cxx` ErrDBOpenDatabase and ErrIsamOpenDatabase: the name; the temporary database
    /// (it opens, then is refused: `JET_errInvalidDatabase`); an attached database
    /// (`JET_errDatabaseNotFound`); `JET_paramOneDatabasePerSession` with another database
    /// open in the session; another session's exclusive open (`JET_errDatabaseLocked`); an
    /// exclusive open while any session has it open, this one included (`FMP::CPin`,
    /// `JET_errDatabaseInUse`).
    pub fn open_database(
        &self,
        session: SessionHandle,
        filename: Option<&str>,
        grbit: u32,
    ) -> Result<DatabaseId, JetErr> {
        let fresh = DatabaseId(self.new_handle());
        self.with_session(session, false, |core, sid| {
            let name = filename
                .filter(|f| !f.is_empty())
                .ok_or(JetErr::DatabaseInvalidPath)?;
            let path = checked_file(name).map_err(|_| JetErr::DatabaseInvalidPath)?;
            if temp_database(core).is_some_and(|t| t == path) {
                return Err(JetErr::InvalidDatabase);
            }
            let id = core
                .dbs
                .iter()
                .find(|(_, d)| d.file.path == path)
                .map(|(id, _)| *id)
                .ok_or(JetErr::DatabaseNotFound)?;
            let mine = &core.sessions[&sid];
            if core.params.one_database_per_session && mine.dbids.values().any(|d| *d != id) {
                return Err(JetErr::OneDatabasePerSession);
            }
            let others = || core.sessions.iter().filter(|(s, _)| **s != sid);
            if others().any(|(_, s)| s.exclusive.contains(&id)) {
                return Err(JetErr::DatabaseLocked);
            }
            let exclusive = grbit & DB_EXCLUSIVE != 0;
            if exclusive
                && core
                    .sessions
                    .values()
                    .any(|s| s.dbids.values().any(|d| *d == id))
            {
                return Err(JetErr::DatabaseInUse);
            }
            let s = core.sessions.get_mut(&sid).expect("checked");
            let again = s.dbids.iter().find(|(_, d)| **d == id).map(|(h, _)| *h);
            let dbid = match again {
                Some(handle) => {
                    *s.reopened.entry(handle).or_default() += 1;
                    DatabaseId(handle)
                }
                None => {
                    s.dbids.insert(fresh.0, id);
                    fresh
                }
            };
            if exclusive {
                s.exclusive.insert(id);
            }
            Ok(dbid)
        })
    }

    /// JetCloseDatabase.
    pub fn close_database(
        &self,
        session: SessionHandle,
        dbid: DatabaseId,
        _grbit: u32,
    ) -> Result<(), JetErr> {
        self.with_session(session, true, |core, sid| {
            let s = core.sessions.get_mut(&sid).expect("checked");
            let db = *s.dbids.get(&dbid.0).ok_or(JetErr::InvalidDatabaseId)?;
            // ErrDBCloseDatabase: closing resets the session's exclusive open.
            s.exclusive.remove(&db);
            match s.reopened.get_mut(&dbid.0) {
                Some(more) if *more > 0 => {
                    *more -= 1;
                    return Ok(());
                }
                _ => {
                    s.reopened.remove(&dbid.0);
                    s.dbids.remove(&dbid.0);
                }
            }
            // The session's last open of the database is closed: its tables close with it.
            s.tables.retain(|_, (d, _)| *d != db);
            Ok(())
        })
    }
}
