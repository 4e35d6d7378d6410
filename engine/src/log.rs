//! The write-ahead log: generations of checksummed records, written by [`LogWriter`] and read
//! back by [`read_generation`]. Byte layouts are in `docs/file-formats.md`; the roll and commit
//! steps are in `docs/durability.md`.
//!
//! A record's checksum covers its generation and offset as well as its body, so a record is
//! valid only where it was written; a reader stops at the first record that does not check.

use std::path::{Path, PathBuf};

use jetapi::JetErr;

use crate::codec::{Reader, Writer, crc32c};
use crate::errors::{Area, in_area};
use crate::generations::GenerationLimit;
use crate::paths::{archived_log, current_log, next_log};
use crate::storage::Storage;

/// The signature at the start of every log file.
pub const LOG_MAGIC: &[u8; 4] = b"JSLG";
/// The log format version this engine writes.
pub const LOG_FORMAT_VERSION: u32 = 1;
/// Bytes of a log file's header; records start here.
pub const LOG_HEADER_BYTES: u32 = 64;
const RECORD_FRAME: usize = 8;

/// A position in the log: a generation and a byte offset in its file. Ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LogPos {
    /// The generation.
    pub generation: u32,
    /// The byte offset of a record in that generation's file.
    pub offset: u32,
}

/// A change made inside a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOp {
    /// A table was created.
    CreateTable {
        /// The database's log id.
        db: u32,
        /// The table.
        table: String,
    },
    /// A record was inserted or replaced.
    Put {
        /// The database's log id.
        db: u32,
        /// The table.
        table: String,
        /// The primary key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// A record was deleted.
    Delete {
        /// The database's log id.
        db: u32,
        /// The table.
        table: String,
        /// The primary key.
        key: Vec<u8>,
    },
}

/// A log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogRecord {
    /// A change of transaction `txn`.
    Op {
        /// The transaction.
        txn: u64,
        /// The change.
        op: TxnOp,
    },
    /// Transaction `txn` committed.
    Commit {
        /// The transaction.
        txn: u64,
    },
    /// Transaction `txn` rolled back.
    Rollback {
        /// The transaction.
        txn: u64,
    },
    /// A database was attached (or created) under log id `db`.
    Attach {
        /// The log id.
        db: u32,
        /// The path relative to the storage root.
        path: String,
        /// The database's signature.
        db_signature: u64,
    },
    /// The database with log id `db` was detached.
    Detach {
        /// The log id.
        db: u32,
    },
}

impl TxnOp {
    /// The database the change is in.
    pub fn db(&self) -> u32 {
        match self {
            TxnOp::CreateTable { db, .. } | TxnOp::Put { db, .. } | TxnOp::Delete { db, .. } => *db,
        }
    }
}

fn encode_op(w: &mut Writer, op: &TxnOp) {
    match op {
        TxnOp::CreateTable { db, table } => {
            w.u8(1).u32(*db).blob16(table.as_bytes());
        }
        TxnOp::Put {
            db,
            table,
            key,
            value,
        } => {
            w.u8(2)
                .u32(*db)
                .blob16(table.as_bytes())
                .blob16(key)
                .blob16(value);
        }
        TxnOp::Delete { db, table, key } => {
            w.u8(3).u32(*db).blob16(table.as_bytes()).blob16(key);
        }
    }
}

fn text(r: &mut Reader<'_>) -> Option<String> {
    String::from_utf8(r.blob16()?.to_vec()).ok()
}

fn decode_op(r: &mut Reader<'_>) -> Option<TxnOp> {
    Some(match r.u8()? {
        1 => TxnOp::CreateTable {
            db: r.u32()?,
            table: text(r)?,
        },
        2 => TxnOp::Put {
            db: r.u32()?,
            table: text(r)?,
            key: r.blob16()?.to_vec(),
            value: r.blob16()?.to_vec(),
        },
        3 => TxnOp::Delete {
            db: r.u32()?,
            table: text(r)?,
            key: r.blob16()?.to_vec(),
        },
        _ => return None,
    })
}

