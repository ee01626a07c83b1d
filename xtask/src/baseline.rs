//! Saved runs and the regression gate: `--save-baseline NAME` keeps every
//! scenario's figures from this run in
//! `target/nanopath-report/baselines/NAME.tsv`; `--baseline NAME` compares
//! this run with it and lists what regressed beyond its noise:
//!
//! * instruction counts (exact): more than 2% more instructions;
//! * wall times: a median more than 20% slower *and* the two confidence
//!   intervals apart (this run's lowest above the baseline's highest), so
//!   a noisy scenario whose intervals overlap is not called a regression;
//! * allocations per request (the datapath demo's nanopath build): any
//!   increase.
//!
//! A figure of the baseline that this run did not measure is listed too,
//! and fails the gate like a regression unless the run was filtered.

use crate::report::{Scenario, Unit};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Instruction counts may grow this much before it is a regression.
const INSTRUCTIONS_TOLERANCE: f64 = 1.02;
/// Wall times may grow this much (with disjoint intervals) before it is a
/// regression.
const TIME_TOLERANCE: f64 = 1.20;

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Wall-clock nanoseconds, with a confidence interval.
    Time,
    /// Instructions per item (exact).
    Instructions,
    /// Allocations per request (exact; may be 0).
    Allocations,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Time => "ns",
            Kind::Instructions => "instructions",
            Kind::Allocations => "allocs",
        }
    }

    fn format(self, v: f64) -> String {
        match self {
            Kind::Time => crate::report::format_value(Unit::Nanoseconds, v),
            Kind::Instructions => crate::report::format_value(Unit::Instructions, v),
            Kind::Allocations => format!("{v:.3} allocs/req"),
        }
    }
}

/// One figure of a run, or of a saved one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) kind: Kind,
    pub(crate) scenario: String,
    pub(crate) entry: String,
    pub(crate) median: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

/// Every entry of every scenario as figures.
pub(crate) fn figures_of(scenarios: &[Scenario]) -> Vec<Figure> {
    scenarios
        .iter()
        .flat_map(|s| {
            s.entries.iter().map(move |e| Figure {
                kind: match s.unit {
                    Unit::Nanoseconds => Kind::Time,
                    Unit::Instructions => Kind::Instructions,
                },
                scenario: s.key.clone(),
                entry: e.name.clone(),
                median: e.median_ns,
                low: e.low_ns,
                high: e.high_ns,
            })
        })
        .collect()
}

/// Where baseline `name` lives; the name must be a plain file stem.
pub(crate) fn path(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['.', '-']);
    if !ok {
        return Err(format!(
            "baseline name `{name}`: use letters, digits, `-`, `_` and `.` only"
        ));
    }
    Ok(dir.join(format!("{name}.tsv")))
}

/// The baseline file's text for `figures`.
pub(crate) fn to_text(figures: &[Figure], revision: &str) -> String {
    let mut out = format!(
        "# nanopath bench baseline at {revision}: unit, scenario, entry, median, low, high\n"
    );
    for f in figures {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            f.kind.name(),
            f.scenario,
            f.entry,
            f.median,
            f.low,
            f.high
        );
    }
    out
}

/// Parses a baseline file.
pub(crate) fn parse(text: &str) -> Result<Vec<Figure>, String> {
    let mut saved = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [kind, scenario, entry, median, low, high] = f[..] else {
            return Err(format!("line {}: expected 6 tab-separated fields", n + 1));
        };
        let kind = match kind {
            "ns" => Kind::Time,
            "instructions" => Kind::Instructions,
            "allocs" => Kind::Allocations,
            other => return Err(format!("line {}: unknown unit `{other}`", n + 1)),
        };
        // Times and counts are positive; allocations may be 0.
        let num = |s: &str| -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (*v > 0.0 || (kind == Kind::Allocations && *v == 0.0)))
                .ok_or_else(|| format!("line {}: bad number `{s}`", n + 1))
        };
        let (median, low, high) = (num(median)?, num(low)?, num(high)?);
        if !(low <= median && median <= high) {
            return Err(format!(
                "line {}: the interval does not hold the median",
                n + 1
            ));
        }
        saved.push(Figure {
            kind,
            scenario: scenario.into(),
            entry: entry.into(),
            median,
            low,
            high,
        });
    }
    Ok(saved)
}

