//! `jetspec bench backup`: how fast the engine streams a database through JetReadFile,
//! against two baselines measured in the same run on the same disk: `cp` of the same file and
//! SQLite's online backup API (rusqlite, bundled SQLite) of an equally large SQLite database.
//! Beside it, restore speed: a full streaming backup taken while `restore_log_bytes` of rows
//! are committed, restored (the database copied back, then JetExternalRestore replaying those
//! logs).
//!
//! Every phase works under one scratch directory, removed at the end. Copies are written to
//! the page cache and not synced, for the engine and both baselines alike; the source file is
//! read once beforehand so every reader starts from a warm cache, and `sync` runs before each
//! timed copy so none pays for an earlier one's write-back. The engine and `cp` take the best
//! of three runs; SQLite's backup runs once (it is the slowest by far). Peak memory is the process's
//! `VmHWM` (Linux); the streaming phase's own addition is measured after resetting it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::storage::OsStorage;
use engine::{
    AlignedBuffer, COMMIT_LAZY_FLUSH, DatabaseId, Engine, InstanceHandle, JetErr, SessionHandle,
};
use jetapi::args::ParamValue;
use serde::Serialize;

/// JetReadFile buffer sizes tried, smallest to largest.
pub const BUFFER_SIZES: [usize; 5] = [64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20];

/// `JET_bitBackupEndAbort`: the timed passes end their backups without touching headers.
const BACKUP_END_ABORT: u32 = 0x2;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BackupBench {
    /// Bytes of rows in the database (and in the SQLite database).
    pub size_bytes: u64,
    /// Bytes of rows committed during the backup that the restore replays.
    pub restore_log_bytes: u64,
    /// Where the scratch directory goes.
    pub dir: PathBuf,
    /// Draw progress bars on stderr.
    pub progress: bool,
}

/// One JetReadFile buffer size's rate.
#[derive(Clone, Debug, Serialize)]
pub struct BufferRate {
    /// The buffer passed to JetReadFile.
    pub buffer_bytes: usize,
    /// MB (10^6 bytes) per second over the whole database.
    pub mb_s: f64,
}

/// The report; the first seven keys are the ones issue 5 names.
#[derive(Clone, Debug, Serialize)]
pub struct BackupBenchReport {
    /// The database copy's size: what JetOpenFile reported and `cp` copied.
    pub size_bytes: u64,
    /// The best rate over the buffer sizes (each the best of three passes).
    pub engine_mb_s: f64,
    /// `cp` of the database file (the best of three).
    pub cp_mb_s: f64,
    /// SQLite's online backup of the SQLite database.
    pub sqlite_mb_s: f64,
    /// `engine_mb_s / cp_mb_s` (goal: at least 0.9).
    pub engine_vs_cp: f64,
    /// `engine_mb_s / sqlite_mb_s` (goal: above 1).
    pub engine_vs_sqlite: f64,
    /// The process's peak resident memory over the whole run (goal: under 64).
    pub peak_rss_mb: f64,
    /// The peak during the timed streaming passes minus the resident memory before them:
    /// what streaming itself costs.
    pub stream_rss_added_mb: f64,
    /// Each buffer size's rate.
    pub engine_by_buffer: Vec<BufferRate>,
    /// The SQLite database's size.
    pub sqlite_size_bytes: u64,
    /// Log bytes the restore replayed.
    pub restore_log_bytes: u64,
    /// Seconds to copy the database back and run JetExternalRestore.
    pub restore_seconds: f64,
    /// (database + logs) / restore_seconds.
    pub restore_mb_s: f64,
    /// Seconds spent building the two databases (not measured against anything).
    pub setup_seconds: f64,
}