impl LogRecord {
    /// The record's body.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            LogRecord::Op { txn, op } => {
                w.u8(1).u64(*txn);
                encode_op(&mut w, op);
            }
            LogRecord::Commit { txn } => {
                w.u8(2).u64(*txn);
            }
            LogRecord::Rollback { txn } => {
                w.u8(3).u64(*txn);
            }
            LogRecord::Attach {
                db,
                path,
                db_signature,
            } => {
                w.u8(4).u32(*db).blob16(path.as_bytes()).u64(*db_signature);
            }
            LogRecord::Detach { db } => {
                w.u8(5).u32(*db);
            }
        }
        debug_assert_eq!(
            LogRecord::decode(&w.buf).as_ref(),
            Some(self),
            "a record decodes to itself"
        );
        w.buf
    }

    /// Reads a body; `None` when it is not a record.
    pub fn decode(body: &[u8]) -> Option<LogRecord> {
        let mut r = Reader::new(body);
        let rec = match r.u8()? {
            1 => LogRecord::Op {
                txn: r.u64()?,
                op: decode_op(&mut r)?,
            },
            2 => LogRecord::Commit { txn: r.u64()? },
            3 => LogRecord::Rollback { txn: r.u64()? },
            4 => LogRecord::Attach {
                db: r.u32()?,
                path: text(&mut r)?,
                db_signature: r.u64()?,
            },
            5 => LogRecord::Detach { db: r.u32()? },
            _ => return None,
        };
        (r.pos() == body.len()).then_some(rec)
    }
}

fn frame_record(pos: LogPos, body: &[u8]) -> Vec<u8> {
    let mut covered = Writer::new();
    covered.u32(pos.generation).u32(pos.offset).bytes(body);
    let mut w = Writer::new();
    w.u32(u32::try_from(body.len()).expect("records are far below 4 GiB"));
    w.u32(crc32c(&covered.buf)).bytes(body);
    w.buf
}

/// A log file's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogHeader {
    /// The generation this file holds.
    pub generation: u32,
    /// The log stream's signature, shared by every generation and the checkpoint.
    pub signature: u64,
    /// `JET_paramLogFileSize` when it was written, KiB.
    pub size_kib: u32,
    /// `JET_paramDatabasePageSize` when it was written, bytes. A header whose field is 0 (one
    /// written before the field existed) reads as [`PAGE_SIZE_DEFAULT`], as ESE reads a 0
    /// `le_cbPageSize` (`LOG_STREAM::ErrLGReadFileHdr`).
    pub page_size: u32,
}

/// The page size a log header with no recorded page size stands for (ESE's default).
pub const PAGE_SIZE_DEFAULT: u32 = 8192;

fn encode_log_header(h: &LogHeader, base: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.bytes(LOG_MAGIC)
        .u32(LOG_FORMAT_VERSION)
        .u32(h.generation)
        .u32(h.size_kib)
        .u64(h.signature);
    let mut name = [0u8; 4];
    name[..base.len().min(3)].copy_from_slice(&base.as_bytes()[..base.len().min(3)]);
    w.bytes(&name);
    w.u32(h.page_size);
    w.buf.resize(LOG_HEADER_BYTES as usize - 4, 0);
    let crc = crc32c(&w.buf);
    w.u32(crc);
    w.buf
}

/// Decodes a log file's header from its first bytes; `None` when it does not check.
fn decode_log_header(raw: &[u8]) -> Option<LogHeader> {
    let n = LOG_HEADER_BYTES as usize;
    let raw = raw.get(..n)?;
    if crc32c(&raw[..n - 4]) != u32::from_le_bytes(raw[n - 4..].try_into().ok()?) {
        return None;
    }
    let mut r = Reader::new(raw);
    if r.take(4)? != LOG_MAGIC.as_slice() || r.u32()? != LOG_FORMAT_VERSION {
        return None;
    }
    let generation = r.u32()?;
    let size_kib = r.u32()?;
    let signature = r.u64()?;
    r.take(4)?;
    let page_size = match r.u32()? {
        0 => PAGE_SIZE_DEFAULT,
        n => n,
    };
    Some(LogHeader {
        generation,
        signature,
        size_kib,
        page_size,
    })
}

