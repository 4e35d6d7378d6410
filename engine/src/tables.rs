//! Transactions and tables: JetBeginTransaction, JetCommitTransaction, JetRollback,
//! JetCreateTable, JetOpenTable, JetCloseTable, and insert / update / delete / seek / scan of
//! records by primary key with byte values.
//!
//! A session sees the committed records (read from the database's pages through its cache,
//! or its changes not yet flushed) overlaid with its own transaction's changes; a write
//! takes a per-key lock held to the end of the outermost transaction (another transaction
//! writing the same key gets `JET_errWriteConflict`). A table call outside a transaction runs
//! in one of its own, committed durably, as ESE does. Commit and rollback steps are in
//! `docs/durability.md`.

use jetapi::JetErr;

use crate::core::{Core, Txn};
use crate::dbfile::record_bytes_max;
use crate::engine::Engine;
use crate::handles::{DatabaseId, SessionHandle, TableId};
use crate::log::{LogRecord, TxnOp};
use crate::paths::NAME_MOST;

/// Nesting levels a transaction may reach (ESE allows seven).
pub const TRANSACTION_LEVELS_MAX: usize = 7;
/// The longest primary key.
pub const KEY_BYTES_MAX: usize = 255;
/// `JET_bitCommitLazyFlush`.
pub const COMMIT_LAZY_FLUSH: u32 = 0x1;
/// `JET_bitWaitAllLevel0Commit`.
pub const WAIT_ALL_LEVEL0_COMMIT: u32 = 0x8;
/// `JET_bitRollbackAll`.
pub const ROLLBACK_ALL: u32 = 0x1;

/// A record: primary key and value.
pub type Record = (Vec<u8>, Vec<u8>);

fn table_lock(table: &str) -> String {
    format!("\u{0}{table}")
}

impl Engine {
    /// JetBeginTransaction.
    pub fn begin_transaction(&self, session: SessionHandle) -> Result<(), JetErr> {
        self.with_session(session, false, |core, sid| {
            let begin = core.log_end();
            let next = core.next_txn;
            let s = core.sessions.get_mut(&sid).expect("checked");
            match &mut s.txn {
                Some(t) if t.savepoints.len() + 1 >= TRANSACTION_LEVELS_MAX => {
                    Err(JetErr::TransTooDeep)
                }
                Some(t) => {
                    t.savepoints.push(t.ops.len());
                    Ok(())
                }
                None => {
                    s.txn = Some(Txn {
                        id: next,
                        ops: Vec::new(),
                        savepoints: Vec::new(),
                        begin,
                    });
                    core.next_txn += 1;
                    Ok(())
                }
            }
        })
    }

    /// JetCommitTransaction: the outermost commit is durable when it returns, unless
    /// `JET_bitCommitLazyFlush`; `JET_bitWaitAllLevel0Commit` makes earlier lazy commits durable.
    pub fn commit_transaction(&self, session: SessionHandle, grbit: u32) -> Result<(), JetErr> {
        self.with_session(session, false, |core, sid| commit(core, sid, grbit))
    }

    /// JetRollback: one level, or all with `JET_bitRollbackAll`.
    pub fn rollback(&self, session: SessionHandle, grbit: u32) -> Result<(), JetErr> {
        self.with_session(session, true, |core, sid| {
            let s = core.sessions.get_mut(&sid).expect("checked");
            let t = s.txn.as_mut().ok_or(JetErr::NotInTransaction)?;
            if grbit & ROLLBACK_ALL == 0 {
                if let Some(save) = t.savepoints.pop() {
                    t.ops.truncate(save);
                    return Ok(());
                }
            }
            rollback_all(core, sid);
            Ok(())
        })
    }

