//! `cargo xtask bench [FILTER] [--full] [--instructions] [--save-baseline NAME]
//! [--baseline NAME] [--fail-on-regression] [--write-docs]`: run the
//! head-to-head criterion benches in `benches/`, count the single-thread
//! hot paths' instructions under callgrind (see `instructions.rs`), run the
//! datapath demo, then write the report (see `report/`), with the A/B
//! rounds of the two-thread queue scenarios (see `rounds.rs`) as a table of
//! their own. `--instructions` counts instructions only: a minute instead
//! of a quarter of an hour, and no host noise.
//!
//! `--save-baseline NAME` keeps this run's figures; `--baseline NAME`
//! lists what regressed against them (see `baseline.rs`), and
//! `--fail-on-regression` makes that an error. `--write-docs` (a whole
//! run only) writes the report to `docs/performance.md` and the headline
//! table into the README.

use crate::baseline;
use crate::instructions;
use crate::report;
use crate::rounds;
use crate::util::{cargo, display, target_dir, workspace_root};
use std::path::Path;

/// What `bench` was asked to do.
#[derive(Debug, Default)]
struct Flags {
    filter: Option<String>,
    full: bool,
    instructions_only: bool,
    save_baseline: Option<String>,
    baseline: Option<String>,
    fail_on_regression: bool,
    write_docs: bool,
}

