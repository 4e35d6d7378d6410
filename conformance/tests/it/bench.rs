//! `jetspec bench backup` at a tiny size, so the benchmark cannot rot; the real figures come
//! from `jetspec bench backup --size 1GiB` (docs/benchmarks.md), never from the test run.

use conformance::bench::{BUFFER_SIZES, BackupBench, run_backup_bench};

#[test]
fn a_tiny_backup_benchmark_reports_every_figure() {
    let report = run_backup_bench(&BackupBench {
        size_bytes: 1 << 20,
        restore_log_bytes: 256 << 10,
        dir: std::env::temp_dir(),
        progress: false,
    })
    .unwrap();
    assert!(report.size_bytes > 1 << 20, "{report:?}");
    assert_eq!(report.engine_by_buffer.len(), BUFFER_SIZES.len());
    for figure in [
        report.engine_mb_s,
        report.cp_mb_s,
        report.sqlite_mb_s,
        report.engine_vs_cp,
        report.engine_vs_sqlite,
        report.restore_mb_s,
    ] {
        assert!(figure.is_finite() && figure > 0.0, "{report:?}");
    }
    assert!(report.restore_log_bytes >= 256 << 10, "{report:?}");
    assert!(report.sqlite_size_bytes >= 1 << 20, "{report:?}");
}

#[test]
fn bench_subjects_not_built_exit_2_and_a_bad_size_is_a_usage_error() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_jetspec"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["bench", "commit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("jetspec bench commit is not built"));
    let out = run(&["bench", "backup", "--size", "12parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown unit"));
}
