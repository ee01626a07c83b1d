//! The benchmark report: criterion's medians per scenario, ratios to the
//! nanopath entries, the issue targets, the machine, and an SVG bar chart per
//! scenario, written to `target/nanopath-report/`.

use crate::json::{self, Json};
use crate::util::{output_of, workspace_root};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// One implementation's result in a scenario.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Criterion function id, e.g. `nanopath_seqlock`.
    pub(crate) name: String,
    /// Median time per iteration (one operation), nanoseconds.
    pub(crate) median_ns: f64,
    /// Work per iteration, for a throughput column.
    pub(crate) throughput: Option<Throughput>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Throughput {
    Elements(f64),
    Bytes(f64),
}

/// A criterion group (plus parameter): every entry measured the same work.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// `group` or `group/parameter`.
    pub(crate) key: String,
    /// Sorted fastest first.
    pub(crate) entries: Vec<Entry>,
}

impl Scenario {
    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    fn nanopath_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.name.starts_with("nanopath"))
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
            .get("group_id")
            .and_then(Json::as_str)
            .ok_or("benchmark.json without group_id")?;
        let function = bench
            .get("function_id")
            .and_then(Json::as_str)
            .unwrap_or(group);
        let key = match bench.get("value_str").and_then(Json::as_str) {
            Some(param) => format!("{group}/{param}"),
            None => group.to_string(),
        };
        let median_ns = estimates
            .path(&["median", "point_estimate"])
            .and_then(Json::as_f64)
            .ok_or("estimates.json without median.point_estimate")?;
        let throughput = bench.get("throughput").and_then(|t| {
            t.get("Elements")
                .and_then(Json::as_f64)
                .map(Throughput::Elements)
                .or_else(|| t.get("Bytes").and_then(Json::as_f64).map(Throughput::Bytes))
        });
        let entry = Entry {
            name: function.to_string(),
            median_ns,
            throughput,
        };
        match scenarios.iter_mut().find(|s| s.key == key) {
            Some(s) => s.entries.push(entry),
            None => scenarios.push(Scenario {
                key,
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

/// A speed target from `benches/targets.txt`: in `scenario`, `competitor`'s
/// time divided by `nanopath`'s must be at least `min_ratio`.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) scenario: String,
    pub(crate) nanopath: String,
    pub(crate) competitor: String,
    pub(crate) min_ratio: f64,
    pub(crate) text: String,
}

/// Parses `scenario | nanopath | competitor | min_ratio | text` lines;
/// `#` starts a comment.
pub(crate) fn read_targets(path: &Path) -> Result<Vec<Target>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse_targets(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_targets(text: &str) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [scenario, nanopath, competitor, ratio, text] = fields[..] else {
            return Err(format!("line {}: expected 5 `|`-separated fields", n + 1));
        };
        let min_ratio = ratio
            .parse()
            .map_err(|_| format!("line {}: bad ratio `{ratio}`", n + 1))?;
        targets.push(Target {
            scenario: scenario.into(),
            nanopath: nanopath.into(),
            competitor: competitor.into(),
            min_ratio,
            text: text.into(),
        });
    }
    Ok(targets)
}

/// What the numbers were measured on.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) cpu: String,
    pub(crate) cores: usize,
    pub(crate) os: String,
    pub(crate) rustc: String,
    pub(crate) revision: String,
    pub(crate) date: String,
}

impl Machine {
    pub(crate) fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| {
                        l.starts_with("model name")
                            || l.starts_with("Model")
                            || l.starts_with("cpu model")
                    })
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let root = workspace_root();
        let git = |args: &[&str]| output_of(Command::new("git").args(args).current_dir(&root));
        let revision = match git(&["rev-parse", "--short=12", "HEAD"]) {
            Some(rev) => {
                let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
                if dirty {
                    format!("{rev} (with uncommitted changes)")
                } else {
                    rev
                }
            }
            None => "unknown (not a git checkout)".into(),
        };
        Self {
            cpu,
            cores,
            os: output_of(Command::new("uname").args(["-sr"]))
                .unwrap_or_else(|| std::env::consts::OS.into()),
            rustc: output_of(Command::new("rustc").arg("-V").current_dir(&root))
                .unwrap_or_else(|| "unknown".into()),
            revision,
            date: output_of(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
                .unwrap_or_default(),
        }
    }
}

