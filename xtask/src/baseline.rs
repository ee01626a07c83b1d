//! Saved runs and the regression gate: `--save-baseline NAME` keeps every
//! scenario's figures from this run in
//! `target/nanopath-report/baselines/NAME.tsv`; `--baseline NAME` compares
//! this run with it and lists what regressed beyond its noise:
//!
//! * instruction counts (exact): more than 2% more instructions;
//! * wall times: a median more than 20% slower *and* the two confidence
//!   intervals apart (this run's lowest above the baseline's highest), so
//!   a noisy scenario whose intervals overlap is not called a regression.

use crate::report::{Entry, Scenario, Unit};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Instruction counts may grow this much before it is a regression.
const INSTRUCTIONS_TOLERANCE: f64 = 1.02;
/// Wall times may grow this much (with disjoint intervals) before it is a
/// regression.
const TIME_TOLERANCE: f64 = 1.20;

/// One saved figure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Saved {
    pub(crate) unit: Unit,
    pub(crate) scenario: String,
    pub(crate) entry: String,
    pub(crate) median: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

/// Where baseline `name` lives; the name must be a plain file stem.
pub(crate) fn path(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if !ok {
        return Err(format!(
            "baseline name `{name}`: use letters, digits, `-`, `_` and `.` only"
        ));
    }
    Ok(dir.join(format!("{name}.tsv")))
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Nanoseconds => "ns",
        Unit::Instructions => "instructions",
    }
}

/// The baseline file's text for `scenarios`.
pub(crate) fn to_text(scenarios: &[Scenario], revision: &str) -> String {
    let mut out = format!(
        "# nanopath bench baseline at {revision}: unit, scenario, entry, median, low, high\n"
    );
    for s in scenarios {
        for e in &s.entries {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                unit_name(s.unit),
                s.key,
                e.name,
                e.median_ns,
                e.low_ns,
                e.high_ns
            );
        }
    }
    out
}

