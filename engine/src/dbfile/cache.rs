//! A bounded cache of verified database pages, least recently used out first. Record reads
//! (JetSeek, a table scan, the merge a flush does) go through it, so an attached database
//! costs memory in proportion to this cache and the changes not yet flushed, never to its
//! size. A page enters only after its checksum and page number verified; a flush that writes
//! a page drops the cached copy first, so the cache never holds a page's old contents (pages
//! are shadow-written: a live page is never overwritten, only a free one reused).
//!
//! Invariant (checked after every change): the page map and the age map hold the same pages,
//! never more than `capacity`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Bytes of pages the cache holds at most, whatever the page size.
pub const CACHE_BYTES: usize = 4 << 20;

/// Verified pages by page number.
pub(crate) struct PageCache {
    capacity: usize,
    tick: u64,
    pages: BTreeMap<u32, (u64, Arc<[u8]>)>,
    by_age: BTreeMap<u64, u32>,
}

impl fmt::Debug for PageCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageCache")
            .field("capacity", &self.capacity)
            .field("pages", &self.pages.len())
            .finish()
    }
}

impl PageCache {
    /// A cache of [`CACHE_BYTES`] worth of `page_size` pages (at least 8).
    pub(crate) fn new(page_size: usize) -> PageCache {
        PageCache {
            capacity: (CACHE_BYTES / page_size).max(8),
            tick: 0,
            pages: BTreeMap::new(),
            by_age: BTreeMap::new(),
        }
    }

    fn check(&self) {
        debug_assert_eq!(self.pages.len(), self.by_age.len(), "one age per page");
        debug_assert!(self.pages.len() <= self.capacity, "the cache is bounded");
    }

    /// The cached page, now the most recently used.
    pub(crate) fn get(&mut self, pgno: u32) -> Option<Arc<[u8]>> {
        self.tick += 1;
        let tick = self.tick;
        let (age, page) = self.pages.get_mut(&pgno)?;
        self.by_age.remove(age);
        *age = tick;
        self.by_age.insert(tick, pgno);
        Some(Arc::clone(page))
    }

    /// Adds a verified page, dropping the least recently used one when full.
    pub(crate) fn insert(&mut self, pgno: u32, page: Arc<[u8]>) {
        self.forget(pgno);
        if self.pages.len() == self.capacity {
            let (_, oldest) = self.by_age.pop_first().expect("a full cache has pages");
            self.pages.remove(&oldest);
        }
        self.tick += 1;
        self.pages.insert(pgno, (self.tick, page));
        self.by_age.insert(self.tick, pgno);
        self.check();
    }

    /// Drops a page about to be overwritten.
    pub(crate) fn forget(&mut self, pgno: u32) {
        if let Some((age, _)) = self.pages.remove(&pgno) {
            self.by_age.remove(&age);
        }
        self.check();
    }

    /// Pages held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(byte: u8) -> Arc<[u8]> {
        Arc::from(vec![byte; 4])
    }

    #[test]
    fn the_least_recently_used_page_leaves_first_and_the_cache_stays_bounded() {
        let mut c = PageCache::new(CACHE_BYTES / 8);
        assert_eq!(c.capacity, 8);
        for p in 0..8 {
            c.insert(p, page(p as u8));
        }
        assert!(c.get(0).is_some()); // 1 is now the oldest
        c.insert(100, page(100));
        assert_eq!(c.len(), 8);
        assert!(c.get(1).is_none());
        assert_eq!(c.get(0).as_deref(), Some(&[0u8; 4][..]));
        assert_eq!(c.get(100).as_deref(), Some(&[100u8; 4][..]));
    }

    #[test]
    fn a_forgotten_or_replaced_page_is_not_served_stale() {
        let mut c = PageCache::new(4096);
        c.insert(7, page(1));
        c.insert(7, page(2));
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(7).as_deref(), Some(&[2u8; 4][..]));
        c.forget(7);
        assert!(c.get(7).is_none());
        assert_eq!(c.len(), 0);
    }
}
