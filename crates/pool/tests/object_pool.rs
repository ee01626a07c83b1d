//! ObjectPool: model checks, exact drops, timed waits and a multi-threaded
//! exclusive-ownership stress test.

use nanopath_pool::{ObjectPool, PoolStats, Timeout};
use nanopath_testkit::{Counted, proptest_config, stress_iters};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

#[path = "ops/object_pool.rs"]
mod pool_ops;
use pool_ops::Op;

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![
            3 => Just(Op::Acquire),
            2 => Just(Op::TryAcquire),
            1 => Just(Op::AcquireNow),
            4 => any::<usize>().prop_map(Op::Release),
            1 => any::<usize>().prop_map(Op::Detach),
            1 => (0usize..7).prop_map(Op::Prefill),
            1 => Just(Op::Stats),
        ],
        0..if cfg!(miri) { 30 } else { 150 },
    )
}

proptest! {
    #![proptest_config(proptest_config())]

    /// The pool against a model of its free set: which objects are idle
    /// (and in which order they are lent again), how many slots are
    /// vacant, which objects are out, and every drop.
    #[test]
    #[cfg_attr(miri, ignore = "generating the values is slow interpreted; see the `_interpreted` test")]
    fn matches_a_model_of_the_free_set(capacity in 0usize..6, ops in ops()) {
        pool_ops::check(capacity, &ops);
    }
}

/// What the `pool_ops` fuzz target found or keeps as seeds, replayed
/// through the same checker.
#[test]
#[cfg_attr(miri, ignore = "reads files; Miri isolates the file system")]
fn fuzz_seeds_replay() {
    for (name, data) in nanopath_testkit::fuzz_seeds("pool_ops") {
        let (capacity, ops) = pool_ops::from_bytes(&data);
        let run = std::panic::catch_unwind(|| pool_ops::check(capacity, &ops));
        assert!(run.is_ok(), "seed {name}: capacity {capacity}, {ops:?}");
    }
}

#[test]
fn every_object_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicU64::new(0));
    {
        let (d, m) = (Arc::clone(&drops), Arc::clone(&made));
        let pool = ObjectPool::new(2, move || {
            Counted::new(m.fetch_add(1, Ordering::Relaxed), &d)
        });
        let a = pool.acquire();
        let b = pool.acquire();
        // Both slots lent: the third lives on the heap and is dropped on
        // return, since the pool is full.
        let c = pool.acquire();
        assert_eq!(c.value, 2);
        drop(c);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        // A detached object leaves the pool; its slot becomes vacant.
        let detached = a.detach();
        drop(detached);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        drop(b); // idle in the pool
        let again = pool.acquire(); // the idle one (b)
        assert_eq!(again.value, 1);
        let fresh = pool.acquire(); // built in the vacant slot
        assert_eq!(fresh.value, 3);
        drop((again, fresh));
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        assert_eq!(
            pool.stats(),
            PoolStats {
                acquired: 5,
                released: 4,
                created: 4,
                waited: 0,
                timeouts: 0
            }
        );
    }
    // The two idle objects died with the pool.
    assert_eq!(drops.load(Ordering::Relaxed), 4);
}

#[test]
fn reset_runs_on_every_return() {
    let resets = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&resets);
    let pool = ObjectPool::with_reset(1, Vec::<u8>::new, move |v| {
        v.clear();
        r.fetch_add(1, Ordering::Relaxed);
    });
    for i in 0..10 {
        let mut v = pool.acquire();
        assert!(v.is_empty(), "reset before reuse");
        v.push(i);
    }
    assert_eq!(resets.load(Ordering::Relaxed), 10);
    assert_eq!(pool.stats().created, 1);
}

#[test]
fn try_acquire_never_builds() {
    let pool = ObjectPool::new(3, || 0u8);
    assert!(pool.try_acquire().is_none());
    assert_eq!(pool.stats().created, 0);
    assert_eq!(pool.prefill(10), 3);
    let held: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
    assert_eq!(held.len(), 3);
    assert_eq!(pool.stats().created, 3);
}

