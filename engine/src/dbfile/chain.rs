//! Records on demand: a table's records are read from its page chain when asked for, through
//! the page cache, and merged with the committed changes not yet flushed; a flush streams the
//! same merge into new pages. Nothing here holds more than a page or two of a table at once.
//!
//! A chain's pages hold entries in key order, so a key is found by a binary search over the
//! chain's page numbers on each page's first key (`log2(pages)` page reads, mostly cached),
//! then a scan of one page. Every page read from the file is verified (checksum, page number)
//! before use and must be of the chain's kind.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use jetapi::JetErr;

use super::cache::PageCache;
use super::{PAGE_FRAME, frame, unframe};
use crate::errors::{Area, in_area};
use crate::storage::Storage;

/// Committed changes of one table not yet in its pages: key -> new value, `None` deleted.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Where a database's pages are read from: the file and its cache.
pub(crate) struct PageSource<'a> {
    pub storage: &'a dyn Storage,
    pub path: &'a Path,
    pub page_size: usize,
    pub cache: &'a Mutex<PageCache>,
}

impl PageSource<'_> {
    /// Page `pgno`, verified and of `kind`: from the cache, else read and verified.
    pub(crate) fn page(&self, pgno: u32, kind: u16) -> Result<Arc<[u8]>, JetErr> {
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(pgno);
        let page = match cached {
            Some(page) => page,
            None => {
                let raw = self
                    .storage
                    .read_at(
                        self.path,
                        u64::from(pgno) * self.page_size as u64,
                        self.page_size,
                    )
                    .map_err(in_area(Area::Database))?;
                if raw.len() != self.page_size {
                    return Err(JetErr::ReadVerifyFailure);
                }
                unframe(&raw, pgno)?;
                let page: Arc<[u8]> = Arc::from(raw);
                self.cache
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(pgno, Arc::clone(&page));
                page
            }
        };
        if frame_kind(&page) != kind {
            return Err(JetErr::DatabaseCorrupted);
        }
        Ok(page)
    }
}

fn frame_kind(page: &[u8]) -> u16 {
    u16::from_le_bytes([page[8], page[9]])
}

/// A record entry as it lies in a page: key, value.
pub(crate) type Entry<'a> = (&'a [u8], &'a [u8]);

/// The entries of a verified record page, in order.
/// `JET_errDatabaseCorrupted` when they do not decode.
pub(crate) fn record_entries(page: &[u8]) -> Result<Vec<Entry<'_>>, JetErr> {
    let count = u32::from_le_bytes([page[16], page[17], page[18], page[19]]);
    let mut r = crate::codec::Reader::new(&page[PAGE_FRAME..]);
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let key = r.blob16().ok_or(JetErr::DatabaseCorrupted)?;
        let value = r.blob16().ok_or(JetErr::DatabaseCorrupted)?;
        out.push((key, value));
    }
    Ok(out)
}

/// The value of `key` in the chain `pages` (records kind), if any.
pub(crate) fn find(
    src: &PageSource<'_>,
    pages: &[u32],
    kind: u16,
    key: &[u8],
) -> Result<Option<Vec<u8>>, JetErr> {
    // The last page whose first key is at most `key` is the only one that can hold it.
    let (mut lo, mut hi) = (0, pages.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let page = src.page(pages[mid], kind)?;
        let first = record_entries(&page)?.first().map(|(k, _)| k.to_vec());
        if first.is_none_or(|f| f.as_slice() <= key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        return Ok(None);
    }
    let page = src.page(pages[lo - 1], kind)?;
    let entries = record_entries(&page)?;
    Ok(entries
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_vec()))
}

