//! The records of an open database file: the committed changes waiting for a flush, reads
//! that look at them first and then at the pages (through the page cache), and the flush that
//! streams each changed table into new pages and writes the catalog and the header. The page
//! level (reading, merging, writing chains) is `chain.rs`; the file's header and frames are
//! the parent module's.

use std::collections::BTreeMap;

use jetapi::JetErr;

use super::chain::{self, Allocator, ChainWriter, PageSource, record_parts};
use super::{CHANGE_OVERHEAD_BYTES, DbFile, DbState, KIND_CATALOG, KIND_RECORDS, Tables};
use crate::errors::{Area, in_area};
use crate::log::TxnOp;
use crate::storage::Storage;

impl DbFile {
    fn source<'a>(&'a self, storage: &'a dyn Storage) -> PageSource<'a> {
        PageSource {
            storage,
            path: &self.path,
            page_size: self.page_size,
            cache: &self.cache,
        }
    }

    /// Whether the table exists (in the pages or among the changes not yet flushed).
    pub fn has_table(&self, table: &str) -> bool {
        self.chains.contains_key(table)
    }

    /// The tables' names, in order.
    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.chains.keys().map(String::as_str)
    }

    /// Applies a committed change (idempotent: a create of a table, a put or delete of a
    /// key). It reaches the pages at the next [`DbFile::flush`].
    pub fn apply(&mut self, op: &TxnOp) {
        let (table, key, value) = match op {
            TxnOp::CreateTable { table, .. } => {
                self.chains.entry(table.clone()).or_default();
                self.changes.entry(table.clone()).or_default();
                return;
            }
            TxnOp::Put {
                table, key, value, ..
            } => (table, key, Some(value)),
            TxnOp::Delete { table, key, .. } => {
                if !self.chains.contains_key(table) {
                    return;
                }
                (table, key, None)
            }
        };
        self.chains.entry(table.clone()).or_default();
        let changes = self.changes.entry(table.clone()).or_default();
        let added = CHANGE_OVERHEAD_BYTES + key.len() + value.map_or(0, Vec::len);
        if let Some(old) = changes.insert(key.clone(), value.cloned()) {
            let freed = CHANGE_OVERHEAD_BYTES + key.len() + old.map_or(0, |v| v.len());
            self.changes_bytes -= freed;
        }
        self.changes_bytes += added;
    }

    /// Bytes the committed changes not yet flushed hold in memory.
    pub fn pending_bytes(&self) -> usize {
        self.changes_bytes
    }

    /// Whether committed changes wait for a flush.
    pub fn is_dirty(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The committed value of `key` in `table`: the changes not yet flushed, else the pages.
    pub fn get(
        &self,
        storage: &dyn Storage,
        table: &str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, JetErr> {
        if let Some(change) = self.changes.get(table).and_then(|c| c.get(key)) {
            return Ok(change.clone());
        }
        let Some(pages) = self.chains.get(table) else {
            return Ok(None);
        };
        chain::find(&self.source(storage), pages, KIND_RECORDS, key)
    }

    /// Every committed record of `table` in key order (empty for no such table).
    pub fn scan(
        &self,
        storage: &dyn Storage,
        table: &str,
    ) -> Result<Vec<crate::tables::Record>, JetErr> {
        let mut out = Vec::new();
        let pages = self.chains.get(table).map_or(&[][..], Vec::as_slice);
        chain::merge(
            &self.source(storage),
            pages,
            KIND_RECORDS,
            self.changes.get(table),
            |k, v| {
                out.push((k.to_vec(), v.to_vec()));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Every table and record, read whole: for tests and tools on small databases.
    pub fn read_all(&self, storage: &dyn Storage) -> Result<Tables, JetErr> {
        let mut tables = Tables::new();
        for name in self.chains.keys() {
            let rows = self.scan(storage, name)?.into_iter().collect();
            tables.insert(name.clone(), rows);
        }
        Ok(tables)
    }

    /// Writes every table with changes (its records merged with them, streamed into free
    /// pages) and the catalog, syncs, then writes the header with `state` and the required
    /// log range, and syncs again. The changes are dropped only once the header is durable.
    pub fn flush(
        &mut self,
        storage: &dyn Storage,
        state: DbState,
        gen_required: (u32, u32),
    ) -> Result<(), JetErr> {
        let io = in_area(Area::Database);
        let mut new_chains: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut page_count = self.header.page_count;
        let mut free = self.free.clone();
        let src = PageSource {
            storage,
            path: &self.path,
            page_size: self.page_size,
            cache: &self.cache,
        };
        let mut alloc = Allocator {
            free: &mut free,
            page_count: &mut page_count,
        };
        for (name, changes) in &self.changes {
            let old = self.chains.get(name).map_or(&[][..], Vec::as_slice);
            let mut writer = ChainWriter::new(&src, KIND_RECORDS);
            let mut lens = [0u8; 4];
            chain::merge(&src, old, KIND_RECORDS, Some(changes), |k, v| {
                writer.push(&record_parts(k, v, &mut lens), &mut alloc)
            })?;
            new_chains.insert(name.clone(), writer.finish()?);
        }
        let mut catalog = ChainWriter::new(&src, KIND_CATALOG);
        for (name, old) in &self.chains {
            let pages = new_chains.get(name).unwrap_or(old);
            let first = pages.first().copied().unwrap_or(0).to_le_bytes();
            let len = u16::try_from(name.len())
                .expect("table names fit blob16")
                .to_le_bytes();
            catalog.push(&[&len, name.as_bytes(), &first], &mut alloc)?;
        }
        let new_catalog = catalog.finish()?;
        let wrote = !new_catalog.is_empty() || new_chains.values().any(|c| !c.is_empty());
        if wrote {
            storage.sync(&self.path).map_err(&io)?;
        }
        self.header.page_count = page_count;
        self.header.catalog_root = new_catalog.first().copied().unwrap_or(0);
        self.header.state = state;
        (self.header.gen_min_required, self.header.gen_max_required) = gen_required;
        self.write_header(storage)?;
        self.chains.extend(new_chains);
        self.catalog_pages = new_catalog;
        self.changes.clear();
        self.changes_bytes = 0;
        self.rebuild_free();
        Ok(())
    }
}