/// A released object goes to the releasing thread's cache; another thread
/// must still find it (try_acquire steals it rather than report empty, and
/// acquire_timeout takes it rather than wait).
#[test]
fn objects_cached_by_another_thread_are_still_lent() {
    let pool = ObjectPool::new(2, || 7u32);
    std::thread::scope(|s| {
        s.spawn(|| {
            let a = pool.acquire();
            let b = pool.acquire();
            drop((a, b)); // one in this thread's cache, one on the stack
        });
    });
    let a = pool.try_acquire().expect("an idle object");
    let b = pool
        .acquire_timeout(Duration::from_secs(5))
        .expect("the other idle object, without waiting");
    assert_eq!((*a, *b), (7, 7));
    assert!(pool.try_acquire().is_none());
    let s = pool.stats();
    assert_eq!((s.created, s.acquired, s.released), (2, 4, 2));
    assert_eq!((s.waited, s.timeouts), (0, 0));
}

#[test]
fn acquire_timeout_times_out_when_everything_is_lent() {
    let pool = ObjectPool::new(1, || 0u32);
    let held = pool.acquire();
    assert_eq!(
        pool.acquire_timeout(Duration::from_millis(20)).err(),
        Some(Timeout)
    );
    let s = pool.stats();
    assert_eq!((s.waited, s.timeouts), (1, 1));
    drop(held);
    assert!(pool.acquire_timeout(Duration::from_millis(20)).is_ok());
    assert_eq!(
        Timeout.to_string(),
        "no pooled object became free before the timeout"
    );
}

#[test]
fn acquire_timeout_wakes_on_release() {
    let pool = Arc::new(ObjectPool::new(1, || 7u32));
    let held = pool.acquire_owned();
    let waiter = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || *pool.acquire_timeout(Duration::from_secs(30)).unwrap())
    };
    std::thread::sleep(Duration::from_millis(20));
    drop(held);
    assert_eq!(waiter.join().unwrap(), 7);
    assert_eq!(pool.stats().timeouts, 0);
}

#[test]
fn owned_objects_cross_threads_and_detach() {
    let pool = Arc::new(ObjectPool::new(2, || String::from("x")));
    let mut s = pool.acquire_owned();
    s.push('y');
    let s = std::thread::spawn(move || {
        assert_eq!(&*s, "xy");
        s
    })
    .join()
    .unwrap();
    drop(s);
    let again = pool
        .try_acquire_owned()
        .expect("returned from the other thread");
    assert_eq!(again.detach(), "xy");
    assert_eq!(pool.stats().released, 1);
}

/// An object with an owner flag: taking it flips the flag with a CAS that
/// must never fail (two owners at once would make it fail).
struct Owned {
    taken: AtomicBool,
    resets: AtomicU64,
    uses: u64,
}

#[test]
fn stress_exclusive_ownership() {
    let per_thread = stress_iters(1_000_000);
    let pool = ObjectPool::with_reset(
        4,
        || Owned {
            taken: AtomicBool::new(false),
            resets: AtomicU64::new(0),
            uses: 0,
        },
        |o: &mut Owned| {
            *o.resets.get_mut() += 1;
        },
    );
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..per_thread {
                    let mut o = pool.acquire();
                    assert!(
                        o.taken
                            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                            .is_ok(),
                        "an object was lent to two owners"
                    );
                    assert_eq!(
                        o.resets.load(Ordering::Relaxed),
                        o.uses,
                        "reset ran on every return"
                    );
                    o.uses += 1;
                    o.taken.store(false, Ordering::Release);
                }
            });
        }
    });
    let s = pool.stats();
    assert_eq!(s.acquired, 3 * per_thread as u64);
    assert_eq!(s.released, 3 * per_thread as u64);
    // Four slots; any extra objects lived on the heap and were dropped.
    // Hold every idle object at once (dropping one would make it idle again).
    let idle: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
    assert_eq!(
        idle.len() as u64,
        s.created,
        "every built object is idle again"
    );
    let total_uses: u64 = idle.iter().map(|o| o.uses).sum();
    assert_eq!(
        total_uses,
        3 * per_thread as u64,
        "every use was counted once"
    );
}

/// The checker of `matches_a_model_of_the_free_set` over deterministic
/// inputs read the way the `pool_ops` fuzz target reads its own (run under
/// Miri in its place).
#[test]
fn matches_a_model_of_the_free_set_interpreted() {
    for data in nanopath_testkit::pseudo_random_inputs(8, 160) {
        let (capacity, ops) = pool_ops::from_bytes(&data);
        pool_ops::check(capacity, &ops);
    }
}
