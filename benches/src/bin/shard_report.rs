//! nanopath-shard's latency and scaling, printed as a markdown section
//! for the `cargo xtask bench` report:
//!
//! * one-way hand-off latency, from just before `send` to the start of
//!   `handle` on the worker, with the worker spinning (`busy_spin`) and
//!   with it parked (`park`, the sender waits until it sleeps), beside the
//!   same hand-off over a crossbeam-channel whose receiver blocks in
//!   `recv`;
//! * messages per second with k senders and k workers, k = 1 to the
//!   number of cores (each sender routes its own keys over every worker).
//!
//! ```text
//! shard_report [SAMPLES]   # hand-offs per latency row, default 2000
//! ```

use nanopath_shard::{Context, Runtime, WaitStrategy, Worker};
use std::time::{Duration, Instant};

/// Records how long each message took to arrive.
struct Clock;

impl Worker for Clock {
    type Key = ();
    type State = Vec<u64>;
    type Message = Instant;
    fn handle(&mut self, _: &mut Context<'_, Self>, lat: &mut Vec<u64>, sent: Instant) {
        lat.push(sent.elapsed().as_nanos() as u64);
    }
}

/// Sums what it gets.
struct Summer;

impl Worker for Summer {
    type Key = u64;
    type State = u64;
    type Message = u64;
    fn handle(&mut self, _: &mut Context<'_, Self>, sum: &mut u64, v: u64) {
        *sum = sum.wrapping_add(v);
    }
}

