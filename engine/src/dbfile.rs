//! The database file (`.edb`): fixed-size checksummed pages (`JET_paramDatabasePageSize`),
//! two ping-pong header pages, a catalog of tables and one chain of record pages per table.
//! Byte layouts are in `docs/file-formats.md`; this module is their only reader and writer.
//!
//! Updates are shadow-paged: a flush writes changed tables and the catalog to free pages,
//! syncs, then writes the header slot of the new sequence number (`seq % 2`) and syncs again.
//! A crash at any point leaves the previous header, and every page it references, intact.
//! Pair assertions: a page is checked before it is encoded and after it is decoded.
//!
//! Records are not held in memory: reads go to the pages through a bounded cache
//! (`cache.rs`), committed changes wait in memory until the next flush, which streams each
//! changed table's records merged with its changes into new pages (`records.rs` the
//! calls, `chain.rs` the page chains, `pageset.rs` the page bitmaps).

mod cache;
mod chain;
mod pageset;
mod records;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jetapi::JetErr;

use crate::codec::{Reader, Writer, crc32c};
use crate::errors::{Area, in_area};
use crate::storage::{Storage, parent_dir};
use cache::PageCache;

pub use cache::CACHE_BYTES;
pub use chain::Changes;
pub use pageset::PageSet;

/// The signature at the start of every header page.
pub const DB_MAGIC: &[u8; 4] = b"JSDB";
/// The database format version this engine writes.
pub const DB_FORMAT_VERSION: u32 = 1;
/// Bytes of the frame every page starts with.
pub const PAGE_FRAME: usize = 20;

const KIND_HEADER: u16 = 1;
const KIND_CATALOG: u16 = 2;
const KIND_RECORDS: u16 = 3;
const KIND_BACKUP_TRAILER: u16 = 4;
/// The signature at the start of a backup trailer page's payload.
pub const TRAILER_MAGIC: &[u8; 4] = b"JSBT";

/// `JET_dbstate*`: the database's shutdown state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbState {
    /// `JET_dbstateJustCreated` (1).
    JustCreated = 1,
    /// `JET_dbstateDirtyShutdown` (2): attached, or not shut down cleanly.
    DirtyShutdown = 2,
    /// `JET_dbstateCleanShutdown` (3).
    CleanShutdown = 3,
}

/// A previous backup, as a database header records it (`JET_BKINFO`, reduced).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackupInfo {
    /// First log generation of the backup; 0 when none.
    pub gen_low: u32,
    /// Last log generation of the backup.
    pub gen_high: u32,
    /// When it was taken, seconds since the Unix epoch.
    pub time: u64,
}

/// The database header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbHeader {
    /// Incremented on every header write; selects the slot.
    pub seq: u64,
    /// The database's own signature, fixed at creation.
    pub db_signature: u64,
    /// The signature of the log stream that last attached it (0: none).
    pub log_signature: u64,
    /// Clean or dirty.
    pub state: DbState,
    /// The oldest log generation needed to bring the database up to date.
    pub gen_min_required: u32,
    /// The newest log generation needed.
    pub gen_max_required: u32,
    /// The first catalog page (0: no tables).
    pub catalog_root: u32,
    /// Pages in the file.
    pub page_count: u32,
    /// Previous full, incremental, copy and differential backups.
    pub backups: [BackupInfo; 4],
    /// The backup this copy was streamed by (`bkinfoFullCur`): set only in the header pages
    /// a streaming backup hands out, never in the live file; restore clears it.
    pub backup_in_progress: BackupInfo,
}

/// Index into [`DbHeader::backups`] of each kind of previous backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupSlot {
    /// `bkinfoFullPrev`.
    Full = 0,
    /// `bkinfoIncPrev`.
    Incremental = 1,
    /// `bkinfoCopyPrev`.
    Copy = 2,
    /// `bkinfoDiffPrev`.
    Differential = 3,
}

