//! A/B rounds of the two-thread queue and shard scenarios: an independent check of
//! criterion's numbers on a host whose speed drifts. For each pairing it
//! runs nanopath and the competitor alternately (A B, then B A, ...) over
//! the same item count, both threads released together by a barrier, and
//! reports the median of the per-round ratios (competitor time over
//! nanopath's: above 1 means nanopath is faster) with the lowest and the
//! highest round. The scenarios are `nanopath_bench::queue`'s, the same
//! code criterion times.
//!
//! ```text
//! rounds [ROUNDS] [FILTER]   # default 7 rounds; one line per pairing whose
//!                            # scenario contains FILTER, tab-separated:
//!                            # scenario ours theirs median min max ours_ns theirs_ns
//! ```
//!
//! `cargo xtask bench` runs it and puts the table in the report.

use nanopath_bench::queue::*;
use nanopath_bench::shard;
use std::time::Duration;

/// A scenario run: moves `n` items, returns the time.
type Run = fn(u64) -> Duration;

/// One head-to-head pairing.
struct Pairing {
    scenario: &'static str,
    ours: (&'static str, Run),
    theirs: (&'static str, Run),
    /// Items (or round trips) per run: long enough that one run takes tens
    /// of milliseconds here.
    items: u64,
}

const PAIRINGS: &[Pairing] = &[
    Pairing {
        scenario: "spsc_1p1c",
        ours: ("nanopath_spsc", spsc_items::<Nanopath>),
        theirs: ("rtrb", spsc_items::<Rtrb>),
        items: 20_000_000,
    },
    Pairing {
        scenario: "spsc_chunks_64",
        ours: ("nanopath_spsc", nanopath_chunks),
        theirs: ("rtrb", rtrb_chunks),
        items: 40_000_000,
    },
    Pairing {
        scenario: "spsc_pingpong",
        ours: ("nanopath_spsc", spsc_pingpong::<Nanopath>),
        theirs: ("rtrb", spsc_pingpong::<Rtrb>),
        items: 300_000,
    },
    Pairing {
        scenario: "channel_1p1c",
        ours: ("nanopath_channel_spsc", channel_nanopath_spsc),
        theirs: ("crossbeam_channel", channel_crossbeam),
        items: 2_000_000,
    },
    Pairing {
        scenario: "channel_1p1c",
        ours: (
            "nanopath_channel_spsc_busy_spin",
            channel_nanopath_spsc_busy_spin,
        ),
        theirs: ("crossbeam_channel", channel_crossbeam),
        items: 2_000_000,
    },
    Pairing {
        scenario: "channel_1p1c",
        ours: ("nanopath_channel_spsc", channel_nanopath_spsc),
        theirs: ("nanopath_channel_mpmc", channel_nanopath_mpmc),
        items: 2_000_000,
    },
    Pairing {
        scenario: "channel_1p1c",
        ours: ("nanopath_channel_mpmc", channel_nanopath_mpmc),
        theirs: ("crossbeam_channel", channel_crossbeam),
        items: 2_000_000,
    },
    Pairing {
        scenario: "channel_pingpong",
        ours: ("nanopath_channel_spsc", channel_pingpong_nanopath_spsc),
        theirs: ("crossbeam_channel", channel_pingpong_crossbeam),
        items: 200_000,
    },
    Pairing {
        scenario: "mpmc_1p1c",
        ours: ("nanopath_mpmc", |n| mpmc_transfer_nanopath(1, 1, n)),
        theirs: ("crossbeam_arrayqueue", |n| {
            mpmc_transfer_arrayqueue(1, 1, n)
        }),
        items: 5_000_000,
    },
    Pairing {
        scenario: "mpmc_2threads",
        ours: ("nanopath_mpmc", mpmc_2threads_nanopath),
        theirs: ("crossbeam_arrayqueue", mpmc_2threads_arrayqueue),
        items: 1_000_000,
    },
    Pairing {
        scenario: "shard_1sender/1worker",
        ours: ("nanopath_shard", |n| shard::nanopath(1, n)),
        theirs: ("crossbeam_channel", |n| shard::crossbeam(1, n)),
        items: 5_000_000,
    },
    Pairing {
        scenario: "shard_1sender/1worker",
        ours: ("nanopath_shard", |n| shard::nanopath(1, n)),
        theirs: ("flume", |n| shard::flume(1, n)),
        items: 5_000_000,
    },
    Pairing {
        scenario: "shard_1sender/1worker",
        ours: ("nanopath_shard", |n| shard::nanopath(1, n)),
        theirs: ("std_sync_channel", |n| shard::std_mpsc(1, n)),
        items: 5_000_000,
    },
    Pairing {
        scenario: "shard_1sender/1worker",
        ours: ("nanopath_shard", |n| shard::nanopath(1, n)),
        theirs: ("nanopath_shard_symmetric_fences", |n| {
            shard::nanopath_symmetric(1, n)
        }),
        items: 5_000_000,
    },
];

/// The median of `values` (sorted in place; the mean of the middle two for
/// an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The per-round results of one pairing.
struct Rounds {
    ratios: Vec<f64>,
    ours_ns: Vec<f64>,
    theirs_ns: Vec<f64>,
}

fn run_rounds(p: &Pairing, rounds: usize) -> Rounds {
    let per_item = |run: Run| run(p.items).as_secs_f64() * 1e9 / p.items as f64;
    // One untimed warm-up of each (thread creation, page faults).
    per_item(p.ours.1);
    per_item(p.theirs.1);
    let mut r = Rounds {
        ratios: Vec::with_capacity(rounds),
        ours_ns: Vec::with_capacity(rounds),
        theirs_ns: Vec::with_capacity(rounds),
    };
    for round in 0..rounds {
        // Alternate which goes first, so a drift within a round favours
        // neither.
        let (ours, theirs) = if round % 2 == 0 {
            let a = per_item(p.ours.1);
            (a, per_item(p.theirs.1))
        } else {
            let b = per_item(p.theirs.1);
            (per_item(p.ours.1), b)
        };
        r.ratios.push(theirs / ours);
        r.ours_ns.push(ours);
        r.theirs_ns.push(theirs);
    }
    r
}

fn main() {
    let rounds = match std::env::args().nth(1) {
        None => 7,
        Some(a) => match a.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: rounds [ROUNDS] [FILTER]   (ROUNDS >= 1, default 7)");
                std::process::exit(2);
            }
        },
    };
    let filter = std::env::args().nth(2).unwrap_or_default();
    for p in PAIRINGS.iter().filter(|p| p.scenario.contains(&filter)) {
        let mut r = run_rounds(p, rounds);
        let low = r.ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = r.ratios.iter().copied().fold(0.0, f64::max);
        let ratio = median(&mut r.ratios);
        println!(
            "{}\t{}\t{}\t{ratio:.4}\t{low:.4}\t{high:.4}\t{:.3}\t{:.3}",
            p.scenario,
            p.ours.0,
            p.theirs.0,
            median(&mut r.ours_ns),
            median(&mut r.theirs_ns)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn every_pairing_runs_and_the_ratio_is_theirs_over_ours() {
        for p in PAIRINGS {
            let short = Pairing { items: 2_000, ..*p };
            let r = run_rounds(&short, 2);
            assert_eq!(r.ratios.len(), 2);
            for i in 0..2 {
                let expected = r.theirs_ns[i] / r.ours_ns[i];
                assert!((r.ratios[i] - expected).abs() <= 1e-9 * expected.abs().max(1.0));
                assert!(r.ours_ns[i] > 0.0 && r.theirs_ns[i] > 0.0);
            }
        }
    }
}