/// Parses a baseline file.
pub(crate) fn parse(text: &str) -> Result<Vec<Saved>, String> {
    let mut saved = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [unit, scenario, entry, median, low, high] = f[..] else {
            return Err(format!("line {}: expected 6 tab-separated fields", n + 1));
        };
        let unit = match unit {
            "ns" => Unit::Nanoseconds,
            "instructions" => Unit::Instructions,
            other => return Err(format!("line {}: unknown unit `{other}`", n + 1)),
        };
        let num = |s: &str| -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("line {}: bad number `{s}`", n + 1))
        };
        let (median, low, high) = (num(median)?, num(low)?, num(high)?);
        if !(low <= median && median <= high) {
            return Err(format!(
                "line {}: the interval does not hold the median",
                n + 1
            ));
        }
        saved.push(Saved {
            unit,
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
    pub(crate) unit: Unit,
    pub(crate) scenario: String,
    pub(crate) entry: String,
    pub(crate) before: f64,
    pub(crate) after: f64,
}

impl Change {
    fn ratio(&self) -> f64 {
        self.after / self.before
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

fn regressed(unit: Unit, before: &Saved, after: &Entry) -> bool {
    match unit {
        Unit::Instructions => after.median_ns > before.median * INSTRUCTIONS_TOLERANCE,
        Unit::Nanoseconds => {
            after.median_ns > before.median * TIME_TOLERANCE && after.low_ns > before.high
        }
    }
}

fn improved(unit: Unit, before: &Saved, after: &Entry) -> bool {
    match unit {
        Unit::Instructions => after.median_ns * INSTRUCTIONS_TOLERANCE < before.median,
        Unit::Nanoseconds => {
            after.median_ns * TIME_TOLERANCE < before.median && after.high_ns < before.low
        }
    }
}

/// Compares this run's scenarios with a baseline.
pub(crate) fn compare(baseline: &[Saved], scenarios: &[Scenario]) -> Comparison {
    let mut c = Comparison::default();
    for b in baseline {
        let now = scenarios
            .iter()
            .find(|s| s.key == b.scenario && s.unit == b.unit)
            .and_then(|s| s.entry(&b.entry));
        let Some(now) = now else {
            c.missing.push(format!("{} / {}", b.scenario, b.entry));
            continue;
        };
        c.compared += 1;
        let change = Change {
            unit: b.unit,
            scenario: b.scenario.clone(),
            entry: b.entry.clone(),
            before: b.median,
            after: now.median_ns,
        };
        if regressed(b.unit, b, now) {
            c.regressed.push(change);
        } else if improved(b.unit, b, now) {
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
             (instructions: beyond ±2%; wall time: beyond ±20% with the confidence intervals apart).\n\n",
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
                    "| {} | {} | {} | {} | {:+.1}% |",
                    ch.scenario,
                    ch.entry,
                    crate::report::format_value(ch.unit, ch.before),
                    crate::report::format_value(ch.unit, ch.after),
                    (ch.ratio() - 1.0) * 100.0
                );
            }
            md.push('\n');
        }
        if !self.missing.is_empty() {
            let _ = writeln!(
                md,
                "Not measured in this run ({}): {}\n",
                self.missing.len(),
                self.missing.join(", ")
            );
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(unit: Unit, median: f64, low: f64, high: f64) -> Scenario {
        Scenario {
            key: "s".into(),
            unit,
            entries: vec![Entry {
                name: "nanopath_x".into(),
                median_ns: median,
                low_ns: low,
                high_ns: high,
                throughput: None,
            }],
        }
    }

    fn round_trip(s: &Scenario) -> Vec<Saved> {
        parse(&to_text(std::slice::from_ref(s), "abc")).unwrap()
    }

    #[test]
    fn a_saved_run_reads_back_and_matches_itself() {
        let s = scenario(Unit::Nanoseconds, 10.0, 9.5, 10.5);
        let saved = round_trip(&s);
        assert_eq!(saved.len(), 1);
        assert_eq!(
            (saved[0].median, saved[0].low, saved[0].high),
            (10.0, 9.5, 10.5)
        );
        let c = compare(&saved, &[s]);
        assert_eq!((c.compared, c.regressed.len(), c.improved.len()), (1, 0, 0));
    }

    #[test]
    fn instructions_regress_beyond_two_percent() {
        let saved = round_trip(&scenario(Unit::Instructions, 100.0, 100.0, 100.0));
        let at = |n: f64| compare(&saved, &[scenario(Unit::Instructions, n, n, n)]);
        assert!(at(102.0).regressed.is_empty(), "2% is within the noise");
        assert_eq!(at(102.5).regressed.len(), 1);
        assert_eq!(at(97.0).improved.len(), 1);
    }

    #[test]
    fn wall_time_regresses_beyond_twenty_percent_with_intervals_apart() {
        let saved = round_trip(&scenario(Unit::Nanoseconds, 10.0, 9.0, 11.0));
        // 30% slower, but the intervals overlap: noise, not a regression.
        let overlapping = compare(&saved, &[scenario(Unit::Nanoseconds, 13.0, 10.5, 15.0)]);
        assert!(overlapping.regressed.is_empty());
        // 30% slower with the intervals apart.
        let apart = compare(&saved, &[scenario(Unit::Nanoseconds, 13.0, 12.0, 14.0)]);
        assert_eq!(apart.regressed.len(), 1);
        assert!(
            apart
                .markdown("main")
                .contains("| s | nanopath_x | 10.0 ns | 13.0 ns | +30.0% |")
        );
        // 15% slower with the intervals apart: within the tolerance.
        let small = compare(&saved, &[scenario(Unit::Nanoseconds, 11.5, 11.2, 11.8)]);
        assert!(small.regressed.is_empty());
        // A scenario not run this time is listed, not compared.
        let none = compare(&saved, &[]);
        assert_eq!((none.compared, none.missing.len()), (0, 1));
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
        let dir = Path::new("/tmp");
        assert!(path(dir, "../etc/passwd").is_err());
        assert!(path(dir, "").is_err());
        assert_eq!(path(dir, "main-1.2").unwrap(), dir.join("main-1.2.tsv"));
    }
}