impl DbHeader {
    /// The previous backup of `slot`'s kind.
    pub fn backup(&self, slot: BackupSlot) -> BackupInfo {
        self.backups[slot as usize]
    }
}

/// What a streaming backup copies of a database: the header as of JetOpenFile and the pages
/// it references. While a snapshot is pinned ([`DbFile::pin`]) no flush reuses those pages,
/// so reading them later still gives the database as that header describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbSnapshot {
    /// The header when the copy began.
    pub header: DbHeader,
    /// The pages that header references (catalog and record chains).
    pub live: PageSet,
}

/// The logical contents of a database, for tests and tools: tables of key -> value.
pub type Tables = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An open database file. Its records stay on disk: what is in memory is the catalog (each
/// table's chain of page numbers), the free pages, a bounded cache of verified pages, and the
/// committed changes not yet flushed ([`DbFile::pending_bytes`]).
#[derive(Debug)]
pub struct DbFile {
    /// Its path relative to the storage root.
    pub path: PathBuf,
    /// The page size.
    pub page_size: usize,
    /// The header as last written.
    pub header: DbHeader,
    chains: BTreeMap<String, Vec<u32>>,
    catalog_pages: Vec<u32>,
    /// Pages no chain of the header references and no backup has pinned.
    free: PageSet,
    /// Pages a running backup still has to read; never reallocated while pinned.
    pinned: PageSet,
    /// Committed changes not yet in the pages, by table (a created table has an entry).
    changes: BTreeMap<String, Changes>,
    /// Bytes of keys and values in `changes` (plus a fixed cost per entry).
    changes_bytes: usize,
    cache: Mutex<PageCache>,
}

/// What one change costs in memory besides its key and value (map node, vectors).
const CHANGE_OVERHEAD_BYTES: usize = 64;

/// The largest key plus value a record may have with `page_size` pages.
pub fn record_bytes_max(page_size: usize) -> usize {
    page_size - PAGE_FRAME - 4
}

fn frame(page_size: usize, pgno: u32, kind: u16, next: u32, count: u32, payload: &[u8]) -> Vec<u8> {
    assert!(
        PAGE_FRAME + payload.len() <= page_size,
        "page {pgno} overflows"
    );
    let mut w = Writer::new();
    w.u32(0)
        .u32(pgno)
        .u16(kind)
        .u16(0)
        .u32(next)
        .u32(count)
        .bytes(payload);
    let mut page = w.buf;
    page.resize(page_size, 0);
    let crc = crc32c(&page[4..]);
    page[0..4].copy_from_slice(&crc.to_le_bytes());
    debug_assert!(unframe(&page, pgno).is_ok(), "an encoded page decodes");
    page
}

struct Page<'a> {
    kind: u16,
    next: u32,
    count: u32,
    payload: &'a [u8],
}

fn unframe(page: &[u8], pgno: u32) -> Result<Page<'_>, JetErr> {
    let mut r = Reader::new(page);
    let crc = r.u32().ok_or(JetErr::ReadVerifyFailure)?;
    if page.len() < PAGE_FRAME || crc != crc32c(&page[4..]) {
        return Err(JetErr::ReadVerifyFailure);
    }
    let stored = r.u32().ok_or(JetErr::ReadVerifyFailure)?;
    if stored != pgno {
        return Err(JetErr::ReadVerifyFailure);
    }
    let kind = r.u16().ok_or(JetErr::ReadVerifyFailure)?;
    r.u16();
    let next = r.u32().ok_or(JetErr::ReadVerifyFailure)?;
    let count = r.u32().ok_or(JetErr::ReadVerifyFailure)?;
    Ok(Page {
        kind,
        next,
        count,
        payload: &page[PAGE_FRAME..],
    })
}

