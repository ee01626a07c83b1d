//! Shared harness for nanopath's head-to-head benchmarks.
//!
//! The benches under `benches/` compare each nanopath primitive with the
//! crates people use today, in the same criterion run; `cargo xtask bench`
//! turns criterion's results into `target/nanopath-report/report.md`.
//!
//! Conventions the report relies on:
//! * a criterion *group* (plus an optional parameter, e.g. `64B`) is one
//!   scenario;
//! * inside it, each function id names one implementation; ids starting with
//!   `nanopath` are ours, and every other entry is reported as a ratio to them;
//! * every implementation is sanity-checked for correct results before it is
//!   timed (see each bench's `sanity_check`).
//!
//! Multi-threaded scenarios use `iter_custom` with scoped threads and a
//! barrier, so thread start-up is outside the timed region.

// The workspace README's examples run as doctests of this crate, the one
// that depends on every nanopath crate.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadme;

pub mod async_channel;
pub mod datapath;
pub mod queue;
pub mod shard;

use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Runs `op(thread, i)` for `i in 0..iters` on each of `threads` threads at
/// once, and returns the slowest thread's time: the wall time for everyone to
/// finish `iters` operations, so `time / iters` is the per-operation cost
/// under contention.
pub fn run_concurrently<F>(threads: usize, iters: u64, op: F) -> Duration
where
    F: Fn(usize, u64) + Sync,
{
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, op) = (&barrier, &op);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters {
                        op(t, i);
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

/// Runs `body` on this thread while a second thread calls `write(n)` (n =
/// 1, 2, ...) once every `period`, paced by the clock so that a cheaper
/// `write` does not mean more writes: every implementation faces the same
/// write rate. The writer starts before `body` and stops after it, so it runs
/// through criterion's warm-up and every sample of a benchmark run inside
/// `body`, with no thread start-up in any sample.
pub fn with_paced_writer<W, B, T>(period: Duration, write: W, body: B) -> T
where
    W: Fn(u64) + Sync,
    B: FnOnce() -> T,
{
    // Padded: the writer polls this flag constantly, and it must not share a
    // line with the reader's stack (false sharing would tax the reader).
    let stop = nanopath_atomic::CachePadded::new(AtomicBool::new(false));
    let started = Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut n = 0u64;
            started.wait();
            let mut next = Instant::now();
            // Relaxed: a stop flag; the scope join synchronizes the rest.
            while !stop.load(Ordering::Relaxed) {
                n = n.wrapping_add(1);
                write(n);
                // No catch-up bursts: if the writer fell behind (it was
                // descheduled), the next write is one period from now.
                next = (next + period).max(Instant::now());
                while Instant::now() < next && !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            }
            black_box(n);
        });
        started.wait();
        let result = body();
        stop.store(true, Ordering::Relaxed);
        result
    })
}

/// Criterion settings for every nanopath bench: `cargo xtask bench` passes
/// the timing flags on the command line, so these are only the defaults for
/// a bare `cargo bench`.
pub fn criterion_config() -> criterion::Criterion {
    criterion::Criterion::default().configure_from_args()
}
