//! The datapath's tables and charts: markdown for the report, and two SVG
//! line charts (latency against offered load, and the latency
//! distribution at one rate).

use super::drive::{Load, Measured};
use std::fmt::Write as _;

/// The repeated runs of one build at one load.
#[derive(Debug)]
pub struct Point {
    /// The runs, at least one.
    pub runs: Vec<Measured>,
}

impl Point {
    /// The build's name.
    pub fn build(&self) -> &'static str {
        self.runs[0].build
    }
    /// The load.
    pub fn load(&self) -> Load {
        self.runs[0].load
    }
    /// Over TCP.
    pub fn tcp(&self) -> bool {
        self.runs[0].tcp
    }
    /// A corrected percentile (0..=100) of every run: (median run, lowest,
    /// highest), nanoseconds.
    pub fn percentile(&self, q: f64) -> (f64, f64, f64) {
        spread(
            self.runs
                .iter()
                .map(|m| m.corrected.value_at_quantile(q / 100.0) as f64),
        )
    }
    /// The uncorrected percentile, as [`percentile`](Self::percentile).
    pub fn uncorrected(&self, q: f64) -> (f64, f64, f64) {
        spread(
            self.runs
                .iter()
                .map(|m| m.uncorrected.value_at_quantile(q / 100.0) as f64),
        )
    }
    /// The largest latency of every run, as [`percentile`](Self::percentile).
    pub fn max(&self) -> (f64, f64, f64) {
        spread(self.runs.iter().map(|m| m.corrected.max() as f64))
    }
    /// Responses per second.
    pub fn achieved(&self) -> (f64, f64, f64) {
        spread(self.runs.iter().map(|m| m.achieved))
    }
    /// Responses per second per busy thread.
    pub fn per_core(&self) -> (f64, f64, f64) {
        spread(self.runs.iter().map(|m| m.per_core()))
    }
    /// The most allocations per request of any run.
    pub fn allocs_per_request(&self) -> f64 {
        self.runs
            .iter()
            .map(|m| m.allocs_per_request)
            .fold(0.0, f64::max)
    }
    /// Whether any run could not keep the offered rate.
    pub fn saturated(&self) -> bool {
        self.runs.iter().any(|m| m.saturated)
    }
}

/// (median, lowest, highest) of the values.
fn spread(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Nanoseconds, with a unit that keeps three figures.
pub fn time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A rate in requests per second, in thousands.
pub fn rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2}M", r / 1e6)
    } else {
        format!("{:.0}k", r / 1e3)
    }
}

/// `value [low, high]` when the repeats differ.
fn with_range(v: (f64, f64, f64), fmt: fn(f64) -> String) -> String {
    if v.1 == v.2 {
        fmt(v.0)
    } else {
        format!("{} [{}, {}]", fmt(v.0), fmt(v.1), fmt(v.2))
    }
}

/// The load column.
pub fn load_label(load: Load) -> String {
    match load {
        Load::Open(r) => format!("{}/s", rate(r)),
        Load::Closed(w) => format!("peak ({w} in flight)"),
    }
}

/// The results table: one row per build and load, then the naive /
/// nanopath ratios per load.
pub fn table(points: &[Point]) -> String {
    let mut out = String::new();
    out.push_str(
        "| offered | build | achieved | p50 | p99 | p99.9 | max | p99 uncorrected | req/s per core | allocs/req |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in points {
        let sat = if p.saturated() { " (saturated)" } else { "" };
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {} | {} | {} | {}{sat} | {:.3} |",
            load_label(p.load()),
            if p.tcp() { " tcp" } else { "" },
            p.build(),
            with_range(p.achieved(), rate),
            time(p.percentile(50.0).0),
            with_range(p.percentile(99.0), time),
            with_range(p.percentile(99.9), time),
            time(p.max().0),
            time(p.uncorrected(99.0).0),
            with_range(p.per_core(), rate),
            p.allocs_per_request(),
        );
    }
    out.push_str("\nnaive ÷ nanopath, per load (latency: higher is better for nanopath; per core: nanopath ÷ naive):\n\n");
    out.push_str("| offered | p50 | p99 | p99.9 | req/s per core |\n|---|---:|---:|---:|---:|\n");
    for p in points.iter().filter(|p| p.build() == "nanopath") {
        let Some(n) = points
            .iter()
            .find(|q| q.build() == "naive" && q.load() == p.load() && q.tcp() == p.tcp())
        else {
            continue;
        };
        let r = |q: f64| n.percentile(q).0 / p.percentile(q).0;
        let _ = writeln!(
            out,
            "| {}{} | {:.1}× | {:.1}× | {:.1}× | {:.2}× |",
            load_label(p.load()),
            if p.tcp() { " tcp" } else { "" },
            r(50.0),
            r(99.0),
            r(99.9),
            p.per_core().0 / n.per_core().0
        );
    }
    out
}

/// One line of a chart.
struct Series<'a> {
    label: String,
    colour: &'a str,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 50.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A line chart with a log-scale y axis (latency); `x_ticks` are (value,
