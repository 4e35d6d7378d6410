//! Handle newtypes. Each wraps the raw value the caller passes, so any value (0,
//! `JET_instanceNil`, a stale or made-up one) can be handed in and gets a documented code.
//! Live handles come from one process-wide counter, so a value never names two objects and a
//! freed handle is never reused (a stale handle stays stale).

/// `JET_INSTANCE`. Invariant of a live value: it names an instance in the engine's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceHandle(pub u64);

impl InstanceHandle {
    /// `JET_instanceNil` (all bits set).
    pub const NIL: InstanceHandle = InstanceHandle(u64::MAX);
    /// The NULL handle.
    pub const NULL: InstanceHandle = InstanceHandle(0);

    /// True for 0 and `JET_instanceNil`, the values ESE treats as "no instance".
    pub fn is_null_or_nil(self) -> bool {
        self == Self::NIL || self == Self::NULL
    }
}

/// `JET_SESID`. Invariant of a live value: it names a session of a live instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionHandle(pub u64);

/// `JET_DBID`: a database opened in a session. Invariant of a live value: the session opened
/// it and has not closed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatabaseId(pub u64);

/// `JET_TABLEID`: a table opened in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u64);
