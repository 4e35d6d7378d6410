//! Path arguments and file names. Every path the engine receives is relative to its storage
//! root; an absolute path, one that climbs out with `..`, one holding a NUL, or one longer than
//! `MAX_PATH` is refused with `JET_errInvalidPath` before any I/O. File names follow ESE: the
//! checkpoint `<base>.chk`, the current log `<base>.log`, archived generations
//! `<base>XXXXX.log` (five upper-case hex digits; eight are accepted when reading a name).

use std::path::{Component, Path, PathBuf};

use jetapi::JetErr;

/// Windows' `MAX_PATH`, the limit ESE applies to every path it is given.
pub const MAX_PATH: usize = 260;

/// The longest name (table, instance) ESE accepts, `JET_cbNameMost`.
pub const NAME_MOST: usize = 64;

/// Checks a path argument and returns it relative to the storage root. `""`, `"."` and
/// `"dir/"` are accepted (a directory); the result has no trailing separator.
pub fn checked_path(raw: &str) -> Result<PathBuf, JetErr> {
    if raw.len() >= MAX_PATH || raw.contains('\0') {
        return Err(JetErr::InvalidPath);
    }
    let mut out = PathBuf::new();
    for component in Path::new(raw).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(JetErr::InvalidPath);
            }
        }
    }
    Ok(out)
}

/// Checks a file name argument: a path that names a file, not a directory.
pub fn checked_file(raw: &str) -> Result<PathBuf, JetErr> {
    let path = checked_path(raw)?;
    if path.as_os_str().is_empty() || raw.ends_with('/') {
        return Err(JetErr::InvalidPath);
    }
    Ok(path)
}

/// The checkpoint file of `base` in `system_dir`.
pub fn checkpoint_file(system_dir: &Path, base: &str) -> PathBuf {
    system_dir.join(format!("{base}.chk"))
}

/// The current log of `base` in `log_dir`.
pub fn current_log(log_dir: &Path, base: &str) -> PathBuf {
    log_dir.join(format!("{base}.log"))
}

/// The log being prepared for the next generation (ESE's `edbtmp.log`).
pub fn next_log(log_dir: &Path, base: &str) -> PathBuf {
    log_dir.join(format!("{base}tmp.log"))
}

/// The archived log of generation `gen`.
pub fn archived_log(log_dir: &Path, base: &str, generation: u32) -> PathBuf {
    log_dir.join(format!("{base}{generation:05X}.log"))
}

/// The generation of an archived log's file name, when `name` is one of `base`'s.
pub fn archived_generation(name: &str, base: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    let digits = lower
        .strip_prefix(&base.to_ascii_lowercase())?
        .strip_suffix(".log")?;
    if (digits.len() == 5 || digits.len() == 8) && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        u32::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_root_are_invalid() {
        assert_eq!(checked_path("/etc/passwd"), Err(JetErr::InvalidPath));
        assert_eq!(checked_path("a/../../b"), Err(JetErr::InvalidPath));
        assert_eq!(checked_path(&"x".repeat(300)), Err(JetErr::InvalidPath));
        assert_eq!(checked_path("logs/"), Ok(PathBuf::from("logs")));
        assert_eq!(checked_file("logs/"), Err(JetErr::InvalidPath));
    }

    #[test]
    fn archived_log_names_round_trip_through_their_generation() {
        let name = archived_log(Path::new(""), "edb", 0x1A);
        assert_eq!(name, PathBuf::from("edb0001A.log"));
        assert_eq!(archived_generation("edb0001A.log", "edb"), Some(0x1A));
        assert_eq!(archived_generation("EDB0000001A.LOG", "edb"), Some(0x1A));
        assert_eq!(archived_generation("edb001A.log", "edb"), None);
        assert_eq!(archived_generation("edb.log", "edb"), None);
    }
}