/// label) pairs and fix the x range.
fn line_chart(
    title: &str,
    x_label: &str,
    x_ticks: &[(f64, String)],
    series: &[Series<'_>],
) -> String {
    let (x0, x1) = (x_ticks[0].0, x_ticks[x_ticks.len() - 1].0);
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let (lo, hi) = (
        lo.max(1.0).log10().floor(),
        hi.max(10.0)
            .log10()
            .ceil()
            .max(lo.max(1.0).log10().floor() + 1.0),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0).max(f64::MIN_POSITIVE) * plot_w;
    let sy = |y: f64| TOP + plot_h - (y.max(1.0).log10() - lo) / (hi - lo) * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        WIDTH / 2.0,
        escape(title)
    );
    let mut decade = lo;
    while decade <= hi {
        let y = sy(10f64.powf(decade));
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            escape(&time(10f64.powf(decade)))
        );
        decade += 1.0;
    }
    for (x, label) in x_ticks {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            sx(*x),
            TOP + plot_h + 18.0,
            escape(label)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n\
         <rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#333\"/>",
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        escape(x_label)
    );
    for (k, s) in series.iter().enumerate() {
        let path: Vec<String> = s
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let dash = if s.dashed {
            " stroke-dasharray=\"5,4\""
        } else {
            ""
        };
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash}/>",
            path.join(" "),
            s.colour
        );
        let ly = TOP + 14.0 + k as f64 * 18.0;
        let lx = LEFT + plot_w + 12.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{lx:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{:.1}\" y=\"{ly:.1}\">{}</text>",
            ly - 4.0,
            lx + 22.0,
            ly - 4.0,
            s.colour,
            lx + 28.0,
            escape(&s.label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn colour(build: &str) -> &'static str {
    if build == "nanopath" {
        "#1f77b4"
    } else {
        "#d62728"
    }
}

/// p50 and p99 against the offered rate, per build (open-loop points
/// only, in process).
pub fn latency_vs_load(points: &[Point]) -> Option<String> {
    let open: Vec<&Point> = points
        .iter()
        .filter(|p| !p.tcp() && matches!(p.load(), Load::Open(_)))
        .collect();
    let rates = |p: &Point| match p.load() {
        Load::Open(r) => r,
        Load::Closed(_) => 0.0,
    };
    let mut xs: Vec<f64> = open.iter().map(|p| rates(p)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    if xs.len() < 2 {
        return None;
    }
    let mut series = Vec::new();
    for build in ["nanopath", "naive"] {
        for (q, dashed) in [(50.0, true), (99.0, false)] {
            let pts: Vec<(f64, f64)> = open
                .iter()
                .filter(|p| p.build() == build)
                .map(|p| (rates(p), p.percentile(q).0))
                .collect();
            if !pts.is_empty() {
                series.push(Series {
                    label: format!("{build} p{q}"),
                    colour: colour(build),
                    dashed,
                    points: pts,
                });
            }
        }
    }
    let ticks: Vec<(f64, String)> = xs.iter().map(|&x| (x, format!("{}/s", rate(x)))).collect();
    Some(line_chart(
        "Latency against offered load (corrected, in process)",
        "offered requests per second",
        &ticks,
        &series,
    ))
}

/// The latency distribution at `offered`, both builds: x is the
/// percentile on a "nines" scale (90, 99, 99.9, ...).
pub fn distribution(points: &[Point], offered: f64) -> Option<String> {
    let at: Vec<&Point> = points
        .iter()
        .filter(|p| !p.tcp() && p.load() == Load::Open(offered))
        .collect();
    if at.is_empty() {
        return None;
    }
    let nines = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0];
    let series: Vec<Series<'_>> = at
        .iter()
        .map(|p| {
            // The median run by p99.
            let p99 = p.percentile(99.0).0;
            let run = p
                .runs
                .iter()
                .min_by(|a, b| {
                    let d = |m: &Measured| (m.corrected.value_at_quantile(0.99) as f64 - p99).abs();
                    d(a).total_cmp(&d(b))
                })
                .expect("a run");
            Series {
                label: p.build().to_string(),
                colour: colour(p.build()),
                dashed: false,
                points: nines
                    .iter()
                    .map(|&n: &f64| {
                        let q = 1.0 - 10f64.powf(-n);
                        (n, run.corrected.value_at_quantile(q) as f64)
                    })
                    .collect(),
            }
        })
        .collect();
    let ticks: Vec<(f64, String)> = [
        (0.0, "p0"),
        (1.0, "p90"),
        (2.0, "p99"),
        (3.0, "p99.9"),
        (4.0, "p99.99"),
    ]
    .iter()
    .map(|&(x, l)| (x, l.to_string()))
    .collect();
    Some(line_chart(
        &format!(
            "Latency distribution at {}/s (corrected, in process)",
            rate(offered)
        ),
        "percentile",
        &ticks,
        &series,
    ))
}