fn format_time(ns: f64) -> String {
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

/// `other / ours`: how many times faster ours is (>1 means ours wins).
fn ratio(ours: &Entry, other: &Entry) -> f64 {
    other.median_ns / ours.median_ns
}

/// Writes `report.md` and one SVG per scenario into `out`; returns a short
/// text summary of the targets for the terminal.
pub(crate) fn write(
    scenarios: &[Scenario],
    targets: &[Target],
    machine: &Machine,
    out: &Path,
) -> Result<String, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut md = String::new();
    let _ = writeln!(md, "# nanopath benchmark report\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| CPU | {} |", machine.cpu);
    let _ = writeln!(md, "| cores | {} |", machine.cores);
    let _ = writeln!(md, "| OS | {} |", machine.os);
    let _ = writeln!(md, "| rustc | {} |", machine.rustc);
    let _ = writeln!(md, "| git revision | {} |", machine.revision);
    let _ = writeln!(md, "| date | {} |\n", machine.date);
    let _ = writeln!(
        md,
        "Times are criterion medians per operation. A ratio `vs X` is the entry's time divided by \
         nanopath entry X's: above 1.00× means X is faster.\n"
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
                .and_then(|s| Some(ratio(s.entry(&t.nanopath)?, s.entry(&t.competitor)?)));
            let (value, verdict) = match measured {
                Some(r) if r >= t.min_ratio => (format!("{r:.2}×"), "met"),
                Some(r) => (format!("{r:.2}×"), "MISSED"),
                None => ("not run".to_string(), "-"),
            };
            let _ = writeln!(
                md,
                "| {} | {} (`{}` vs `{}` ≥ {:.2}×) | {value} | {verdict} |",
                t.scenario, t.text, t.nanopath, t.competitor, t.min_ratio
            );
            let _ = writeln!(
                summary,
                "  {:<24} {:<60} {value:>9} {verdict}",
                t.scenario, t.text
            );
        }
        md.push('\n');
    }

    for s in scenarios {
        let ours: Vec<&Entry> = s.nanopath_entries().collect();
        let _ = writeln!(md, "## {}\n", s.key);
        let mut header = String::from("| implementation | median | throughput |");
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
            let _ = write!(
                md,
                "| {name} | {} | {} |",
                format_time(e.median_ns),
                format_throughput(e.throughput, e.median_ns)
            );
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

fn sanitize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A horizontal bar chart of median times, nanopath bars highlighted, each
/// bar labelled with its time and its ratio to the fastest nanopath entry.
pub(crate) fn svg_chart(s: &Scenario) -> String {
    const WIDTH: f64 = 760.0;
    const LABEL: f64 = 210.0;
    const VALUE: f64 = 170.0;
    const BAR_H: f64 = 22.0;
    const GAP: f64 = 8.0;
    const TOP: f64 = 44.0;
    let reference = s.nanopath_entries().next();
    let max = s
        .entries
        .iter()
        .map(|e| e.median_ns)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let height = TOP + s.entries.len() as f64 * (BAR_H + GAP) + 24.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let subtitle = match reference {
        Some(r) => format!(
            "median time per operation (shorter is better); ratios vs {}",
            r.name
        ),
        None => "median time per operation (shorter is better)".into(),
    };
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#,
        escape(&s.key)
    );
    let _ = writeln!(
        svg,
        r##"<text x="10" y="36" fill="#555">{}</text>"##,
        escape(&subtitle)
    );
    for (i, e) in s.entries.iter().enumerate() {
        let y = TOP + i as f64 * (BAR_H + GAP);
        let w = ((WIDTH - LABEL - VALUE) * e.median_ns / max).max(1.0);
        let ours = e.name.starts_with("nanopath");
        let color = if ours { "#1f77b4" } else { "#9e9e9e" };
        let weight = if ours { "bold" } else { "normal" };
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" font-weight="{weight}">{}</text>"#,
            LABEL - 8.0,
            y + BAR_H * 0.7,
            escape(&e.name)
        );
        let _ = writeln!(
            svg,
            r#"<rect x="{LABEL}" y="{y}" width="{w:.1}" height="{BAR_H}" fill="{color}"/>"#
        );
        let label = match reference {
            Some(r) => format!("{} ({:.2}×)", format_time(e.median_ns), ratio(r, e)),
            None => format_time(e.median_ns),
        };
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{}">{}</text>"#,
            LABEL + w + 6.0,
            y + BAR_H * 0.7,
            escape(&label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let machine = Machine {
            cpu: "test cpu".into(),
            cores: 2,
            os: "os".into(),
            rustc: "rustc".into(),
            revision: "abc".into(),
            date: "today".into(),
        };
        let summary = write(&[scenario()], &targets, &machine, &dir).unwrap();
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
        let machine = Machine {
            cpu: "c".into(),
            cores: 1,
            os: "o".into(),
            rustc: "r".into(),
            revision: "v".into(),
            date: "d".into(),
        };
        write(&[scenario()], &[], &machine, &dir).unwrap();
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
