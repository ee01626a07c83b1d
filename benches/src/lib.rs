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

/// Times `iters` calls of `read` on this thread while a second thread runs
/// `write` in a loop (with `pause` spin hints between calls) until the reads
/// are done. Returns the reader's time.
pub fn read_with_concurrent_writer<R, W>(iters: u64, pause: u32, read: R, write: W) -> Duration
where
    R: Fn(u64),
    W: Fn(u64) + Sync,
{
    let stop = AtomicBool::new(false);
    let started = Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut n = 0u64;
            started.wait();
            // Relaxed: a stop flag; the scope join synchronizes the rest.
            while !stop.load(Ordering::Relaxed) {
                n = n.wrapping_add(1);
                write(n);
                for _ in 0..pause {
                    std::hint::spin_loop();
                }
            }
            black_box(n);
        });
        started.wait();
        let start = Instant::now();
        for i in 0..iters {
            read(i);
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

/// Criterion settings for every nanopath bench: `cargo xtask bench` passes
/// the timing flags on the command line, so these are only the defaults for
/// a bare `cargo bench`.
pub fn criterion_config() -> criterion::Criterion {
    criterion::Criterion::default().configure_from_args()
}