fn encode_header(h: &DbHeader, page_size: usize) -> Vec<u8> {
    let mut w = Writer::new();
    w.bytes(DB_MAGIC).u32(DB_FORMAT_VERSION);
    w.u32(u32::try_from(page_size).expect("page sizes fit u32"));
    w.u64(h.seq).u64(h.db_signature).u64(h.log_signature);
    w.u32(h.state as u32)
        .u32(h.gen_min_required)
        .u32(h.gen_max_required);
    w.u32(h.catalog_root).u32(h.page_count);
    for b in h.backups.iter().chain([&h.backup_in_progress]) {
        w.u32(b.gen_low).u32(b.gen_high).u64(b.time);
    }
    frame(page_size, (h.seq % 2) as u32, KIND_HEADER, 0, 0, &w.buf)
}

fn decode_header(page: &[u8], slot: u32) -> Option<(DbHeader, usize)> {
    let p = unframe(page, slot).ok()?;
    let mut r = Reader::new(p.payload);
    if p.kind != KIND_HEADER || r.take(4)? != DB_MAGIC || r.u32()? != DB_FORMAT_VERSION {
        return None;
    }
    let page_size = r.u32()? as usize;
    let seq = r.u64()?;
    let db_signature = r.u64()?;
    let log_signature = r.u64()?;
    let state = match r.u32()? {
        1 => DbState::JustCreated,
        2 => DbState::DirtyShutdown,
        3 => DbState::CleanShutdown,
        _ => return None,
    };
    let gen_min_required = r.u32()?;
    let gen_max_required = r.u32()?;
    let catalog_root = r.u32()?;
    let page_count = r.u32()?;
    let mut infos = [BackupInfo::default(); 5];
    for info in &mut infos {
        *info = BackupInfo {
            gen_low: r.u32()?,
            gen_high: r.u32()?,
            time: r.u64()?,
        };
    }
    let header = DbHeader {
        seq,
        db_signature,
        log_signature,
        state,
        gen_min_required,
        gen_max_required,
        catalog_root,
        page_count,
        backups: [infos[0], infos[1], infos[2], infos[3]],
        backup_in_progress: infos[4],
    };
    (header.seq % 2 == u64::from(slot)).then_some((header, page_size))
}

impl DbFile {
    fn empty(path: &Path, page_size: usize, header: DbHeader) -> DbFile {
        DbFile {
            path: path.to_path_buf(),
            page_size,
            header,
            chains: BTreeMap::new(),
            catalog_pages: Vec::new(),
            free: PageSet::new(),
            pinned: PageSet::new(),
            changes: BTreeMap::new(),
            changes_bytes: 0,
            cache: Mutex::new(PageCache::new(page_size)),
        }
    }

    /// Creates a new, empty database file and makes it durable (file and directory entry).
    pub fn create(
        storage: &dyn Storage,
        path: &Path,
        page_size: usize,
        db_signature: u64,
        log_signature: u64,
    ) -> Result<DbFile, JetErr> {
        let io = in_area(Area::Database);
        storage.create(path).map_err(&io)?;
        let header = DbHeader {
            seq: 0,
            db_signature,
            log_signature,
            state: DbState::JustCreated,
            gen_min_required: 0,
            gen_max_required: 0,
            catalog_root: 0,
            page_count: 2,
            backups: [BackupInfo::default(); 4],
            backup_in_progress: BackupInfo::default(),
        };
        let mut file = DbFile::empty(path, page_size, header);
        // Both slots, so a reader always finds a valid header.
        file.write_header(storage)?;
        file.write_header(storage)?;
        storage.sync_dir(parent_dir(path)).map_err(&io)?;
        Ok(file)
    }

