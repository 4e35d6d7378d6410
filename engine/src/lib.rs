//! A real storage engine that implements ESE's instance and data API on real files:
//! checksummed database pages, a write-ahead log in generations, a checkpoint, crash recovery
//! (this issue, 4), and later streaming backup, log truncation and hard recovery (issue 5).
//!
//! Everything goes through [`Engine`]: one method per ESE call, named after it in snake case
//! (`JetTerm2` is [`Engine::term2`]), returning `Result<_, jetapi::JetErr>`. Handles are
//! newtypes over the raw values a caller passes ([`InstanceHandle`], [`SessionHandle`],
//! [`DatabaseId`], [`TableId`]), so 0, `JET_instanceNil`, stale and made-up values reach the
//! engine and get the documented code. Output pointers are `Option<&mut _>` (`None` is NULL).
//! Every file operation goes through the [`storage::Storage`] seam.
//!
//! Streaming backup (issue 5) is in `backup/`: `impl Engine` methods entering through the same
//! checks (`Process::find`, `api_enter`), the backup's state in the instance's `Core`, the log
//! roll of `LogWriter::roll`, and the backups recorded in `DbHeader::backups`.
//!
//! Where ESE's implementation and its documentation disagree (`jetspec divergences`), the
//! engine follows a [`Profile`]: `esent` (the default, [`Engine::new`]) does what the
//! implementation does, `documented` ([`Engine::with_profile`]) what the pages say, for every
//! divergence that touches a call the engine builds: End's abort codes, failures cancelling a
//! backup, TruncateLog's copy check, JetBackup's grbit, JetTerm with a backup or a
//! transaction, a failed term, handle validation, the unavailable code, JetEnableMultiInstance
//! twice, and the restore range and log-gap codes. The trace replay runs the engine in the
//! profile a trace names.
//!
//! Architecture invariant: this crate never depends on `model`; it speaks to the rest of
//! jetspec only through `jetapi`. Layouts are in `docs/file-formats.md`, write orders in
//! `docs/durability.md`.

pub mod allocation;
pub mod backup;
pub mod checkpoint;
pub mod codec;
pub mod core;
mod data;
pub mod dbfile;
mod engine;
mod environment;
pub mod errors;
pub mod generations;
pub mod handles;
pub mod lifecycle;
pub mod log;
pub mod misc_info;
pub mod mutant;
pub mod params;
pub mod paths;
pub mod pause;
pub mod recovery;
pub mod restore;
mod startup;
pub mod storage;
mod tables;

pub use backup::{AlignedBuffer, BackupFileHandle, LogInfo};
pub use data::DB_READ_ONLY;
pub use engine::{Engine, InstanceInfo};
pub use handles::{DatabaseId, InstanceHandle, SessionHandle, TableId};
pub use jetapi::JetErr;
pub use jetapi::trace::Profile;
pub use lifecycle::{Lifecycle, RunMode};
pub use mutant::Mutant;
pub use restore::{ExternalRestore, RestoreLogInfo};
pub use startup::{TERM_ABRUPT, TERM_DIRTY, TERM_STOP_BACKUP};
pub use tables::{COMMIT_LAZY_FLUSH, KEY_BYTES_MAX, ROLLBACK_ALL, Record, WAIT_ALL_LEVEL0_COMMIT};