    /// JetCreateTable: creates a table and opens it.
    pub fn create_table(
        &self,
        session: SessionHandle,
        dbid: DatabaseId,
        name: Option<&str>,
    ) -> Result<TableId, JetErr> {
        let tid = TableId(self.new_handle());
        self.with_session(session, false, |core, sid| {
            let db = *core.sessions[&sid]
                .dbids
                .get(&dbid.0)
                .ok_or(JetErr::InvalidDatabaseId)?;
            let name = name
                .filter(|n| !n.is_empty() && n.len() <= NAME_MOST && !n.contains('\0'))
                .ok_or(JetErr::InvalidName)?;
            in_transaction(core, sid, |core, sid| {
                if table_exists(core, sid, db, name) {
                    return Err(JetErr::TableDuplicate);
                }
                lock_key(core, sid, db, &table_lock(name), b"")?;
                log_op(
                    core,
                    sid,
                    TxnOp::CreateTable {
                        db,
                        table: name.to_string(),
                    },
                )
            })?;
            core.sessions
                .get_mut(&sid)
                .expect("checked")
                .tables
                .insert(tid.0, (db, name.to_string()));
            Ok(())
        })?;
        Ok(tid)
    }

    /// JetOpenTable.
    pub fn open_table(
        &self,
        session: SessionHandle,
        dbid: DatabaseId,
        name: Option<&str>,
        _grbit: u32,
    ) -> Result<TableId, JetErr> {
        let tid = TableId(self.new_handle());
        self.with_session(session, false, |core, sid| {
            let db = *core.sessions[&sid]
                .dbids
                .get(&dbid.0)
                .ok_or(JetErr::InvalidDatabaseId)?;
            let name = name
                .filter(|n| !n.is_empty() && n.len() <= NAME_MOST)
                .ok_or(JetErr::InvalidName)?;
            if !table_exists(core, sid, db, name) {
                return Err(JetErr::ObjectNotFound);
            }
            core.sessions
                .get_mut(&sid)
                .expect("checked")
                .tables
                .insert(tid.0, (db, name.to_string()));
            Ok(())
        })?;
        Ok(tid)
    }

    /// JetCloseTable.
    pub fn close_table(&self, session: SessionHandle, table: TableId) -> Result<(), JetErr> {
        self.with_session(session, true, |core, sid| {
            let s = core.sessions.get_mut(&sid).expect("checked");
            s.tables
                .remove(&table.0)
                .map(|_| ())
                .ok_or(JetErr::InvalidTableId)
        })
    }

    /// Inserts a record; `JET_errKeyDuplicate` when the key exists.
    pub fn insert(
        &self,
        session: SessionHandle,
        table: TableId,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), JetErr> {
        self.write_record(session, table, key, Some(value), false)
    }

    /// Replaces a record's value; `JET_errRecordNotFound` when the key does not exist.
    pub fn update(
        &self,
        session: SessionHandle,
        table: TableId,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), JetErr> {
        self.write_record(session, table, key, Some(value), true)
    }

    /// Deletes a record; `JET_errRecordNotFound` when the key does not exist.
    pub fn delete(&self, session: SessionHandle, table: TableId, key: &[u8]) -> Result<(), JetErr> {
        self.write_record(session, table, key, None, true)
    }

    fn write_record(
        &self,
        session: SessionHandle,
        table: TableId,
        key: &[u8],
        value: Option<&[u8]>,
        must_exist: bool,
    ) -> Result<(), JetErr> {
        self.with_session(session, false, |core, sid| {
            let (db, name) = core.sessions[&sid]
                .tables
                .get(&table.0)
                .cloned()
                .ok_or(JetErr::InvalidTableId)?;
            if !table_exists(core, sid, db, &name) {
                // Its creation was rolled back.
                return Err(JetErr::InvalidTableId);
            }
            if key.len() > KEY_BYTES_MAX {
                return Err(JetErr::InvalidParameter);
            }
            if key.len() + value.map_or(0, <[u8]>::len) > record_bytes_max(core.page_size) {
                return Err(JetErr::RecordTooBig);
            }
            in_transaction(core, sid, |core, sid| {
                let exists = read(core, sid, db, &name, key)?.is_some();
                if must_exist && !exists {
                    return Err(JetErr::RecordNotFound);
                }
                if !must_exist && exists {
                    return Err(JetErr::KeyDuplicate);
                }
                lock_key(core, sid, db, &name, key)?;
                let op = match value {
                    Some(v) => TxnOp::Put {
                        db,
                        table: name.clone(),
                        key: key.to_vec(),
                        value: v.to_vec(),
                    },
                    None => TxnOp::Delete {
                        db,
                        table: name.clone(),
                        key: key.to_vec(),
                    },
                };
                log_op(core, sid, op)
            })
        })
    }

