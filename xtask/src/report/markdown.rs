//! Writes `report.md`: the machine table, the targets with their verdicts,
//! one table per scenario (with its chart beside it, see `svg.rs`) and the
//! tables benches wrote themselves.

use super::criterion::{Entry, Scenario, Throughput, Unit, ratio, ratio_interval, verdict};
use super::machine::Machine;
use super::svg::{sanitize, svg_chart};
use super::targets::Target;
use std::fmt::Write as _;
use std::path::Path;

pub(crate) fn format_time(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000.0 {
        format!("{ns:.1} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// A scenario's value in its unit.
pub(crate) fn format_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Nanoseconds => format_time(value),
        Unit::Instructions => format!("{value:.1} instr"),
    }
}

fn format_throughput(t: Option<Throughput>, ns: f64) -> String {
    match t {
        Some(Throughput::Elements(n)) => {
            let per_sec = n / ns * 1e9;
            if per_sec >= 1e6 {
                format!("{:.1} M ops/s", per_sec / 1e6)
            } else {
                format!("{:.1} K ops/s", per_sec / 1e3)
            }
        }
        Some(Throughput::Bytes(n)) => format!("{:.2} GB/s", n / ns),
        None => "-".into(),
    }
}

/// Writes `report.md` and one SVG per scenario into `out`; returns a short
/// text summary of the targets for the terminal. The report opens with a
/// summary: the targets' verdict counts, then `preface` (the headline
/// table, the baseline comparison).
pub(crate) fn write(
    scenarios: &[Scenario],
    targets: &[Target],
    machine: &Machine,
    out: &Path,
    preface: &str,
) -> Result<String, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut md = String::new();
    let mut counts = [0usize; 4]; // met, missed, inconclusive, not run
    let _ = writeln!(md, "# nanopath benchmark report\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| CPU | {} |", machine.cpu);
    let _ = writeln!(md, "| cores | {} |", machine.cores);
    let _ = writeln!(md, "| OS | {} |", machine.os);
    let _ = writeln!(md, "| rustc | {} |", machine.rustc);
    let _ = writeln!(md, "| git revision | {} |", machine.revision);
    let _ = writeln!(md, "| date | {} |\n", machine.date);
    let summary_at = md.len();
    let _ = writeln!(
        md,
        "Times are criterion medians per operation, with criterion's confidence interval of the \
         median in brackets. A ratio `vs X` is the entry's time divided by nanopath entry X's: \
         above 1.00× means X is faster. A target's measured ratio comes with the range it takes \
         over both intervals; the target is met when that whole range is at or above it, missed \
         when the whole range is below, and inconclusive otherwise. Scenarios named \
         `instructions/...` count instructions per item under valgrind's callgrind (single \
         thread, exact, so without an interval): the ratio is the competitor's count over ours. \
         For the two-thread queue scenarios this host's regime can change between two criterion \
         groups; the A/B rounds table at the end measures each pairing alternately and its \
         verdicts are the ones to go by. How each scenario is measured, and notes on earlier \
         runs: `docs/benchmark-notes.md`.\n"
    );

    let mut summary = String::from("targets:\n");
    if !targets.is_empty() {
        let _ = writeln!(md, "## Targets\n");
        let _ = writeln!(
            md,
            "| scenario | target | measured | result |\n|---|---|---|---|"
        );
        for t in targets {
            let measured = scenarios
                .iter()
                .find(|s| s.key == t.scenario)
                .and_then(|s| Some((s.entry(&t.nanopath)?, s.entry(&t.competitor)?)));
            let (value, verdict) = match measured {
                Some((ours, other)) => {
                    let range = ratio_interval(ours, other);
                    (
                        format!(
                            "{:.2}× [{:.2}, {:.2}]",
                            ratio(ours, other),
                            range.0,
                            range.1
                        ),
                        verdict(range, t.min_ratio).as_str(),
                    )
                }
                None => ("not run".to_string(), "-"),
            };
            let slot = match verdict {
                "met" => 0,
                "MISSED" => 1,
                "inconclusive" => 2,
                _ => 3,
            };
            counts[slot] += 1;
            let _ = writeln!(
                md,
                "| {} | {} (`{}` vs `{}` ≥ {:.2}×) | {value} | {verdict} |",
                t.scenario, t.text, t.nanopath, t.competitor, t.min_ratio
            );
            // The terminal summary lists what this run measured.
            if measured.is_some() {
                let _ = writeln!(
                    summary,
                    "  {:<24} {:<60} {value:>22} {verdict}",
                    t.scenario, t.text
                );
            }
        }
        md.push('\n');
    }

    for s in scenarios {
        let ours: Vec<&Entry> = s.nanopath_entries().collect();
        let _ = writeln!(md, "## {}\n", s.key);
        let mut header = String::from(match s.unit {
            Unit::Nanoseconds => "| implementation | median | throughput |",
            Unit::Instructions => "| implementation | instructions per item | throughput |",
        });
        let mut rule = String::from("|---|---:|---:|");
        for o in &ours {
            let _ = write!(header, " vs {} |", o.name);
            rule.push_str("---:|");
        }
        let _ = writeln!(md, "{header}\n{rule}");
        for e in &s.entries {
            let name = if e.name.starts_with("nanopath") {
                format!("**{}**", e.name)
            } else {
                e.name.clone()
            };
            let value = match s.unit {
                Unit::Nanoseconds => format!(
                    "{} [{}, {}]",
                    format_time(e.median_ns),
                    format_time(e.low_ns),
                    format_time(e.high_ns)
                ),
                Unit::Instructions => format_value(s.unit, e.median_ns),
            };
            let throughput = match s.unit {
                Unit::Nanoseconds => format_throughput(e.throughput, e.median_ns),
                Unit::Instructions => "-".into(),
            };
            let _ = write!(md, "| {name} | {value} | {throughput} |");
            for o in &ours {
                let _ = write!(md, " {:.2}× |", ratio(o, e));
            }
            md.push('\n');
        }
        let file = format!("{}.svg", sanitize(&s.key));
        std::fs::write(out.join(&file), svg_chart(s)).map_err(|e| format!("{file}: {e}"))?;
        let _ = writeln!(md, "\n![{}]({file})\n", s.key);
    }
    append_tables(&mut md, &out.join("tables"));
    let mut top = String::from("## Summary\n\n");
    if !targets.is_empty() {
        let _ = writeln!(
            top,
            "{} speed targets: **{} met, {} missed, {} inconclusive**, {} not run (see [Targets](#targets)).\n",
            targets.len(),
            counts[0],
            counts[1],
            counts[2],
            counts[3]
        );
    }
    top.push_str(preface);
    if !top.ends_with("\n\n") {
        top.push('\n');
    }
    md.insert_str(summary_at, &top);
    let path = out.join("report.md");
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(summary)
}

/// Appends the markdown tables benches wrote into `dir` (measurements that
/// are not timings), in file-name order.
fn append_tables(md: &mut String, dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    for f in files {
        if let Ok(text) = std::fs::read_to_string(&f) {
            md.push_str(text.trim_end());
            md.push_str("\n\n");
        }
    }
}
