//! The workload both sweeps run: one instance with small log generations and a shallow
//! checkpoint depth, one database, one table, and a sequence of transactions (inserts, some
//! updates and deletes, some multi-record), with a model of the table after each commit so a
//! recovered table can be matched against "the first k transactions".

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::storage::Storage;
use engine::{Engine, InstanceHandle, JetErr, SessionHandle};
use jetapi::args::ParamValue;

/// The table after each prefix of transactions: `states[k]` is after the first k.
pub type States = Vec<BTreeMap<Vec<u8>, Vec<u8>>>;

/// One transaction: (key, `Some(value)` to put, `None` to delete).
pub type Txn = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// How the workload is shaped.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Transactions.
    pub transactions: usize,
    /// `JET_paramCircularLog`.
    pub circular: bool,
}

/// What a run got through before its first error.
#[derive(Debug)]
pub struct Run {
    /// Transactions whose commit returned success.
    pub committed: usize,
    /// The first error, if any.
    pub error: Option<JetErr>,
    /// Checkpoints the instance wrote (fault-free runs).
    pub checkpoints: u64,
    /// Log generations it rolled (fault-free runs).
    pub rolls: u64,
}

fn key(i: usize) -> Vec<u8> {
    format!("k{i:05}").into_bytes()
}

fn value(i: usize, version: usize) -> Vec<u8> {
    let mut v = format!("v{i}-{version}-").into_bytes();
    v.resize(600 + (i * 37) % 800, b'a' + (i % 26) as u8);
    v
}

/// The transactions as lists of (key, Some(value) = put, None = delete), and the model.
pub fn plan(shape: Shape) -> (Vec<Txn>, States) {
    let mut txns = Vec::new();
    let mut states = vec![BTreeMap::new()];
    for i in 0..shape.transactions {
        let mut t = vec![(key(i), Some(value(i, 0)))];
        if i % 3 == 1 {
            t.push((key(i - 1), Some(value(i - 1, 1))));
        }
        if i % 5 == 4 {
            t.push((key(i - 3), None));
        }
        let mut s = states.last().unwrap().clone();
        for (k, v) in &t {
            match v {
                Some(v) => s.insert(k.clone(), v.clone()),
                None => s.remove(k),
            };
        }
        txns.push(t);
        states.push(s);
    }
    (txns, states)
}

/// Sets the instance up (parameters, JetInit) and returns its handle.
pub fn start(engine: &Engine, shape: Shape) -> Result<InstanceHandle, JetErr> {
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("w"))?;
    let set = |id: u32, v: ParamValue| engine.set_system_parameter(inst, SessionHandle(0), id, &v);
    set(engine::params::LOG_FILE_SIZE, ParamValue::Number(64))?;
    set(
        engine::params::CHECKPOINT_DEPTH_MAX,
        ParamValue::Number(16 * 1024),
    )?;
    set(
        engine::params::CIRCULAR_LOG,
        ParamValue::Number(i64::from(shape.circular)),
    )?;
    set(
        engine::params::LOG_FILE_PATH,
        ParamValue::Text("logs/".into()),
    )?;
    set(engine::params::SYSTEM_PATH, ParamValue::Text("sys/".into()))?;
    set(
        engine::params::CREATE_PATH_IF_NOT_EXIST,
        ParamValue::Number(1),
    )?;
    engine.init(Some(&mut inst))?;
    Ok(inst)
}

/// Runs the workload from scratch until its first error.
pub fn run(engine: &Engine, shape: Shape) -> Run {
    let (txns, _) = plan(shape);
    let mut run = Run {
        committed: 0,
        error: None,
        checkpoints: 0,
        rolls: 0,
    };
    let result = (|| -> Result<(), JetErr> {
        let inst = start(engine, shape)?;
        let s = engine.begin_session(inst, None, None)?;
        let db = engine.create_database(s, Some("w.edb"), 0)?;
        let t = engine.create_table(s, db, Some("t"))?;
        for txn in &txns {
            engine.begin_transaction(s)?;
            for (k, v) in txn {
                // A seek reads the database's pages, so its failure is the run's failure.
                let r = match v {
                    Some(v) => match engine.seek(s, t, k) {
                        Ok(_) => engine.update(s, t, k, v),
                        Err(JetErr::RecordNotFound) => engine.insert(s, t, k, v),
                        Err(e) => Err(e),
                    },
                    None => engine.delete(s, t, k),
                };
                if let Err(e) = r {
                    let _ = engine.rollback(s, 0);
                    return Err(e);
                }
            }
            engine.commit_transaction(s, 0)?;
            run.committed += 1;
        }
        let stats = engine.instance_stats(inst).unwrap_or_default();
        (run.checkpoints, run.rolls) = (stats.checkpoints, stats.rolls);
        engine.term(inst)
    })();
    run.error = result.err();
    run
}

/// After a crash or failure: a fresh engine recovers, and the table must equal `states[k]`
/// for some k >= `committed`. Returns that k.
pub fn recover_and_match(
    storage: Arc<dyn Storage>,
    shape: Shape,
    committed: usize,
) -> Result<usize, String> {
    let (_, states) = plan(shape);
    let engine = Engine::new(storage);
    let inst =
        start(&engine, shape).map_err(|e| format!("JetInit after the crash failed: {e:?}"))?;
    let s = engine.begin_session(inst, None, None).unwrap();
    let table = match engine.attach_database(s, Some("w.edb"), 0) {
        Ok(_) => {
            let db = engine.open_database(s, Some("w.edb"), 0).unwrap();
            match engine.open_table(s, db, Some("t"), 0) {
                Ok(t) => engine.records(s, t).unwrap().into_iter().collect(),
                Err(JetErr::ObjectNotFound) => BTreeMap::new(),
                Err(e) => return Err(format!("JetOpenTable after recovery: {e:?}")),
            }
        }
        Err(e @ (JetErr::FileNotFound | JetErr::DatabaseCorrupted)) if committed == 0 => {
            let _ = e;
            BTreeMap::new()
        }
        Err(e) => return Err(format!("JetAttachDatabase after recovery: {e:?}")),
    };
    let k = (committed..states.len())
        .find(|k| states[*k] == table)
        .ok_or_else(|| {
            format!(
                "the recovered table ({} rows) is no prefix of at least {committed} committed transactions",
                table.len()
            )
        })?;
    engine
        .term(inst)
        .map_err(|e| format!("JetTerm after recovery: {e:?}"))?;
    Ok(k)
}

/// True when `JETSPEC_SLOW` asks for the full sweeps.
pub fn slow() -> bool {
    std::env::var_os("JETSPEC_SLOW").is_some_and(|v| v != "0")
}
