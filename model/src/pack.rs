//! A [`State`] packed losslessly into a few machine words, and its 64-bit fingerprint.
//!
//! The search hashes one state per edge that changes something, hundreds of millions of times
//! for the `default` configuration. A derived `Hash` feeds the hasher one field at a time, each
//! step waiting for the last multiply; packing the fields with shifts first and mixing nine
//! words is several times cheaper. Every field is written at a fixed width that holds all its
//! values (a `u8` in 8 bits, an `Option` as a presence bit and its value), so two states pack
//! alike only when they are equal; each struct is destructured whole, so a new field that is
//! not packed does not compile.

use crate::config::{MAX_DBS, MAX_INSTANCES};
use crate::state::{
    Backup, BackupKind, CheckpointFile, Db, DbFile, FileTarget, Health, Instance, Life, LogRanges,
    OpenFile, Pending, Phase, Probe, REOPEN_MAX, RunMode, Saved, Session, Settings, State, Storage,
    Violation,
};

/// Words per packed instance.
const INSTANCE_WORDS: usize = 4;
/// Words in a packed state.
pub const PACKED_WORDS: usize = 1 + INSTANCE_WORDS * MAX_INSTANCES;

/// A state as words.
pub type Packed = [u64; PACKED_WORDS];

/// One word's fields, appended low bit first. Each word is built in a local, so that once
/// inlined the packing is register shifts (building an array in memory word by word stalled
/// on store forwarding). A field that does not fit its word (63 bits: the top bit stays clear)
/// is a programmer error, caught by the `assert!` (which the compiler folds away when the
/// widths add up).
#[derive(Clone, Copy)]
struct Word {
    bits: u64,
    at: u32,
}

impl Word {
    const fn new() -> Word {
        Word { bits: 0, at: 0 }
    }

    /// Appends the low `width` bits of `value` (which must not have higher bits set).
    #[inline(always)]
    fn put(&mut self, value: u64, width: u32) {
        // The top bit stays clear: see [`fingerprint`].
        assert!(self.at + width <= 63, "a packed word overflows");
        debug_assert!(width == 64 || value >> width == 0);
        self.bits |= value << self.at;
        self.at += width;
    }

    #[inline(always)]
    fn flag(&mut self, b: bool) {
        self.put(u64::from(b), 1);
    }

    #[inline(always)]
    fn byte(&mut self, v: u8) {
        self.put(u64::from(v), 8);
    }

    /// A presence bit, then `width` bits: the value's when present, zeros when absent. Every
    /// field has a fixed place.
    #[inline(always)]
    fn option<T: Copy>(&mut self, v: Option<T>, width: u32, put: impl FnOnce(&mut Self, T)) {
        self.flag(v.is_some());
        let end = self.at + width;
        if let Some(v) = v {
            put(self, v);
        }
        debug_assert!(self.at <= end, "a value wider than its field");
        self.at = end;
    }
}

/// The packed form of `state`.
#[inline]
pub fn pack(state: &State) -> Packed {
    let State {
        mode,
        defaults,
        instances,
        pending,
        violation,
        probe,
        hazard,
    } = state;
    let mut top = Word::new();
    top.put(
        match mode {
            RunMode::NoSet => 0,
            RunMode::OneInst => 1,
            RunMode::MultiInst => 2,
        },
        2,
    );
    let Settings {
        circular,
        recovery_off,
    } = defaults;
    top.flag(*circular);
    top.flag(*recovery_off);
    top.option(*pending, 36, |b, p| match p {
        Pending::Term { slot, grbit } => {
            b.flag(false);
            b.put(u64::from(slot), SLOT_BITS);
            b.put(u64::from(grbit), 32);
        }
        Pending::Restore { slot, temporary } => {
            b.flag(true);
            b.put(u64::from(slot), SLOT_BITS);
            b.put(u64::from(temporary), 32);
        }
    });
    top.option(*violation, 1, |b, v| {
        b.flag(match v {
            Violation::BackupWouldNotRestore => false,
            Violation::CommittedTransactionLost => true,
        });
    });
    top.put(probe.map_or(0, probe_tag), 5);
    top.byte(probe.map_or(0, probe_arg));
    top.flag(match hazard {
        None => false,
        Some(crate::state::Hazard::TruncatedUncopiedLog) => true,
    });
    let mut out = [0u64; PACKED_WORDS];
    out[0] = top.bits;
    for (i, inst) in instances.iter().enumerate() {
        let words = pack_instance(inst);
        out[1 + i * INSTANCE_WORDS..1 + (i + 1) * INSTANCE_WORDS].copy_from_slice(&words);
    }
    out
}