fn parse_flags(args: &[String]) -> Result<Flags, String> {
    let mut f = Flags::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| match it.next() {
            Some(v) if !v.starts_with('-') => Ok(v.clone()),
            _ => Err(format!("bench: `{flag}` needs a name")),
        };
        match arg.as_str() {
            "--full" => f.full = true,
            "--instructions" => f.instructions_only = true,
            "--save-baseline" => f.save_baseline = Some(value(arg)?),
            "--baseline" => f.baseline = Some(value(arg)?),
            "--fail-on-regression" => f.fail_on_regression = true,
            "--write-docs" => f.write_docs = true,
            a if a.starts_with('-') => return Err(format!("bench: unknown flag `{a}`")),
            a if f.filter.is_none() => f.filter = Some(a.to_string()),
            a => {
                return Err(format!(
                    "bench: only one filter is supported, got a second: `{a}`"
                ));
            }
        }
    }
    if f.fail_on_regression && f.baseline.is_none() {
        return Err("bench: `--fail-on-regression` needs `--baseline NAME`".into());
    }
    if f.write_docs && (f.filter.is_some() || f.instructions_only) {
        return Err(
            "bench: `--write-docs` needs a whole run (no filter, no `--instructions`)".into(),
        );
    }
    Ok(f)
}

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
    let flags = parse_flags(args)?;
    let filter = flags.filter.clone();
    let (full, instructions_only) = (flags.full, flags.instructions_only);
    let baselines = target_dir().join("nanopath-report").join("baselines");
    // A baseline that cannot be read fails now, not after the run.
    let old = match &flags.baseline {
        Some(name) => {
            let path = baseline::path(&baselines, name)?;
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "baseline `{name}` ({}): {e}; save one with `cargo xtask bench --save-baseline {name}`",
                    path.display()
                )
            })?;
            Some(baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    if let Some(name) = &flags.save_baseline {
        baseline::path(&baselines, name)?;
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
    let mut rounds_lines = Vec::new();
    // `datapath` as the filter runs the demo alone.
    let datapath_only = filter.as_deref() == Some("datapath");
    if !instructions_only && !datapath_only {
        scenarios = run_criterion(filter.as_deref(), full, &criterion_home, &tables_dir)?;
        // The A/B rounds check the two-thread queue scenarios of a whole
        // run; a filtered run skips them.
        if filter.is_none() {
            println!("==> A/B rounds of the two-thread queue scenarios");
            // A failure here must not throw away the criterion run.
            (rounds_summary, rounds_lines) =
                rounds::run(&targets, &tables_dir).unwrap_or_else(|e| {
                    eprintln!("warning: no A/B rounds in this report: {e}");
                    (String::new(), Vec::new())
                });
            println!("==> nanopath-shard hand-off latency and scaling");
            if let Err(e) = shard_report(&tables_dir) {
                eprintln!("warning: no shard latency and scaling tables in this report: {e}");
            }
        }
    }
    // The datapath demo runs in a whole run, or when the filter names it.
    let mut datapath = None;
    if !instructions_only && (filter.is_none() || datapath_only) {
        println!("==> the datapath demo: naive and nanopath builds, in process and over TCP");
        match run_datapath(&tables_dir) {
            Ok(d) => datapath = Some(d),
            Err(e) if filter.is_some() => return Err(e),
            Err(e) => eprintln!("warning: no datapath tables in this report: {e}"),
        }
    }
    // A filtered timing run is for one scenario: it skips the counts.
    if !datapath_only
        && (instructions_only || (filter.is_none() && instructions::valgrind_available()))
    {
        println!("==> counting instructions of the single-thread hot paths under callgrind");
        scenarios.extend(instructions::count(filter.as_deref())?);
    } else if filter.is_none() {
        println!("==> valgrind not found: no instruction counts in this report");
    }
    if scenarios.is_empty() && datapath.is_none() {
        return Err(format!(
            "no benchmark results found (filter {:?} matched nothing?)",
            filter
        ));
    }
    let machine = report::Machine::detect();
    // Every figure a baseline keeps: the scenarios and the datapath's.
    let mut figures = baseline::figures_of(&scenarios);
    figures.extend(datapath.iter().flat_map(report::Datapath::figures));

    let rows = report::read_headline(&workspace_root().join("benches").join("headline.txt"))?;
    let headline = report::headline_table(&rows, &scenarios, &rounds_lines, datapath.as_ref());
    let mut preface = format!(
        "Each primitive against the crate it is compared with (time per operation, or \
         instructions per item; the ratio is the other crate's figure over nanopath's, with \
         its range over both confidence intervals; for the two-thread queue and shard scenarios also \
         the A/B rounds' median ratio with the lowest and highest round), and the datapath \
         demo's nanopath build against its naive build:\n\n{headline}\n"
    );
    if datapath.is_some()
        && let Ok(t) = std::fs::read_to_string(tables_dir.join("datapath_targets.txt"))
    {
        preface.push_str(&format!(
            "The datapath demo's targets (its section below has the tables and charts):\n\n{t}\n"
        ));
    }
    let mut comparison = None;
    if let (Some(name), Some(old)) = (&flags.baseline, &old) {
        let c = baseline::compare(old, &figures);
        preface.push_str(&c.markdown(name));
        comparison = Some(c);
    }
    let summary = report::write(&scenarios, &targets, &machine, &out_dir, &preface)?;
    println!("{summary}{rounds_summary}");
    println!("==> report: {}", out_dir.join("report.md").display());
    // The gate decides before anything is saved: a failing run must not
    // become the baseline.
    let mut failure = None;
    if let (Some(name), Some(c)) = (&flags.baseline, &comparison) {
        print!("{}", c.markdown(name));
        // A filtered or `--instructions` run measures a subset on purpose;
        // a whole run that
        // lost figures (a renamed scenario, no valgrind, a failed datapath
        // run) must not pass unseen.
        let subset = filter.is_some() || instructions_only;
        let missing = if subset { 0 } else { c.missing.len() };
        if c.compared == 0 {
            eprintln!("warning: this run measured none of baseline `{name}`'s figures");
        }
        if flags.fail_on_regression && (!c.regressed.is_empty() || missing > 0) {
            failure = Some(format!(
                "against baseline `{name}`: {} figures regressed, {missing} not measured",
                c.regressed.len()
            ));
        }
    }
    if let Some(e) = failure {
        if flags.save_baseline.is_some() {
            eprintln!("==> not saving the baseline: the gate failed");
        }
        return Err(e);
    }
    if let Some(name) = &flags.save_baseline {
        // A whole run that lost a part saves a smaller baseline, and a gate
        // against it would not check that part: say so.
        if filter.is_none() && !instructions_only {
            if datapath.is_none() {
                eprintln!(
                    "warning: baseline `{name}` has no datapath figures (the demo did not run)"
                );
            }
            if !scenarios
                .iter()
                .any(|s| s.unit == report::Unit::Instructions)
            {
                eprintln!(
                    "warning: baseline `{name}` has no instruction counts (valgrind did not run)"
                );
            }
        }
        std::fs::create_dir_all(&baselines).map_err(|e| format!("{}: {e}", baselines.display()))?;
        let path = baseline::path(&baselines, name)?;
        std::fs::write(&path, baseline::to_text(&figures, &machine.revision))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!("==> saved baseline `{name}`: {}", path.display());
    }
    if flags.write_docs {
        write_docs(&out_dir, &headline, &machine)?;
    }
    Ok(())
}

/// Runs the `datapath` binary with its defaults and `--tcp`; it writes
/// `datapath.md`, its charts and its figures into `tables`.
fn run_datapath(tables: &Path) -> Result<report::Datapath, String> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "nanopath-bench",
        "--bin",
        "datapath",
        "--",
        "--tcp",
        "--out",
    ]);
    cmd.arg(tables);
    cmd.args(["--charts-link", "tables/"]);
    println!("$ {}", display(&cmd));
    // Its table goes to the report; the terminal gets its progress lines.
    let out = cmd
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("could not start datapath: {e}"))?;
    if !out.success() {
        return Err(format!("datapath failed with {out}"));
    }
    let path = tables.join("datapath_headline.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    report::Datapath::parse(&text)
}

