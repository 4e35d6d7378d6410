//! The on-disk formats read back what they wrote and detect damage: log records bound to their
//! generation and offset, a torn log tail, the ping-pong checkpoint and database header slots,
//! a database of another page size (docs/file-formats.md).

use std::collections::BTreeMap;
use std::path::Path;

use engine::JetErr;
use engine::checkpoint::{self, Checkpoint, SLOT_BYTES};
use engine::dbfile::{DbFile, DbState, Tables};
use engine::log::{LogPos, LogRecord, LogWriter, TxnOp, read_generation, read_log_header};
use engine::paths::current_log;
use engine::storage::{SimStorage, Storage};

fn put(i: u8) -> LogRecord {
    LogRecord::Op {
        txn: u64::from(i),
        op: TxnOp::Put {
            db: 1,
            table: "t".into(),
            key: vec![i],
            value: vec![i; 40],
        },
    }
}

#[test]
fn records_read_back_in_order_and_a_torn_tail_ends_the_generation() {
    let sim = SimStorage::new();
    let mut w = LogWriter::start(&sim, Path::new(""), "edb", 7, (64, 8192), 1).unwrap();
    for i in 0..3 {
        w.append(&sim, &put(i)).unwrap();
    }
    w.flush(&sim).unwrap();
    let path = current_log(Path::new(""), "edb");
    let (records, end) = read_generation(&sim, &path, 1, 0).unwrap();
    assert_eq!(
        records.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![put(0), put(1), put(2)]
    );
    assert_eq!(end, w.end().offset);
    // Tear the last record: reading stops before it.
    let last = records[2].0.offset;
    sim.write_at(&path, u64::from(last) + 12, &[0xEE]).unwrap();
    let (records, end) = read_generation(&sim, &path, 1, 0).unwrap();
    assert_eq!((records.len(), end), (2, last));
}

#[test]
fn a_record_is_valid_only_in_its_own_generation() {
    let sim = SimStorage::new();
    let mut w = LogWriter::start(&sim, Path::new(""), "edb", 7, (64, 8192), 3).unwrap();
    w.append(&sim, &put(1)).unwrap();
    w.flush(&sim).unwrap();
    let path = current_log(Path::new(""), "edb");
    assert_eq!(read_generation(&sim, &path, 3, 0).unwrap().0.len(), 1);
    assert_eq!(read_generation(&sim, &path, 4, 0).unwrap().0.len(), 0);
    assert_eq!(read_log_header(&sim, &path).unwrap().generation, 3);
}

#[test]
fn a_full_generation_rolls_to_the_next_file_name() {
    let sim = SimStorage::new();
    let mut w = LogWriter::start(&sim, Path::new(""), "edb", 7, (64, 8192), 1).unwrap();
    while w.rolls == 0 {
        w.append(&sim, &put(9)).unwrap();
    }
    w.flush(&sim).unwrap();
    let names = sim.list(Path::new("")).unwrap();
    assert_eq!(
        names,
        vec!["edb.log".to_string(), "edb00001.log".to_string()]
    );
    assert_eq!(
        read_log_header(&sim, Path::new("edb.log"))
            .unwrap()
            .generation,
        2
    );
}

fn chk(seq: u64) -> Checkpoint {
    Checkpoint {
        seq,
        log_signature: 5,
        pos: LogPos {
            generation: 2,
            offset: 64 + seq as u32,
        },
        attached: vec![(1, "a.edb".into())],
    }
}