    /// Opens a database file: reads its header and walks its catalog and every table's chain
    /// once, verifying each page and decoding its entries, but keeps only page numbers.
    pub fn open(storage: &dyn Storage, path: &Path, page_size: usize) -> Result<DbFile, JetErr> {
        let io = in_area(Area::Database);
        let len = storage.len(path).map_err(&io)?;
        // Try the configured page size first, then every other one, so a file of another
        // page size is PageSizeMismatch rather than unreadable (even with one slot torn).
        let mut best: Option<(DbHeader, usize)> = None;
        for size in [page_size, 2048, 4096, 8192, 16384, 32768] {
            for slot in 0..2u32 {
                let raw = storage
                    .read_at(path, u64::from(slot) * size as u64, size)
                    .map_err(&io)?;
                if let Some((h, ps)) = decode_header(&raw, slot).filter(|(_, ps)| *ps == size) {
                    if best.as_ref().is_none_or(|(b, _)| h.seq > b.seq) {
                        best = Some((h, ps));
                    }
                }
            }
            if best.is_some() {
                break;
            }
        }
        let Some((header, file_page_size)) = best else {
            return Err(if len < 2 * page_size as u64 {
                JetErr::DatabaseCorrupted
            } else {
                JetErr::InvalidDatabase
            });
        };
        if file_page_size != page_size {
            return Err(JetErr::PageSizeMismatch);
        }
        let mut file = DbFile::empty(path, page_size, header);
        let mut catalog = Vec::new();
        let root = file.header.catalog_root;
        file.catalog_pages = file.walk_chain(storage, root, KIND_CATALOG, |count, payload| {
            let mut r = Reader::new(payload);
            for _ in 0..count {
                let name = r.blob16().ok_or(JetErr::DatabaseCorrupted)?;
                let first = r.u32().ok_or(JetErr::DatabaseCorrupted)?;
                let name =
                    String::from_utf8(name.to_vec()).map_err(|_| JetErr::DatabaseCorrupted)?;
                catalog.push((name, first));
            }
            Ok(())
        })?;
        for (name, first) in catalog {
            let pages = file.walk_chain(storage, first, KIND_RECORDS, |count, payload| {
                let mut r = Reader::new(payload);
                for _ in 0..count {
                    r.blob16().ok_or(JetErr::DatabaseCorrupted)?;
                    r.blob16().ok_or(JetErr::DatabaseCorrupted)?;
                }
                Ok(())
            })?;
            file.chains.insert(name, pages);
        }
        file.rebuild_free();
        Ok(file)
    }

    /// Reads the chain from `first`, verifying every page, handing each page's entry count
    /// and payload to `each`; returns its page numbers.
    fn walk_chain(
        &self,
        storage: &dyn Storage,
        first: u32,
        kind: u16,
        mut each: impl FnMut(u32, &[u8]) -> Result<(), JetErr>,
    ) -> Result<Vec<u32>, JetErr> {
        let io = in_area(Area::Database);
        let mut out = Vec::new();
        let mut pgno = first;
        let mut raw = vec![0u8; self.page_size];
        while pgno != 0 {
            if pgno < 2
                || pgno >= self.header.page_count
                || out.len() > self.header.page_count as usize
            {
                return Err(JetErr::DatabaseCorrupted);
            }
            let read = storage
                .read_into(
                    &self.path,
                    u64::from(pgno) * self.page_size as u64,
                    &mut raw,
                )
                .map_err(&io)?;
            if read != self.page_size {
                return Err(JetErr::ReadVerifyFailure);
            }
            let page = unframe(&raw, pgno)?;
            if page.kind != kind {
                return Err(JetErr::DatabaseCorrupted);
            }
            each(page.count, page.payload)?;
            out.push(pgno);
            pgno = page.next;
        }
        Ok(out)
    }

    fn rebuild_free(&mut self) {
        let live = self.live_pages();
        self.free = PageSet::complement_of(&live, &self.pinned, 2, self.header.page_count);
    }

    fn live_pages(&self) -> PageSet {
        self.chains
            .values()
            .flatten()
            .chain(&self.catalog_pages)
            .copied()
            .collect()
    }

    /// Pins the pages of the current header for a backup and returns what the backup copies.
    pub fn pin(&mut self) -> DbSnapshot {
        let live = self.live_pages();
        self.pinned.clone_from(&live);
        DbSnapshot {
            header: self.header.clone(),
            live,
        }
    }

    /// Lets flushes reuse the pinned pages again.
    pub fn unpin(&mut self) {
        self.pinned.clear();
        self.rebuild_free();
    }

