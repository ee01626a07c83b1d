//! `cargo xtask bench [FILTER] [--full]`: run the head-to-head criterion
//! benches in `benches/`, then write the report (see `report/`).

use crate::report;
use crate::util::{cargo, display, target_dir, workspace_root};

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
    for arg in args {
        match arg.as_str() {
            "--full" => full = true,
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

    let mut cmd = cargo();
    cmd.args(["bench", "-p", "nanopath-bench", "--benches", "--"]);
    cmd.env("NANOPATH_REPORT_TABLES", &tables_dir);
    if let Some(f) = &filter {
        cmd.arg(f);
    }
    if !full {
        cmd.args(QUICK_ARGS);
    }
    cmd.env("CRITERION_HOME", &criterion_home);
    println!(
        "==> building (release, LTO) and running the benches with {} settings{}",
        if full { "criterion's default" } else { "quick" },
        filter
            .as_deref()
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
    let scenarios = report::collect(&criterion_home)?;
    if scenarios.is_empty() {
        return Err(format!(
            "no benchmark results found (filter {:?} matched nothing?)",
            filter
        ));
    }
    let targets_path = workspace_root().join("benches").join("targets.txt");
    let targets = report::read_targets(&targets_path)?;
    let machine = report::Machine::detect();
    let summary = report::write(&scenarios, &targets, &machine, &out_dir)?;
    println!("{summary}");
    println!("==> report: {}", out_dir.join("report.md").display());
    Ok(())
}