/// Reads a log file's header; `LogFileCorrupt` when it does not check.
pub fn read_log_header(storage: &dyn Storage, path: &Path) -> Result<LogHeader, JetErr> {
    let raw = storage
        .read_at(path, 0, LOG_HEADER_BYTES as usize)
        .map_err(in_area(Area::LogRead))?;
    decode_log_header(&raw).ok_or(JetErr::LogFileCorrupt)
}

/// Verifies a whole closed generation as a backup reads it: the header checks and names
/// `generation` of the stream `signature`, and valid records run from the header exactly to
/// the end of the file (a closed generation has no tail). False on any mismatch.
pub fn verify_closed_generation(bytes: &[u8], generation: u32, signature: u64) -> bool {
    let header_ok = decode_log_header(bytes)
        .is_some_and(|h| h.generation == generation && h.signature == signature);
    if !header_ok {
        return false;
    }
    let mut offset = LOG_HEADER_BYTES as usize;
    while offset < bytes.len() {
        let Some(frame) = bytes.get(offset..offset + RECORD_FRAME) else {
            return false;
        };
        let len = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(frame[4..8].try_into().expect("4 bytes"));
        let Some(body) = bytes.get(offset + RECORD_FRAME..offset + RECORD_FRAME + len) else {
            return false;
        };
        let mut covered = Writer::new();
        covered.u32(generation).u32(offset as u32).bytes(body);
        if len == 0 || crc32c(&covered.buf) != crc || LogRecord::decode(body).is_none() {
            return false;
        }
        offset += RECORD_FRAME + len;
    }
    true
}

/// The valid records of one generation from `from` on, and where they end.
pub fn read_generation(
    storage: &dyn Storage,
    path: &Path,
    generation: u32,
    from: u32,
) -> Result<(Vec<(LogPos, LogRecord)>, u32), JetErr> {
    let bytes = crate::storage::read_all(storage, path).map_err(in_area(Area::LogRead))?;
    let mut out = Vec::new();
    let mut offset = from.max(LOG_HEADER_BYTES) as usize;
    while let Some(frame) = bytes.get(offset..offset + RECORD_FRAME) {
        let len = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(frame[4..8].try_into().expect("4 bytes"));
        let Some(body) = bytes.get(offset + RECORD_FRAME..offset + RECORD_FRAME + len) else {
            break;
        };
        let pos = LogPos {
            generation,
            offset: offset as u32,
        };
        let mut covered = Writer::new();
        covered.u32(generation).u32(pos.offset).bytes(body);
        if len == 0 || crc32c(&covered.buf) != crc {
            break;
        }
        let record = LogRecord::decode(body).ok_or(JetErr::LogFileCorrupt)?;
        out.push((pos, record));
        offset += RECORD_FRAME + len;
    }
    Ok((out, offset as u32))
}

/// Appends records to the current generation and rolls generations.
#[derive(Debug)]
pub struct LogWriter {
    dir: PathBuf,
    base: String,
    signature: u64,
    size_kib: u32,
    page_size: u32,
    generation: u32,
    file_len: u32,
    pending: Vec<u8>,
    /// The last generation a roll may reach (`generations.rs`).
    generation_max: GenerationLimit,
    /// Generations rolled so far by this writer.
    pub rolls: u64,
}

