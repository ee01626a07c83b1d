//! nanopath-shard head-to-head pipelines: one sender thread routes `n` u64
//! messages by key (the same hash for every pipeline) to `workers` worker
//! threads that sum what they get. nanopath's runtime (a ring per sender
//! and worker, eventcount wake-ups) against the same pipeline built on one
//! bounded channel (capacity 1024) per worker: crossbeam-channel, flume
//! and `std::sync::mpsc::sync_channel`. Timed from the first send until
//! every worker has handled its last message and its thread is joined;
//! every run checks the sum.

use nanopath_shard::partition::{HashPartitioner, Partitioner};
use nanopath_shard::{Context, Runtime, WaitStrategy, WakeFences, Worker};
use std::time::{Duration, Instant};

/// Capacity of every queue.
pub const CAPACITY: usize = 1024;

/// Sums the messages it handles.
#[derive(Debug)]
pub struct Summer;

impl Worker for Summer {
    type Key = u64;
    type State = u64;
    type Message = u64;
    #[inline]
    fn handle(&mut self, _: &mut Context<'_, Self>, sum: &mut u64, msg: u64) {
        *sum = sum.wrapping_add(msg);
    }
}

/// The sum every pipeline must arrive at.
fn expected(n: u64) -> u64 {
    (0..n).fold(0u64, |s, v| s.wrapping_add(v))
}

/// nanopath-shard: `n` messages through the runtime, the defaults
/// (spin, yield, park; asymmetric wake-up fences).
pub fn nanopath(workers: usize, n: u64) -> Duration {
    nanopath_with(workers, n, WaitStrategy::default(), WakeFences::default())
}

/// nanopath-shard with a `SeqCst` fence per send
/// ([`WakeFences::Symmetric`]) instead of `membarrier` per park.
pub fn nanopath_symmetric(workers: usize, n: u64) -> Duration {
    nanopath_with(workers, n, WaitStrategy::default(), WakeFences::Symmetric)
}

/// nanopath-shard with busy-spinning workers (never park, so sends skip
/// the wake-up check).
pub fn nanopath_busy_spin(workers: usize, n: u64) -> Duration {
    nanopath_with(workers, n, WaitStrategy::busy_spin(), WakeFences::default())
}

fn nanopath_with(workers: usize, n: u64, wait: WaitStrategy, fences: WakeFences) -> Duration {
    let runtime = Runtime::<Summer>::builder()
        .workers(workers)
        .wait_strategy(wait)
        .wake_fences(fences)
        .capacity(CAPACITY)
        .build(|_| (Summer, 0))
        .expect("runtime");
    let mut tx = runtime.handle().expect("handle");
    let start = Instant::now();
    for v in 0..n {
        tx.send(&v, v).expect("send");
    }
    let sums = runtime.shutdown().expect("no worker panics");
    let elapsed = start.elapsed();
    let total = sums.iter().fold(0u64, |s, &v| s.wrapping_add(v));
    assert_eq!(total, expected(n), "lost or duplicated messages");
    elapsed
}

/// Defines a pipeline on one bounded channel per worker.
macro_rules! channel_pipeline {
    ($name:ident, $doc:literal, $make:expr, $send:ident, $recv:ident) => {
        #[doc = $doc]
        pub fn $name(workers: usize, n: u64) -> Duration {
            let (txs, threads): (Vec<_>, Vec<_>) = (0..workers)
                .map(|_| {
                    let (tx, rx) = $make;
                    let t = std::thread::spawn(move || {
                        let mut sum = 0u64;
                        while let Ok(v) = rx.$recv() {
                            sum = sum.wrapping_add(v);
                        }
                        sum
                    });
                    (tx, t)
                })
                .unzip();
            let start = Instant::now();
            for v in 0..n {
                let w = HashPartitioner.partition(&v, workers);
                txs[w].$send(v).expect("send");
            }
            drop(txs);
            let total = threads
                .into_iter()
                .map(|t| t.join().expect("worker"))
                .fold(0u64, |s, v| s.wrapping_add(v));
            let elapsed = start.elapsed();
            assert_eq!(total, expected(n), "lost or duplicated messages");
            elapsed
        }
    };
}

channel_pipeline!(
    crossbeam,
    "The pipeline on crossbeam-channel bounded channels.",
    crossbeam_channel::bounded::<u64>(CAPACITY),
    send,
    recv
);
channel_pipeline!(
    flume,
    "The pipeline on flume bounded channels.",
    flume::bounded::<u64>(CAPACITY),
    send,
    recv
);
channel_pipeline!(
    std_mpsc,
    "The pipeline on `std::sync::mpsc::sync_channel`.",
    std::sync::mpsc::sync_channel::<u64>(CAPACITY),
    send,
    recv
);
