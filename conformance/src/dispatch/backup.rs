//! The streaming backup calls of [`super::dispatch`], and the harness action CopyBackupFile
//! (JetOpenFile, JetReadFile to the end, JetCloseFile), whose bytes the runner writes. Output
//! buffers are passed the size a trace gives (`cb_max`), else 1 MiB; a read buffer is
//! page-aligned unless the trace asks for `buffer_unaligned`.

use engine::{AlignedBuffer, BackupFileHandle, Engine, InstanceHandle, JetErr};

use super::{Dispatched, Outputs, done};

/// The buffer passed for a list when the trace gives no `cb_max`.
const LIST_BUFFER_BYTES: usize = 1 << 20;
/// The most a trace's `cb` may ask JetReadFile for.
const READ_BYTES_MAX: i64 = 64 << 20;
/// CopyBackupFile's chunk: a multiple of every page size, and at least three pages.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Where CopyBackupFile hands each chunk: its offset in the file and its bytes.
pub type ChunkSink<'a> = dyn FnMut(u64, &[u8]) -> Result<(), String> + 'a;

/// Which instance a backup call names: the legacy form has none.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    Legacy,
    Instance(InstanceHandle),
}

fn buffer(cb_max: Option<i64>) -> Vec<u8> {
    let n = cb_max.map_or(LIST_BUFFER_BYTES, |n| {
        usize::try_from(n.clamp(0, LIST_BUFFER_BYTES as i64)).unwrap_or(0)
    });
    vec![0u8; n]
}

