//! What JetReadFile hands out for an open backup file, chunk by chunk.
//!
//! A database is streamed as of its header at JetOpenFile (a [`DbSnapshot`], whose pages are
//! pinned): pages 0 and 1 are that header with the backup marker (`bkinfoFullCur`) set, every
//! page it references is read from the file and verified (checksum and page number), pages it
//! does not reference are streamed as zeros, and one trailer page follows the last page
//! (`docs/file-formats.md`, "Backup copy of a database"). A log generation is read whole on
//! the first read, verified record by record to its end, and handed out from memory.

use std::path::Path;

use jetapi::JetErr;

use super::BUFFER_ALIGNMENT;
use crate::dbfile::{DbSnapshot, TrailerIds, header_page_for_copy, trailer_page, verify_page};
use crate::errors::{Area, in_area};
use crate::log::verify_closed_generation;
use crate::storage::{Storage, read_all};

/// A buffer aligned to [`BUFFER_ALIGNMENT`], as JetReadFile asks for (ESE's callers use
/// `VirtualAlloc`). [`AlignedBuffer::misaligned_mut`] gives the same length one byte off, to
/// pass a buffer that is not aligned.
#[derive(Debug)]
pub struct AlignedBuffer {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuffer {
    /// A zeroed buffer of `len` bytes starting on an aligned address.
    pub fn new(len: usize) -> AlignedBuffer {
        let raw = vec![0u8; len + BUFFER_ALIGNMENT];
        let address = raw.as_ptr() as usize;
        let start = (BUFFER_ALIGNMENT - address % BUFFER_ALIGNMENT) % BUFFER_ALIGNMENT;
        AlignedBuffer { raw, start, len }
    }

    /// The aligned bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    /// The aligned bytes, to read into.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }

    /// `len` bytes starting one byte after an aligned address.
    pub fn misaligned_mut(&mut self) -> &mut [u8] {
        let start = self.start + 1;
        &mut self.raw[start..start + self.len]
    }
}

/// The bytes a database copy has: its pages, then the trailer page.
pub(crate) fn database_copy_bytes(snapshot: &DbSnapshot, page_size: usize) -> u64 {
    (u64::from(snapshot.header.page_count) + 1) * page_size as u64
}

/// Fills `buf` with the copy's pages from byte `offset` (a page multiple); returns the bytes
/// written. `JET_errReadVerifyFailure` when a referenced page does not verify or is missing.
pub(crate) fn read_database_chunk(
    storage: &dyn Storage,
    path: &Path,
    snapshot: &DbSnapshot,
    ids: &TrailerIds,
    page_size: usize,
    offset: u64,
    buf: &mut [u8],
) -> Result<usize, JetErr> {
    assert_eq!(offset % page_size as u64, 0, "reads advance by whole pages");
    let total_pages = u64::from(snapshot.header.page_count) + 1;
    let first = offset / page_size as u64;
    let pages = (buf.len() / page_size) as u64;
    let pages = pages.min(total_pages.saturating_sub(first));
    if pages == 0 {
        return Ok(0);
    }
    let first = u32::try_from(first).expect("below page_count + 1");
    let end = first + u32::try_from(pages).expect("below page_count + 1");
    let page_count = snapshot.header.page_count;
    // One read, straight into the caller's buffer, for the data pages of the chunk (those
    // past the two header slots); each is then verified where it landed.
    let (lo, hi) = (first.max(2), end.min(page_count));
    let read = if lo < hi {
        let at = (lo - first) as usize * page_size;
        let len = (hi - lo) as usize * page_size;
        storage
            .read_into(
                path,
                u64::from(lo) * page_size as u64,
                &mut buf[at..at + len],
            )
            .map_err(in_area(Area::Database))?
    } else {
        0
    };
    for pgno in first..end {
        let out = &mut buf[(pgno - first) as usize * page_size..][..page_size];
        match pgno {
            0 | 1 => out.copy_from_slice(&header_page_for_copy(&snapshot.header, page_size, pgno)),
            p if p < page_count && snapshot.live.contains(p) => {
                // A page past the end of what was read is missing: it cannot verify.
                if ((p - lo) as usize + 1) * page_size > read {
                    return Err(JetErr::ReadVerifyFailure);
                }
                verify_page(out, p)?;
            }
            p if p < page_count => out.fill(0),
            _ => out.copy_from_slice(&trailer_page(&snapshot.header, ids, page_size)),
        }
    }
    Ok(pages as usize * page_size)
}

/// Reads and verifies a closed log generation: `JET_errLogReadVerifyFailure` when any part of
/// it does not check, the I/O error's code when it cannot be read.
pub(crate) fn read_verified_log(
    storage: &dyn Storage,
    path: &Path,
    generation: u32,
    signature: u64,
) -> Result<Vec<u8>, JetErr> {
    let bytes = read_all(storage, path).map_err(in_area(Area::LogRead))?;
    if !verify_closed_generation(&bytes, generation, signature) {
        return Err(JetErr::LogReadVerifyFailure);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aligned_buffer_is_aligned_and_the_misaligned_one_is_not() {
        let mut b = AlignedBuffer::new(3 * 4096);
        assert_eq!(b.as_mut_slice().as_ptr() as usize % BUFFER_ALIGNMENT, 0);
        assert_eq!(b.misaligned_mut().as_ptr() as usize % BUFFER_ALIGNMENT, 1);
        assert_eq!(b.misaligned_mut().len(), 3 * 4096);
    }
}
