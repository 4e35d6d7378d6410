//! Read-ahead for a streamed database: while the caller writes out the chunk JetReadFile just
//! gave it, a worker thread reads and verifies the next chunks of the same size (up to
//! [`CHUNKS_AHEAD`]) into buffers of its own; the next JetReadFile copies one out instead of
//! reading. The pages a snapshot
//! references are pinned (no flush reuses them until the file is closed) and the rest of the
//! copy is zeros, the header and the trailer, all fixed at JetOpenFile, so a chunk read early
//! is the chunk read on time. Every page is verified exactly as without read-ahead, and a
//! failure is returned by the JetReadFile that asks for that chunk, never earlier.
//!
//! Only a backend that asks for it ([`crate::storage::Storage::reads_ahead`]: real files)
//! gets a worker; on the simulated and faulty backends reads stay on the caller's thread, in
//! the order the calls make them. Dropping the [`ReadAhead`]
//! (JetCloseFile, a failed read, the end of the backup) waits for the chunks in flight, so
//! no read outlives the open file.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use jetapi::JetErr;

use super::read::read_database_chunk;
use crate::dbfile::{DbSnapshot, TrailerIds};
use crate::storage::Storage;

/// A chunk asked for: its offset in the copy and a buffer of the chunk's size.
type Request = (u64, Vec<u8>);
/// A chunk read: its offset, the buffer, and what the read gave.
type Reply = (u64, Vec<u8>, Result<usize, JetErr>);

/// Chunks read ahead at most: enough that the caller rarely waits for the worker to be
/// scheduled, few enough to stay a few MiB (four of the largest JetReadFile buffers).
pub(crate) const CHUNKS_AHEAD: usize = 4;

/// The worker reading one open database copy ahead of its caller.
pub(crate) struct ReadAhead {
    requests: Option<Sender<Request>>,
    replies: Receiver<Reply>,
    worker: Option<JoinHandle<()>>,
    /// The chunks in flight, oldest first: offset and length.
    pending: VecDeque<(u64, usize)>,
    /// Buffers of chunks taken, reused for the next requests.
    spare: Vec<Vec<u8>>,
    /// The copy's size: nothing is asked for past it.
    size_bytes: u64,
}

impl fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadAhead")
            .field("pending", &self.pending)
            .finish()
    }
}

impl ReadAhead {
    /// A worker for the copy of `snapshot` at `path`; `None` when no thread can be started
    /// (reads then stay on the caller's thread).
    pub(crate) fn start(
        storage: Arc<dyn Storage>,
        path: PathBuf,
        snapshot: Arc<DbSnapshot>,
        ids: TrailerIds,
        page_size: usize,
        size_bytes: u64,
    ) -> Option<ReadAhead> {
        let (requests, inbox) = channel::<Request>();
        let (outbox, replies) = channel::<Reply>();
        let worker = std::thread::Builder::new()
            .name("jetspec-read-ahead".into())
            .spawn(move || {
                for (offset, mut buf) in inbox {
                    let read = read_database_chunk(
                        storage.as_ref(),
                        &path,
                        &snapshot,
                        &ids,
                        page_size,
                        offset,
                        &mut buf,
                    );
                    if outbox.send((offset, buf, read)).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(ReadAhead {
            requests: Some(requests),
            replies,
            worker: Some(worker),
            pending: VecDeque::new(),
            spare: Vec::new(),
            size_bytes,
        })
    }

    /// Keeps [`CHUNKS_AHEAD`] chunks of `len` bytes in flight from `offset` on (none past
    /// the end of the copy). Chunks in flight of another length or elsewhere are dropped.
    pub(crate) fn request(&mut self, offset: u64, len: usize) {
        let expected = self
            .pending
            .front()
            .is_none_or(|(at, l)| *at == offset && *l == len);
        if !expected {
            self.drain();
        }
        let mut next = self.pending.back().map_or(offset, |(at, l)| at + *l as u64);
        while self.pending.len() < CHUNKS_AHEAD && next < self.size_bytes {
            let mut buf = self.spare.pop().unwrap_or_default();
            buf.resize(len, 0);
            let sent = self
                .requests
                .as_ref()
                .is_some_and(|r| r.send((next, buf)).is_ok());
            if !sent {
                return;
            }
            self.pending.push_back((next, len));
            next += len as u64;
        }
    }

    fn drain(&mut self) {
        while self.pending.pop_front().is_some() {
            if let Ok((_, buf, _)) = self.replies.recv() {
                self.spare.push(buf);
            }
        }
    }

    /// Copies the chunk at `offset` into `out` when it is the next one read ahead (same
    /// offset and length): what the read gave. `None` when it is not (every chunk in flight
    /// is dropped): the caller reads it itself.
    pub(crate) fn take(&mut self, offset: u64, out: &mut [u8]) -> Option<Result<usize, JetErr>> {
        if self.pending.front() != Some(&(offset, out.len())) {
            self.drain();
            return None;
        }
        self.pending.pop_front();
        let (at, buf, read) = self.replies.recv().ok()?;
        debug_assert_eq!(at, offset, "replies come in request order");
        let result = read.inspect(|n| out[..*n].copy_from_slice(&buf[..*n]));
        self.spare.push(buf);
        Some(result)
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Closing the request channel ends the worker once its chunk in flight is read.
        self.requests = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
