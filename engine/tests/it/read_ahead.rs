//! Read-ahead of a streamed database (`backup/ahead.rs`): on real files the next chunks are
//! read and verified on a worker thread. The same calls must give the same bytes and the same
//! codes, at the same JetReadFile, as on a backend that reads on the caller's thread (the OS
//! backend behind `FaultyStorage`, which does not read ahead), whatever the buffer sizes.

use std::path::Path;
use std::sync::Arc;

use engine::storage::{FaultyStorage, OsStorage, Storage};
use engine::{AlignedBuffer, Engine, InstanceHandle, JetErr};

use crate::data::scratch_dir;

const PAGE: usize = 8192;

fn start(engine: &Engine) -> InstanceHandle {
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("ra")).unwrap();
    engine.init(Some(&mut inst)).unwrap();
    inst
}

/// What one JetReadFile gave: the bytes, or the code.
type Outcome = Result<Vec<u8>, JetErr>;

/// Builds a database of 300 rows (about 150 pages), attaches it again, damages the first
/// record page at or after `damage` (when given), then streams it with JetReadFile buffers
/// of `sizes` (cycled) until the end or the first failure.
fn stream(storage: Arc<dyn Storage>, damage: Option<u32>, sizes: &[usize]) -> Vec<Outcome> {
    let engine = Engine::new(storage.clone());
    let inst = start(&engine);
    let s = engine.begin_session(inst, None, None).unwrap();
    let db = engine.create_database(s, Some("r.edb"), 0).unwrap();
    let t = engine.create_table(s, db, Some("t")).unwrap();
    for i in 0..300u32 {
        let value = vec![(i % 251) as u8; 3_000];
        engine
            .insert(s, t, format!("{i:05}").as_bytes(), &value)
            .unwrap();
    }
    engine.end_session(s, 0).unwrap();
    engine.term(inst).unwrap();

    let inst = start(&engine);
    let s = engine.begin_session(inst, None, None).unwrap();
    engine.attach_database(s, Some("r.edb"), 0).unwrap();
    if let Some(from) = damage {
        let path = Path::new("r.edb");
        let pages = storage.len(path).unwrap() / PAGE as u64;
        let pgno = (u64::from(from)..pages)
            .find(|p| storage.read_at(path, p * PAGE as u64 + 8, 2).unwrap() == [3, 0])
            .expect("a record page after the one asked for");
        storage
            .write_at(path, pgno * PAGE as u64 + 100, &[0xEE])
            .unwrap();
    }
    engine.begin_external_backup_instance(inst, 0).unwrap();
    let (file, size) = engine.open_file_instance(inst, Some("r.edb")).unwrap();
    let mut out = Vec::new();
    let mut total = 0u64;
    for size_bytes in sizes.iter().cycle() {
        let mut buf = AlignedBuffer::new(*size_bytes);
        match engine.read_file_instance(inst, file, buf.as_mut_slice()) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                out.push(Ok(buf.as_slice()[..n].to_vec()));
            }
            Err(e) => {
                out.push(Err(e));
                break;
            }
        }
    }
    if out.iter().all(Result::is_ok) {
        assert_eq!(total, size, "JetReadFile gave what JetOpenFile reported");
        engine.close_file_instance(inst, file).unwrap();
    }
    engine.end_external_backup_instance2(inst, 0x2).unwrap();
    engine.term(inst).unwrap();
    out
}

/// The outcomes with the header pages (signatures and times of each run) and the trailer
/// page (the instance's log signature) left out: the bytes both runs must share.
fn comparable(outcomes: Vec<Outcome>) -> (Vec<u8>, Vec<JetErr>) {
    let mut bytes = Vec::new();
    let mut codes = Vec::new();
    for o in outcomes {
        match o {
            Ok(b) => bytes.extend(b),
            Err(e) => codes.push(e),
        }
    }
    let end = bytes.len().saturating_sub(PAGE).max(2 * PAGE);
    (bytes[2 * PAGE..end.max(2 * PAGE)].to_vec(), codes)
}

fn both(damage: Option<u32>, sizes: &[usize]) -> (Vec<Outcome>, Vec<Outcome>) {
    let ahead_dir = scratch_dir("read-ahead");
    let plain_dir = scratch_dir("read-plain");
    let ahead = stream(Arc::new(OsStorage::new(&ahead_dir)), damage, sizes);
    let plain_backend = FaultyStorage::new(Arc::new(OsStorage::new(&plain_dir)));
    let plain = stream(Arc::new(plain_backend), damage, sizes);
    std::fs::remove_dir_all(ahead_dir).unwrap();
    std::fs::remove_dir_all(plain_dir).unwrap();
    (ahead, plain)
}

#[test]
fn a_copy_read_ahead_is_the_copy_read_on_the_callers_thread_whatever_the_buffer_sizes() {
    assert!(OsStorage::new(".").reads_ahead());
    assert!(!FaultyStorage::new(Arc::new(OsStorage::new("."))).reads_ahead());
    let sizes = [64 << 10, 64 << 10, 128 << 10, 24 << 10, 256 << 10, 64 << 10];
    let (ahead, plain) = both(None, &sizes);
    assert_eq!(ahead.len(), plain.len());
    let (ahead, plain) = (comparable(ahead), comparable(plain));
    assert!(ahead.1.is_empty() && plain.1.is_empty());
    assert!(ahead.0.len() > 100 * PAGE);
    assert!(ahead.0 == plain.0, "the copies' pages differ");
}

#[test]
fn a_damaged_page_read_ahead_fails_the_jet_read_file_that_asks_for_it_and_no_earlier_one() {
    // 64 KiB chunks are 8 pages: a page from 16 on is in the third chunk or later, read by
    // the worker while the caller still handles the first.
    let (ahead, plain) = both(Some(16), &[64 << 10]);
    let codes = |o: &[Outcome]| {
        o.iter()
            .map(|r| r.as_ref().err().copied())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&ahead), codes(&plain));
    assert!(ahead.len() >= 3, "{} reads", ahead.len());
    assert_eq!(
        ahead.last().unwrap().as_ref().err(),
        Some(&JetErr::ReadVerifyFailure)
    );
    assert!(ahead[..ahead.len() - 1].iter().all(Result::is_ok));
}
