//! Instruction counts of the single-thread hot paths, under valgrind's
//! callgrind: the `instructions` binary of `nanopath-bench` runs each path
//! inside one function, callgrind counts only that function's calls
//! (`--toggle-collect`), and two runs of different lengths are subtracted
//! so that building the queue and the first-call effects cancel. The
//! counts are exact and do not move with host load, so a change to a hot
//! path can be judged on a noisy machine.

use crate::report::{Entry, Scenario, Unit};
use crate::util::{cargo, display, output_of, target_dir};
use std::process::Command;

/// Iterations of the short and the long run; their difference is counted.
const SHORT: u64 = 1_000;
const LONG: u64 = 11_000;

/// Whether valgrind can be run here.
pub(crate) fn valgrind_available() -> bool {
    output_of(Command::new("valgrind").arg("--version")).is_some()
}

/// Builds the binary and counts every path it lists (those whose name
/// contains `filter`, if given); one scenario per path scenario, keyed
/// `instructions/<scenario>`.
pub(crate) fn count(filter: Option<&str>) -> Result<Vec<Scenario>, String> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "nanopath-bench",
        "--bin",
        "instructions",
    ]);
    println!("$ {}", display(&build));
    let status = build
        .status()
        .map_err(|e| format!("could not start cargo build: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the instructions binary failed with {status}"
        ));
    }
    let binary = target_dir().join("release").join("instructions");
    let list = output_of(Command::new(&binary).arg("--list"))
        .ok_or_else(|| format!("{} --list failed", binary.display()))?;
    let out_dir = target_dir().join("nanopath-report").join("callgrind");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;

    let mut scenarios: Vec<Scenario> = Vec::new();
    for line in list.lines() {
        let (path, scenario, implementation, items) = parse_list_line(line)?;
        if filter.is_some_and(|f| !path.contains(f)) {
            continue;
        }
        let mut total = [0u64; 2];
        for (slot, n) in total.iter_mut().zip([SHORT, LONG]) {
            let file = out_dir.join(format!("{path}.{n}.out"));
            let mut cmd = Command::new("valgrind");
            cmd.arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", file.display()))
                .arg("--toggle-collect=*instructions::measure*")
                .arg(&binary)
                .args([path, &n.to_string()]);
            let run = cmd
                .output()
                .map_err(|e| format!("could not start valgrind: {e}"))?;
            if !run.status.success() {
                return Err(format!(
                    "{} failed: {}",
                    display(&cmd),
                    String::from_utf8_lossy(&run.stderr)
                ));
            }
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            *slot = summary_of(&text)
                .ok_or_else(|| format!("{}: no `summary:` line", file.display()))?;
        }
        let per_item = per_item(total[0], total[1], items).ok_or_else(|| {
            format!("{path}: the long run counted fewer instructions than the short one")
        })?;
        println!("  {path:<34} {per_item:>7.1} instructions per item");
        let entry = Entry {
            name: implementation.to_string(),
            median_ns: per_item,
            low_ns: per_item,
            high_ns: per_item,
            throughput: None,
        };
        let key = format!("instructions/{scenario}");
        match scenarios.iter_mut().find(|s| s.key == key) {
            Some(s) => s.entries.push(entry),
            None => scenarios.push(Scenario {
                key,
                unit: Unit::Instructions,
                entries: vec![entry],
            }),
        }
    }
    for s in &mut scenarios {
        s.entries
            .sort_by(|a, b| a.median_ns.total_cmp(&b.median_ns));
    }
    Ok(scenarios)
}

/// `path \t scenario \t implementation \t items` from `--list`.
fn parse_list_line(line: &str) -> Result<(&str, &str, &str, u64), String> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [path, scenario, implementation, items] = fields[..] else {
        return Err(format!("instructions --list: bad line `{line}`"));
    };
    let items = items
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("instructions --list: bad item count in `{line}`"))?;
    Ok((path, scenario, implementation, items))
}

/// The event total of a callgrind output file (its `summary:` line).
fn summary_of(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Instructions per item from the short and the long run's totals, to a
/// tenth of an instruction (the resolution the report shows and the
/// targets are decided at: two paths a fraction of an instruction apart
/// per item are tied). `None` unless the long run counted more, which
/// would mean `--toggle-collect` matched nothing.
fn per_item(short: u64, long: u64, items: u64) -> Option<f64> {
    let extra = long.checked_sub(short).filter(|e| *e > 0)?;
    let exact = extra as f64 / ((LONG - SHORT) * items) as f64;
    Some((exact * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_callgrind_totals_and_list_lines() {
        let out =
            "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 803162\ntotals: 803162\n";
        assert_eq!(summary_of(out), Some(803_162));
        assert_eq!(summary_of("events: Ir\n"), None);
        assert_eq!(
            parse_list_line("spsc_rtrb\tspsc push+pop\trtrb\t1").unwrap(),
            ("spsc_rtrb", "spsc push+pop", "rtrb", 1)
        );
        assert!(parse_list_line("spsc_rtrb\tspsc push+pop\trtrb\t0").is_err());
        assert!(parse_list_line("spsc_rtrb rtrb 1").is_err());
    }

    #[test]
    fn the_difference_of_two_runs_is_divided_by_the_items() {
        // 10_000 extra iterations of 64 items, 12_800_000 more instructions.
        assert_eq!(per_item(1_000_000, 13_800_000, 64), Some(20.0));
        assert_eq!(per_item(5, 4, 1), None);
        assert_eq!(per_item(5, 5, 1), None, "nothing counted");
        // 1146.97 and 1144.87 per chunk of 64: both 17.9 per item, a tie.
        assert_eq!(per_item(1_146_986, 12_616_672, 64), Some(17.9));
        assert_eq!(per_item(1_144_892, 12_593_640, 64), Some(17.9));
    }
}