/// How one figure moved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub(crate) kind: Kind,
    pub(crate) scenario: String,
    pub(crate) entry: String,
    pub(crate) before: f64,
    pub(crate) after: f64,
}

impl Change {
    fn percent(&self) -> String {
        if self.before == 0.0 {
            format!("{:+.3}", self.after)
        } else {
            format!("{:+.1}%", (self.after / self.before - 1.0) * 100.0)
        }
    }
}

/// The comparison of a run with a baseline.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub(crate) regressed: Vec<Change>,
    pub(crate) improved: Vec<Change>,
    /// Figures compared, in both.
    pub(crate) compared: usize,
    /// In the baseline, not in this run.
    pub(crate) missing: Vec<String>,
}

fn regressed(before: &Figure, after: &Figure) -> bool {
    match before.kind {
        Kind::Instructions => after.median > before.median * INSTRUCTIONS_TOLERANCE,
        Kind::Time => after.median > before.median * TIME_TOLERANCE && after.low > before.high,
        Kind::Allocations => after.median > before.median,
    }
}

fn improved(before: &Figure, after: &Figure) -> bool {
    match before.kind {
        Kind::Instructions => after.median * INSTRUCTIONS_TOLERANCE < before.median,
        Kind::Time => after.median * TIME_TOLERANCE < before.median && after.high < before.low,
        Kind::Allocations => after.median < before.median,
    }
}

/// Compares this run's figures with a baseline's.
pub(crate) fn compare(baseline: &[Figure], run: &[Figure]) -> Comparison {
    let mut c = Comparison::default();
    for b in baseline {
        let now = run
            .iter()
            .find(|f| f.kind == b.kind && f.scenario == b.scenario && f.entry == b.entry);
        let Some(now) = now else {
            c.missing
                .push(format!("{} / {} ({})", b.scenario, b.entry, b.kind.name()));
            continue;
        };
        c.compared += 1;
        let change = Change {
            kind: b.kind,
            scenario: b.scenario.clone(),
            entry: b.entry.clone(),
            before: b.median,
            after: now.median,
        };
        if regressed(b, now) {
            c.regressed.push(change);
        } else if improved(b, now) {
            c.improved.push(change);
        }
    }
    c
}

