//! The checkpoint file (`<base>.chk` in the system path): where crash recovery starts and which
//! databases were attached there. Two ping-pong slots of [`SLOT_BYTES`], each checksummed; the
//! valid slot with the higher sequence number wins, so a torn write loses only the newest one.

use std::path::Path;

use jetapi::JetErr;

use crate::codec::{Reader, Writer, crc32c};
use crate::errors::{Area, in_area};
use crate::log::LogPos;
use crate::storage::{Storage, parent_dir};

/// The signature of a checkpoint slot.
pub const CHK_MAGIC: &[u8; 4] = b"JSCK";
/// The checkpoint format version.
pub const CHK_FORMAT_VERSION: u32 = 1;
/// Bytes per slot.
pub const SLOT_BYTES: usize = 4096;

/// The checkpoint's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Incremented on every write; selects the slot.
    pub seq: u64,
    /// The log stream's signature.
    pub log_signature: u64,
    /// Recovery replays from here.
    pub pos: LogPos,
    /// Databases attached at `pos`: log id and path.
    pub attached: Vec<(u32, String)>,
}

fn encode(c: &Checkpoint) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(0)
        .bytes(CHK_MAGIC)
        .u32(CHK_FORMAT_VERSION)
        .u64(c.seq)
        .u64(c.log_signature);
    w.u32(c.pos.generation).u32(c.pos.offset);
    w.u32(u32::try_from(c.attached.len()).expect("few databases"));
    for (db, path) in &c.attached {
        w.u32(*db).blob16(path.as_bytes());
    }
    assert!(w.buf.len() <= SLOT_BYTES, "checkpoint slot overflows");
    w.buf.resize(SLOT_BYTES, 0);
    let crc = crc32c(&w.buf[4..]);
    w.buf[0..4].copy_from_slice(&crc.to_le_bytes());
    w.buf
}

fn decode(slot: &[u8]) -> Option<Checkpoint> {
    if slot.len() != SLOT_BYTES {
        return None;
    }
    let mut r = Reader::new(slot);
    if r.u32()? != crc32c(&slot[4..]) || r.take(4)? != CHK_MAGIC || r.u32()? != CHK_FORMAT_VERSION {
        return None;
    }
    let seq = r.u64()?;
    let log_signature = r.u64()?;
    let pos = LogPos {
        generation: r.u32()?,
        offset: r.u32()?,
    };
    let n = r.u32()?;
    let mut attached = Vec::new();
    for _ in 0..n {
        let db = r.u32()?;
        attached.push((db, String::from_utf8(r.blob16()?.to_vec()).ok()?));
    }
    Some(Checkpoint {
        seq,
        log_signature,
        pos,
        attached,
    })
}

/// Reads the checkpoint; `None` when the file does not exist.
pub fn read(storage: &dyn Storage, path: &Path) -> Result<Option<Checkpoint>, JetErr> {
    let io = in_area(Area::Checkpoint);
    if !storage.exists(path).map_err(&io)? {
        return Ok(None);
    }
    let bytes = crate::storage::read_all(storage, path).map_err(&io)?;
    let a = bytes.get(..SLOT_BYTES).and_then(decode);
    let b = bytes.get(SLOT_BYTES..2 * SLOT_BYTES).and_then(decode);
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some(if a.seq > b.seq { a } else { b })),
        (Some(c), None) | (None, Some(c)) => Ok(Some(c)),
        (None, None) => Err(JetErr::CheckpointCorrupt),
    }
}

/// Writes `c` to the slot of its sequence number and syncs. With `create`, the file is made
/// first (both slots written) and its directory entry made durable.
pub fn write(
    storage: &dyn Storage,
    path: &Path,
    c: &Checkpoint,
    create: bool,
) -> Result<(), JetErr> {
    let io = in_area(Area::Checkpoint);
    let page = encode(c);
    debug_assert_eq!(
        decode(&page).as_ref(),
        Some(c),
        "a checkpoint decodes to itself"
    );
    // ESE writes the checkpoint by name: fileu.cxx ErrUtilWriteShadowedHeaderInternal opens
    // it and, on JET_errFileNotFound, creates it again (both copies written).
    let create = create || !storage.exists(path).map_err(&io)?;
    if create {
        storage.create(path).map_err(&io)?;
        storage.write_at(path, 0, &page).map_err(&io)?;
        storage
            .write_at(path, SLOT_BYTES as u64, &page)
            .map_err(&io)?;
        storage.sync(path).map_err(&io)?;
        return storage.sync_dir(parent_dir(path)).map_err(&io);
    }
    let slot = (c.seq % 2) * SLOT_BYTES as u64;
    storage.write_at(path, slot, &page).map_err(&io)?;
    storage.sync(path).map_err(&io)
}
