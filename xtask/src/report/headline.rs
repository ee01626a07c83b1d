//! The headline table: the rows listed in `benches/headline.txt` (each
//! primitive against the crate it is compared with) and the datapath
//! demo's before/after rows, from one run. The report opens with it, and
//! `--write-docs` puts it in the README.

use super::criterion::{Scenario, ratio, ratio_interval};
use super::markdown::format_value;
use std::fmt::Write as _;
use std::path::Path;

/// One row of `benches/headline.txt`.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) nanopath: String,
    pub(crate) competitor: String,
    pub(crate) text: String,
}

/// Parses `scenario | nanopath | competitor | text` lines; `#` starts a
/// comment.
pub(crate) fn parse_rows(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        let [scenario, nanopath, competitor, text] = f[..] else {
            return Err(format!("line {}: expected 4 `|`-separated fields", n + 1));
        };
        rows.push(Row {
            scenario: scenario.into(),
            nanopath: nanopath.into(),
            competitor: competitor.into(),
            text: text.into(),
        });
    }
    Ok(rows)
}

/// Reads `path` (no file: no rows).
pub(crate) fn read_rows(path: &Path) -> Result<Vec<Row>, String> {
    match std::fs::read_to_string(path) {
        Ok(t) => parse_rows(&t).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The datapath figures of one run (see the `datapath` binary's
/// `datapath_headline.tsv`): (median, lowest, highest) over its repeats.
#[derive(Debug, Clone, Default)]
pub(crate) struct Datapath {
    pub(crate) figures: Vec<(String, (f64, f64, f64))>,
}

impl Datapath {
    /// Parses `name \t median \t low \t high` lines.
    pub(crate) fn parse(text: &str) -> Result<Datapath, String> {
        let mut figures = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let [name, m, l, h] = f[..] else {
                return Err(format!(
                    "datapath figures, line {}: expected 4 fields",
                    n + 1
                ));
            };
            let num = |s: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("datapath figures, line {}: bad number `{s}`", n + 1))
            };
            figures.push((name.to_string(), (num(m)?, num(l)?, num(h)?)));
        }
        Ok(Datapath { figures })
    }

    pub(crate) fn get(&self, name: &str) -> Option<(f64, f64, f64)> {
        self.figures.iter().find(|(n, _)| n == name).map(|f| f.1)
    }

    /// The figures a baseline keeps: the times (lower is better) and the
    /// nanopath build's allocations per request.
    pub(crate) fn figures(&self) -> Vec<crate::baseline::Figure> {
        use crate::baseline::{Figure, Kind};
        self.figures
            .iter()
            .filter_map(|(n, v)| {
                let kind = if n.ends_with("_ns") && v.1 > 0.0 {
                    Kind::Time
                } else if n == "nanopath_allocs_per_request" && v.1 >= 0.0 {
                    // The naive build's figure moves with timing (requests
                    // in flight when the counts are read); nanopath's
                    // promise is an exact 0.
                    Kind::Allocations
                } else {
                    return None;
                };
                Some(Figure {
                    kind,
                    scenario: "datapath".into(),
                    entry: n.clone(),
                    median: v.0,
                    low: v.1,
                    high: v.2,
                })
            })
            .collect()
    }
}

fn us(ns: f64) -> String {
    format_value(super::criterion::Unit::Nanoseconds, ns)
}