/// The 64-bit fingerprint of `state`: the packed words taken two at a time, each xored with
/// its own constant and multiplied into a full 128-bit product whose halves are xored (a
/// "folded multiply", as wyhash and foldhash mix), and the pairs' results xored together. A
/// difference in any bit of either word reaches every bit of its pair's result, and the pairs
/// do not wait for each other: five independent multiplies where a chain over the words took
/// ten in a row. Every packed word leaves its top bit clear ([`Word::put`]; the widest, a
/// storage's files, uses 61 bits) and every constant has it set, so no factor is ever zero. (A plain multiply
/// only carries differences upwards; with it, 0.6% of the `default` states shared a
/// fingerprint with another. The search counts every state, so a shared fingerprint would
/// change the pinned counts.)
#[inline]
pub fn fingerprint(state: &State) -> u64 {
    // Hexadecimal digits of pi, top bit set.
    const KEYS: [u64; 10] = [
        0x243F_6A88_85A3_08D3 | TOP,
        0x1319_8A2E_0370_7344 | TOP,
        0xA409_3822_299F_31D0 | TOP,
        0x082E_FA98_EC4E_6C89 | TOP,
        0x4528_21E6_38D0_1377 | TOP,
        0xBE54_66CF_34E9_0C6C | TOP,
        0xC0AC_29B7_C97C_50DD | TOP,
        0x3F84_D5B5_B547_0917 | TOP,
        0x9216_D5D9_8979_FB1B | TOP,
        0xD131_0BA6_98DF_B5AC | TOP,
    ];
    const TOP: u64 = 1 << 63;
    const _: () = assert!(KEYS.len() >= PACKED_WORDS.div_ceil(2) * 2);
    let words = pack(state);
    let mut h = 0;
    for i in 0..PACKED_WORDS.div_ceil(2) {
        let a = words[2 * i];
        let b = words.get(2 * i + 1).copied().unwrap_or(0);
        h ^= folded_multiply(a ^ KEYS[2 * i], b ^ KEYS[2 * i + 1]);
    }
    h
}

#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// Bits of a slot number: every slot index fits.
const SLOT_BITS: u32 = 3;
const _: () = assert!(MAX_INSTANCES <= 1 << SLOT_BITS);

/// A probe's kind, 1 and up (0: none).
fn probe_tag(p: Probe) -> u64 {
    match p {
        Probe::Corrupt(FileTarget::Db(_)) => 1,
        Probe::Corrupt(FileTarget::Log(_)) => 2,
        Probe::Corrupt(FileTarget::Patch) => 3,
        Probe::AllocFails { buffers: false } => 4,
        Probe::AllocFails { buffers: true } => 5,
        Probe::SessionContext => 6,
        Probe::OneDbPerSession => 7,
        Probe::LockedByOtherSession(_) => 8,
        Probe::AttachedElsewhere(_) => 9,
        Probe::SixAttached => 10,
        Probe::ReadOnly(_) => 11,
        Probe::Held(FileTarget::Db(_)) => 12,
        Probe::Held(FileTarget::Log(_)) => 13,
        Probe::Held(FileTarget::Patch) => 14,
        Probe::PageSizeChanged => 15,
        Probe::InitHeld => 16,
        Probe::Spent => 17,
    }
}

/// A probe's database or generation (0 for the kinds without one).
fn probe_arg(p: Probe) -> u8 {
    match p {
        Probe::Corrupt(t) | Probe::Held(t) => match t {
            FileTarget::Db(d) => d,
            FileTarget::Log(g) => g,
            FileTarget::Patch => 0,
        },
        Probe::LockedByOtherSession(d) | Probe::AttachedElsewhere(d) | Probe::ReadOnly(d) => d,
        Probe::AllocFails { .. }
        | Probe::SessionContext
        | Probe::OneDbPerSession
        | Probe::SixAttached
        | Probe::PageSizeChanged
        | Probe::InitHeld
        | Probe::Spent => 0,
    }
}

#[inline(always)]
fn file_target(b: &mut Word, t: FileTarget) {
    match t {
        FileTarget::Db(d) => {
            b.put(0, 2);
            b.byte(d);
        }
        FileTarget::Log(g) => {
            b.put(1, 2);
            b.byte(g);
        }
        FileTarget::Patch => {
            b.put(2, 2);
            b.byte(0);
        }
    }
}

