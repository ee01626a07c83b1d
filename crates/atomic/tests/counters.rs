//! PerThread cells, ShardedCounter and RequestStats: sums match a model for
//! any sequence of adds, no increment is lost across threads, and a cell's
//! owner is the only live thread told it owns that cell.

#![cfg(not(nanopath_loom))]

use nanopath_atomic::{PerThread, RequestStats, ShardedCounter, StatsSnapshot, ThreadCounter};
use proptest::prelude::*;

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    #[test]
    fn counter_sum_matches_model(shards in 0usize..20, adds in proptest::collection::vec(any::<u64>(), 0..64)) {
        let c = ShardedCounter::with_shards(shards);
        prop_assert!(c.shards().is_power_of_two());
        prop_assert!(c.shards() >= shards.max(1));
        let mut model = 0u64;
        for n in adds {
            c.add(n);
            model = model.wrapping_add(n);
            prop_assert_eq!(c.sum(), model);
        }
    }

    #[test]
    fn stats_snapshot_matches_model(requests in proptest::collection::vec((0u64..1 << 40, any::<bool>()), 0..64)) {
        let stats = RequestStats::with_shards(4);
        let mut model = StatsSnapshot::default();
        for (bytes, is_error) in requests {
            stats.record(bytes, is_error);
            model.requests += 1;
            model.bytes += bytes;
            model.errors += u64::from(is_error);
        }
        prop_assert_eq!(stats.snapshot(), model);
    }
}

#[test]
fn no_increment_is_lost_across_threads() {
    let threads = 4u64;
    let per_thread = nanopath_testkit::stress_iters(250_000) as u64;
    let counter = ShardedCounter::new();
    let stats = RequestStats::new();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (counter, stats) = (&counter, &stats);
            s.spawn(move || {
                for i in 0..per_thread {
                    counter.incr();
                    stats.record(t + 1, i % 2 == 0);
                }
            });
        }
    });
    assert_eq!(counter.sum(), threads * per_thread);
    let snap = stats.snapshot();
    assert_eq!(snap.requests, threads * per_thread);
    assert_eq!(snap.errors, threads * per_thread.div_ceil(2));
    // Thread t records t + 1 bytes per request: per_thread * (1 + 2 + .. + threads).
    assert_eq!(snap.bytes, per_thread * threads * (threads + 1) / 2);
}

#[test]
fn snapshot_taken_during_writes_is_bounded_by_before_and_after() {
    let stats = RequestStats::with_shards(2);
    let per_thread = nanopath_testkit::stress_iters(100_000) as u64;
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..per_thread {
                stats.record(2, false);
            }
        });
        let mut previous = StatsSnapshot::default();
        for _ in 0..100 {
            let snap = stats.snapshot();
            // Each counter only grows and never passes the final total.
            assert!(snap.requests >= previous.requests && snap.requests <= per_thread);
            assert!(snap.bytes >= previous.bytes && snap.bytes <= 2 * per_thread);
            previous = snap;
        }
    });
    assert_eq!(stats.snapshot().requests, per_thread);
}

/// Owned cells (plain load + store) and shared overflow cells (fetch_add)
/// together: more threads than shards, and threads that exit and hand their
/// slot id to a successor, which continues on the same owned cell.
#[test]
fn owned_and_shared_cells_lose_nothing() {
    let per_thread = nanopath_testkit::stress_iters(100_000) as u64;
    let one_shard = ShardedCounter::with_shards(1);
    let many_shards = ShardedCounter::with_shards(64);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..per_thread {
                    one_shard.incr();
                    many_shards.add(2);
                }
            });
        }
    });
    assert_eq!(one_shard.sum(), 4 * per_thread);
    assert_eq!(many_shards.sum(), 8 * per_thread);
    // Sequential threads reuse slot ids (and so owned cells).
    for _ in 0..8 {
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..per_thread / 8 {
                    one_shard.incr();
                }
            });
        });
    }
    assert_eq!(one_shard.sum(), 4 * per_thread + 8 * (per_thread / 8));
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Shard counts round up to a power of two in 1..=1024, there are twice
    /// as many cells, and adds through `current` sum like a plain `u64`.
    #[test]
    fn per_thread_cells_sum_matches_model(shards in 0usize..5000, adds in proptest::collection::vec((any::<u64>(), any::<bool>()), 0..64)) {
        let cells = PerThread::with_shards(shards, ThreadCounter::new);
        let expected_shards = shards.clamp(1, 1024).next_power_of_two();
        prop_assert_eq!(cells.shards(), expected_shards);
        prop_assert_eq!(cells.iter().len(), 2 * expected_shards);
        let mut model = 0u64;
        for (n, through_current) in adds {
            if through_current {
                let (cell, owner) = cells.current();
                cell.add(n, owner);
            } else {
                // A shared update on any cell is always allowed.
                cells.iter().last().unwrap().add(n, false);
            }
            model = model.wrapping_add(n);
        }
        let sum = cells.iter().map(ThreadCounter::get).fold(0u64, u64::wrapping_add);
        prop_assert_eq!(sum, model);
    }
}

/// Every live thread that `current` calls an owner has a cell of its own:
/// no two live threads own one cell, and every thread's updates arrive.
#[test]
fn handoff_per_thread_owners_are_unique_among_live_threads() {
    let cells = PerThread::with_shards(2, || {
        (ThreadCounter::new(), std::sync::atomic::AtomicUsize::new(0))
    });
    let per_thread = nanopath_testkit::stress_iters(50_000) as u64;
    let barrier = std::sync::Barrier::new(4);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let (cell, owner) = cells.current();
                if owner {
                    // Owners mark their cell; a second live owner would find
                    // the mark.
                    let before = cell.1.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                    assert_eq!(before, 0, "two live threads own one cell");
                }
                barrier.wait();
                for _ in 0..per_thread {
                    let (cell, owner) = cells.current();
                    cell.0.add(1, owner);
                }
                barrier.wait();
                if owner {
                    cell.1.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                }
            });
        }
    });
    let sum: u64 = cells.iter().map(|c| c.0.get()).sum();
    assert_eq!(sum, 4 * per_thread);
}