    /// Writes the header to the slot of its next sequence number and syncs.
    pub fn write_header(&mut self, storage: &dyn Storage) -> Result<(), JetErr> {
        let io = in_area(Area::Database);
        self.header.seq += 1;
        let page = encode_header(&self.header, self.page_size);
        let slot = self.header.seq % 2;
        storage
            .write_at(&self.path, slot * self.page_size as u64, &page)
            .map_err(&io)?;
        storage.sync(&self.path).map_err(&io)
    }
}

/// Checks a page read back from a database file: its checksum and its page number.
/// `JET_errReadVerifyFailure` when either does not match.
pub fn verify_page(page: &[u8], pgno: u32) -> Result<(), JetErr> {
    unframe(page, pgno).map(|_| ())
}

/// Header page `slot` (0 or 1) of a backup copy: `header` with its sequence number moved to
/// the slot, so both slots of the copy hold the same header and either is found valid.
pub fn header_page_for_copy(header: &DbHeader, page_size: usize, slot: u32) -> Vec<u8> {
    let mut h = header.clone();
    if h.seq % 2 != u64::from(slot) {
        h.seq += 1;
    }
    let page = encode_header(&h, page_size);
    debug_assert!(
        decode_header(&page, slot).is_some(),
        "a copied header decodes"
    );
    page
}

/// What a backup copy's trailer records besides the header: the database's log id in the
/// instance it was copied from and that instance's log signature, so a restore can tell which
/// log records are this database's; and where the database was, so JetRestore can put it
/// back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailerIds {
    /// The database's log id when it was copied.
    pub db_log_id: u32,
    /// The log stream it was attached to.
    pub log_signature: u64,
    /// The database's path (relative to the storage root) when it was copied; empty in copies
    /// written before the trailer carried it, or when the path does not fit the page.
    pub original_path: String,
}

/// The trailer page a streaming backup appends after a database's last page (kind 4): it
/// names the database and the backup, so a restore can tell the copy is whole and whose it is.
pub fn trailer_page(header: &DbHeader, ids: &TrailerIds, page_size: usize) -> Vec<u8> {
    let mut w = Writer::new();
    w.bytes(TRAILER_MAGIC)
        .u64(header.db_signature)
        .u32(header.backup_in_progress.gen_low)
        .u32(header.page_count)
        .u32(ids.db_log_id)
        .u64(ids.log_signature);
    let path = ids.original_path.as_bytes();
    if w.buf.len() + 2 + path.len() <= page_size - PAGE_FRAME {
        w.blob16(path);
    }
    frame(
        page_size,
        header.page_count,
        KIND_BACKUP_TRAILER,
        0,
        0,
        &w.buf,
    )
}

/// Reads the backup trailer of a copied database (the page after `header.page_count`):
/// its ids when it is there, verifies and names this database and backup; `None` otherwise.
pub fn read_trailer(
    storage: &dyn Storage,
    path: &Path,
    header: &DbHeader,
    page_size: usize,
) -> Result<Option<TrailerIds>, JetErr> {
    let raw = storage
        .read_at(
            path,
            u64::from(header.page_count) * page_size as u64,
            page_size,
        )
        .map_err(in_area(Area::Database))?;
    let Ok(page) = unframe(&raw, header.page_count) else {
        return Ok(None);
    };
    let mut r = Reader::new(page.payload);
    let matches = page.kind == KIND_BACKUP_TRAILER
        && r.take(4) == Some(TRAILER_MAGIC.as_slice())
        && r.u64() == Some(header.db_signature)
        && r.u32() == Some(header.backup_in_progress.gen_low)
        && r.u32() == Some(header.page_count);
    let ids = (|| {
        Some(TrailerIds {
            db_log_id: r.u32()?,
            log_signature: r.u64()?,
            original_path: r
                .blob16()
                .and_then(|p| std::str::from_utf8(p).ok())
                .unwrap_or_default()
                .to_string(),
        })
    })();
    Ok(ids.filter(|_| matches))
}