/// Four words: the instance's own fields and the storage's generations (63 bits), the
/// storage's databases and saved set (61), the backup (51), the backup's log ranges (33).
#[inline(always)]
fn pack_instance(inst: &Instance) -> [u64; INSTANCE_WORDS] {
    let Instance {
        life,
        name,
        settings,
        stop_service,
        backup_allowed,
        health,
        session,
        open_dbs,
        reopened,
        backup,
        storage,
    } = *inst;
    let mut own = Word::new();
    own.put(
        match life {
            Life::Unused => 0,
            Life::Created => 1,
            Life::Initialized => 2,
        },
        2,
    );
    own.option(name, 8, Word::byte);
    let Settings {
        circular,
        recovery_off,
    } = settings;
    own.flag(circular);
    own.flag(recovery_off);
    own.flag(stop_service);
    own.flag(backup_allowed);
    own.put(
        match health {
            Health::Ok => 0,
            Health::LogStopped => 1,
            Health::LogDiskLow => 2,
            Health::Unavailable => 3,
            Health::UnavailableLogDiskFull => 4,
        },
        3,
    );
    own.put(
        match session {
            Session::None => 0,
            Session::Open => 1,
            Session::InTransaction => 2,
        },
        2,
    );
    own.put(u64::from(open_dbs), MAX_DBS as u32);
    for count in reopened {
        debug_assert!(count <= REOPEN_MAX);
        own.put(u64::from(count), REOPEN_MAX.count_ones());
    }
    let mut files = Word::new();
    pack_storage(&mut own, &mut files, &storage);
    let (mut main, mut ranges) = (Word::new(), Word::new());
    main.flag(backup.is_some());
    ranges.flag(backup.is_some());
    if let Some(backup) = backup {
        pack_backup(&mut main, &mut ranges, backup);
    }
    [own.bits, files.bits, main.bits, ranges.bits]
}

#[inline(always)]
fn pack_backup(main: &mut Word, ranges: &mut Word, backup: Backup) {
    let Backup {
        kind,
        phase,
        stop,
        file,
        begin_checkpoint,
        ranges: log_ranges,
        dbs_copied,
        logs_copied,
        copy_sum,
        truncated,
    } = backup;
    main.put(
        match kind {
            BackupKind::Full => 0,
            BackupKind::Incremental => 1,
            BackupKind::Surrogate => 2,
        },
        2,
    );
    main.flag(phase == Phase::Logs);
    main.flag(stop);
    main.option(
        file,
        11,
        |b,
         OpenFile {
             target,
             read_to_end,
         }| {
            file_target(b, target);
            b.flag(read_to_end);
        },
    );
    main.byte(begin_checkpoint);
    main.byte(dbs_copied);
    main.put(u64::from(logs_copied), 16);
    main.flag(truncated);
    ranges.option(
        log_ranges,
        32,
        |b,
         LogRanges {
             copy_mic,
             copy_mac,
             delete_mic,
             delete_mac,
         }| {
            for g in [copy_mic, copy_mac, delete_mic, delete_mac] {
                b.byte(g);
            }
        },
    );
    ranges.byte(copy_sum);
}

#[inline(always)]
fn pack_storage(own: &mut Word, files: &mut Word, storage: &Storage) {
    let Storage {
        current,
        checkpoint,
        oldest,
        checkpoint_file,
        dbs,
        saved,
        current_split,
        checkpoint_late,
        oldest_trimmed,
    } = *storage;
    own.byte(current);
    own.byte(checkpoint);
    own.byte(oldest);
    own.put(
        match checkpoint_file {
            CheckpointFile::Good => 0,
            CheckpointFile::Missing => 1,
            CheckpointFile::Corrupt => 2,
        },
        2,
    );
    own.flag(current_split);
    own.flag(checkpoint_late);
    own.flag(oldest_trimmed);
    for Db {
        file,
        full_high,
        inc_high,
    } in dbs
    {
        files.put(
            match file {
                DbFile::Absent => 0,
                DbFile::Attached => 1,
                DbFile::Detached => 2,
            },
            2,
        );
        files.byte(full_high);
        files.byte(inc_high);
    }
    files.option(saved, 24, |b, Saved { low, high, dbs }| {
        b.byte(low);
        b.byte(high);
        b.byte(dbs);
    });
}
