//! The contract the model and the engine both speak, as `esent.h` belongs to neither the docs
//! nor the DLL: ESE's error codes ([`errors`]), grbits ([`grbits`]), system parameters
//! ([`params`]), fixed sizes and limits ([`limits`]), the documented return codes of every function page ([`doc_table`]), the call
//! vocabulary ([`calls`]) and trace format v1 ([`trace`]).
//!
//! Names, numbers and grbit values are ESE's exactly; everything else is jetspec's own. This
//! crate does no I/O beyond reading a trace file it is handed.

pub mod args;
pub mod calls;
pub mod doc_table;
pub mod errors;
pub mod grbits;
pub mod limits;
pub mod params;
pub mod trace;
pub mod vocabulary;

pub use calls::{CALL_SPECS, Call, CallSpec, call_spec};
pub use errors::{CATALOGUE, ErrorInfo, JetErr};
pub use trace::{Expect, Profile, Step, Trace, TraceError};
