//! The datapath demo: the same request pipeline built naively and on
//! nanopath, under the same open-loop load, with latency percentiles
//! corrected for coordinated omission, peak throughput per core, and
//! allocations per request. The flags are in [`USAGE`].

use nanopath_bench::datapath::Pipeline;
use nanopath_bench::datapath::alloc_count::{self, CountingAlloc};
use nanopath_bench::datapath::drive::{self, Load, Plan, Workload};
use nanopath_bench::datapath::jitter;
use nanopath_bench::datapath::naive::Naive;
use nanopath_bench::datapath::nanopath::Nanopath;
use nanopath_bench::datapath::output::{self, Point};
use nanopath_bench::datapath::workload::Shape;
use nanopath_shard::WaitStrategy;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// `--help`.
const USAGE: &str = "\
usage: cargo run --release -p nanopath-bench --bin datapath -- [FLAGS]
  --rates 50k,100k,200k,400k   offered rates (open loop); a peak run is added
  --duration 1                 measured seconds per run
  --warmup 0.25                seconds before measuring, per run
  --repeats 3                  runs per build and load (ranges are over them)
  --payload 1024               payload bytes per request (8 to 16 MiB)
  --keys 1024                  distinct keys
  --workers N                  worker threads (default: cores - 1; with the
                               ingress thread, at most one busy thread per core)
  --window 256                 requests in flight in the peak (closed-loop) run
  --tcp                        also run every load over loopback TCP
  --park                       nanopath workers spin, yield, then park when idle
                               (default: they busy-spin)
  --out DIR                    write datapath.md, its charts and its figures there
  --charts-link PREFIX         how datapath.md links the charts (default: none)
";

/// The offered rate the latency targets are set at.
const TARGET_RATE: f64 = 200_000.0;
const TARGET_P99_NS: f64 = 20_000.0;
const TARGET_P999_NS: f64 = 100_000.0;
const TARGET_PEAK_RATIO: f64 = 4.0;

struct Flags {
    rates: Vec<f64>,
    duration: Duration,
    warmup: Duration,
    repeats: usize,
    payload: usize,
    keys: u64,
    workers: usize,
    window: u64,
    tcp: bool,
    park: bool,
    out: Option<PathBuf>,
    charts_link: String,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let (num, mul) = match s.strip_suffix(['k', 'K']) {
        Some(n) => (n, 1e3),
        None => match s.strip_suffix(['m', 'M']) {
            Some(n) => (n, 1e6),
            None => (s, 1.0),
        },
    };
    let r: f64 = num.parse().map_err(|_| format!("bad rate `{s}`"))?;
    if !(1.0..=1e9).contains(&(r * mul)) {
        return Err(format!("rate `{s}` must be from 1 to 1G requests/s"));
    }
    Ok(r * mul)
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|_| format!("bad seconds `{s}`"))?;
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| *d <= Duration::from_secs(3600))
        .ok_or_else(|| format!("seconds `{s}` must be between 0 and 3600"))
}

fn parse_flags() -> Result<Flags, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut f = Flags {
        rates: vec![50e3, 100e3, 200e3, 400e3],
        duration: Duration::from_secs(1),
        warmup: Duration::from_millis(250),
        repeats: 3,
        payload: 1024,
        keys: 1024,
        workers: cores.saturating_sub(1).max(1),
        window: 256,
        tcp: false,
        park: false,
        out: None,
        charts_link: String::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| -> Result<u64, String> {
            v.parse().map_err(|_| format!("{flag}: bad number `{v}`"))
        };
        match flag.as_str() {
            "--rates" => {
                f.rates = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(parse_rate)
                    .collect::<Result<_, _>>()?
            }
            "--duration" => f.duration = parse_seconds(&value()?)?,
            "--warmup" => f.warmup = parse_seconds(&value()?)?,
            "--repeats" => f.repeats = number(value()?)?.clamp(1, 100) as usize,
            "--payload" => f.payload = number(value()?)?.clamp(8, 16 << 20) as usize,
            "--keys" => f.keys = number(value()?)?.clamp(1, 1 << 24),
            "--workers" => f.workers = number(value()?)?.clamp(1, 1024) as usize,
            "--window" => f.window = number(value()?)?.clamp(1, 1 << 16),
            "--tcp" => f.tcp = true,
            "--park" => f.park = true,
            "--out" => f.out = Some(PathBuf::from(value()?)),
            "--charts-link" => f.charts_link = value()?,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown flag `{other}`\n{USAGE}")),
        }
    }
    if f.duration.is_zero() {
        return Err("--duration must be above 0".into());
    }
    if f.workers + 1 > cores {
        return Err(format!(
            "{} workers and the ingress thread are {} busy threads on {cores} cores: a data path does not oversubscribe (use --workers {})",
            f.workers,
            f.workers + 1,
            cores.saturating_sub(1).max(1)
        ));
    }
    Ok(f)
}