/// The names of a double-NUL list (as far as the buffer holds it).
fn names(list: &[u8]) -> Vec<String> {
    list.split(|b| *b == 0)
        .take_while(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect()
}

fn listed(r: Result<usize, JetErr>, buf: &[u8]) -> Dispatched {
    match r {
        Ok(actual) => Dispatched {
            outputs: Outputs {
                files: Some(names(&buf[..actual.min(buf.len())])),
                cb_actual: Some(actual as u64),
                ..Outputs::default()
            },
            ..done(JetErr::Success)
        },
        Err(e) => done(e),
    }
}

/// JetGetAttachInfo(Instance).
pub(crate) fn get_attach_info(engine: &Engine, t: Target, cb_max: Option<i64>) -> Dispatched {
    let mut buf = buffer(cb_max);
    let r = match t {
        Target::Legacy => engine.get_attach_info(Some(&mut buf)),
        Target::Instance(i) => engine.get_attach_info_instance(i, Some(&mut buf)),
    };
    listed(r, &buf)
}

/// JetGetLogInfo(Instance).
pub(crate) fn get_log_info(engine: &Engine, t: Target, cb_max: Option<i64>) -> Dispatched {
    let mut buf = buffer(cb_max);
    let r = match t {
        Target::Legacy => engine.get_log_info(Some(&mut buf)),
        Target::Instance(i) => engine.get_log_info_instance(i, Some(&mut buf)),
    };
    listed(r, &buf)
}

/// JetGetLogInfoInstance2: the list and the `JET_LOGINFO`.
pub(crate) fn get_log_info2(
    engine: &Engine,
    instance: InstanceHandle,
    cb_max: Option<i64>,
) -> Dispatched {
    let mut buf = buffer(cb_max);
    match engine.get_log_info_instance2(instance, Some(&mut buf)) {
        Ok((actual, info)) => {
            let mut d = listed(Ok(actual), &buf);
            d.outputs.gen_low = Some(u64::from(info.gen_low));
            d.outputs.gen_high = Some(u64::from(info.gen_high));
            d.outputs.base_name = Some(info.base_name);
            d
        }
        Err(e) => done(e),
    }
}

/// JetGetTruncateLogInfoInstance.
pub(crate) fn get_truncate_log_info(
    engine: &Engine,
    instance: InstanceHandle,
    cb_max: Option<i64>,
) -> Dispatched {
    let mut buf = buffer(cb_max);
    let r = engine.get_truncate_log_info_instance(instance, Some(&mut buf));
    listed(r, &buf)
}

/// JetOpenFile(Instance): the handle to bind and the size reported.
pub(crate) fn open_file(
    engine: &Engine,
    t: Target,
    filename: Option<&str>,
) -> Result<(BackupFileHandle, u64), JetErr> {
    match t {
        Target::Legacy => engine.open_file(filename),
        Target::Instance(i) => engine.open_file_instance(i, filename),
    }
}

fn read_into(
    engine: &Engine,
    t: Target,
    file: BackupFileHandle,
    buf: &mut [u8],
) -> Result<usize, JetErr> {
    match t {
        Target::Legacy => engine.read_file(file, buf),
        Target::Instance(i) => engine.read_file_instance(i, file, buf),
    }
}

fn close(engine: &Engine, t: Target, file: BackupFileHandle) -> Result<(), JetErr> {
    match t {
        Target::Legacy => engine.close_file(file),
        Target::Instance(i) => engine.close_file_instance(i, file),
    }
}

/// JetReadFile(Instance) with a `cb`-byte buffer; `bytes` is what it returned.
pub(crate) fn read_file(
    engine: &Engine,
    t: Target,
    file: BackupFileHandle,
    cb: Option<i64>,
    unaligned: bool,
) -> Dispatched {
    let cb = usize::try_from(cb.unwrap_or(0).clamp(0, READ_BYTES_MAX)).unwrap_or(0);
    let mut buf = AlignedBuffer::new(cb);
    let slice = if unaligned {
        buf.misaligned_mut()
    } else {
        buf.as_mut_slice()
    };
    match read_into(engine, t, file, slice) {
        Ok(n) => Dispatched {
            outputs: Outputs {
                bytes: Some(n as u64),
                ..Outputs::default()
            },
            ..done(JetErr::Success)
        },
        Err(e) => done(e),
    }
}

/// JetCloseFile(Instance).
pub(crate) fn close_file(engine: &Engine, t: Target, file: BackupFileHandle) -> Dispatched {
    done(close(engine, t, file).err().unwrap_or(JetErr::Success))
}

/// CopyBackupFile: opens `filename`, reads it to the end handing each chunk to `write` (with
/// its offset), closes it. The code is the first backup call that failed; `write`'s failure
/// is the runner's (`Err` with its message).
pub fn copy_backup_file(
    engine: &Engine,
    instance: Option<InstanceHandle>,
    filename: &str,
    write: &mut ChunkSink<'_>,
) -> Result<Dispatched, String> {
    let t = instance.map_or(Target::Legacy, Target::Instance);
    let (file, size) = match open_file(engine, t, Some(filename)) {
        Ok(opened) => opened,
        Err(e) => return Ok(done(e)),
    };
    let mut buf = AlignedBuffer::new(COPY_CHUNK_BYTES);
    let mut offset = 0u64;
    loop {
        match read_into(engine, t, file, buf.as_mut_slice()) {
            Ok(0) => break,
            Ok(n) => {
                write(offset, &buf.as_slice()[..n])?;
                offset += n as u64;
            }
            Err(e) => {
                // The read may already have closed the handle or ended the backup.
                let _ = close(engine, t, file);
                return Ok(done(e));
            }
        }
    }
    if let Err(e) = close(engine, t, file) {
        return Ok(done(e));
    }
    Ok(Dispatched {
        outputs: Outputs {
            size_bytes: Some(size),
            ..Outputs::default()
        },
        ..done(JetErr::Success)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_double_nul_list_reads_as_its_names() {
        assert_eq!(names(b"a\0bc\0\0"), vec!["a".to_string(), "bc".to_string()]);
        assert_eq!(names(b"a\0b"), vec!["a".to_string(), "b".to_string()]);
        assert!(names(b"\0").is_empty());
    }
}