/// The README's generated block lies between these lines.
const README_START: &str = "<!-- headline table: written by `cargo xtask bench --write-docs` -->";
const README_END: &str = "<!-- end of headline table -->";

/// Writes the report to `docs/performance.md` (its charts to
/// `docs/performance/`) and the headline table into the README.
fn write_docs(out_dir: &Path, headline: &str, machine: &report::Machine) -> Result<(), String> {
    let root = workspace_root();
    let docs = root.join("docs");
    let charts = docs.join("performance");
    match std::fs::remove_dir_all(&charts) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot clear {}: {e}", charts.display())),
    }
    std::fs::create_dir_all(&charts).map_err(|e| format!("{}: {e}", charts.display()))?;
    for dir in [out_dir.to_path_buf(), out_dir.join("tables")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "svg") {
                let to = charts.join(e.file_name());
                std::fs::copy(&p, &to).map_err(|e| format!("{}: {e}", to.display()))?;
            }
        }
    }
    let report = std::fs::read_to_string(out_dir.join("report.md"))
        .map_err(|e| format!("report.md: {e}"))?;
    let doc = format!(
        "<!-- Written by `cargo xtask bench --write-docs` from one run; edit the tool, not this file. -->\n\n{}",
        report::relink_charts(&report, "performance/")
    );
    let path = docs.join("performance.md");
    std::fs::write(&path, doc).map_err(|e| format!("{}: {e}", path.display()))?;

    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)
        .map_err(|e| format!("{}: {e}", readme_path.display()))?;
    let block = format!(
        "{README_START}\n\nOne `cargo xtask bench` run on {} ({} cores), revision `{}`, {}. The ratio is \
         the other crate's time (or instruction count) over nanopath's, with its range over both \
         confidence intervals, and for the two-thread scenarios the A/B rounds' median ratio \
         with its lowest and highest round; every scenario and target is in \
         [docs/performance.md](docs/performance.md).\n\n{headline}\n{README_END}",
        machine.cpu, machine.cores, machine.revision, machine.date
    );
    let updated =
        report::replace_block(&readme, README_START, README_END, &block).ok_or_else(|| {
            format!(
                "README.md has no headline block: add the lines `{README_START}` and `{README_END}`"
            )
        })?;
    std::fs::write(&readme_path, updated).map_err(|e| format!("{}: {e}", readme_path.display()))?;
    println!(
        "==> wrote {} and the README's headline table",
        path.display()
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Result<Flags, String> {
        parse_flags(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn flags_parse_and_bad_combinations_are_refused() {
        let f = flags(&["spsc", "--baseline", "main", "--fail-on-regression"]).unwrap();
        assert_eq!(f.filter.as_deref(), Some("spsc"));
        assert_eq!(f.baseline.as_deref(), Some("main"));
        assert!(f.fail_on_regression);
        assert!(
            flags(&["--save-baseline", "--write-docs"]).is_err(),
            "a flag is no name"
        );
        assert!(flags(&["--baseline"]).is_err());
        assert!(
            flags(&["--fail-on-regression"]).is_err(),
            "needs a baseline"
        );
        assert!(
            flags(&["spsc", "--write-docs"]).is_err(),
            "docs need a whole run"
        );
        assert!(flags(&["--instructions", "--write-docs"]).is_err());
        assert!(flags(&["a", "b"]).is_err());
        assert!(flags(&["--fast"]).is_err());
        assert!(
            flags(&["--write-docs", "--save-baseline", "main"])
                .unwrap()
                .write_docs
        );
    }
}