fn build(name: &str, f: &Flags) -> Result<Box<dyn Pipeline>, String> {
    Ok(match name {
        "nanopath" => {
            let wait = if f.park {
                WaitStrategy::spin_yield_park()
            } else {
                WaitStrategy::busy_spin()
            };
            Box::new(Nanopath::new(f.workers, f.payload, f.keys as usize, wait)?)
        }
        _ => Box::new(Naive::new(f.workers, f.payload)),
    })
}

/// (lowest, highest) of `a / b` over both ranges.
fn ratio_range(a: (f64, f64, f64), b: (f64, f64, f64)) -> (f64, f64, f64) {
    (a.0 / b.0, a.1 / b.2, a.2 / b.1)
}

fn verdict_at_most(v: (f64, f64, f64), bound: f64) -> &'static str {
    if v.2 <= bound {
        "met"
    } else if v.1 > bound {
        "MISSED"
    } else {
        "inconclusive"
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("datapath: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let f = parse_flags()?;
    if !alloc_count::installed() {
        return Err("the counting allocator is not installed".into());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let frame_len = nanopath_frame::HEADER_LEN + f.payload;
    // About 64 MiB of distinct frames (at least 16), and a peak window of
    // at most a quarter of them (the driver keeps less than half the
    // stream in flight).
    let distinct = ((64usize << 20) / frame_len).clamp(16, 65536) as u64;
    let mut f = f;
    if f.window > distinct / 4 {
        eprintln!(
            "datapath: --window {} lowered to {} for {distinct} distinct frames",
            f.window,
            distinct / 4
        );
        f.window = distinct / 4;
    }
    let shape = Shape {
        requests: distinct,
        payload: f.payload,
        keys: f.keys,
    };
    eprintln!("datapath: building {distinct} request frames of {frame_len} bytes");
    let workload = Workload::new(shape);
    let placement = format!(
        "{} busy threads on {cores} cores: one thread runs the load generator, the ingress stage (reads of at most 64 KiB, decoding, dispatch) and the response collector; {} worker thread{} the requests (nanopath: nanopath-shard workers, {}; naive: blocked in `std::sync::mpsc::Receiver::recv` when idle)",
        f.workers + 1,
        f.workers,
        if f.workers == 1 {
            " handles"
        } else {
            "s handle"
        },
        if f.park {
            "spinning, yielding, then parking when idle"
        } else {
            "busy-spinning"
        }
    );
    eprintln!("datapath: {placement}");
    // The floor under every tail below: what the machine takes from the
    // same number of busy threads with no pipeline at all.
    let gaps = jitter::probe(f.workers + 1, Duration::from_secs(1));
    let mut loads: Vec<Load> = f.rates.iter().map(|&r| Load::Open(r)).collect();
    loads.push(Load::Closed(f.window));
    let transports: &[bool] = if f.tcp { &[false, true] } else { &[false] };
    let mut points: Vec<Point> = Vec::new();
    for rep in 0..f.repeats {
        for &tcp in transports {
            for &load in &loads {
                let order = if rep % 2 == 0 {
                    ["nanopath", "naive"]
                } else {
                    ["naive", "nanopath"]
                };
                for name in order {
                    let plan = Plan {
                        load,
                        duration: f.duration,
                        warmup: f.warmup,
                        tcp,
                    };
                    let m = drive::run(build(name, &f)?, &workload, &plan, f.workers)?;
                    eprintln!(
                        "datapath: run {}/{} {}{} {name}: {:.0} req/s, p50 {} p99 {} p99.9 {}, {:.3} allocs/req",
                        rep + 1,
                        f.repeats,
                        output::load_label(load),
                        if tcp { " tcp" } else { "" },
                        m.achieved,
                        output::time(m.corrected.value_at_quantile(0.5) as f64),
                        output::time(m.corrected.value_at_quantile(0.99) as f64),
                        output::time(m.corrected.value_at_quantile(0.999) as f64),
                        m.allocs_per_request
                    );
                    match points
                        .iter_mut()
                        .find(|p| p.build() == name && p.load() == load && p.tcp() == tcp)
                    {
                        Some(p) => p.runs.push(m),
                        None => points.push(Point { runs: vec![m] }),
                    }
                }
            }
        }
    }
    // Rows by transport, then load, nanopath first.
    points.sort_by(|a, b| {
        let key = |p: &Point| {
            (
                p.tcp(),
                match p.load() {
                    Load::Open(r) => r,
                    Load::Closed(_) => f64::MAX,
                },
                p.build() != "nanopath",
            )
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.cmp(&kb.2))
    });

    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Datapath: the whole stack against a naive build\n\n\
         One request pipeline in two builds over the same stream of length-prefixed frames ({} B payloads, {} keys; each request updates its key's state, computes the payload's CRC32C and a threshold filter, and gets a framed response). \
         Open loop: request *i* is due at t0 + i/rate and its latency runs from that intended time to its response, so stalls are not hidden (coordinated omission); the uncorrected p99 runs from the actual send. \
         Every response is checked against a reference model. {} runs per row, {} s measured after {} s of warm-up each; a range is [lowest, highest] over the runs, the figure before it the median run.\n\n\
         Placement: {placement}.\n",
        f.payload,
        f.keys,
        f.repeats,
        f.duration.as_secs_f64(),
        f.warmup.as_secs_f64(),
    );
    md.push_str(
        "The machine's own stalls, for the same number of busy threads spinning on the clock for 1 s with no pipeline (gaps between two clock reads):\n\n\
         | thread | gaps > 50 µs | gaps > 1 ms | time lost in them | longest |\n|---|---:|---:|---:|---:|\n",
    );
    for (t, g) in gaps.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {t} | {} | {} | {} | {} |",
            g.over_50us,
            g.over_1ms,
            output::time(g.lost.as_nanos() as f64),
            output::time(g.longest.as_nanos() as f64)
        );
    }
    md.push('\n');
    md.push_str(&output::table(&points));

    // The targets.
    let np = |load: Load| {
        points
            .iter()
            .find(|p| p.build() == "nanopath" && p.load() == load && !p.tcp())
    };
    let naive = |load: Load| {
        points
            .iter()
            .find(|p| p.build() == "naive" && p.load() == load && !p.tcp())
    };
    let mut headline = String::new();
    let mut tail_note = String::new();
    md.push_str("\n### Targets\n\n");
    let targets_at = md.len();
    md.push_str("| target | measured | verdict |\n|---|---|---|\n");
    if let (Some(n), Some(v)) = (np(Load::Open(TARGET_RATE)), naive(Load::Open(TARGET_RATE))) {
        let (p99, p999) = (n.percentile(99.0), n.percentile(99.9));
        let _ = writeln!(
            md,
            "| nanopath p99 ≤ 20 µs at 200k/s | {} [{}, {}] (naive {}) | {} |",
            output::time(p99.0),
            output::time(p99.1),
            output::time(p99.2),
            output::time(v.percentile(99.0).0),
            verdict_at_most(p99, TARGET_P99_NS)
        );
        let stalls: Vec<String> = n
            .runs
            .iter()
            .map(|m| {
                format!(
                    "{} over 50 µs, {} over 1 ms, {} in all",
                    m.stalls.over_50us,
                    m.stalls.over_1ms,
                    output::time(m.stalls.lost.as_nanos() as f64)
                )
            })
            .collect();
        tail_note = format!(
            "\nThe ingress thread's own stalls in the nanopath runs at 200k/s (gaps between two turns of its loop while measuring, one run each): {}. \
             A request that arrives during a stall waits for its end, and at 200k/s a stall of 1 ms holds 200 requests, 0.1% of a second's.\n",
            stalls.join("; ")
        );
        let _ = writeln!(
            md,
            "| nanopath p99.9 ≤ 100 µs at 200k/s | {} [{}, {}] (naive {}) | {} |",
            output::time(p999.0),
            output::time(p999.1),
            output::time(p999.2),
            output::time(v.percentile(99.9).0),
            verdict_at_most(p999, TARGET_P999_NS)
        );
        for (build, point) in [("nanopath", n), ("naive", v)] {
            for (q, name) in [(99.0, "p99"), (99.9, "p999")] {
                let (m, lo, hi) = point.percentile(q);
                let _ = writeln!(headline, "{build}_{name}_at_200k_ns\t{m}\t{lo}\t{hi}");
            }
        }
    }
    let peak = Load::Closed(f.window);
    if let (Some(n), Some(v)) = (np(peak), naive(peak)) {
        let r = ratio_range(n.per_core(), v.per_core());
        let verdict = if r.1 >= TARGET_PEAK_RATIO {
            "met"
        } else if r.2 < TARGET_PEAK_RATIO {
            "MISSED"
        } else {
            "inconclusive"
        };
        let _ = writeln!(
            md,
            "| nanopath peak per core ≥ 4× naive | {}/s vs {}/s per core: {:.2}× [{:.2}, {:.2}] | {verdict} |",
            output::rate(n.per_core().0),
            output::rate(v.per_core().0),
            r.0,
            r.1,
            r.2
        );
        for (build, point) in [("nanopath", n), ("naive", v)] {
            // Time per request per core: lower is better, like every
            // other figure a baseline keeps.
            let (m, lo, hi) = point.per_core();
            let _ = writeln!(
                headline,
                "{build}_peak_per_core_ns\t{}\t{}\t{}",
                1e9 / m,
                1e9 / hi,
                1e9 / lo
            );
        }
    }
    let worst = points
        .iter()
        .filter(|p| p.build() == "nanopath")
        .map(|p| p.allocs_per_request())
        .fold(0.0, f64::max);
    let total_allocs: f64 = points
        .iter()
        .filter(|p| p.build() == "nanopath")
        .flat_map(|p| {
            p.runs
                .iter()
                .map(|m| m.allocs_per_request * m.recorded as f64)
        })
        .sum();
    let total_requests: u64 = points
        .iter()
        .filter(|p| p.build() == "nanopath")
        .flat_map(|p| p.runs.iter().map(|m| m.recorded))
        .sum();
    let _ = writeln!(
        md,
        "| zero allocations per request, nanopath, steady state | {:.0} allocations over {} measured requests (worst row {:.4}/req) | {} |",
        total_allocs.round(),
        total_requests,
        worst,
        if total_allocs.round() == 0.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    for build in ["nanopath", "naive"] {
        let worst = points
            .iter()
            .filter(|p| p.build() == build)
            .map(|p| p.allocs_per_request())
            .fold(0.0, f64::max);
        let _ = writeln!(
            headline,
            "{build}_allocs_per_request\t{worst}\t{worst}\t{worst}"
        );
    }

    let targets_table = md[targets_at..].to_string();
    md.push_str(&tail_note);
    let charts = [
        (
            "datapath_latency_vs_load.svg",
            output::latency_vs_load(&points),
        ),
        (
            "datapath_distribution.svg",
            output::distribution(&points, TARGET_RATE).or_else(|| {
                f.rates
                    .last()
                    .and_then(|&r| output::distribution(&points, r))
            }),
        ),
    ];
    if let Some(dir) = &f.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        md.push('\n');
        for (file, svg) in &charts {
            if let Some(svg) = svg {
                let path = dir.join(file);
                std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
                let _ = writeln!(md, "![{file}]({}{file})\n", f.charts_link);
            }
        }
        let path = dir.join("datapath.md");
        std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
        // The targets table alone, for the report's summary (not `.md`:
        // the report appends every `.md` here).
        let path = dir.join("datapath_targets.txt");
        std::fs::write(&path, &targets_table).map_err(|e| format!("{}: {e}", path.display()))?;
        let path = dir.join("datapath_headline.tsv");
        std::fs::write(&path, &headline).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("{md}");
    Ok(())
}