#[test]
fn a_damaged_slot_falls_back_to_the_other_and_two_are_corrupt() {
    let sim = SimStorage::new();
    let path = Path::new("edb.chk");
    checkpoint::write(&sim, path, &chk(1), true).unwrap();
    checkpoint::write(&sim, path, &chk(2), false).unwrap();
    assert_eq!(checkpoint::read(&sim, path).unwrap(), Some(chk(2)));
    sim.write_at(path, 100, &[0xFF]).unwrap(); // slot 0 holds seq 2
    assert_eq!(checkpoint::read(&sim, path).unwrap(), Some(chk(1)));
    sim.write_at(path, SLOT_BYTES as u64 + 100, &[0xFF])
        .unwrap();
    assert_eq!(checkpoint::read(&sim, path), Err(JetErr::CheckpointCorrupt));
    assert_eq!(checkpoint::read(&sim, Path::new("none.chk")), Ok(None));
}

fn tables(n: usize) -> Tables {
    let mut t = Tables::new();
    let rows = (0..n)
        .map(|i| (format!("k{i:04}").into_bytes(), vec![b'v'; 300]))
        .collect();
    t.insert("big".into(), rows);
    t.insert("empty".into(), BTreeMap::new());
    t
}

/// Applies what `tables(n)` holds to `f` as committed changes.
fn load(f: &mut DbFile, n: usize) {
    for (name, rows) in tables(n) {
        f.apply(&TxnOp::CreateTable {
            db: 1,
            table: name.clone(),
        });
        for (key, value) in rows {
            f.apply(&TxnOp::Put {
                db: 1,
                table: name.clone(),
                key,
                value,
            });
        }
    }
}

#[test]
fn a_flushed_image_reads_back_and_a_torn_header_falls_back_to_the_older_one() {
    let sim = SimStorage::new();
    let path = Path::new("a.edb");
    let mut f = DbFile::create(&sim, path, 4096, 11, 0).unwrap();
    load(&mut f, 40);
    f.flush(&sim, DbState::DirtyShutdown, (1, 1)).unwrap();
    assert!(!f.is_dirty());
    assert_eq!(f.pending_bytes(), 0);
    let g = DbFile::open(&sim, path, 4096).unwrap();
    assert_eq!(g.read_all(&sim).unwrap(), tables(40));
    assert_eq!(g.header.state, DbState::DirtyShutdown);
    load(&mut f, 50);
    f.flush(&sim, DbState::CleanShutdown, (0, 0)).unwrap();
    let g = DbFile::open(&sim, path, 4096).unwrap();
    assert_eq!(g.read_all(&sim).unwrap(), tables(50));
    // Tear the newest header: the previous image is still whole.
    let slot = f.header.seq % 2;
    sim.write_at(path, slot * 4096 + 30, &[0xAB]).unwrap();
    let g = DbFile::open(&sim, path, 4096).unwrap();
    assert_eq!(
        (g.read_all(&sim).unwrap(), g.header.state),
        (tables(40), DbState::DirtyShutdown)
    );
    assert_eq!(
        DbFile::open(&sim, path, 8192).unwrap_err(),
        JetErr::PageSizeMismatch
    );
}