impl LogWriter {
    /// Starts generation `generation` in a new current log (`<base>.log` must not exist).
    /// `sizes` are `JET_paramLogFileSize` (KiB) and `JET_paramDatabasePageSize` (bytes).
    pub fn start(
        storage: &dyn Storage,
        dir: &Path,
        base: &str,
        signature: u64,
        (size_kib, page_size): (u32, u32),
        generation: u32,
    ) -> Result<LogWriter, JetErr> {
        let w = LogWriter {
            dir: dir.to_path_buf(),
            base: base.to_string(),
            signature,
            size_kib,
            page_size,
            generation,
            file_len: LOG_HEADER_BYTES,
            pending: Vec::new(),
            generation_max: GenerationLimit::default(),
            rolls: 0,
        };
        let io = in_area(Area::LogWrite);
        let tmp = next_log(dir, base);
        w.write_new_header(storage, &tmp, generation)?;
        storage.rename(&tmp, &current_log(dir, base)).map_err(&io)?;
        storage.sync_dir(dir).map_err(&io)?;
        Ok(w)
    }

    /// This writer, whose rolls stop at `limit` (the engine's, which a harness may lower)
    /// instead of [`crate::generations::GENERATION_MAX`].
    pub fn limited_by(mut self, limit: GenerationLimit) -> LogWriter {
        self.generation_max = limit;
        self
    }

    fn write_new_header(
        &self,
        storage: &dyn Storage,
        path: &Path,
        generation: u32,
    ) -> Result<(), JetErr> {
        let io = in_area(Area::LogWrite);
        let header = LogHeader {
            generation,
            signature: self.signature,
            size_kib: self.size_kib,
            page_size: self.page_size,
        };
        storage.create(path).map_err(&io)?;
        storage
            .write_at(path, 0, &encode_log_header(&header, &self.base))
            .map_err(&io)?;
        storage.sync(path).map_err(&io)
    }

    /// The position the next record gets.
    pub fn end(&self) -> LogPos {
        LogPos {
            generation: self.generation,
            offset: self.file_len + self.pending.len() as u32,
        }
    }

    /// The log's signature.
    pub fn signature(&self) -> u64 {
        self.signature
    }

    /// The size of one generation, bytes.
    pub fn size_bytes(&self) -> u64 {
        u64::from(self.size_kib) * 1024
    }

    /// Buffers a record (not yet durable), rolling first when it does not fit.
    pub fn append(&mut self, storage: &dyn Storage, record: &LogRecord) -> Result<LogPos, JetErr> {
        let body = record.encode();
        let needed = (RECORD_FRAME + body.len()) as u64;
        if u64::from(self.end().offset) + needed > self.size_bytes()
            && self.end().offset > LOG_HEADER_BYTES
        {
            self.roll(storage)?;
        }
        let pos = self.end();
        self.pending.extend_from_slice(&frame_record(pos, &body));
        Ok(pos)
    }

    /// Writes buffered records and syncs the current log: everything appended is durable.
    pub fn flush(&mut self, storage: &dyn Storage) -> Result<(), JetErr> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let io = in_area(Area::LogWrite);
        let path = current_log(&self.dir, &self.base);
        storage
            .write_at(&path, u64::from(self.file_len), &self.pending)
            .map_err(&io)?;
        storage.sync(&path).map_err(&io)?;
        self.file_len += self.pending.len() as u32;
        self.pending.clear();
        Ok(())
    }

    /// Closes the current generation and starts the next (steps in docs/durability.md);
    /// `JET_errLogSequenceEnd`, after the flush, when the current one is the last.
    pub fn roll(&mut self, storage: &dyn Storage) -> Result<(), JetErr> {
        let io = in_area(Area::LogWrite);
        self.flush(storage)?;
        let next = self
            .generation
            .checked_add(1)
            .filter(|g| *g <= self.generation_max.get())
            .ok_or(JetErr::LogSequenceEnd)?;
        let tmp = next_log(&self.dir, &self.base);
        self.write_new_header(storage, &tmp, next)?;
        let current = current_log(&self.dir, &self.base);
        storage
            .rename(
                &current,
                &archived_log(&self.dir, &self.base, self.generation),
            )
            .map_err(&io)?;
        storage.rename(&tmp, &current).map_err(&io)?;
        storage.sync_dir(&self.dir).map_err(&io)?;
        self.generation = next;
        self.file_len = LOG_HEADER_BYTES;
        self.rolls += 1;
        Ok(())
    }
}