    /// Seeks `key` and retrieves its value; `JET_errRecordNotFound` when there is none.
    pub fn seek(
        &self,
        session: SessionHandle,
        table: TableId,
        key: &[u8],
    ) -> Result<Vec<u8>, JetErr> {
        self.with_session(session, false, |core, sid| {
            let (db, name) = core.sessions[&sid]
                .tables
                .get(&table.0)
                .cloned()
                .ok_or(JetErr::InvalidTableId)?;
            if !table_exists(core, sid, db, &name) {
                // Its creation was rolled back.
                return Err(JetErr::InvalidTableId);
            }
            read(core, sid, db, &name, key)?.ok_or(JetErr::RecordNotFound)
        })
    }

    /// Every record of the table in key order, as the session sees it.
    pub fn records(&self, session: SessionHandle, table: TableId) -> Result<Vec<Record>, JetErr> {
        self.with_session(session, false, |core, sid| {
            let (db, name) = core.sessions[&sid]
                .tables
                .get(&table.0)
                .cloned()
                .ok_or(JetErr::InvalidTableId)?;
            if !table_exists(core, sid, db, &name) {
                // Its creation was rolled back.
                return Err(JetErr::InvalidTableId);
            }
            let mut view: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = core.dbs[&db]
                .file
                .scan(core.storage.as_ref(), &name)?
                .into_iter()
                .collect();
            if let Some(t) = &core.sessions[&sid].txn {
                for op in &t.ops {
                    match op {
                        TxnOp::Put {
                            db: d,
                            table,
                            key,
                            value,
                        } if *d == db && *table == name => {
                            view.insert(key.clone(), value.clone());
                        }
                        TxnOp::Delete { db: d, table, key } if *d == db && *table == name => {
                            view.remove(key);
                        }
                        TxnOp::CreateTable { .. } | TxnOp::Put { .. } | TxnOp::Delete { .. } => {}
                    }
                }
            }
            Ok(view.into_iter().collect())
        })
    }
}

/// The value of `key` as the session sees it: its transaction's changes, else the committed
/// value (read from the database's pages when not among its unflushed changes).
fn read(
    core: &Core,
    sid: u64,
    db: u32,
    table: &str,
    key: &[u8],
) -> Result<Option<Vec<u8>>, JetErr> {
    if let Some(t) = &core.sessions[&sid].txn {
        for op in t.ops.iter().rev() {
            match op {
                TxnOp::Put {
                    db: d,
                    table: n,
                    key: k,
                    value,
                } if *d == db && n == table && k == key => {
                    return Ok(Some(value.clone()));
                }
                TxnOp::Delete {
                    db: d,
                    table: n,
                    key: k,
                } if *d == db && n == table && k == key => return Ok(None),
                TxnOp::CreateTable { .. } | TxnOp::Put { .. } | TxnOp::Delete { .. } => {}
            }
        }
    }
    match core.dbs.get(&db) {
        Some(d) => d.file.get(core.storage.as_ref(), table, key),
        None => Ok(None),
    }
}

