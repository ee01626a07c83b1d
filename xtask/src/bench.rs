//! `cargo xtask bench [FILTER] [--full] [--instructions]`: run the
//! head-to-head criterion benches in `benches/` and count the single-thread
//! hot paths' instructions under callgrind (see `instructions.rs`), then
//! write the report (see `report/`), with the A/B rounds of the two-thread
//! queue scenarios (see `rounds.rs`) as a table of their own.
//! `--instructions` counts instructions only: a minute instead of a quarter
//! of an hour, and no host noise.

use crate::instructions;
use crate::report;
use crate::rounds;
use crate::util::{cargo, display, target_dir, workspace_root};
use std::path::Path;

/// Criterion flags for the default (quick) run: long enough for stable
/// medians on the multi-threaded scenarios, short enough that the whole run
/// stays well under 15 minutes on a 2-core machine.
const QUICK_ARGS: [&str; 6] = [
    "--warm-up-time",
    "1",
    "--measurement-time",
    "2",
    "--sample-size",
    "30",
];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut filter = None;
    let mut full = false;
    let mut instructions_only = false;
    for arg in args {
        match arg.as_str() {
            "--full" => full = true,
            "--instructions" => instructions_only = true,
            a if a.starts_with('-') => return Err(format!("bench: unknown flag `{a}`")),
            a if filter.is_none() => filter = Some(a.to_string()),
            a => {
                return Err(format!(
                    "bench: only one filter is supported, got a second: `{a}`"
                ));
            }
        }
    }

    // One run, one report: stale results from an earlier run (or another
    // filter) must not leak into this one.
    let criterion_home = target_dir().join("criterion");
    match std::fs::remove_dir_all(&criterion_home) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot clear {}: {e}", criterion_home.display())),
    }

    // Benches may also write measured tables that are not timings (the
    // reclaim bench's memory table) as markdown files here; the report
    // appends them. Cleared for the same reason as the criterion results.
    let out_dir = target_dir().join("nanopath-report");
    let tables_dir = out_dir.join("tables");
    match std::fs::remove_dir_all(&tables_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot clear {}: {e}", tables_dir.display())),
    }

    // And the charts of an earlier run.
    if let Ok(entries) = std::fs::read_dir(&out_dir) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "svg") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    let targets_path = workspace_root().join("benches").join("targets.txt");
    let targets = report::read_targets(&targets_path)?;

    let mut scenarios = Vec::new();
    let mut rounds_summary = String::new();
    if !instructions_only {
        scenarios = run_criterion(filter.as_deref(), full, &criterion_home, &tables_dir)?;
        // The A/B rounds check the two-thread queue scenarios of a whole
        // run; a filtered run skips them.
        if filter.is_none() {
            println!("==> A/B rounds of the two-thread queue scenarios");
            // A failure here must not throw away the criterion run.
            rounds_summary = rounds::run(&targets, &tables_dir).unwrap_or_else(|e| {
                eprintln!("warning: no A/B rounds in this report: {e}");
                String::new()
            });
            println!("==> nanopath-shard hand-off latency and scaling");
            if let Err(e) = shard_report(&tables_dir) {
                eprintln!("warning: no shard latency and scaling tables in this report: {e}");
            }
        }
    }
    // A filtered timing run is for one scenario: it skips the counts.
    if instructions_only || (filter.is_none() && instructions::valgrind_available()) {
        println!("==> counting instructions of the single-thread hot paths under callgrind");
        scenarios.extend(instructions::count(filter.as_deref())?);
    } else if filter.is_none() {
        println!("==> valgrind not found: no instruction counts in this report");
    }
    if scenarios.is_empty() {
        return Err(format!(
            "no benchmark results found (filter {:?} matched nothing?)",
            filter
        ));
    }
    let machine = report::Machine::detect();
    let summary = report::write(&scenarios, &targets, &machine, &out_dir)?;
    println!("{summary}{rounds_summary}");
    println!("==> report: {}", out_dir.join("report.md").display());
    Ok(())
}

/// Runs the criterion benches and reads their results.
fn run_criterion(
    filter: Option<&str>,
    full: bool,
    criterion_home: &std::path::Path,
    tables_dir: &std::path::Path,
) -> Result<Vec<report::Scenario>, String> {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "nanopath-bench", "--benches", "--"]);
    cmd.env("NANOPATH_REPORT_TABLES", tables_dir);
    if let Some(f) = filter {
        cmd.arg(f);
    }
    if !full {
        cmd.args(QUICK_ARGS);
    }
    cmd.env("CRITERION_HOME", criterion_home);
    println!(
        "==> building (release, LTO) and running the benches with {} settings{}",
        if full { "criterion's default" } else { "quick" },
        filter
            .map(|f| format!(", filter `{f}`"))
            .unwrap_or_default()
    );
    println!("$ {}", display(&cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("could not start cargo bench: {e}"))?;
    if !status.success() {
        return Err(format!("cargo bench failed with {status}"));
    }
    println!(
        "==> reading criterion results from {}",
        criterion_home.display()
    );
    report::collect(criterion_home)
}

/// Runs `nanopath-bench`'s `shard_report` binary, which prints its
/// markdown section (hand-off latency percentiles, a scaling table), into
/// `tables/shard_runtime.md`.
fn shard_report(tables: &Path) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "nanopath-bench",
        "--bin",
        "shard_report",
    ]);
    println!("$ {}", display(&cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("could not start shard_report: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "shard_report failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::create_dir_all(tables).map_err(|e| format!("{}: {e}", tables.display()))?;
    let path = tables.join("shard_runtime.md");
    std::fs::write(&path, &out.stdout).map_err(|e| format!("{}: {e}", path.display()))
}
