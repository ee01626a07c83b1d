//! The benchmark report: criterion's medians per scenario, ratios to the
//! nanopath entries, the speed targets, the machine, and an SVG bar chart per
//! scenario, written to `target/nanopath-report/`.
//!
//! * `criterion.rs`: reads criterion's results into scenarios.
//! * `targets.rs`: reads `benches/targets.txt`.
//! * `machine.rs`: detects what the numbers were measured on.
//! * `markdown.rs`: writes `report.md`.
//! * `svg.rs`: draws the charts.

mod criterion;
mod headline;
mod machine;
mod markdown;
mod svg;
mod targets;

pub(crate) use criterion::{Entry, Scenario, Unit, collect, verdict};
pub(crate) use headline::{Datapath, read_rows as read_headline, table as headline_table};
pub(crate) use machine::Machine;
pub(crate) use markdown::{format_value, write};

/// Points the report's chart links (`X.svg`, `tables/X.svg`) at `prefix`,
/// where `--write-docs` copies the charts.
pub(crate) fn relink_charts(report: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(report.len());
    for line in report.lines() {
        match (
            line.strip_prefix("!["),
            line.find("]("),
            line.strip_suffix(')'),
        ) {
            (Some(_), Some(at), Some(_)) if line.ends_with(".svg)") => {
                let target = &line[at + 2..line.len() - 1];
                let file = target.rsplit('/').next().unwrap_or(target);
                out.push_str(&line[..at + 2]);
                out.push_str(prefix);
                out.push_str(file);
                out.push(')');
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `text` with everything from the line `start` to the line `end` (both
/// whole lines, included) replaced by `block`; `None` if either line is
/// missing.
pub(crate) fn replace_block(text: &str, start: &str, end: &str, block: &str) -> Option<String> {
    let line_at = |from: usize, line: &str| {
        let mut at = from;
        loop {
            let i = at + text[at..].find(line)?;
            let starts = i == 0 || text.as_bytes()[i - 1] == b'\n';
            // The rest of the line may only be blanks (a CRLF file's `\r`
            // among them).
            let rest = &text[i + line.len()..];
            let ends = rest.split('\n').next().is_some_and(|r| r.trim().is_empty());
            if starts && ends {
                return Some(i);
            }
            at = i + 1;
        }
    };
    let a = line_at(0, start)?;
    let b = line_at(a + start.len(), end)? + end.len();
    Some(format!("{}{block}{}", &text[..a], &text[b..]))
}

#[cfg(test)]
pub(crate) use targets::parse_targets;
pub(crate) use targets::{Target, read_targets};

#[cfg(test)]
mod tests {
    use super::criterion::{Entry, Scenario, Throughput, Unit};
    use super::targets::parse_targets;
    use super::*;

    fn machine() -> Machine {
        Machine {
            cpu: "test cpu".into(),
            cores: 2,
            os: "os".into(),
            rustc: "rustc".into(),
            revision: "abc".into(),
            date: "today".into(),
        }
    }

    fn scenario() -> Scenario {
        Scenario {
            key: "seqlock_read/64B".into(),
            unit: Unit::Nanoseconds,
            entries: vec![
                Entry {
                    name: "nanopath_seqlock".into(),
                    median_ns: 2.0,
                    low_ns: 1.9,
                    high_ns: 2.1,
                    throughput: Some(Throughput::Elements(1.0)),
                },
                Entry {
                    name: "std_rwlock".into(),
                    median_ns: 8.0,
                    low_ns: 7.8,
                    high_ns: 8.2,
                    throughput: Some(Throughput::Elements(1.0)),
                },
            ],
        }
    }

    #[test]
    fn charts_are_relinked_and_blocks_replaced() {
        let report = "# r\n\n![a](a.svg)\n\n![d](tables/d.svg)\ntext (x.svg)\n";
        assert_eq!(
            relink_charts(report, "performance/"),
            "# r\n\n![a](performance/a.svg)\n\n![d](performance/d.svg)\ntext (x.svg)\n"
        );
        let readme = "intro\n<!-- s -->\nold\n<!-- e -->\nrest\n";
        assert_eq!(
            replace_block(
                readme,
                "<!-- s -->",
                "<!-- e -->",
                "<!-- s -->\nnew\n<!-- e -->"
            )
            .unwrap(),
            "intro\n<!-- s -->\nnew\n<!-- e -->\nrest\n"
        );
        assert!(replace_block(readme, "<!-- x -->", "<!-- e -->", "").is_none());
        // CRLF line ends.
        let crlf = "a\r\n<!-- s -->\r\nold\r\n<!-- e -->\r\nz\r\n";
        assert_eq!(
            replace_block(
                crlf,
                "<!-- s -->",
                "<!-- e -->",
                "<!-- s -->\r\nnew\r\n<!-- e -->"
            )
            .unwrap(),
            "a\r\n<!-- s -->\r\nnew\r\n<!-- e -->\r\nz\r\n"
        );
        // A marker quoted inside a line is not the marker line.
        let quoted = "see `<!-- s -->` below\n<!-- s -->\nold\n<!-- e -->\n";
        assert_eq!(
            replace_block(
                quoted,
                "<!-- s -->",
                "<!-- e -->",
                "<!-- s -->\nnew\n<!-- e -->"
            )
            .unwrap(),
            "see `<!-- s -->` below\n<!-- s -->\nnew\n<!-- e -->\n"
        );
    }

    #[test]
    fn targets_parse_and_evaluate() {
        let targets = parse_targets(
            "# comment\nseqlock_read/64B | nanopath_seqlock | std_rwlock | 3.0 | read >= 3x\n",
        )
        .unwrap();
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].min_ratio, 3.0);
        assert!(parse_targets("a | b | c").is_err());
        let dir = std::env::temp_dir().join(format!("nanopath-report-test-{}", std::process::id()));
        let summary = write(&[scenario()], &targets, &machine(), &dir, "").unwrap();
        // 8.0 / 2.0, over [7.8 / 2.1, 8.2 / 1.9].
        assert!(summary.contains("4.00× [3.71, 4.32]"), "{summary}");
        assert!(summary.contains("met"), "{summary}");
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains(
                "| **nanopath_seqlock** | 2.00 ns [1.90 ns, 2.10 ns] | 500.0 M ops/s | 1.00× |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| std_rwlock | 8.00 ns [7.80 ns, 8.20 ns] | 125.0 M ops/s | 4.00× |"),
            "{md}"
        );
        let svg = std::fs::read_to_string(dir.join("seqlock_read_64B.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("std_rwlock") && svg.contains("(4.00×)"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn tables_written_by_benches_are_appended() {
        let dir = std::env::temp_dir().join(format!("nanopath-tables-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("tables")).unwrap();
        std::fs::write(dir.join("tables").join("b.md"), "## second\n").unwrap();
        std::fs::write(dir.join("tables").join("a.md"), "## first\n\n| x |\n").unwrap();
        std::fs::write(dir.join("tables").join("ignored.txt"), "## not markdown").unwrap();
        write(&[scenario()], &[], &machine(), &dir, "preface line\n").unwrap();
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        let (first, second) = (md.find("## first").unwrap(), md.find("## second").unwrap());
        assert!(first < second, "{md}");
        assert!(!md.contains("not markdown"), "{md}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missed_target_is_reported_as_missed() {
        let targets =
            parse_targets("seqlock_read/64B | nanopath_seqlock | std_rwlock | 5 | read >= 5x")
                .unwrap();
        let dir = std::env::temp_dir().join(format!("nanopath-report-miss-{}", std::process::id()));
        let machine = Machine::detect();
        let summary = write(&[scenario()], &targets, &machine, &dir, "").unwrap();
        assert!(summary.contains("MISSED"), "{summary}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_target_inside_the_interval_is_inconclusive() {
        // The point ratio (4.00×) meets 4.0, but the range [3.71, 4.32]
        // straddles it.
        let targets =
            parse_targets("seqlock_read/64B | nanopath_seqlock | std_rwlock | 4 | read >= 4x")
                .unwrap();
        let dir = std::env::temp_dir().join(format!("nanopath-report-incl-{}", std::process::id()));
        let summary = write(&[scenario()], &targets, &machine(), &dir, "").unwrap();
        assert!(summary.contains("inconclusive"), "{summary}");
        assert!(!summary.contains(" met"), "{summary}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn verdicts_follow_the_whole_interval() {
        use super::criterion::{Verdict, verdict};
        assert_eq!(
            verdict((1.5, 2.0), 1.5),
            Verdict::Met,
            "the bound itself meets"
        );
        assert_eq!(verdict((1.0, 1.49), 1.5), Verdict::Missed);
        assert_eq!(verdict((1.4, 1.6), 1.5), Verdict::Inconclusive);
    }

    #[test]
    fn estimates_give_the_median_and_its_interval() {
        let home = std::env::temp_dir().join(format!("nanopath-estimates-{}", std::process::id()));
        let dir = home.join("g").join("f").join("new");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("benchmark.json"),
            r#"{"group_id":"g","function_id":"nanopath_f","value_str":null,"throughput":null}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("estimates.json"),
            r#"{"median":{"point_estimate":5.0,"confidence_interval":{"confidence_level":0.95,"lower_bound":4.5,"upper_bound":6.0}}}"#,
        )
        .unwrap();
        let scenarios = collect(&home).unwrap();
        let e = scenarios[0].entry("nanopath_f").unwrap();
        assert_eq!((e.low_ns, e.median_ns, e.high_ns), (4.5, 5.0, 6.0));
        let _ = std::fs::remove_dir_all(home);
    }
}
