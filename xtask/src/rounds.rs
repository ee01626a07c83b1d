//! The A/B rounds of the two-thread queue scenarios (`nanopath-bench`'s
//! `rounds` binary): nanopath and a competitor alternately over the same
//! work, the median of the per-round ratios and the lowest and highest
//! round. Written into the report as a table of its own, each pairing with
//! the target of the same scenario and pair from `benches/targets.txt`,
//! decided on the spread of the rounds: met when even the worst round meets
//! it, missed when even the best round misses it, inconclusive otherwise.

use crate::report::{Target, verdict};
use crate::util::{cargo, display};
use std::fmt::Write as _;
use std::path::Path;

/// Rounds per pairing.
const ROUNDS: &str = "7";

/// One pairing's result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub(crate) scenario: String,
    pub(crate) ours: String,
    pub(crate) theirs: String,
    /// Median, lowest and highest per-round ratio (their time over ours).
    pub(crate) ratio: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
    /// Median time per item of each, nanoseconds.
    pub(crate) ours_ns: f64,
    pub(crate) theirs_ns: f64,
}

/// Runs the rounds binary and writes `ab_rounds.md` into `tables`; returns
/// the terminal summary lines of the pairings that have a target, and
/// every pairing's result.
pub(crate) fn run(targets: &[Target], tables: &Path) -> Result<(String, Vec<Line>), String> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "nanopath-bench",
        "--bin",
        "rounds",
        "--",
        ROUNDS,
    ]);
    println!("$ {}", display(&cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("could not start the rounds binary: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the rounds binary failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let lines = text
        .lines()
        .map(parse_line)
        .collect::<Result<Vec<_>, _>>()?;
    let (md, summary) = render(&lines, targets);
    std::fs::create_dir_all(tables).map_err(|e| format!("{}: {e}", tables.display()))?;
    let path = tables.join("ab_rounds.md");
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((summary, lines))
}

fn parse_line(line: &str) -> Result<Line, String> {
    let f: Vec<&str> = line.split('\t').collect();
    let [scenario, ours, theirs, ratio, low, high, ours_ns, theirs_ns] = f[..] else {
        return Err(format!("rounds: bad line `{line}`"));
    };
    let num = |v: &str| {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("rounds: bad number `{v}` in `{line}`"))
    };
    Ok(Line {
        scenario: scenario.into(),
        ours: ours.into(),
        theirs: theirs.into(),
        ratio: num(ratio)?,
        low: num(low)?,
        high: num(high)?,
        ours_ns: num(ours_ns)?,
        theirs_ns: num(theirs_ns)?,
    })
}

/// The report section and the terminal summary.
fn render(lines: &[Line], targets: &[Target]) -> (String, String) {
    let mut md = String::new();
    let _ = writeln!(md, "## A/B rounds (two-thread queue scenarios)\n");
    let _ = writeln!(
        md,
        "Each pairing ran {ROUNDS} rounds, nanopath and the competitor alternately over the same \
         work (the order swapped every round), both threads released together. Ratio: the \
         competitor's time over nanopath's, median of the rounds, with the lowest and the \
         highest round. A target is met when even the lowest round meets it.\n"
    );
    let _ = writeln!(
        md,
        "| scenario | nanopath | competitor | nanopath ns/item | competitor ns/item | ratio [lowest, highest] | target | result |\n|---|---|---|---:|---:|---:|---|---|"
    );
    let mut summary = String::new();
    for l in lines {
        let target = targets
            .iter()
            .find(|t| t.scenario == l.scenario && t.nanopath == l.ours && t.competitor == l.theirs);
        let (goal, result) = match target {
            Some(t) => (
                format!("≥ {:.2}×", t.min_ratio),
                verdict((l.low, l.high), t.min_ratio).as_str(),
            ),
            None => ("-".into(), "-"),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2}× [{:.2}, {:.2}] | {goal} | {result} |",
            l.scenario, l.ours, l.theirs, l.ours_ns, l.theirs_ns, l.ratio, l.low, l.high
        );
        if target.is_some() {
            let _ = writeln!(
                summary,
                "  rounds {:<17} {:<22} vs {:<22} {:.2}× [{:.2}, {:.2}] {result}",
                l.scenario, l.ours, l.theirs, l.ratio, l.low, l.high
            );
        }
    }
    md.push('\n');
    (md, summary)
}

#[cfg(test)]
impl Line {
    /// A line to build test lines from.
    pub(crate) fn example() -> Line {
        Line {
            scenario: String::new(),
            ours: String::new(),
            theirs: String::new(),
            ratio: 1.0,
            low: 1.0,
            high: 1.0,
            ours_ns: 1.0,
            theirs_ns: 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse_targets;

    #[test]
    fn lines_parse_and_targets_are_decided_on_the_spread() {
        let text = "spsc_1p1c\tnanopath_spsc\trtrb\t1.5\t1.35\t1.7\t2.0\t3.0\n\
                    spsc_pingpong\tnanopath_spsc\trtrb\t1.0\t0.8\t1.2\t100\t100\n\
                    mpmc_1p1c\tnanopath_mpmc\tcrossbeam_arrayqueue\t1.0\t0.9\t1.1\t10\t10";
        let lines: Vec<Line> = text.lines().map(|l| parse_line(l).unwrap()).collect();
        assert_eq!(lines[0].ours_ns, 2.0);
        let targets = parse_targets(
            "spsc_1p1c | nanopath_spsc | rtrb | 1.3 | a\n\
             spsc_pingpong | nanopath_spsc | rtrb | 1.111 | b\n\
             mpmc_1p1c | nanopath_mpmc | crossbeam_arrayqueue | 3.0 | c\n",
        )
        .unwrap();
        let (md, summary) = render(&lines, &targets);
        assert!(
            md.contains("| 1.50× [1.35, 1.70] | ≥ 1.30× | met |"),
            "{md}"
        );
        assert!(
            md.contains("| 1.00× [0.80, 1.20] | ≥ 1.11× | inconclusive |"),
            "{md}"
        );
        assert!(
            md.contains("| 1.00× [0.90, 1.10] | ≥ 3.00× | MISSED |"),
            "{md}"
        );
        assert_eq!(summary.lines().count(), 3);
        assert!(parse_line("a\tb\tc\t1\t2").is_err());
        assert!(parse_line("a\tb\tc\tx\t1\t1\t1\t1").is_err());
        assert!(parse_line("a\tb\tc\tNaN\t1\t1\t1\t1").is_err());
    }
}
