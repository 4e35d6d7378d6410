//! `jetspec`: the command line. It only parses arguments and calls into the `conformance`
//! library; exit status 0 is success, 1 a failure found (an invalid trace, a file not
//! canonical), 2 a usage error or a command not built yet.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use conformance::catalogue::{error_rows, find_code, render_detail, render_table};
use conformance::not_built;
use conformance::trace_files::{FmtOutcome, collect_trace_files, format_file, validate_files};

/// The executable answer to "what does ESE return if I call X now?": a model-checked
/// specification of ESE's backup and restore API, a real engine that implements it, and the
/// judge that holds one to the other.
#[derive(Parser)]
#[command(name = "jetspec", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List ESE's error codes: value, name, meaning, and the function pages that document each.
    ///
    /// With CODE (a name such as JET_errNoBackup or NoBackup, or a number such as -520), show
    /// that code in detail: what it means and, page by page, when the documentation says it is
    /// returned.
    Errors {
        /// One code to show in detail.
        #[arg(allow_negative_numbers = true)]
        code: Option<String>,
        /// Print JSON: an array of {name, value, meaning, internal, documented_in,
        /// mentioned_in, aliases}, or one such object with CODE.
        #[arg(long)]
        json: bool,
    },
    /// Work with trace files (format v1; see traces/README.md).
    #[command(subcommand)]
    Trace(TraceCommand),
    /// Model-check the specification exhaustively at a bounded configuration.
    ///
    /// Explores every reachable state of the model (the ESE instance, backup and restore state
    /// machine) and checks each safety property in each state. A property that fails gets its
    /// shortest counterexample written as a trace v1 file (exit status 1).
    Check {
        /// The bounds: small, default or large.
        #[arg(long, default_value = "default")]
        config: String,
        /// Whose behaviour: esent (the implementation) or documented (the pages).
        #[arg(long, default_value = "esent")]
        profile: String,
        /// Print JSON: {config, profile, unique_states, edges, max_depth, seconds,
        /// states_per_sec, properties: [{name, kind, holds, trace, steps}]}.
        #[arg(long)]
        json: bool,
        /// Search threads. Each level of the search is expanded in parallel and merged in
        /// order, so every count and counterexample is the same as on one thread.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Where counterexample traces are written.
        #[arg(long, default_value = "counterexamples")]
        out: PathBuf,
        /// Plant a known mistake in the model, to see the checker catch it
        /// (truncate-before-copy-check).
        #[arg(long, hide = true)]
        mutation: Option<String>,
    },
    /// Write, for every (function, code) the model can return, the shortest trace that returns
    /// it, as OUT/<Function>/<code>.json (same bytes on every run; stale files are deleted).
    Witnesses {
        /// Where the witnesses go.
        #[arg(long, default_value = "traces/witnesses")]
        out: PathBuf,
        /// The bounds: small, default or large.
        #[arg(long, default_value = "default")]
        config: String,
        /// Whose behaviour: esent or documented.
        #[arg(long, default_value = "esent")]
        profile: String,
        /// Print JSON: {config, profile, witnessed, written, deleted, unique_states, seconds}.
        #[arg(long)]
        json: bool,
        /// Change nothing; exit 1 if any witness would be written or deleted (for CI).
        #[arg(long)]
        check: bool,
        /// Search threads (each level of the search is expanded in parallel; the output is the
        /// same for any number).
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Classify every documented (function, code) row against the model: witnessed,
    /// divergent (documented profile only), unreachable (with the reason) or missing; and list
    /// the codes the model returns that no page documents.
    Coverage {
        /// The bounds: small, default or large.
        #[arg(long, default_value = "default")]
        config: String,
        /// Print JSON: {rows: [{function, code, status, witness, reason}], undocumented, summary}.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the Markdown report (the text of docs/coverage.md).
        #[arg(long)]
        markdown: bool,
        /// Search threads (each level of the search is expanded in parallel; the output is the
        /// same for any number).
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// List where the documentation and the implementation disagree: each entry's id, the
    /// functions, what the implementation does (profile esent) and what the pages say
    /// (profile documented), with sources.
    Divergences {
        /// Print JSON: an array of {id, functions, situation, esent, documented, sources}.
        #[arg(long)]
        json: bool,
    },
    /// Browse the model's state space in stateright's web Explorer (runs until interrupted).
    Explore {
        /// The address to serve on; keep it on loopback.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: String,
        /// The bounds: small, default or large.
        #[arg(long, default_value = "small")]
        config: String,
        /// Whose behaviour: esent or documented.
        #[arg(long, default_value = "esent")]
        profile: String,
    },
    /// Replay trace files on the engine (each on a fresh engine and sandbox), on the model
    /// (the trace read back into the model's actions), or on both, stopping each at its first
    /// step whose result differs from what the trace expects.
    ///
    /// Against the model, a hand-written trace reads with its own handle names and paths
    /// (matched one-to-one with the model's), may leave out the model's own settings, and has
    /// its row-level steps passed over; a trace with a step the model cannot say (a parameter
    /// it does not keep, a file copied by hand) is counted as unmodelled from that step, with
    /// the reason, unless the trace marks that step `"beyond_model": "why"`: it then passes,
    /// judged up to the mark, and fails if the model stops before the mark or reads past it.
    /// Exit 0 only if every trace passes; 1 if any fails, cannot run (invalid) or is
    /// unmodelled; 2 for a usage error.
    Replay {
        /// Trace files, or directories searched recursively for *.json.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// What to replay against: engine, model or both.
        #[arg(long, default_value = "engine")]
        against: String,
        /// Run the engine in this profile (esent or documented) instead of each trace's own.
        #[arg(long)]
        profile: Option<String>,
        /// The engine's files: os (a fresh directory under the system's temporary directory)
        /// or sim (the simulated disk).
        #[arg(long, default_value = "sim")]
        vfs: String,
        /// Print JSON: {traces, passed, failed, invalid, unmodelled, failures: [{file, step,
        /// call, expected, actual, judge, states}], beyond_model: [{file, step, reason,
        /// model_says}]}
        /// (step 0: the trace cannot run; judge: engine or model; states, against both when
        /// the engine failed: {model, engine}, what each shows after the step: instances
        /// allocated and running, database files; beyond_model: the passing traces the model
        /// judged up to their marked step, with the mark's reason and the reader's own).
        #[arg(long)]
        json: bool,
    },
    /// Run the model and the engine in lockstep: every edge class of the model's state graph
    /// (a call with its arguments, the code the model returns and the check that decided it),
    /// valid and invalid calls alike, executed on the engine in tours that share one engine
    /// across many edges. Disagreements are minimised and written as traces to --out.
    ///
    /// Exit 0 only if every class was covered with no disagreement; 1 otherwise; 2 for a
    /// usage error.
    Conform {
        /// The bounds: small, default or large.
        #[arg(long, default_value = "default")]
        config: String,
        /// Whose behaviour: esent or documented (the model's and the engine's).
        #[arg(long, default_value = "esent")]
        profile: String,
        /// The engine's files: sim (the simulated disk) or os (a fresh directory per tour
        /// under the system's temporary directory).
        #[arg(long, default_value = "sim")]
        vfs: String,
        /// Take share I of N (1-based, e.g. 2/4): classes I, I+N, ... in a fixed order, so that
        /// N machines together cover everything.
        #[arg(long, default_value = "1/1")]
        shard: String,
        /// Threads replaying tours.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Where minimised disagreements are written.
        #[arg(long, default_value = "traces/regressions")]
        out: PathBuf,
        /// Write no regression traces.
        #[arg(long)]
        no_write: bool,
        /// Print JSON: {config, profile, vfs, shard, model_states, model_edges, edges_total,
        /// edges_covered, disagreements, blocked, tours, engine_calls, seconds, calls_per_sec,
        /// regressions: [{call, expected, actual, trace, steps}], uncovered, checks_total,
        /// checks_confirmed, unconfirmed_checks}.
        #[arg(long)]
        json: bool,
    },
    /// Seeded random walks through the model, weighted toward rare outcomes and mixed with
    /// crashes, log write failures (EIO), a full log disk (ENOSPC), fatal errors and held long
    /// calls, each walk replayed on a fresh engine. A disagreement is shrunk to a minimal trace
    /// and written to --out; every failure names its seed and walk.
    ///
    /// Exit 0 when no new disagreement was found (those recorded under --known do not count);
    /// 1 otherwise; 2 for a usage error.
    Fuzz {
        /// The seed (any 64-bit number); without it one is taken from the clock and printed.
        #[arg(long)]
        seed: Option<u64>,
        /// Actions in all.
        #[arg(long, default_value_t = 10_000)]
        steps: usize,
        /// Actions per walk (each walk is a fresh engine).
        #[arg(long, default_value_t = 200)]
        walk_len: usize,
        /// The bounds the walks keep to: small, default or large.
        #[arg(long, default_value = "default")]
        config: String,
        /// Whose behaviour: esent or documented.
        #[arg(long, default_value = "esent")]
        profile: String,
        /// The engine's files: sim or os.
        #[arg(long, default_value = "sim")]
        vfs: String,
        /// Where shrunk failures are written.
        #[arg(long, default_value = "traces/regressions")]
        out: PathBuf,
        /// Write no traces.
        #[arg(long)]
        no_write: bool,
        /// Traces of disagreements already known; failures matching one are reported as known.
        #[arg(long, default_value = "traces/regressions")]
        known: PathBuf,
        /// Print JSON: {seed, config, profile, steps, walks, engine_steps, classes_seen,
        /// environment_moves, failed, failures: [{seed, walk, call, expected, actual, actions,
        /// shrunk_to, trace, known}], seconds}.
        #[arg(long)]
        json: bool,
    },
    /// The whole verification suite, for CI: the model check, the hand-written traces, the
    /// model's witnesses and the recorded regressions replayed on the engine, lockstep over
    /// every edge class (conform), and the coverage gate. A summary table at the end.
    ///
    /// Disagreements already recorded under traces/regressions/ are reported as known and do
    /// not fail the run; anything new does. Exit 0 when no phase fails, 1 otherwise, 2 for a
    /// usage error.
    Verify {
        /// The bounds of check, conform and coverage: small, default or large.
        #[arg(long, default_value = "default")]
        config: String,
        /// The engine's files: sim or os.
        #[arg(long, default_value = "sim")]
        vfs: String,
        /// Threads for check and conform.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// The trace corpus.
        #[arg(long, default_value = "traces")]
        traces: PathBuf,
        /// The checked-in coverage report, compared with what the model prints (skipped when
        /// the file does not exist).
        #[arg(long, default_value = "docs/coverage.md")]
        coverage_doc: PathBuf,
        /// Print JSON: {config, phases: [{name, verdict, summary, details, seconds}], seconds}.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks against baselines measured in the same run. Built: `backup` (JetReadFile
    /// streaming against `cp` and SQLite's online backup, plus restore speed).
    Bench(BenchArgs),
}

/// `jetspec bench SUBJECT`.
#[derive(clap::Args)]
struct BenchArgs {
    /// What to measure: backup.
    subject: String,
    /// The database size: a number and a unit (B, KiB, MiB, GiB, KB, MB, GB).
    #[arg(long, default_value = "1GiB")]
    size: String,
    /// Log bytes the restore measurement replays.
    #[arg(long, default_value = "256MiB")]
    restore_logs: String,
    /// Where the scratch directory goes (default: the system's temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print JSON: {size_bytes, engine_mb_s, cp_mb_s, sqlite_mb_s, engine_vs_cp,
    /// engine_vs_sqlite, peak_rss_mb, ...}.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum TraceCommand {
    /// Check trace files: JSON structure, known calls and arguments, handles bound before use,
    /// no writes outside the sandbox, names unique per folder. Exit 1 if any is invalid.
    Validate {
        /// Trace files, or directories searched recursively for *.json.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print JSON: {files, valid, problems: [{file, line, reason}]}.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite trace files canonically (two-space indent, one step per line, keys in contract
    /// order). Each file is replaced atomically; an unreadable one is left untouched.
    Fmt {
        /// Trace files, or directories searched recursively for *.json.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if any file is not canonical.
        #[arg(long)]
        check: bool,
    },
    /// Print the call vocabulary (the table of traces/README.md) as Markdown.
    Calls,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Errors { code, json } => errors(code.as_deref(), json),
        Command::Trace(TraceCommand::Validate { paths, json }) => validate(&paths, json),
        Command::Trace(TraceCommand::Fmt { paths, check }) => fmt(&paths, check),
        Command::Trace(TraceCommand::Calls) => {
            print!("{}", jetapi::vocabulary::vocabulary_markdown());
            ExitCode::SUCCESS
        }
        Command::Check {
            config,
            profile,
            json,
            threads,
            out,
            mutation,
        } => check(&config, &profile, json, threads, &out, mutation.as_deref()),
        Command::Witnesses {
            out,
            config,
            profile,
            json,
            check,
            threads,
        } => witnesses(&out, &config, &profile, json, check, threads),
        Command::Coverage {
            config,
            json,
            markdown,
            threads,
        } => coverage(&config, json, markdown, threads),
        Command::Divergences { json } => divergences(json),
        Command::Explore {
            addr,
            config,
            profile,
        } => explore(&addr, &config, &profile),
        Command::Replay {
            paths,
            against,
            profile,
            vfs,
            json,
        } => replay(&paths, &against, profile.as_deref(), &vfs, json),
        Command::Conform {
            config,
            profile,
            vfs,
            shard,
            threads,
            out,
            no_write,
            json,
        } => conform(
            &config,
            &profile,
            &vfs,
            &shard,
            threads,
            (!no_write).then_some(out),
            json,
        ),
        Command::Fuzz {
            seed,
            steps,
            walk_len,
            config,
            profile,
            vfs,
            out,
            no_write,
            known,
            json,
        } => fuzz(FuzzArgs {
            seed,
            steps,
            walk_len,
            config,
            profile,
            vfs,
            out: (!no_write).then_some(out),
            known,
            json,
        }),
        Command::Verify {
            config,
            vfs,
            threads,
            traces,
            coverage_doc,
            json,
        } => verify(&config, &vfs, threads, traces, coverage_doc, json),
        Command::Bench(args) => bench(&args),
    }
}

fn bench(args: &BenchArgs) -> ExitCode {
    if args.subject != "backup" {
        eprintln!("{}", not_built::bench_message(&args.subject));
        return ExitCode::from(2);
    }
    let sizes = conformance::bench::parse_size(&args.size)
        .and_then(|s| conformance::bench::parse_size(&args.restore_logs).map(|r| (s, r)));
    let (size_bytes, restore_log_bytes) = match sizes {
        Ok(sizes) => sizes,
        Err(e) => {
            eprintln!("jetspec bench backup: {e}");
            return ExitCode::from(2);
        }
    };
    let cfg = conformance::bench::BackupBench {
        size_bytes,
        restore_log_bytes,
        dir: args.dir.clone().unwrap_or_else(std::env::temp_dir),
        progress: true,
    };
    match conformance::bench::run_backup_bench(&cfg) {
        Ok(report) if args.json => {
            println!("{}", to_json(&report));
            ExitCode::SUCCESS
        }
        Ok(r) => {
            println!(
                "database {} bytes: engine {:.0} MB/s (best buffer), cp {:.0} MB/s, SQLite backup {:.0} MB/s",
                r.size_bytes, r.engine_mb_s, r.cp_mb_s, r.sqlite_mb_s
            );
            for b in &r.engine_by_buffer {
                println!(
                    "  JetReadFile {:>5} KiB buffers: {:.0} MB/s",
                    b.buffer_bytes >> 10,
                    b.mb_s
                );
            }
            println!(
                "engine/cp {:.2} (goal >= 0.9), engine/SQLite {:.2} (goal > 1), peak RSS {:.0} MiB (goal < 64; streaming added {:.1} MiB)",
                r.engine_vs_cp, r.engine_vs_sqlite, r.peak_rss_mb, r.stream_rss_added_mb
            );
            println!(
                "restore: copy + replay of {} log bytes in {:.2} s ({:.0} MB/s)",
                r.restore_log_bytes, r.restore_seconds, r.restore_mb_s
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("jetspec bench backup failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn replay(
    paths: &[PathBuf],
    against: &str,
    profile: Option<&str>,
    vfs: &str,
    json: bool,
) -> ExitCode {
    use conformance::replay_report::{Against, render_text, replay_files, trace_files};
    let usage = |message: String| {
        eprintln!("jetspec replay: {message}");
        ExitCode::from(2)
    };
    let against = match Against::parse(against) {
        Ok(a) => a,
        Err(e) => return usage(e),
    };
    let backend = match backend_named("replay", vfs) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let profile = match profile {
        None => None,
        Some(name) => match jetapi::trace::Profile::from_name(name) {
            Some(p) => Some(p),
            None => {
                return usage(format!(
                    "unknown --profile {name:?}: expected esent or documented"
                ));
            }
        },
    };
    let files = match trace_files(paths) {
        Ok(files) => files,
        Err(e) => return usage(e),
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(files.len() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("replay {bar:30} {pos}/{len} traces {msg}")
            .expect("a valid progress template"),
    );
    let report = replay_files(&files, against, backend, profile, |_| bar.inc(1));
    bar.finish_and_clear();
    if json {
        println!("{}", to_json(&report));
    } else {
        print!("{}", render_text(&report));
    }
    if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn conform(
    config: &str,
    profile: &str,
    vfs: &str,
    shard: &str,
    threads: usize,
    out: Option<PathBuf>,
    json: bool,
) -> ExitCode {
    use conformance::conform::{ConformOptions, ConformProgress, Shard, render, run_conform};
    let (config, profile) = match config_and_profile("conform", config, profile) {
        Ok(pair) => pair,
        Err(code) => return code,
    };
    let backend = match backend_named("conform", vfs) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let shard = match Shard::parse(shard) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jetspec conform: {e}");
            return ExitCode::from(2);
        }
    };
    let options = ConformOptions {
        config,
        profile,
        backend,
        shard,
        out,
        threads,
    };
    let bar = spinner(false);
    bar.set_message(format!("exploring the model ({config})"));
    let result = run_conform(&options, |p| match p {
        ConformProgress::Exploring(states) => {
            bar.set_message(format!("exploring the model: {states} states"));
            bar.tick();
        }
        ConformProgress::Planned { tours, classes } => {
            bar.set_length(tours as u64);
            bar.set_position(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "conform {bar:30} {pos}/{len} tours {elapsed} {msg}",
                )
                .expect("the template is valid"),
            );
            bar.set_message(format!("{classes} edge classes"));
        }
        ConformProgress::Toured => bar.inc(1),
    });
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("jetspec conform: {e}");
            return ExitCode::from(2);
        }
    };
    if json {
        println!("{}", to_json(&report));
    } else {
        print!("{}", render(&report));
    }
    if report.disagreements == 0 && report.edges_covered == report.edges_total {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

struct FuzzArgs {
    seed: Option<u64>,
    steps: usize,
    walk_len: usize,
    config: String,
    profile: String,
    vfs: String,
    out: Option<PathBuf>,
    known: PathBuf,
    json: bool,
}

fn fuzz(args: FuzzArgs) -> ExitCode {
    use conformance::fuzz::{FuzzOptions, render, run_fuzz};
    let (config, profile) = match config_and_profile("fuzz", &args.config, &args.profile) {
        Ok(pair) => pair,
        Err(code) => return code,
    };
    let backend = match backend_named("fuzz", &args.vfs) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    eprintln!("jetspec fuzz --seed {seed}");
    let options = FuzzOptions {
        config,
        profile,
        backend,
        seed,
        steps: args.steps,
        walk_len: args.walk_len,
        out: args.out,
        known: args.known.is_dir().then_some(args.known),
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(args.steps as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("fuzz {bar:30} {pos}/{len} actions {elapsed}")
            .expect("the template is valid"),
    );
    let result = run_fuzz(&options, |n| bar.set_position(n as u64));
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("jetspec fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        println!("{}", to_json(&report));
    } else {
        print!("{}", render(&report));
    }
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn verify(
    config: &str,
    vfs: &str,
    threads: usize,
    traces: PathBuf,
    coverage_doc: PathBuf,
    json: bool,
) -> ExitCode {
    use conformance::verify::{VerifyOptions, render, run_verify};
    let (config, _) = match config_and_profile("verify", config, "esent") {
        Ok(pair) => pair,
        Err(code) => return code,
    };
    let backend = match backend_named("verify", vfs) {
        Ok(b) => b,
        Err(code) => return code,
    };
    if !traces.is_dir() {
        eprintln!(
            "jetspec verify: no trace corpus at {} (run from the repository's root, or give --traces)",
            traces.display()
        );
        return ExitCode::from(2);
    }
    let options = VerifyOptions {
        config,
        backend,
        traces,
        coverage_doc,
        threads,
    };
    let bar = spinner(false);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let report = run_verify(&options, |phase, message| {
        bar.set_message(format!("{phase}: {message}"));
    });
    bar.finish_and_clear();
    if json {
        println!("{}", to_json(&report));
    } else {
        print!("{}", render(&report, 20));
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn backend_named(command: &str, vfs: &str) -> Result<conformance::replay::Backend, ExitCode> {
    conformance::replay::Backend::from_name(vfs).ok_or_else(|| {
        eprintln!("jetspec {command}: unknown --vfs {vfs:?}: expected os or sim");
        ExitCode::from(2)
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("reports serialize to JSON")
}

fn errors(code: Option<&str>, json: bool) -> ExitCode {
    let Some(query) = code else {
        let rows = error_rows();
        if json {
            println!("{}", to_json(&rows));
        } else {
            print!("{}", render_table(&rows));
        }
        return ExitCode::SUCCESS;
    };
    let Some(code) = find_code(query) else {
        eprintln!(
            "jetspec errors: no code is named or numbered {query:?} (jetspec errors lists them)"
        );
        return ExitCode::from(2);
    };
    if json {
        let row = error_rows().into_iter().find(|r| r.value == code.value());
        println!("{}", to_json(&row));
    } else {
        print!("{}", render_detail(code));
    }
    ExitCode::SUCCESS
}

fn check(
    config: &str,
    profile: &str,
    json: bool,
    threads: usize,
    out: &std::path::Path,
    mutation: Option<&str>,
) -> ExitCode {
    let (config, profile) = match config_and_profile("check", config, profile) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if threads == 0 {
        eprintln!("jetspec check: --threads must be at least 1");
        return ExitCode::from(2);
    }
    let mutation = match mutation.map(|m| (m, conformance::check::mutation_by_name(m))) {
        None => None,
        Some((_, Some(m))) => Some(m),
        Some((name, None)) => {
            eprintln!("jetspec check: no mutation {name:?} (truncate-before-copy-check)");
            return ExitCode::from(2);
        }
    };
    let bar = spinner(json);
    let result = conformance::check::run_check(config, profile, mutation, threads, out, |p| {
        bar.set_message(format!(
            "{} states, depth {}, {} queued",
            p.states, p.depth, p.queued
        ));
        bar.tick();
    });
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            if json {
                println!("{}", to_json(&report));
            } else {
                print!("{}", conformance::check::render(&report));
            }
            if report.all_hold() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("jetspec check: {e}");
            ExitCode::from(2)
        }
    }
}

fn config_and_profile(
    command: &str,
    config: &str,
    profile: &str,
) -> Result<(model::Config, jetapi::Profile), ExitCode> {
    let Some(config) = model::Config::by_name(config) else {
        eprintln!("jetspec {command}: no configuration {config:?} (small, default, large)");
        return Err(ExitCode::from(2));
    };
    let Some(profile) = jetapi::Profile::from_name(profile) else {
        eprintln!("jetspec {command}: no profile {profile:?} (esent, documented)");
        return Err(ExitCode::from(2));
    };
    Ok((config, profile))
}

fn spinner(hidden: bool) -> indicatif::ProgressBar {
    let bar = if hidden {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .expect("the template is valid"),
    );
    bar
}

fn witnesses(
    out: &std::path::Path,
    config: &str,
    profile: &str,
    json: bool,
    check: bool,
    threads: usize,
) -> ExitCode {
    let (config, profile) = match config_and_profile("witnesses", config, profile) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let bar = spinner(json);
    let result =
        conformance::witnesses::run_witnesses(config, profile, out, check, threads.max(1), |p| {
            bar.set_message(format!("{} states, depth {}", p.states, p.depth));
            bar.tick();
        });
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            if json {
                println!("{}", to_json(&report));
            } else {
                let (w, d) = if check {
                    ("out of date", "stale")
                } else {
                    ("written", "deleted")
                };
                println!(
                    "{} (function, code) pairs witnessed at {} ({} states, {:.1} s): {} {w}, {} {d}, under {}",
                    report.witnessed,
                    report.config,
                    report.unique_states,
                    report.seconds,
                    report.written,
                    report.deleted,
                    out.display()
                );
            }
            let changed = report.written + report.deleted > 0;
            if check && changed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("jetspec witnesses: {e}");
            ExitCode::from(2)
        }
    }
}

fn explore(addr: &str, config: &str, profile: &str) -> ExitCode {
    use stateright::Model;
    let (config, profile) = match config_and_profile("explore", config, profile) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if !addr.starts_with("127.") && !addr.starts_with("localhost") && !addr.starts_with("[::1]") {
        eprintln!(
            "jetspec explore: serve on loopback only (127.0.0.1, localhost or [::1]), not {addr}"
        );
        return ExitCode::from(2);
    }
    if let Err(e) = std::net::TcpListener::bind(addr) {
        eprintln!("jetspec explore: cannot serve on {addr}: {e}");
        return ExitCode::from(2);
    }
    eprintln!(
        "Explorer of configuration {} ({}) on http://{addr}/ ; Ctrl-C stops it.",
        config.name,
        profile.name()
    );
    let spec = model::Spec::with_profile(config, profile);
    let _served = spec.checker().serve(addr);
    ExitCode::SUCCESS
}

fn coverage(config: &str, json: bool, markdown: bool, threads: usize) -> ExitCode {
    let (config, _) = match config_and_profile("coverage", config, "esent") {
        Ok(found) => found,
        Err(code) => return code,
    };
    let bar = spinner(json || markdown);
    bar.set_message("searching the model under both profiles");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let report = conformance::coverage::coverage(config, threads.max(1));
    bar.finish_and_clear();
    if json {
        println!("{}", to_json(&report));
    } else if markdown {
        print!("{}", conformance::coverage::render_markdown(&report));
    } else {
        let s = &report.summary;
        for r in report
            .rows
            .iter()
            .filter(|r| r.status == conformance::coverage::Status::Missing)
        {
            println!("missing  {} {}", r.function, r.code);
        }
        println!(
            "{} documented rows: {} witnessed, {} divergent, {} unreachable, {} missing; {} undocumented pairs",
            s.rows, s.witnessed, s.divergent, s.unreachable, s.missing, s.undocumented
        );
    }
    ExitCode::SUCCESS
}

fn divergences(json: bool) -> ExitCode {
    let list = model::profile::DIVERGENCES;
    if json {
        println!("{}", to_json(&list));
        return ExitCode::SUCCESS;
    }
    for d in list {
        println!("{}  ({})", d.id, d.functions.join(", "));
        println!("  when:       {}", d.situation);
        println!("  esent:      {}", d.esent);
        println!("  documented: {}", d.documented);
        println!("  sources:    {}\n", d.sources);
    }
    println!(
        "{} divergences; `jetspec check --profile documented` follows the pages.",
        list.len()
    );
    ExitCode::SUCCESS
}

fn files_or_exit(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ExitCode> {
    collect_trace_files(paths).map_err(|e| {
        eprintln!("jetspec trace: {e}");
        ExitCode::from(2)
    })
}

fn validate(paths: &[PathBuf], json: bool) -> ExitCode {
    let files = match files_or_exit(paths) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let report = validate_files(&files);
    if json {
        println!("{}", to_json(&report));
    } else {
        for p in &report.problems {
            println!("{}:{}: {}", p.file.display(), p.line, p.reason);
        }
        let invalid = report.files - report.valid;
        println!(
            "{} traces: {} valid, {invalid} invalid",
            report.files, report.valid
        );
    }
    if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn fmt(paths: &[PathBuf], check: bool) -> ExitCode {
    let files = match files_or_exit(paths) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let (mut changed, mut failed) = (0, 0);
    for file in &files {
        match format_file(file, check) {
            Ok(FmtOutcome::Unchanged) => {}
            Ok(FmtOutcome::Rewritten) => {
                changed += 1;
                let verb = if check { "not canonical" } else { "formatted" };
                println!("{verb}: {}", file.display());
            }
            Err(p) => {
                failed += 1;
                println!("{}:{}: {}", p.file.display(), p.line, p.reason);
            }
        }
    }
    let verb = if check { "not canonical" } else { "rewritten" };
    println!(
        "{} traces: {changed} {verb}, {failed} unreadable",
        files.len()
    );
    if failed > 0 || (check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
