//! Several threads on one engine: sessions committing at once, a database two instances want,
//! and a seeded random walk of calls with made-up handles and arguments that must only ever
//! return codes (never panic, never deadlock). `JETSPEC_SLOW=1` walks longer.

use std::sync::Arc;

use engine::storage::SimStorage;
use engine::{DatabaseId, Engine, InstanceHandle, JetErr, SessionHandle, TableId};
use jetapi::args::ParamValue;

use crate::workload::slow;

fn instance(engine: &Engine, name: &str, dir: &str) -> InstanceHandle {
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some(name)).unwrap();
    for (id, v) in [
        (engine::params::SYSTEM_PATH, dir),
        (engine::params::LOG_FILE_PATH, dir),
        (engine::params::TEMP_PATH, dir),
    ] {
        let v = ParamValue::Text(v.into());
        engine
            .set_system_parameter(inst, SessionHandle(0), id, &v)
            .unwrap();
    }
    let on = ParamValue::Number(1);
    engine
        .set_system_parameter(
            inst,
            SessionHandle(0),
            engine::params::CREATE_PATH_IF_NOT_EXIST,
            &on,
        )
        .unwrap();
    engine.init(Some(&mut inst)).unwrap();
    inst
}

#[test]
fn sessions_on_several_threads_commit_every_row() {
    let sim = Arc::new(SimStorage::new());
    let engine = Arc::new(Engine::new(sim.clone()));
    let inst = instance(&engine, "a", "a/");
    let s = engine.begin_session(inst, None, None).unwrap();
    engine.create_database(s, Some("a.edb"), 0).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                let s = engine.begin_session(inst, None, None).unwrap();
                let db = engine.open_database(s, Some("a.edb"), 0).unwrap();
                let t = engine.create_table(s, db, Some(&format!("t{n}"))).unwrap();
                for i in 0..100 {
                    engine.begin_transaction(s).unwrap();
                    engine
                        .insert(s, t, format!("{i:04}").as_bytes(), b"v")
                        .unwrap();
                    engine.commit_transaction(s, 0).unwrap();
                }
                engine.end_session(s, 0).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    engine.end_session(s, 0).unwrap();
    engine.crash();
    sim.crash();
    let inst = instance(&engine, "a", "a/");
    let s = engine.begin_session(inst, None, None).unwrap();
    engine.attach_database(s, Some("a.edb"), 0).unwrap();
    let db = engine.open_database(s, Some("a.edb"), 0).unwrap();
    for n in 0..4 {
        let t = engine.open_table(s, db, Some(&format!("t{n}")), 0).unwrap();
        assert_eq!(engine.records(s, t).unwrap().len(), 100, "table t{n}");
    }
}

#[test]
fn a_database_attached_to_one_instance_is_a_sharing_violation_for_another() {
    let engine = Engine::new(Arc::new(SimStorage::new()));
    let a = instance(&engine, "a", "a/");
    let b = instance(&engine, "b", "b/");
    let sa = engine.begin_session(a, None, None).unwrap();
    let sb = engine.begin_session(b, None, None).unwrap();
    engine.create_database(sa, Some("shared.edb"), 0).unwrap();
    assert_eq!(
        engine.attach_database(sb, Some("shared.edb"), 0),
        Err(JetErr::DatabaseSharingViolation)
    );
    assert_eq!(
        engine.create_database(sb, Some("shared.edb"), 0),
        Err(JetErr::DatabaseSharingViolation)
    );
    engine.term(a).unwrap();
    assert_eq!(
        engine.attach_database(sb, Some("shared.edb"), 0),
        Ok(JetErr::Success)
    );
    engine.term(b).unwrap();
}

/// xorshift64*: a small deterministic generator, so a failure replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    /// A handle: half the time one of the eight newest, so walks reach deep states.
    fn handle(&mut self, handles: &[u64]) -> u64 {
        if self.next() % 2 == 0 {
            let recent = &handles[handles.len().saturating_sub(8)..];
            self.pick(recent)
        } else {
            self.pick(handles)
        }
    }
}