fn table_exists(core: &Core, sid: u64, db: u32, table: &str) -> bool {
    let created = core.sessions[&sid].txn.as_ref().is_some_and(|t| {
        t.ops.iter().any(
            |op| matches!(op, TxnOp::CreateTable { db: d, table: n } if *d == db && n == table),
        )
    });
    created || core.dbs.get(&db).is_some_and(|d| d.file.has_table(table))
}

fn lock_key(core: &mut Core, sid: u64, db: u32, table: &str, key: &[u8]) -> Result<(), JetErr> {
    let txn = core.sessions[&sid]
        .txn
        .as_ref()
        .expect("called inside a transaction")
        .id;
    let holder = core
        .locks
        .entry((db, table.to_string(), key.to_vec()))
        .or_insert(txn);
    if *holder == txn {
        Ok(())
    } else {
        Err(JetErr::WriteConflict)
    }
}

fn log_op(core: &mut Core, sid: u64, op: TxnOp) -> Result<(), JetErr> {
    let txn = core.sessions[&sid]
        .txn
        .as_ref()
        .expect("called inside a transaction")
        .id;
    core.log_append(&LogRecord::Op {
        txn,
        op: op.clone(),
    })?;
    core.sessions
        .get_mut(&sid)
        .expect("checked")
        .txn
        .as_mut()
        .expect("checked")
        .ops
        .push(op);
    Ok(())
}

fn release_locks(core: &mut Core, txn: u64) {
    core.locks.retain(|_, holder| *holder != txn);
}

/// Runs `f` in the session's transaction, or in one of its own committed durably.
fn in_transaction(
    core: &mut Core,
    sid: u64,
    f: impl FnOnce(&mut Core, u64) -> Result<(), JetErr>,
) -> Result<(), JetErr> {
    if core.sessions[&sid].txn.is_some() {
        return f(core, sid);
    }
    let begin = core.log_end();
    let id = core.next_txn;
    core.next_txn += 1;
    core.sessions.get_mut(&sid).expect("checked").txn = Some(Txn {
        id,
        ops: Vec::new(),
        savepoints: Vec::new(),
        begin,
    });
    match f(core, sid) {
        Ok(()) => {
            let r = commit(core, sid, 0);
            if r.is_err() {
                rollback_all(core, sid);
            }
            r
        }
        Err(e) => {
            rollback_all(core, sid);
            Err(e)
        }
    }
}

fn commit(core: &mut Core, sid: u64, grbit: u32) -> Result<(), JetErr> {
    let s = core.sessions.get_mut(&sid).expect("checked");
    let t = s.txn.as_mut().ok_or(JetErr::NotInTransaction)?;
    if t.savepoints.pop().is_some() {
        return Ok(());
    }
    let (id, empty) = (t.id, t.ops.is_empty());
    if empty {
        if grbit & WAIT_ALL_LEVEL0_COMMIT != 0 {
            core.log_flush()?;
        }
    } else {
        core.log_append(&LogRecord::Commit { txn: id })?;
        if grbit & COMMIT_LAZY_FLUSH == 0 {
            core.log_flush()?;
        }
    }
    let t = core
        .sessions
        .get_mut(&sid)
        .expect("checked")
        .txn
        .take()
        .expect("checked");
    core.apply_committed(&t.ops);
    release_locks(core, id);
    if !empty {
        core.stats.commits += 1;
        // The commit is durable; a failed checkpoint fails the instance, not this commit.
        let _ = core.maybe_checkpoint();
    }
    Ok(())
}

pub(crate) fn rollback_all(core: &mut Core, sid: u64) {
    let t = core
        .sessions
        .get_mut(&sid)
        .expect("checked")
        .txn
        .take()
        .expect("checked by callers");
    release_locks(core, t.id);
    if !t.ops.is_empty()
        && core.log_append(&LogRecord::Rollback { txn: t.id }).is_err()
        && !core.log_stopped_deliberately
    {
        // The rollback cannot be logged: ese-behaviour.md §7.
        core.rollback_failed();
    }
}
