//! The one place where an I/O failure becomes a `JET_err`. What a failure means depends on what
//! was being done ([`Area`]): a full disk is `JET_errLogDiskFull` for the log and
//! `JET_errDiskFull` for a database; a failed log write is `JET_errLogWriteFail`.

use jetapi::JetErr;

use crate::storage::IoError;

/// What the engine was doing when an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Writing or syncing the log, or rolling it.
    LogWrite,
    /// Reading logs (recovery).
    LogRead,
    /// Any database file operation.
    Database,
    /// Reading or writing the checkpoint file.
    Checkpoint,
    /// Creating directories at JetInit.
    Directory,
}

/// The `JET_err` for an I/O failure in `area`.
pub fn io_to_jet(error: &IoError, area: Area) -> JetErr {
    match (area, error) {
        (Area::LogWrite, IoError::NoSpace) => JetErr::LogDiskFull,
        (Area::LogWrite, _) => JetErr::LogWriteFail,
        (Area::LogRead, IoError::NotFound) => JetErr::MissingLogFile,
        (_, IoError::AccessDenied) => JetErr::FileAccessDenied,
        (Area::LogRead, _) => JetErr::DiskIO,
        (Area::Checkpoint, IoError::NotFound) => JetErr::CheckpointFileNotFound,
        (Area::Database, IoError::NotFound) => JetErr::FileNotFound,
        (Area::Database, IoError::AlreadyExists) => JetErr::DatabaseDuplicate,
        (Area::Directory, IoError::NotFound) => JetErr::InvalidPath,
        (Area::Database | Area::Checkpoint | Area::Directory, IoError::NoSpace) => JetErr::DiskFull,
        (
            Area::Database | Area::Checkpoint | Area::Directory,
            IoError::Io | IoError::PoweredOff | IoError::Other(_) | IoError::AlreadyExists,
        ) => JetErr::DiskIO,
    }
}

/// Shorthand: a closure mapping an [`IoError`] in `area`.
pub fn in_area(area: Area) -> impl Fn(IoError) -> JetErr {
    move |e| io_to_jet(&e, area)
}
