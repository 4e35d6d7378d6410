//! The harness actions InsertRecords and VerifyRecords, part of [`super::dispatch`]: they
//! reach the table through the engine's data API (JetOpenTable or JetCreateTable, one
//! transaction of inserts, a scan), so a trace can put rows in and check what recovery left.

use engine::{DatabaseId, Engine, JetErr, SessionHandle, TableId};
use jetapi::args::Record;

use super::{Dispatched, code, done};

fn open_or_create(
    engine: &Engine,
    s: SessionHandle,
    db: DatabaseId,
    table: &str,
) -> Result<TableId, JetErr> {
    match engine.open_table(s, db, Some(table), 0) {
        Err(JetErr::ObjectNotFound) => engine.create_table(s, db, Some(table)),
        other => other,
    }
}

/// InsertRecords: the rows given, or `count` rows of the runner's (`r00000001`, ...),
/// inserted and committed in one transaction; the table is created when missing.
pub(super) fn insert_records(
    engine: &Engine,
    s: SessionHandle,
    db: DatabaseId,
    table: &str,
    count: Option<i64>,
    rows: Option<Vec<Record>>,
) -> JetErr {
    let run = || -> Result<(), JetErr> {
        let t = open_or_create(engine, s, db, table)?;
        let rows = match rows {
            Some(rows) => rows
                .into_iter()
                .map(|r| (r.key.into_bytes(), r.value.into_bytes()))
                .collect(),
            None => {
                let have = engine.records(s, t)?.len();
                (have + 1..=have + count.unwrap_or(0).max(0) as usize)
                    .map(|i| {
                        (
                            format!("r{i:08}").into_bytes(),
                            format!("v{i:08}").into_bytes(),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        engine.begin_transaction(s)?;
        for (k, v) in &rows {
            if let Err(e) = engine.insert(s, t, k, v) {
                let _ = engine.rollback(s, 0);
                return Err(e);
            }
        }
        engine.commit_transaction(s, 0)?;
        engine.close_table(s, t)
    };
    code(run())
}

/// VerifyRecords: the table must hold exactly `rows`, or exactly `count` rows.
pub(super) fn verify_records(
    engine: &Engine,
    s: SessionHandle,
    db: DatabaseId,
    table: &str,
    count: Option<i64>,
    rows: Option<Vec<Record>>,
) -> Dispatched {
    let t = match engine.open_table(s, db, Some(table), 0) {
        Ok(t) => t,
        Err(e) => return done(e),
    };
    let have = match engine.records(s, t) {
        Ok(h) => h,
        Err(e) => return done(e),
    };
    let _ = engine.close_table(s, t);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let have: Vec<(String, String)> = have.iter().map(|(k, v)| (text(k), text(v))).collect();
    let mismatch = match (rows, count) {
        (Some(rows), _) => {
            let want: Vec<(String, String)> = rows.into_iter().map(|r| (r.key, r.value)).collect();
            (want != have).then(|| format!("table {table} holds {have:?}, expected {want:?}"))
        }
        (None, Some(n)) => (have.len() as i64 != n)
            .then(|| format!("table {table} holds {} rows, expected {n}", have.len())),
        (None, None) => None,
    };
    Dispatched {
        mismatch,
        ..done(JetErr::Success)
    }
}