/// The headline table's markdown.
pub(crate) fn table(
    rows: &[Row],
    scenarios: &[Scenario],
    rounds: &[crate::rounds::Line],
    datapath: Option<&Datapath>,
) -> String {
    let mut md = String::from(
        "| primitive | nanopath | the other crate | ratio [interval] | A/B rounds [lowest, highest] |\n|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let Some(s) = scenarios.iter().find(|s| s.key == r.scenario) else {
            continue;
        };
        let (Some(ours), Some(other)) = (s.entry(&r.nanopath), s.entry(&r.competitor)) else {
            continue;
        };
        let (lo, hi) = ratio_interval(ours, other);
        let ab = rounds
            .iter()
            .find(|l| l.scenario == r.scenario && l.ours == r.nanopath && l.theirs == r.competitor)
            .map_or_else(
                || "-".to_string(),
                |l| format!("{:.2}× [{:.2}, {:.2}]", l.ratio, l.low, l.high),
            );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.2}× [{lo:.2}, {hi:.2}] | {ab} |",
            r.text,
            format_value(s.unit, ours.median_ns),
            format_value(s.unit, other.median_ns),
            ratio(ours, other)
        );
    }
    if let Some(d) = datapath {
        let pair = |ours: &str, naive: &str| Some((d.get(ours)?, d.get(naive)?));
        for (label, q) in [("p99", "p99"), ("p99.9", "p999")] {
            if let Some((n, v)) = pair(
                &format!("nanopath_{q}_at_200k_ns"),
                &format!("naive_{q}_at_200k_ns"),
            ) {
                let _ = writeln!(
                    md,
                    "| datapath demo: {label} latency at 200k requests/s, 1 KiB (nanopath build vs naive build) | {} | {} | {:.1}× [{:.1}, {:.1}] | - |",
                    us(n.0),
                    us(v.0),
                    v.0 / n.0,
                    v.1 / n.2,
                    v.2 / n.1
                );
            }
        }
        if let Some((n, v)) = pair("nanopath_peak_per_core_ns", "naive_peak_per_core_ns") {
            let _ = writeln!(
                md,
                "| datapath demo: peak requests/s per core (nanopath build vs naive build) | {:.0}k/s | {:.0}k/s | {:.1}× [{:.1}, {:.1}] | - |",
                1e6 / n.0,
                1e6 / v.0,
                v.0 / n.0,
                v.1 / n.2,
                v.2 / n.1
            );
        }
        if let (Some(n), Some(v)) = (
            d.get("nanopath_allocs_per_request"),
            d.get("naive_allocs_per_request"),
        ) {
            let _ = writeln!(
                md,
                "| datapath demo: allocations per request (nanopath build vs naive build) | {:.3} | {:.3} | | - |",
                n.0, v.0
            );
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::super::criterion::{Entry, Unit};
    use super::*;

    #[test]
    fn rows_come_from_the_run_and_rows_not_run_are_left_out() {
        let rows = parse_rows(
            "# c\ns | nanopath_a | other | a vs other\nmissing | nanopath_a | other | gone\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(parse_rows("a | b").is_err());
        let entry = |name: &str, m: f64| Entry {
            name: name.into(),
            median_ns: m,
            low_ns: m * 0.9,
            high_ns: m * 1.1,
            throughput: None,
        };
        let scenarios = [Scenario {
            key: "s".into(),
            unit: Unit::Nanoseconds,
            entries: vec![entry("nanopath_a", 2.0), entry("other", 6.0)],
        }];
        let d = Datapath::parse(
            "nanopath_p99_at_200k_ns\t5000\t4000\t6000\nnaive_p99_at_200k_ns\t50000\t40000\t60000\n\
             nanopath_peak_per_core_ns\t500\t450\t550\nnaive_peak_per_core_ns\t5000\t4500\t5500\n\
             nanopath_allocs_per_request\t0\t0\t0\nnaive_allocs_per_request\t3\t3\t3\n",
        )
        .unwrap();
        let md = table(&rows, &scenarios, &[], Some(&d));
        assert!(
            md.contains("| a vs other | 2.00 ns | 6.00 ns | 3.00× [2.45, 3.67] | - |"),
            "{md}"
        );
        assert!(!md.contains("gone"), "{md}");
        assert!(
            md.contains("| 5.00 µs | 50.00 µs | 10.0× [6.7, 15.0] |"),
            "{md}"
        );
        assert!(md.contains("| 2000k/s | 200k/s | 10.0×"), "{md}");
        assert!(md.contains("| 0.000 | 3.000 |"), "{md}");
        let rounds = [crate::rounds::Line {
            scenario: "s".into(),
            ours: "nanopath_a".into(),
            theirs: "other".into(),
            ratio: 2.5,
            low: 2.0,
            high: 3.0,
            ..crate::rounds::Line::example()
        }];
        // A line of the same scenario for another pair is not this row's.
        let other_pair = crate::rounds::Line {
            scenario: "s".into(),
            ours: "nanopath_a".into(),
            theirs: "third".into(),
            ratio: 9.0,
            low: 9.0,
            high: 9.0,
            ..crate::rounds::Line::example()
        };
        assert!(
            table(&rows, &scenarios, &[other_pair], None).contains("| 3.00× [2.45, 3.67] | - |")
        );
        let md = table(&rows, &scenarios, &rounds, None);
        assert!(
            md.contains("| 3.00× [2.45, 3.67] | 2.50× [2.00, 3.00] |"),
            "{md}"
        );
        // The times and nanopath's allocations go to the baseline.
        let f = d.figures();
        assert_eq!(f.len(), 5);
        let allocs: Vec<&str> = f
            .iter()
            .filter(|f| f.kind == crate::baseline::Kind::Allocations)
            .map(|f| f.entry.as_str())
            .collect();
        assert_eq!(allocs, ["nanopath_allocs_per_request"]);
        assert!(Datapath::parse("x\t1\t2").is_err());
    }
}