/// Every record of the chain `pages` with `changes` applied, in key order, handed to `emit`.
pub(crate) fn merge(
    src: &PageSource<'_>,
    pages: &[u32],
    kind: u16,
    changes: Option<&Changes>,
    mut emit: impl FnMut(&[u8], &[u8]) -> Result<(), JetErr>,
) -> Result<(), JetErr> {
    let mut pending = changes.into_iter().flatten().peekable();
    for &pgno in pages {
        let page = src.page(pgno, kind)?;
        for (key, value) in record_entries(&page)? {
            while let Some((k, v)) = pending.next_if(|(k, _)| k.as_slice() < key) {
                if let Some(v) = v {
                    emit(k, v)?;
                }
            }
            match pending.next_if(|(k, _)| k.as_slice() == key) {
                Some((k, Some(v))) => emit(k, v)?,
                Some((_, None)) => {}
                None => emit(key, value)?,
            }
        }
    }
    for (k, v) in pending {
        if let Some(v) = v {
            emit(k, v)?;
        }
    }
    Ok(())
}

/// Page numbers for a flush: free pages first (lowest first), then the end of the file.
pub(crate) struct Allocator<'a> {
    pub free: &'a mut super::PageSet,
    pub page_count: &'a mut u32,
}

impl Allocator<'_> {
    fn allocate(&mut self) -> u32 {
        if let Some(p) = self.free.pop_first() {
            return p;
        }
        let p = *self.page_count;
        *self.page_count += 1;
        p
    }
}

/// Writes a new chain page by page as entries arrive: a page is written once the next
/// entry does not fit it (its successor's number is then known). No entry spans pages.
pub(crate) struct ChainWriter<'a> {
    src: &'a PageSource<'a>,
    kind: u16,
    current: Option<u32>,
    payload: Vec<u8>,
    count: u32,
    pages: Vec<u32>,
}

impl<'a> ChainWriter<'a> {
    /// A chain of `kind` pages written to `src`'s file.
    pub(crate) fn new(src: &'a PageSource<'a>, kind: u16) -> ChainWriter<'a> {
        ChainWriter {
            src,
            kind,
            current: None,
            payload: Vec::with_capacity(src.page_size),
            count: 0,
            pages: Vec::new(),
        }
    }

    fn write(&mut self, pgno: u32, next: u32) -> Result<(), JetErr> {
        let page = frame(
            self.src.page_size,
            pgno,
            self.kind,
            next,
            self.count,
            &self.payload,
        );
        self.src
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget(pgno);
        self.src
            .storage
            .write_at(
                self.src.path,
                u64::from(pgno) * self.src.page_size as u64,
                &page,
            )
            .map_err(in_area(Area::Database))?;
        self.pages.push(pgno);
        self.payload.clear();
        self.count = 0;
        Ok(())
    }

    /// Appends one entry made of `parts` (already encoded, concatenated).
    pub(crate) fn push(
        &mut self,
        parts: &[&[u8]],
        alloc: &mut Allocator<'_>,
    ) -> Result<(), JetErr> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let room = self.src.page_size - PAGE_FRAME;
        assert!(len <= room, "a record larger than a page was accepted");
        let current = match self.current {
            Some(p) if self.payload.len() + len <= room => p,
            Some(p) => {
                let next = alloc.allocate();
                self.write(p, next)?;
                self.current = Some(next);
                next
            }
            None => {
                let p = alloc.allocate();
                self.current = Some(p);
                p
            }
        };
        debug_assert_eq!(self.current, Some(current));
        for part in parts {
            self.payload.extend_from_slice(part);
        }
        self.count += 1;
        Ok(())
    }

    /// Writes the last page; the chain's page numbers, first to last (none for no entries).
    pub(crate) fn finish(mut self) -> Result<Vec<u32>, JetErr> {
        if let Some(p) = self.current.take() {
            self.write(p, 0)?;
        }
        Ok(self.pages)
    }
}

/// A record entry's parts: `blob16` key, `blob16` value, as `ChainWriter::push` takes them.
pub(crate) fn record_parts<'k>(
    key: &'k [u8],
    value: &'k [u8],
    lens: &'k mut [u8; 4],
) -> [&'k [u8]; 4] {
    let k = u16::try_from(key.len()).expect("keys fit blob16");
    let v = u16::try_from(value.len()).expect("values fit blob16");
    lens[..2].copy_from_slice(&k.to_le_bytes());
    lens[2..].copy_from_slice(&v.to_le_bytes());
    let (kl, vl) = lens.split_at(2);
    [kl, key, vl, value]
}
