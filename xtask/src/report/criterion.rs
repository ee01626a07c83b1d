//! Reads criterion's results: every `*/new/benchmark.json` and its
//! `estimates.json` under the criterion home, grouped into scenarios.

use crate::json::{self, Json};
use std::path::Path;

/// One implementation's result in a scenario.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Criterion function id, e.g. `nanopath_seqlock`.
    pub(crate) name: String,
    /// Median time per iteration (one operation), nanoseconds; for an
    /// instruction-count scenario, the count per item (and the interval is
    /// that one value).
    pub(crate) median_ns: f64,
    /// Criterion's confidence interval of that median (95% unless the
    /// bench set another level): `low_ns <= median_ns <= high_ns`.
    pub(crate) low_ns: f64,
    pub(crate) high_ns: f64,
    /// Work per iteration, for a throughput column.
    pub(crate) throughput: Option<Throughput>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Throughput {
    Elements(f64),
    Bytes(f64),
}

/// What a scenario's values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Criterion's wall-clock nanoseconds per operation.
    Nanoseconds,
    /// Instructions per item under callgrind (exact: no interval).
    Instructions,
}

/// A criterion group (plus parameter), or one instruction-count path:
/// every entry measured the same work.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// `group` or `group/parameter`; `instructions/...` for counts.
    pub(crate) key: String,
    pub(crate) unit: Unit,
    /// Sorted fastest first.
    pub(crate) entries: Vec<Entry>,
}

impl Scenario {
    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    pub(crate) fn nanopath_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.name.starts_with("nanopath"))
    }
}

/// `other / ours`: how many times faster ours is (>1 means ours wins).
pub(crate) fn ratio(ours: &Entry, other: &Entry) -> f64 {
    other.median_ns / ours.median_ns
}

/// The range of [`ratio`] over both medians' confidence intervals: from
/// `other`'s lowest over `ours`'s highest to `other`'s highest over
/// `ours`'s lowest. Conservative (the intervals are treated as independent
/// worst cases), so a target whose whole range is on one side is decided.
pub(crate) fn ratio_interval(ours: &Entry, other: &Entry) -> (f64, f64) {
    (other.low_ns / ours.high_ns, other.high_ns / ours.low_ns)
}

/// What a ratio interval says about a target of at least `min_ratio`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The whole interval is at or above the target.
    Met,
    /// The whole interval is below the target.
    Missed,
    /// The interval straddles the target: this run cannot tell.
    Inconclusive,
}

pub(crate) fn verdict((low, high): (f64, f64), min_ratio: f64) -> Verdict {
    if low >= min_ratio {
        Verdict::Met
    } else if high < min_ratio {
        Verdict::Missed
    } else {
        Verdict::Inconclusive
    }
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// Reads every `*/new/benchmark.json` (+ `estimates.json`) under `home`.
pub(crate) fn collect(home: &Path) -> Result<Vec<Scenario>, String> {
    let mut found = Vec::new();
    find_results(home, &mut found);
    let mut scenarios: Vec<Scenario> = Vec::new();
    for dir in found {
        let read = |file: &str| -> Result<Json, String> {
            let path = dir.join(file);
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let bench = read("benchmark.json")?;
        let estimates = read("estimates.json")?;
        let group = bench
            .str_at("group_id")
            .ok_or("benchmark.json without group_id")?;
        let function = bench.str_at("function_id").unwrap_or(group);
        let key = match bench.str_at("value_str") {
            Some(param) => format!("{group}/{param}"),
            None => group.to_string(),
        };
        let median_ns = estimates
            .path(&["median", "point_estimate"])
            .and_then(Json::as_f64)
            .ok_or("estimates.json without median.point_estimate")?;
        // An interval that is missing or does not contain the point (a
        // hand-edited file) degrades to the point itself.
        let bound = |name: &str| {
            estimates
                .path(&["median", "confidence_interval", name])
                .and_then(Json::as_f64)
        };
        let low_ns = bound("lower_bound")
            .filter(|l| *l <= median_ns)
            .unwrap_or(median_ns);
        let high_ns = bound("upper_bound")
            .filter(|h| *h >= median_ns)
            .unwrap_or(median_ns);
        let throughput = bench.get("throughput").and_then(|t| {
            t.get("Elements")
                .and_then(Json::as_f64)
                .map(Throughput::Elements)
                .or_else(|| t.get("Bytes").and_then(Json::as_f64).map(Throughput::Bytes))
        });
        let entry = Entry {
            name: function.to_string(),
            median_ns,
            low_ns,
            high_ns,
            throughput,
        };
        match scenarios.iter_mut().find(|s| s.key == key) {
            Some(s) => s.entries.push(entry),
            None => scenarios.push(Scenario {
                key,
                unit: Unit::Nanoseconds,
                entries: vec![entry],
            }),
        }
    }
    for s in &mut scenarios {
        s.entries
            .sort_by(|a, b| a.median_ns.total_cmp(&b.median_ns));
    }
    scenarios.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(scenarios)
}

fn find_results(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") && path.join("benchmark.json").is_file() {
            out.push(path);
        } else {
            find_results(&path, out);
        }
    }
}
