//! ESE's fixed sizes and limits that both sides need: the structures calls copy out, and how
//! many databases an instance may attach. Values from ESE's public header (`jethdr.w`) and its
//! source (`daeconst.hxx`, `fmp.cxx`) at `7030fe7`.

/// `sizeof(JET_SIGNATURE)`: `ulRandom`, a `JET_LOGTIME` and a 16-byte computer name.
pub const JET_SIGNATURE_BYTES: usize = 28;
/// `sizeof(JET_CHECKPOINTINFO)`: `genMin`, `genMax` and a `JET_LOGTIME`.
pub const JET_CHECKPOINTINFO_BYTES: usize = 16;
/// `sizeof(JET_RBSINFOMISC)`.
pub const JET_RBSINFOMISC_BYTES: usize = 40;
/// User databases one instance may attach at once: `dbidMax` is 7 and database id 0 is the
/// temporary database (`FMP::ErrNewAndWriteLatch`: `JET_errTooManyAttachedDatabases`).
pub const USER_DATABASES_MAX: usize = 6;