/// Parses `1GiB`, `256MiB`, `64KiB`, `4096` (bytes); `GB`/`MB`/`KB` are powers of ten.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("size {text:?}: expected a number and a unit, e.g. 1GiB"))?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "size {text:?}: unknown unit {other:?} (use B, KiB, MiB, GiB, KB, MB or GB)"
            ));
        }
    };
    let bytes = n
        .checked_mul(scale)
        .ok_or_else(|| format!("size {text:?} is too large"))?;
    if bytes == 0 {
        return Err(format!("size {text:?}: must be more than 0 bytes"));
    }
    Ok(bytes)
}

fn mb_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64().max(1e-9)
}

/// `VmRSS` or `VmHWM` of this process in MiB (0 where /proc is not there).
fn status_mb(key: &str) -> f64 {
    let Ok(text) = fs::read_to_string("/proc/self/status") else {
        return 0.0;
    };
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Resets `VmHWM` to the current resident size (Linux `clear_refs`, value 5).
fn reset_peak_rss() {
    let _ = fs::write("/proc/self/clear_refs", "5");
}

fn jet(what: &str) -> impl Fn(JetErr) -> String + '_ {
    move |e| format!("{what}: {} ({})", e.name(), e.value())
}

fn io(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn bar(progress: bool, len: u64, message: &'static str) -> indicatif::ProgressBar {
    if !progress {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>24} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// An initialized instance with its files under `name/`.
fn instance(engine: &Engine, name: &str, circular: bool) -> Result<InstanceHandle, String> {
    let mut inst = InstanceHandle::NULL;
    engine
        .create_instance(Some(&mut inst), Some(name))
        .map_err(jet("JetCreateInstance"))?;
    let text = |v: String| ParamValue::Text(v);
    let params = [
        (engine::params::SYSTEM_PATH, text(format!("{name}/"))),
        (engine::params::LOG_FILE_PATH, text(format!("{name}/logs/"))),
        (engine::params::TEMP_PATH, text(format!("{name}/tmp/"))),
        (
            engine::params::CREATE_PATH_IF_NOT_EXIST,
            ParamValue::Number(1),
        ),
        (
            engine::params::CIRCULAR_LOG,
            ParamValue::Number(i64::from(circular)),
        ),
    ];
    for (id, value) in &params {
        engine
            .set_system_parameter(inst, SessionHandle(0), *id, value)
            .map_err(jet("JetSetSystemParameter"))?;
    }
    engine.init(Some(&mut inst)).map_err(jet("JetInit"))?;
    Ok(inst)
}

/// Inserts rows of one page each into tables of 1 MiB, in transactions of 64 rows, until
/// `bytes` of values are in; returns the bytes inserted.
fn fill(
    engine: &Engine,
    session: SessionHandle,
    db: DatabaseId,
    prefix: &str,
    bytes: u64,
    bar: &indicatif::ProgressBar,
) -> Result<u64, String> {
    let value = vec![0x5Au8; engine::dbfile::record_bytes_max(8192) - 40];
    let rows_per_table = ((1u64 << 20) / value.len() as u64).max(1);
    let mut done = 0u64;
    let mut row = 0u64;
    let mut table = None;
    while done < bytes {
        if row % rows_per_table == 0 {
            let name = format!("{prefix}{:06}", row / rows_per_table);
            table = Some(
                engine
                    .create_table(session, db, Some(&name))
                    .map_err(jet("JetCreateTable"))?,
            );
        }
        let t = table.expect("created on the first row");
        engine
            .begin_transaction(session)
            .map_err(jet("JetBeginTransaction"))?;
        for _ in 0..64 {
            engine
                .insert(session, t, format!("{row:012}").as_bytes(), &value)
                .map_err(jet("insert"))?;
            row += 1;
            done += value.len() as u64;
            if done >= bytes || row % rows_per_table == 0 {
                break;
            }
        }
        engine
            .commit_transaction(session, COMMIT_LAZY_FLUSH)
            .map_err(jet("JetCommitTransaction"))?;
        bar.set_position(done.min(bytes));
    }
    bar.finish_and_clear();
    Ok(done)
}

/// The double-NUL list a list call returns.
fn list(call: impl Fn(Option<&mut [u8]>) -> Result<usize, JetErr>) -> Result<Vec<String>, String> {
    let need = call(None).map_err(jet("list"))?;
    let mut buf = vec![0u8; need.max(2)];
    let n = call(Some(&mut buf)).map_err(jet("list"))?;
    Ok(buf[..n.min(buf.len())]
        .split(|b| *b == 0)
        .take_while(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect())
}

/// JetOpenFile, JetReadFile with `buffer_bytes` to the end, JetCloseFile; the bytes go to
/// `to` (under `root`). Returns the bytes copied.
fn stream(
    engine: &Engine,
    inst: InstanceHandle,
    name: &str,
    to: &Path,
    buffer_bytes: usize,
) -> Result<u64, String> {
    let (file, size) = engine
        .open_file_instance(inst, Some(name))
        .map_err(jet("JetOpenFileInstance"))?;
    let mut out = fs::File::create(to).map_err(io("create the copy"))?;
    let mut buf = AlignedBuffer::new(buffer_bytes);
    let mut copied = 0u64;
    loop {
        let n = engine
            .read_file_instance(inst, file, buf.as_mut_slice())
            .map_err(jet("JetReadFileInstance"))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf.as_slice()[..n])
            .map_err(io("write the copy"))?;
        copied += n as u64;
    }
    engine
        .close_file_instance(inst, file)
        .map_err(jet("JetCloseFileInstance"))?;
    if copied != size {
        return Err(format!(
            "{name}: JetOpenFile reported {size} bytes, JetReadFile gave {copied}"
        ));
    }
    Ok(copied)
}

/// Builds a SQLite database of at least `bytes` with the same row size, and times the online
/// backup API copying it.
fn sqlite_backup(root: &Path, bytes: u64, progress: bool) -> Result<(u64, Duration), String> {
    let db = |e: rusqlite::Error| format!("SQLite: {e}");
    let src_path = root.join("sqlite.db");
    let src = rusqlite::Connection::open(&src_path).map_err(db)?;
    src.execute_batch(
        "PRAGMA page_size = 8192; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL);",
    )
    .map_err(db)?;
    let value = vec![0x5Au8; engine::dbfile::record_bytes_max(8192) - 40];
    let b = bar(progress, bytes, "building SQLite db");
    let mut done = 0u64;
    let mut k = 0i64;
    while done < bytes {
        let tx = src.unchecked_transaction().map_err(db)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO t (k, v) VALUES (?1, ?2)")
                .map_err(db)?;
            for _ in 0..1024 {
                insert.execute(rusqlite::params![k, &value]).map_err(db)?;
                k += 1;
                done += value.len() as u64;
                if done >= bytes {
                    break;
                }
            }
        }
        tx.commit().map_err(db)?;
        b.set_position(done.min(bytes));
    }
    b.finish_and_clear();
    let size = fs::metadata(&src_path).map_err(io("sqlite.db"))?.len();
    read_through(&src_path)?;
    let mut dst = rusqlite::Connection::open(root.join("sqlite-copy.db")).map_err(db)?;
    settle();
    let started = Instant::now();
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst).map_err(db)?;
        backup
            .run_to_completion(1024, Duration::ZERO, None)
            .map_err(db)?;
    }
    let took = started.elapsed();
    drop(dst);
    let _ = fs::remove_file(root.join("sqlite-copy.db"));
    Ok((size, took))
}