impl Comparison {
    /// The report section (and the terminal's lines).
    pub(crate) fn markdown(&self, name: &str) -> String {
        let mut md = format!(
            "## Against baseline `{name}`\n\n{} figures compared: {} regressed, {} improved \
             (instructions: beyond ±2%; wall time: beyond ±20% with the confidence intervals apart; \
             allocations per request: any change).\n\n",
            self.compared,
            self.regressed.len(),
            self.improved.len()
        );
        for (title, list) in [("Regressed", &self.regressed), ("Improved", &self.improved)] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(
                md,
                "{title}:\n\n| scenario | entry | baseline | this run | change |\n|---|---|---:|---:|---:|"
            );
            for ch in list {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    ch.scenario,
                    ch.entry,
                    ch.kind.format(ch.before),
                    ch.kind.format(ch.after),
                    ch.percent()
                );
            }
            md.push('\n');
        }
        if !self.missing.is_empty() {
            const LISTED: usize = 12;
            let more = self.missing.len().saturating_sub(LISTED);
            let _ = writeln!(
                md,
                "Not measured in this run ({}): {}{}\n",
                self.missing.len(),
                self.missing[..self.missing.len().min(LISTED)].join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(kind: Kind, median: f64, low: f64, high: f64) -> Figure {
        Figure {
            kind,
            scenario: "s".into(),
            entry: "nanopath_x".into(),
            median,
            low,
            high,
        }
    }

    fn round_trip(f: &Figure) -> Vec<Figure> {
        parse(&to_text(std::slice::from_ref(f), "abc")).unwrap()
    }

    #[test]
    fn a_saved_run_reads_back_and_matches_itself() {
        let f = figure(Kind::Time, 10.0, 9.5, 10.5);
        let saved = round_trip(&f);
        assert_eq!(saved, std::slice::from_ref(&f));
        let c = compare(&saved, &[f]);
        assert_eq!((c.compared, c.regressed.len(), c.improved.len()), (1, 0, 0));
        let scenarios = [Scenario {
            key: "s".into(),
            unit: Unit::Instructions,
            entries: vec![crate::report::Entry {
                name: "nanopath_x".into(),
                median_ns: 5.0,
                low_ns: 5.0,
                high_ns: 5.0,
                throughput: None,
            }],
        }];
        assert_eq!(
            figures_of(&scenarios),
            [figure(Kind::Instructions, 5.0, 5.0, 5.0)]
        );
    }

    #[test]
    fn instructions_regress_beyond_two_percent() {
        let saved = round_trip(&figure(Kind::Instructions, 100.0, 100.0, 100.0));
        let at = |n: f64| compare(&saved, &[figure(Kind::Instructions, n, n, n)]);
        assert!(at(102.0).regressed.is_empty(), "2% is within the noise");
        assert_eq!(at(102.5).regressed.len(), 1);
        assert_eq!(at(97.0).improved.len(), 1);
        // The same name with another unit is another figure.
        let other = compare(&saved, &[figure(Kind::Time, 500.0, 400.0, 600.0)]);
        assert_eq!((other.compared, other.missing.len()), (0, 1));
    }

    #[test]
    fn wall_time_regresses_beyond_twenty_percent_with_intervals_apart() {
        let saved = round_trip(&figure(Kind::Time, 10.0, 9.0, 11.0));
        // 30% slower, but the intervals overlap: noise, not a regression.
        let overlapping = compare(&saved, &[figure(Kind::Time, 13.0, 10.5, 15.0)]);
        assert!(overlapping.regressed.is_empty());
        // 30% slower with the intervals apart.
        let apart = compare(&saved, &[figure(Kind::Time, 13.0, 12.0, 14.0)]);
        assert_eq!(apart.regressed.len(), 1);
        assert!(
            apart
                .markdown("main")
                .contains("| s | nanopath_x | 10.0 ns | 13.0 ns | +30.0% |")
        );
        // 15% slower with the intervals apart: within the tolerance.
        let small = compare(&saved, &[figure(Kind::Time, 11.5, 11.2, 11.8)]);
        assert!(small.regressed.is_empty());
        // A figure not measured this time is listed, not compared.
        let none = compare(&saved, &[]);
        assert_eq!((none.compared, none.missing.len()), (0, 1));
        assert!(none.markdown("main").contains("s / nanopath_x (ns)"));
    }

    #[test]
    fn any_new_allocation_per_request_regresses() {
        let saved = round_trip(&figure(Kind::Allocations, 0.0, 0.0, 0.0));
        assert!(
            compare(&saved, &[figure(Kind::Allocations, 0.0, 0.0, 0.0)])
                .regressed
                .is_empty()
        );
        let c = compare(&saved, &[figure(Kind::Allocations, 0.01, 0.01, 0.01)]);
        assert_eq!(c.regressed.len(), 1);
        assert!(
            c.markdown("m").contains("| +0.010 |"),
            "{}",
            c.markdown("m")
        );
    }

    #[test]
    fn bad_files_and_names_are_errors() {
        assert!(
            parse("ns\ts\te\t1\t2\t3").is_err(),
            "median outside its interval"
        );
        assert!(parse("ns\ts\te\t1").is_err());
        assert!(parse("parsecs\ts\te\t1\t1\t1").is_err());
        assert!(parse("ns\ts\te\tNaN\t1\t1").is_err());
        assert!(parse("ns\ts\te\t0\t0\t0").is_err(), "a time of 0");
        assert!(parse("allocs\ts\te\t0\t0\t0").is_ok());
        let dir = Path::new("/tmp");
        assert!(path(dir, "../etc/passwd").is_err());
        assert!(path(dir, "").is_err());
        assert!(path(dir, "-x").is_err());
        assert_eq!(path(dir, "main-1.2").unwrap(), dir.join("main-1.2.tsv"));
    }
}
