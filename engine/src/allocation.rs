//! Allocation failures on demand, for a test harness (the trace contract's `FailAllocation`):
//! the engine allocates from Rust's heap, which does not fail, so the places where ESE
//! allocates, and can fail with `JET_errOutOfMemory` or `JET_errOutOfBuffers`, ask
//! `AllocationFaults::allocate` at the same point of their check order. Arming a kind with
//! [`Engine::fail_next_allocation`] makes the next such point of that kind fail, once; an
//! unarmed point costs one atomic load. Not a behaviour of normal use: nothing else arms it.
//!
//! The points (ESE's functions, as the model cites them): the copy of a new database's name
//! (`FMP::ErrStoreDbName`, JetCreateDatabase), the checkpoint buffer of a full streaming
//! backup (`ErrBKBeginExternalBackup`), the instance list of JetGetInstanceInfo
//! (`ErrIsamGetInstanceInfo`), and JetExternalRestore's conversion of its paths and map
//! (`JetExternalRestoreExA`) for memory; the first page buffer a database file takes in the
//! cache, when JetCreateDatabase writes or JetAttachDatabase reads its header, for buffers.

use std::sync::atomic::{AtomicBool, Ordering};

use jetapi::JetErr;

use crate::engine::Engine;

/// What kind of allocation fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allocation {
    /// Heap memory: `JET_errOutOfMemory`.
    Memory,
    /// A page buffer of the database cache: `JET_errOutOfBuffers`.
    Buffers,
}

impl Allocation {
    /// The code a failed allocation of this kind returns.
    pub const fn error(self) -> JetErr {
        match self {
            Allocation::Memory => JetErr::OutOfMemory,
            Allocation::Buffers => JetErr::OutOfBuffers,
        }
    }
}

/// The armed allocation failures, one flag per kind.
#[derive(Debug, Default)]
pub(crate) struct AllocationFaults {
    memory: AtomicBool,
    buffers: AtomicBool,
}

impl AllocationFaults {
    fn flag(&self, kind: Allocation) -> &AtomicBool {
        match kind {
            Allocation::Memory => &self.memory,
            Allocation::Buffers => &self.buffers,
        }
    }

    /// An allocation of `kind`: fails (and disarms) when a failure was armed.
    pub(crate) fn allocate(&self, kind: Allocation) -> Result<(), JetErr> {
        if self.flag(kind).swap(false, Ordering::AcqRel) {
            return Err(kind.error());
        }
        Ok(())
    }
}

impl Engine {
    /// Test hook (`FailAllocation`): the next allocation of `kind` an ESE call makes at one of
    /// the points of the module documentation fails, once. Arming a kind already armed changes
    /// nothing.
    pub fn fail_next_allocation(&self, kind: Allocation) {
        self.allocations.flag(kind).store(true, Ordering::Release);
    }

    /// Whether a failure of `kind` is armed and not yet spent.
    pub fn allocation_fails(&self, kind: Allocation) -> bool {
        self.allocations.flag(kind).load(Ordering::Acquire)
    }
}