/// Busy-waits for `d`.
fn spin_for(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// `samples` one-way hand-offs through a one-worker runtime; the sender
/// waits until each is handled, then `gap` more, before the next.
fn shard_latency(wait: WaitStrategy, samples: usize, gap: Duration) -> Vec<u64> {
    let runtime = Runtime::<Clock>::builder()
        .workers(1)
        .wait_strategy(wait)
        .build(|_| (Clock, Vec::with_capacity(samples)))
        .expect("runtime");
    let mut tx = runtime.handle().expect("handle");
    for i in 0..samples as u64 {
        if wait.park {
            // Until it sleeps: a park is counted just before the worker
            // sleeps, a wake just after, so more parks than wakes means
            // asleep (or about to be).
            loop {
                let st = runtime.stats(0).expect("worker 0");
                if st.parks > st.wakes {
                    break;
                }
                std::thread::yield_now();
            }
            std::thread::sleep(gap);
        }
        tx.send_to(0, Instant::now()).expect("send");
        while runtime.stats(0).expect("worker 0").handled <= i {
            std::hint::spin_loop();
        }
        if !wait.park {
            spin_for(gap);
        }
    }
    runtime.shutdown().expect("no panic").remove(0)
}

/// The same hand-off over a crossbeam-channel with a blocking `recv`.
fn crossbeam_latency(samples: usize, gap: Duration) -> Vec<u64> {
    let (tx, rx) = crossbeam_channel::bounded::<Instant>(1024);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    let worker = std::thread::spawn(move || {
        let mut lat = Vec::with_capacity(samples);
        while let Ok(sent) = rx.recv() {
            lat.push(sent.elapsed().as_nanos() as u64);
            let _ = done_tx.send(());
        }
        lat
    });
    for _ in 0..samples {
        tx.send(Instant::now()).expect("send");
        done_rx.recv().expect("done");
        std::thread::sleep(gap);
    }
    drop(tx);
    worker.join().expect("worker")
}

/// `p` (0..=1) of the sorted `v`.
fn percentile(v: &[u64], p: f64) -> u64 {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn row(name: &str, mut v: Vec<u64>) -> String {
    v.sort_unstable();
    format!(
        "| {name} | {} | {} | {} | {} | {} |",
        v.len(),
        percentile(&v, 0.5),
        percentile(&v, 0.99),
        percentile(&v, 0.999),
        v[v.len() - 1]
    )
}

/// Messages per second with `k` senders and `k` workers, `n` in all.
fn scaling(k: usize, n: u64) -> f64 {
    let runtime = Runtime::<Summer>::builder()
        .workers(k)
        .build(|_| (Summer, 0))
        .expect("runtime");
    let per = n / k as u64;
    let handles: Vec<_> = (0..k).map(|_| runtime.handle().expect("handle")).collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(k + 1));
    let threads: Vec<_> = handles
        .into_iter()
        .enumerate()
        .map(|(s, mut tx)| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                for v in s as u64 * per..(s as u64 + 1) * per {
                    tx.send(&v, v).expect("send");
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    threads.into_iter().for_each(|t| t.join().expect("sender"));
    let sums = runtime.shutdown().expect("no panic");
    let elapsed = start.elapsed();
    let total = sums.iter().fold(0u64, |a, &b| a.wrapping_add(b));
    let expected = (0..per * k as u64).fold(0u64, |a, b| a.wrapping_add(b));
    assert_eq!(total, expected, "lost or duplicated messages");
    (per * k as u64) as f64 / elapsed.as_secs_f64()
}

/// Messages per second, one sender and one worker (default waiting), with
/// this ring capacity and batch size: the median of three runs of `n`.
fn sizing(capacity: usize, batch: usize, n: u64) -> f64 {
    let mut rates: Vec<f64> = (0..3)
        .map(|_| {
            let runtime = Runtime::<Summer>::builder()
                .workers(1)
                .capacity(capacity)
                .batch(batch)
                .build(|_| (Summer, 0))
                .expect("runtime");
            let mut tx = runtime.handle().expect("handle");
            let start = Instant::now();
            for v in 0..n {
                tx.send(&v, v).expect("send");
            }
            let sums = runtime.shutdown().expect("no panic");
            let elapsed = start.elapsed();
            let expected = (0..n).fold(0u64, |a, b| a.wrapping_add(b));
            assert_eq!(sums, [expected], "lost or duplicated messages");
            n as f64 / elapsed.as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[1]
}

fn main() {
    let samples = match std::env::args().nth(1) {
        None => 2000,
        Some(a) => match a.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: shard_report [SAMPLES]   (SAMPLES >= 1, default 2000)");
                std::process::exit(2);
            }
        },
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## nanopath-shard: hand-off latency, scaling and sizing\n");
    println!(
        "One-way hand-off, from just before `send` to the start of `handle`, one sender and one \
         worker, nanoseconds. Spinning: `WaitStrategy::busy_spin()`, 20 µs between hand-offs. \
         Parked: `WaitStrategy::park()`, the next send only after the worker has parked and 200 µs \
         more. crossbeam-channel: a receiver blocked in `recv`, 200 µs between hand-offs.\n"
    );
    println!("| worker | samples | p50 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|");
    println!(
        "{}",
        row(
            "nanopath-shard, spinning",
            shard_latency(
                WaitStrategy::busy_spin(),
                samples * 5,
                Duration::from_micros(20)
            )
        )
    );
    println!(
        "{}",
        row(
            "nanopath-shard, parked",
            shard_latency(WaitStrategy::park(), samples, Duration::from_micros(200))
        )
    );
    println!(
        "{}",
        row(
            "crossbeam-channel `recv`, blocked",
            crossbeam_latency(samples, Duration::from_micros(200))
        )
    );
    println!(
        "\nThroughput with k senders and k workers (default waiting), 4 × 10^6 u64 messages in \
         all, hash routing; {cores} cores here, so rows with 2k > {cores} threads share cores.\n"
    );
    println!("| k | threads | M messages/s | per worker |\n|---:|---:|---:|---:|");
    for k in 1..=cores.max(1) {
        let rate = scaling(k, 4_000_000);
        println!(
            "| {k} | {} | {:.1} | {:.1} |",
            2 * k,
            rate / 1e6,
            rate / 1e6 / k as f64
        );
    }
    let batches = [1usize, 8, 64, 256];
    println!(
        "\nRing capacity and batch size: M messages/s, one sender and one worker, default \
         waiting, median of 3 runs of 2 × 10^6 u64 messages.\n"
    );
    println!("| capacity | batch 1 | batch 8 | batch 64 | batch 256 |\n|---:|---:|---:|---:|---:|");
    for capacity in [16usize, 64, 256, 1024, 4096] {
        let cells: Vec<String> = batches
            .iter()
            .map(|&b| format!("{:.1}", sizing(capacity, b, 2_000_000) / 1e6))
            .collect();
        println!("| {capacity} | {} |", cells.join(" | "));
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_sorted_run() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 51);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&v, 1.0), 100);
    }

    #[test]
    fn every_measurement_runs_and_counts_its_samples() {
        assert_eq!(
            shard_latency(WaitStrategy::busy_spin(), 20, Duration::ZERO).len(),
            20
        );
        assert_eq!(
            shard_latency(WaitStrategy::park(), 5, Duration::ZERO).len(),
            5
        );
        assert_eq!(crossbeam_latency(5, Duration::ZERO).len(), 5);
        assert!(scaling(1, 1000) > 0.0);
        assert!(sizing(4, 2, 100) > 0.0);
    }
}