#[test]
fn records_are_read_from_the_pages_and_merged_with_changes_not_yet_flushed() {
    let sim = SimStorage::new();
    let path = Path::new("a.edb");
    let mut f = DbFile::create(&sim, path, 4096, 11, 0).unwrap();
    load(&mut f, 500); // about 40 pages of 13 rows
    f.flush(&sim, DbState::DirtyShutdown, (1, 1)).unwrap();
    let f2 = DbFile::open(&sim, path, 4096).unwrap();
    for i in [0, 1, 12, 13, 250, 498, 499] {
        let key = format!("k{i:04}").into_bytes();
        assert_eq!(f2.get(&sim, "big", &key).unwrap(), Some(vec![b'v'; 300]));
    }
    for missing in ["a", "k", "k0000x", "k0500", "z"] {
        assert_eq!(f2.get(&sim, "big", missing.as_bytes()).unwrap(), None);
    }
    assert_eq!(f2.get(&sim, "none", b"k0000").unwrap(), None);
    // Changes wait in memory and are seen before the pages.
    let op = |key: &str, value: Option<&[u8]>| match value {
        Some(v) => TxnOp::Put {
            db: 1,
            table: "big".into(),
            key: key.as_bytes().to_vec(),
            value: v.to_vec(),
        },
        None => TxnOp::Delete {
            db: 1,
            table: "big".into(),
            key: key.as_bytes().to_vec(),
        },
    };
    f.apply(&op("k0007", None));
    f.apply(&op("k0100", Some(b"new")));
    f.apply(&op("k0100a", Some(b"between")));
    f.apply(&op("k9999", Some(b"last")));
    assert!(f.is_dirty() && f.pending_bytes() > 0);
    assert_eq!(f.get(&sim, "big", b"k0007").unwrap(), None);
    assert_eq!(f.get(&sim, "big", b"k0100").unwrap(), Some(b"new".to_vec()));
    let mut expect = tables(500)["big"].clone();
    expect.remove(b"k0007".as_slice());
    expect.insert(b"k0100".to_vec(), b"new".to_vec());
    expect.insert(b"k0100a".to_vec(), b"between".to_vec());
    expect.insert(b"k9999".to_vec(), b"last".to_vec());
    let scanned: BTreeMap<Vec<u8>, Vec<u8>> = f.scan(&sim, "big").unwrap().into_iter().collect();
    assert_eq!(scanned, expect);
    f.flush(&sim, DbState::CleanShutdown, (0, 0)).unwrap();
    let g = DbFile::open(&sim, path, 4096).unwrap();
    assert_eq!(g.read_all(&sim).unwrap()["big"], expect);
    assert_eq!(
        g.get(&sim, "big", b"k0100a").unwrap(),
        Some(b"between".to_vec())
    );
    // The old chain's pages were freed and reused: the file did not double.
    let mut h = DbFile::open(&sim, path, 4096).unwrap();
    let pages = h.header.page_count;
    h.apply(&op("k0001", Some(b"x")));
    h.flush(&sim, DbState::CleanShutdown, (0, 0)).unwrap();
    assert!(
        h.header.page_count <= pages + 1,
        "{} > {pages} + 1",
        h.header.page_count
    );
}

#[test]
fn a_damaged_record_page_is_a_read_verify_failure_when_a_seek_reaches_it() {
    let sim = SimStorage::new();
    let path = Path::new("a.edb");
    let mut f = DbFile::create(&sim, path, 4096, 11, 0).unwrap();
    load(&mut f, 100);
    f.flush(&sim, DbState::CleanShutdown, (0, 0)).unwrap();
    let g = DbFile::open(&sim, path, 4096).unwrap();
    // Damage every data page after it was opened: the first seek that reads one fails.
    for pgno in 2..g.header.page_count {
        sim.write_at(path, u64::from(pgno) * 4096 + 100, &[0xEE])
            .unwrap();
    }
    assert_eq!(
        g.get(&sim, "big", b"k0050").unwrap_err(),
        JetErr::ReadVerifyFailure
    );
    assert_eq!(
        DbFile::open(&sim, path, 4096).unwrap_err(),
        JetErr::ReadVerifyFailure
    );
}

#[test]
fn a_log_header_records_its_page_size_and_an_old_header_reads_as_eight_kib() {
    let sim = SimStorage::new();
    let w = LogWriter::start(&sim, Path::new(""), "edb", 7, (64, 16384), 1).unwrap();
    drop(w);
    let path = current_log(Path::new(""), "edb");
    assert_eq!(read_log_header(&sim, &path).unwrap().page_size, 16384);
    // A header written before the field existed has zeros there (and its own checksum).
    let mut raw = sim.read_at(&path, 0, 64).unwrap();
    raw[28..32].copy_from_slice(&[0; 4]);
    let crc = engine::codec::crc32c(&raw[..60]);
    raw[60..].copy_from_slice(&crc.to_le_bytes());
    sim.write_at(&path, 0, &raw).unwrap();
    assert_eq!(read_log_header(&sim, &path).unwrap().page_size, 8192);
}