#[test]
fn random_calls_with_made_up_arguments_only_return_codes() {
    let seed = 0x5EED_1234_u64;
    let steps = if slow() { 200_000 } else { 4_000 };
    let mut rng = Rng(seed);
    let engine = Engine::new(Arc::new(SimStorage::new()));
    let mut handles: Vec<u64> = vec![0, 1, u64::MAX, 0x1000, 0xFFFF_FFFF];
    let names = [
        None,
        Some(""),
        Some("a"),
        Some("b.edb"),
        Some("/x.edb"),
        Some("../y.edb"),
        Some("d/e.edb"),
    ];
    let params = [0u32, 1, 2, 3, 5, 11, 17, 24, 34, 52, 64, 100, 104, 9999];
    let values = [
        ParamValue::Number(-1),
        ParamValue::Number(0),
        ParamValue::Number(1),
        ParamValue::Number(128),
        ParamValue::Number(8192),
        ParamValue::Text("On".into()),
        ParamValue::Text("Off".into()),
        ParamValue::Text("abc".into()),
        ParamValue::Text("d/".into()),
        ParamValue::Text("/abs".into()),
    ];
    for step in 0..steps {
        let h = rng.handle(&handles);
        let name = rng.pick(&names);
        let grbit = rng.pick(&[0u32, 1, 2, 4, 8, 0x20, 0x200, 0x8000_0000, 0xFFFF_FFFF]);
        let mut out = InstanceHandle(h);
        let result: Result<Option<u64>, JetErr> = match rng.next() % 24 {
            0 => engine
                .create_instance(Some(&mut out), name)
                .map(|()| Some(out.0)),
            1 => engine.init(Some(&mut out)).map(|()| Some(out.0)),
            2 => engine.init(None).map(|()| None),
            3 => engine.term2(InstanceHandle(h), grbit).map(|()| None),
            4 => engine
                .stop_service_instance2(InstanceHandle(h), grbit)
                .map(|()| None),
            5 => engine
                .begin_session(InstanceHandle(h), None, None)
                .map(|s| Some(s.0)),
            6 => engine.end_session(SessionHandle(h), grbit).map(|()| None),
            7 => engine
                .create_database(SessionHandle(h), name, grbit)
                .map(|d| Some(d.0)),
            8 => engine
                .attach_database(SessionHandle(h), name, grbit)
                .map(|_| None),
            9 => engine
                .detach_database(SessionHandle(h), name, grbit)
                .map(|()| None),
            10 => engine
                .open_database(SessionHandle(h), name, grbit)
                .map(|d| Some(d.0)),
            11 => engine.begin_transaction(SessionHandle(h)).map(|()| None),
            12 => engine
                .commit_transaction(SessionHandle(h), grbit)
                .map(|()| None),
            13 => engine.rollback(SessionHandle(h), grbit).map(|()| None),
            14 => {
                let d = DatabaseId(rng.handle(&handles));
                engine
                    .create_table(SessionHandle(h), d, name)
                    .map(|t| Some(t.0))
            }
            15 => {
                let d = DatabaseId(rng.handle(&handles));
                engine
                    .open_table(SessionHandle(h), d, name, grbit)
                    .map(|t| Some(t.0))
            }
            16 | 17 => {
                let t = TableId(rng.handle(&handles));
                let key = rng.next().to_le_bytes();
                engine
                    .insert(SessionHandle(h), t, &key[..(rng.next() % 3) as usize], b"v")
                    .map(|()| None)
            }
            18 => engine
                .records(SessionHandle(h), TableId(rng.handle(&handles)))
                .map(|_| None),
            19 => {
                let (p, v) = (
                    rng.pick(&params),
                    values[(rng.next() % values.len() as u64) as usize].clone(),
                );
                engine
                    .set_system_parameter(InstanceHandle(h), SessionHandle(0), p, &v)
                    .map(|()| None)
            }
            20 => engine
                .get_system_parameter(InstanceHandle(h), SessionHandle(0), rng.pick(&params))
                .map(|_| None),
            21 => engine
                .enable_multi_instance(None, (rng.next() % 2) as usize)
                .map(|_| None),
            22 => engine.get_instance_info().map(|_| None),
            _ => engine.stop_service().map(|()| None),
        };
        if let Ok(Some(new)) = result {
            handles.push(new);
        }
        assert!(handles.len() < 100_000, "seed {seed:#x} step {step}");
    }
}