/// Flushes every dirty page to disk (the `sync` command), so no timed copy pays for the
/// write-back of an earlier phase.
fn settle() {
    let _ = std::process::Command::new("sync").status();
}

/// Reads a file once so the timed readers start from a warm page cache.
fn read_through(path: &Path) -> Result<(), String> {
    let mut f = fs::File::open(path).map_err(io("warm the cache"))?;
    std::io::copy(&mut f, &mut std::io::sink()).map_err(io("warm the cache"))?;
    Ok(())
}

/// The generation of an archived log name (`.../edb0000A.log`).
fn generation(name: &str) -> Result<u32, String> {
    let file = Path::new(name)
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| format!("log name {name:?}"))?;
    engine::paths::archived_generation(file, "edb").ok_or_else(|| format!("log name {name:?}"))
}

/// Runs the benchmark in a fresh scratch directory under `cfg.dir`, removed afterwards.
pub fn run_backup_bench(cfg: &BackupBench) -> Result<BackupBenchReport, String> {
    let root = cfg
        .dir
        .join(format!("jetspec-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).map_err(io("create the scratch directory"))?;
    let result = run_in(cfg, &root);
    let _ = fs::remove_dir_all(&root);
    result
}

fn run_in(cfg: &BackupBench, root: &Path) -> Result<BackupBenchReport, String> {
    let setup = Instant::now();
    let engine = Engine::new(Arc::new(OsStorage::new(root)));
    // The database, built with circular logging so its logs do not pile up.
    let build = instance(&engine, "build", true)?;
    let s = engine
        .begin_session(build, None, None)
        .map_err(jet("JetBeginSession"))?;
    let db = engine
        .create_database(s, Some("a.edb"), 0)
        .map_err(jet("JetCreateDatabase"))?;
    let b = bar(cfg.progress, cfg.size_bytes, "building engine db");
    fill(&engine, s, db, "t", cfg.size_bytes, &b)?;
    engine.end_session(s, 0).map_err(jet("JetEndSession"))?;
    engine.term(build).map_err(jet("JetTerm"))?;

    let live = instance(&engine, "live", false)?;
    let s = engine
        .begin_session(live, None, None)
        .map_err(jet("JetBeginSession"))?;
    engine
        .attach_database(s, Some("a.edb"), 0)
        .map_err(jet("JetAttachDatabase"))?;
    let source = root.join("a.edb");
    read_through(&source)?;
    let (sqlite_size_bytes, sqlite_took) = sqlite_backup(root, cfg.size_bytes, cfg.progress)?;
    let setup_seconds = setup.elapsed().as_secs_f64() - sqlite_took.as_secs_f64();
    read_through(&source)?;

    // cp of the same file, best of three.
    let mut cp_took = Duration::MAX;
    for _ in 0..3 {
        settle();
        let started = Instant::now();
        let status = std::process::Command::new("cp")
            .arg(&source)
            .arg(root.join("cp-copy.edb"))
            .status()
            .map_err(io("run cp"))?;
        cp_took = cp_took.min(started.elapsed());
        if !status.success() {
            return Err(format!("cp exited with {status}"));
        }
        let _ = fs::remove_file(root.join("cp-copy.edb"));
    }
    let file_bytes = fs::metadata(&source).map_err(io("a.edb"))?.len();

    // The engine: full streaming passes, best of three per buffer size (as for cp: the VM's
    // disk and CPUs are shared, and the best run is the one least disturbed).
    let peak_before_streaming = status_mb("VmHWM:");
    let rss_before = status_mb("VmRSS:");
    reset_peak_rss();
    let mut by_buffer = Vec::new();
    let mut size_bytes = 0;
    let b = bar(cfg.progress, BUFFER_SIZES.len() as u64, "streaming passes");
    for buffer_bytes in BUFFER_SIZES {
        let mut best = Duration::MAX;
        for _ in 0..3 {
            engine
                .begin_external_backup_instance(live, 0)
                .map_err(jet("JetBeginExternalBackupInstance"))?;
            let to = root.join("engine-copy.edb");
            settle();
            let started = Instant::now();
            size_bytes = stream(&engine, live, "a.edb", &to, buffer_bytes)?;
            best = best.min(started.elapsed());
            engine
                .end_external_backup_instance2(live, BACKUP_END_ABORT)
                .map_err(jet("JetEndExternalBackupInstance2"))?;
            let _ = fs::remove_file(&to);
        }
        by_buffer.push(BufferRate {
            buffer_bytes,
            mb_s: mb_s(size_bytes, best),
        });
        b.inc(1);
    }
    b.finish_and_clear();
    let stream_rss_added_mb = (status_mb("VmHWM:") - rss_before).max(0.0);

    // Restore: a full backup while `restore_log_bytes` of rows commit, then the copy put back
    // and JetExternalRestore replaying those logs.
    fs::create_dir_all(root.join("set")).map_err(io("create set/"))?;
    engine
        .begin_external_backup_instance(live, 0)
        .map_err(jet("JetBeginExternalBackupInstance"))?;
    stream(&engine, live, "a.edb", &root.join("set/a.edb"), 1 << 20)?;
    let db = engine
        .open_database(s, Some("a.edb"), 0)
        .map_err(jet("JetOpenDatabase"))?;
    let b = bar(
        cfg.progress,
        cfg.restore_log_bytes,
        "logging rows to replay",
    );
    fill(&engine, s, db, "r", cfg.restore_log_bytes, &b)?;
    let logs = list(|buf| engine.get_log_info_instance(live, buf))?;
    let mut log_bytes = 0u64;
    for log in &logs {
        let name = Path::new(log)
            .file_name()
            .ok_or_else(|| format!("log name {log:?}"))?;
        log_bytes += stream(&engine, live, log, &root.join("set").join(name), 1 << 20)?;
    }
    engine
        .end_external_backup_instance(live)
        .map_err(jet("JetEndExternalBackupInstance"))?;
    engine.end_session(s, 0).map_err(jet("JetEndSession"))?;
    engine.term(live).map_err(jet("JetTerm"))?;
    let generations = logs
        .iter()
        .map(|l| generation(l))
        .collect::<Result<Vec<u32>, String>>()?;
    let (gen_low, gen_high) = (
        generations.iter().copied().min().unwrap_or(1),
        generations.iter().copied().max().unwrap_or(1),
    );
    let copy_bytes = fs::metadata(root.join("set/a.edb"))
        .map_err(io("set/a.edb"))?
        .len();
    fs::create_dir_all(root.join("restored")).map_err(io("create restored/"))?;
    settle();
    let started = Instant::now();
    fs::copy(root.join("set/a.edb"), root.join("restored/a.edb"))
        .map_err(io("copy the database back"))?;
    let map = [("a.edb".to_string(), "restored/a.edb".to_string())];
    engine
        .external_restore(
            Some("rs/"),
            Some("rs/logs/"),
            &map,
            1,
            Some("set/"),
            gen_low,
            gen_high,
        )
        .map_err(jet("JetExternalRestore"))?;
    let restore_took = started.elapsed();

    let engine_mb_s = by_buffer.iter().map(|r| r.mb_s).fold(0.0, f64::max);
    let cp_mb_s = mb_s(file_bytes, cp_took);
    let sqlite_mb_s = mb_s(sqlite_size_bytes, sqlite_took);
    Ok(BackupBenchReport {
        size_bytes,
        engine_mb_s,
        cp_mb_s,
        sqlite_mb_s,
        engine_vs_cp: engine_mb_s / cp_mb_s,
        engine_vs_sqlite: engine_mb_s / sqlite_mb_s,
        peak_rss_mb: peak_before_streaming.max(status_mb("VmHWM:")),
        stream_rss_added_mb,
        engine_by_buffer: by_buffer,
        sqlite_size_bytes,
        restore_log_bytes: log_bytes,
        restore_seconds: restore_took.as_secs_f64(),
        restore_mb_s: mb_s(copy_bytes + log_bytes, restore_took),
        setup_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units_and_bad_ones_are_refused() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(parse_size("1TiB").unwrap_err().contains("unknown unit"));
        assert!(parse_size("GiB").unwrap_err().contains("expected a number"));
        assert!(parse_size("0MiB").unwrap_err().contains("more than 0"));
    }
}
