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
mod machine;
mod markdown;
mod svg;
mod targets;

pub(crate) use criterion::collect;
pub(crate) use machine::Machine;
pub(crate) use markdown::write;
pub(crate) use targets::read_targets;

#[cfg(test)]
mod tests {
    use super::criterion::{Entry, Scenario, Throughput};
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
            entries: vec![
                Entry {
                    name: "nanopath_seqlock".into(),
                    median_ns: 2.0,
                    throughput: Some(Throughput::Elements(1.0)),
                },
                Entry {
                    name: "std_rwlock".into(),
                    median_ns: 8.0,
                    throughput: Some(Throughput::Elements(1.0)),
                },
            ],
        }
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
        let summary = write(&[scenario()], &targets, &machine(), &dir).unwrap();
        assert!(summary.contains("4.00×"), "{summary}");
        assert!(summary.contains("met"), "{summary}");
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains("| **nanopath_seqlock** | 2.00 ns | 500.0 M ops/s | 1.00× |"),
            "{md}"
        );
        assert!(
            md.contains("| std_rwlock | 8.00 ns | 125.0 M ops/s | 4.00× |"),
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
        write(&[scenario()], &[], &machine(), &dir).unwrap();
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
        let summary = write(&[scenario()], &targets, &machine, &dir).unwrap();
        assert!(summary.contains("MISSED"), "{summary}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
