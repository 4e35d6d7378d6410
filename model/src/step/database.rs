//! The database calls of a session: JetCreateDatabase(2), JetAttachDatabase(2),
//! JetDetachDatabase(2), JetOpenDatabase, JetCloseDatabase. Their order of checks is the
//! implementation's (db.cxx, jetapi.cxx), cited by function; what a page adds is cited `doc:`.
//! The model keeps one session per instance; what a second session, another instance or
//! another process does to these calls is a probe condition (`step/probe.rs`).

use jetapi::JetErr;

use super::probe::{heap_alloc_fails, spent};
use super::{Spec, Transition, moved, unchanged};
use crate::action::{DbPathArg, OpenDbArg};
use crate::state::{DbFile, FileTarget, Health, Probe, REOPEN_MAX, Session, State};

impl Spec {
    pub(super) fn create_database(
        &self,
        s: &State,
        slot: u8,
        db: u8,
        path: DbPathArg,
    ) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, true) {
            return (None, outcome);
        }
        let inst = &s.instances[usize::from(slot)];
        let file = inst.storage.dbs[usize::from(db)].file;
        let checks: [(bool, JetErr, &'static str); 4] = [
            (
                inst.session == Session::InTransaction,
                JetErr::InTransaction,
                "ErrDBCreateDatabase: session in a transaction",
            ),
            (
                path == DbPathArg::Null,
                JetErr::DatabaseInvalidPath,
                "ErrDBCreateDatabase: NULL or empty name",
            ),
            (
                path == DbPathArg::TooLong,
                JetErr::DatabaseInvalidPath,
                "ErrDBCreateDatabase: path completion fails (InvalidPath mapped)",
            ),
            (
                // ErrNewAndWriteLatch's wrnDatabaseAttached, which create turns into
                // DatabaseDuplicate.
                file == DbFile::Attached,
                JetErr::DatabaseDuplicate,
                "ErrDBCreateDatabase: attached already",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        if let Err(outcome) = self.fmp_probe(s, slot, db) {
            return (None, outcome);
        }
        if slot == 0 && heap_alloc_fails(s) {
            return spent(
                s.clone(),
                JetErr::OutOfMemory,
                "FMP::ErrStoreDbName: the copy of the name is not allocated",
            );
        }
        if file == DbFile::Detached {
            return unchanged(
                JetErr::DatabaseDuplicate,
                "ErrDBCreateDatabase: the file exists",
            );
        }
        if inst.health == Health::LogStopped {
            return unchanged(
                JetErr::LogWriteFail,
                "§7 logged operation after a log write failure",
            );
        }
        let mut next = s.clone();
        let inst = &mut next.instances[usize::from(slot)];
        inst.storage.dbs[usize::from(db)].file = DbFile::Attached;
        inst.open_dbs |= 1 << db;
        moved(
            next,
            JetErr::Success,
            "ErrDBCreateDatabase: creates, attaches and leaves it open in the session",
        )
    }

    pub(super) fn attach_database(
        &self,
        s: &State,
        slot: u8,
        db: u8,
        path: DbPathArg,
    ) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, true) {
            return (None, outcome);
        }
        let inst = &s.instances[usize::from(slot)];
        let file = inst.storage.dbs[usize::from(db)].file;
        // Another instance that attached the file may have created it. Probe conditions
        // concern the worker's files (slot 0) only.
        let worker = slot == 0;
        let exists =
            file != DbFile::Absent || (worker && s.probe == Some(Probe::AttachedElsewhere(db)));
        let checks: [(bool, JetErr, &'static str); 7] = [
            (
                inst.session == Session::InTransaction,
                JetErr::InTransaction,
                "ErrIsamAttachDatabase: session in a transaction",
            ),
            (
                path == DbPathArg::Null,
                JetErr::DatabaseInvalidPath,
                "ErrIsamAttachDatabase: NULL or empty name",
            ),
            (
                path == DbPathArg::TooLong,
                JetErr::DatabaseInvalidPath,
                "ErrIsamAttachDatabase: path completion fails (InvalidPath mapped)",
            ),
            (
                !exists,
                JetErr::FileNotFound,
                "ErrIsamAttachDatabase: path completion, the file must exist",
            ),
            (
                worker && s.probe == Some(Probe::ReadOnly(db)),
                JetErr::DatabaseFileReadOnly,
                "ErrIsamAttachDatabase: the file has the read-only attribute (ErrUtilPathReadOnly)",
            ),
            (
                inst.backup.is_some(),
                JetErr::BackupInProgress,
                "ErrIsamAttachDatabase: backup in progress",
            ),
            (
                file == DbFile::Attached,
                JetErr::WrnDatabaseAttached,
                "ErrNewAndWriteLatch: attached already",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        if let Err(outcome) = self.fmp_probe(s, slot, db) {
            return (None, outcome);
        }
        if slot == 0 && s.probe == Some(Probe::Held(FileTarget::Db(db))) {
            return unchanged(
                JetErr::FileAccessDenied,
                "ErrDBReadHeaderCheckConsistency: the exclusive open is denied (another process holds the file)",
            );
        }
        if inst.health == Health::LogStopped {
            return unchanged(
                JetErr::LogWriteFail,
                "§7 logged operation after a log write failure",
            );
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].storage.dbs[usize::from(db)].file = DbFile::Attached;
        moved(
            next,
            JetErr::Success,
            "ErrIsamAttachDatabase: attaches (the session does not open it)",
        )
    }

    pub(super) fn detach_database(&self, s: &State, slot: u8, db: u8, force: bool) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, false) {
            return (None, outcome);
        }
        let inst = &s.instances[usize::from(slot)];
        let checks: [(bool, JetErr, &'static str); 5] = [
            (
                force,
                JetErr::ForceDetachNotAllowed,
                "JetDetachDatabaseEx: JET_bitForceDetach",
            ),
            (
                inst.session == Session::InTransaction,
                JetErr::InTransaction,
                "ErrIsamDetachDatabase: session in a transaction",
            ),
            (
                inst.backup.is_some(),
                JetErr::BackupInProgress,
                "ErrIsamDetachDatabase: backup in progress",
            ),
            (
                inst.storage.dbs[usize::from(db)].file != DbFile::Attached,
                JetErr::DatabaseNotFound,
                "ErrIsamDetachDatabase: not attached in this instance",
            ),
            (
                inst.open_dbs & (1 << db) != 0,
                JetErr::DatabaseInUse,
                "ErrIsamDetachDatabase: a session still has it open",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        if inst.health == Health::LogStopped {
            // db.cxx ErrIsamDetachDatabase logs the detach (logapi.cxx ErrLGDetachDB), and
            // logwrite.cxx ErrLGLogRec refuses every record once log writes have stopped.
            return unchanged(
                JetErr::LogWriteFail,
                "ErrIsamDetachDatabase: ErrLGDetachDB after a log write failure (ErrLGLogRec)",
            );
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].storage.dbs[usize::from(db)].file = DbFile::Detached;
        moved(next, JetErr::Success, "ErrIsamDetachDatabase: detaches")
    }

    pub(super) fn open_database(&self, s: &State, slot: u8, db: u8, arg: OpenDbArg) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, true) {
            return (None, outcome);
        }
        let inst = &s.instances[usize::from(slot)];
        let open = inst.open_dbs & (1 << db) != 0;
        let checks: [(bool, JetErr, &'static str); 2] = [
            (
                arg == OpenDbArg::NullName,
                JetErr::DatabaseInvalidPath,
                "ErrDBOpenDatabase: NULL or empty name",
            ),
            (
                arg != OpenDbArg::TempDb
                    && inst.storage.dbs[usize::from(db)].file != DbFile::Attached,
                JetErr::DatabaseNotFound,
                "ErrDBOpenDatabase: not attached in this instance",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        if arg != OpenDbArg::TempDb {
            if let Err(outcome) = self.open_database_probe(s, slot, db) {
                return (None, outcome);
            }
        }
        let checks: [(bool, JetErr, &'static str); 2] = [
            (
                arg == OpenDbArg::Exclusive && open,
                JetErr::DatabaseInUse,
                "ErrDBOpenDatabase: exclusive while it is open (the caller's own open counts)",
            ),
            (
                arg == OpenDbArg::TempDb,
                JetErr::InvalidDatabase,
                "ErrIsamOpenDatabase: the temporary database is not a user database",
            ),
        ];
        if let Some(&(_, code, rule)) = checks.iter().find(|(failed, _, _)| *failed) {
            return unchanged(code, rule);
        }
        if open {
            // ESE counts every open, and each needs its close. The generator never opens an
            // open database again, so this comes only from traces and shrunk walks.
            let reopened = inst.reopened[usize::from(db)];
            if reopened == REOPEN_MAX {
                return unchanged(
                    JetErr::Success,
                    "ErrDBOpenDatabase: opened again (beyond what the model counts)",
                );
            }
            let mut next = s.clone();
            next.instances[usize::from(slot)].reopened[usize::from(db)] = reopened + 1;
            return moved(next, JetErr::Success, "ErrDBOpenDatabase: opened again");
        }
        let mut next = s.clone();
        next.instances[usize::from(slot)].open_dbs |= 1 << db;
        moved(
            next,
            JetErr::Success,
            "ErrIsamOpenDatabase: opened (the literal JET_errSuccess; never wrnFileOpenReadOnly)",
        )
    }

    pub(super) fn close_database(&self, s: &State, slot: u8, db: Option<u8>) -> Transition {
        if let Err(outcome) = self.session_enter(s, slot, false) {
            return (None, outcome);
        }
        let open = s.instances[usize::from(slot)].open_dbs;
        match db {
            Some(d) if open & (1 << d) != 0 => {
                let mut next = s.clone();
                let inst = &mut next.instances[usize::from(slot)];
                if inst.reopened[usize::from(d)] > 0 {
                    inst.reopened[usize::from(d)] -= 1;
                    return moved(
                        next,
                        JetErr::Success,
                        "ErrDBCloseDatabase: closed once; opened more often, it stays open",
                    );
                }
                inst.open_dbs &= !(1 << d);
                moved(next, JetErr::Success, "ErrDBCloseDatabase: closed")
            }
            _ => unchanged(
                JetErr::InvalidDatabaseId,
                "APICALL_SESID::FEnter: a database id the session has not open",
            ),
        }
    }
}
