//! MPMC and MPSC behaviour: single-threaded op sequences match a `VecDeque`
//! model (batches and wrap-around included), items are dropped exactly once
//! (including those left inside), and multi-thread stress runs of 10^6 items
//! per producer deliver every item once, in order per producer.

#![cfg(not(nanopath_loom))]

use nanopath_queue::{Full, mpmc, mpsc};
use nanopath_testkit::Counted;
use proptest::prelude::*;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "ops/bounded.rs"]
mod bounded_ops;
use bounded_ops::{Op, Which};

fn op() -> impl Strategy<Value = Op> {
    let batch = || 0..=bounded_ops::MAX_BATCH;
    prop_oneof![
        4 => Just(Op::Push),
        4 => Just(Op::Pop),
        2 => batch().prop_map(Op::PushBatch),
        2 => batch().prop_map(Op::PopBatch),
        1 => Just(Op::Len),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..if cfg!(miri) { 60 } else { 200 })
}

/// What the `mpmc_ops` fuzz target found or keeps as seeds, replayed
/// through the same checker.
#[test]
#[cfg_attr(miri, ignore = "reads files; Miri isolates the file system")]
fn fuzz_seeds_replay() {
    for (name, data) in nanopath_testkit::fuzz_seeds("mpmc_ops") {
        let (which, capacity, ops) = bounded_ops::from_bytes(&data);
        let run = std::panic::catch_unwind(|| bounded_ops::check(which, capacity, &ops));
        assert!(
            run.is_ok(),
            "seed {name}: {which:?} capacity {capacity}, {ops:?}"
        );
    }
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// `mpmc::Queue` agrees with a `VecDeque` bounded at the same capacity;
    /// small and non-power-of-two capacities wrap many times.
    #[test]
    #[cfg_attr(miri, ignore = "generating the values is slow interpreted; see the `_interpreted` test")]
    fn mpmc_matches_vecdeque(capacity in 0usize..9, ops in ops()) {
        bounded_ops::check(Which::Mpmc, capacity, &ops);
    }

    /// The bounded MPSC queue agrees with the same model.
    #[test]
    #[cfg_attr(miri, ignore = "generating the values is slow interpreted; see the `_interpreted` test")]
    fn mpsc_bounded_matches_vecdeque(capacity in 0usize..9, ops in ops()) {
        bounded_ops::check(Which::MpscBounded, capacity, &ops);
    }

    /// The unbounded MPSC queue is an unbounded `VecDeque` (sequences long
    /// enough to cross many segments).
    #[test]
    fn mpsc_unbounded_matches_vecdeque(ops in proptest::collection::vec((any::<bool>(), 0usize..80), 0..if cfg!(miri) { 20 } else { 120 })) {
        let (tx, mut rx) = mpsc::unbounded::<u64>();
        let mut model = VecDeque::new();
        let mut next = 0u64;
        for (push, n) in ops {
            if push {
                for _ in 0..n {
                    tx.push(next);
                    model.push_back(next);
                    next += 1;
                }
            } else {
                let mut out = Vec::new();
                let popped = rx.pop_batch(&mut out, n);
                prop_assert_eq!(popped, n.min(model.len()));
                let expected: Vec<u64> = model.drain(..popped).collect();
                prop_assert_eq!(out, expected);
                prop_assert_eq!(rx.pop(), model.pop_front());
            }
        }
    }

    /// Every item is dropped exactly once: popped ones by the test, the rest
    /// by the queue when its last handle goes.
    #[test]
    fn every_queue_drops_each_item_exactly_once(capacity in 1usize..8, pushes in 0usize..100, pops in 0usize..100) {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut accepted = 0;
        {
            let q = mpmc::Queue::new(capacity);
            for i in 0..pushes {
                accepted += usize::from(q.push(Counted::new(i as u64, &drops)).is_ok());
            }
            for _ in 0..pops {
                drop(q.pop());
            }
            let (tx, mut rx) = mpsc::bounded(capacity);
            for i in 0..pushes {
                accepted += usize::from(tx.push(Counted::new(i as u64, &drops)).is_ok());
            }
            for _ in 0..pops {
                drop(rx.pop());
            }
            drop(rx);
            let (tx, mut rx) = mpsc::unbounded();
            for i in 0..pushes {
                tx.push(Counted::new(i as u64, &drops));
                accepted += 1;
            }
            for _ in 0..pops {
                drop(rx.pop());
            }
        }
        // Rejected pushes were dropped by the test when `Full` went away.
        prop_assert_eq!(drops.load(Ordering::Relaxed), 3 * pushes);
        prop_assert!(accepted <= 3 * pushes);
    }
}

#[test]
fn a_full_push_returns_the_value_and_batches_keep_the_rest() {
    let q = mpmc::Queue::new(2);
    q.push(String::from("a")).unwrap();
    q.push(String::from("b")).unwrap();
    assert_eq!(q.push(String::from("c")), Err(Full(String::from("c"))));
    let mut more = vec![String::from("d")];
    assert_eq!(q.push_batch(&mut more), 0);
    assert_eq!(more, ["d"]);
    assert!(q.is_full());
}

#[test]
fn capacities_are_exact_and_validated() {
    for capacity in [1, 2, 3, 5, 7, 8, 1000, 1023, 1024, 1025] {
        let q = mpmc::Queue::new(capacity);
        for i in 0..capacity {
            q.push(i).unwrap();
        }
        assert!(q.push(capacity).is_err(), "capacity {capacity}");
        assert_eq!(q.len(), capacity);
    }
    let err = mpmc::Queue::<u8>::try_new(0).unwrap_err();
    // A slot of `u8` is a `usize` stamp and the byte, padded: two words.
    let slot = 2 * std::mem::size_of::<usize>();
    assert_eq!((err.minimum, err.maximum), (1, isize::MAX as usize / slot));
    assert!(mpmc::Queue::<u8>::try_new(usize::MAX).is_err());
    assert!(mpsc::try_bounded::<u8>(0).is_err());
}

#[test]
fn unbounded_producer_handles_are_capped() {
    let (tx, rx) = mpsc::unbounded::<u8>();
    let mut handles = Vec::new();
    while let Ok(h) = tx.try_clone() {
        handles.push(h);
    }
    assert_eq!(handles.len() + 1, mpsc::MAX_PRODUCERS);
    assert_eq!(tx.try_clone().unwrap_err(), mpsc::TooManyProducers);
    handles.pop();
    assert!(tx.try_clone().is_ok());
    drop(handles);
    drop(tx);
    assert!(rx.is_abandoned());
}

/// Runs `producers` threads pushing `per_producer` tagged items each and
/// `consumers` threads popping; checks every item arrives exactly once and
/// in push order per producer as seen by each consumer.
fn stress(
    producers: u64,
    consumers: usize,
    per_producer: u64,
    push: impl Fn(u64) + Sync,
    pop: impl Fn(usize) -> Option<u64> + Sync,
) {
    let total = producers * per_producer;
    let seen: Vec<AtomicUsize> = (0..total).map(|_| AtomicUsize::new(0)).collect();
    let received = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for p in 0..producers {
            let push = &push;
            s.spawn(move || {
                for i in 0..per_producer {
                    push(p * per_producer + i);
                }
            });
        }
        for c in 0..consumers {
            let (pop, seen, received) = (&pop, &seen, &received);
            s.spawn(move || {
                let mut last = vec![None::<u64>; producers as usize];
                while received.load(Ordering::Relaxed) < total as usize {
                    match pop(c) {
                        Some(v) => {
                            let producer = (v / per_producer) as usize;
                            assert!(last[producer] < Some(v), "out of order: {v}");
                            last[producer] = Some(v);
                            seen[v as usize].fetch_add(1, Ordering::Relaxed);
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                        None => std::thread::yield_now(),
                    }
                }
            });
        }
    });
    assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
}

fn push_spinning<T>(mut value: T, mut push: impl FnMut(T) -> Result<(), Full<T>>) {
    while let Err(Full(v)) = push(value) {
        value = v;
        std::thread::yield_now();
    }
}

#[test]
fn mpmc_stress_two_producers_two_consumers() {
    let q = mpmc::Queue::new(64);
    let n = nanopath_testkit::stress_iters(1_000_000) as u64;
    stress(2, 2, n, |v| push_spinning(v, |v| q.push(v)), |_| q.pop());
    assert!(q.is_empty());
}

#[test]
fn mpmc_stress_with_batches() {
    let q = mpmc::Queue::new(50);
    let n = nanopath_testkit::stress_iters(1_000_000) as u64;
    // Producers push one at a time through `push_batch` of a one-item vector
    // half the time; consumers pop in batches and buffer locally.
    let buffers: Vec<std::sync::Mutex<VecDeque<u64>>> =
        (0..2).map(|_| Default::default()).collect();
    stress(
        2,
        2,
        n,
        |v| {
            if v % 2 == 0 {
                let mut one = vec![v];
                while q.push_batch(&mut one) == 0 {
                    std::thread::yield_now();
                }
            } else {
                push_spinning(v, |v| q.push(v));
            }
        },
        |c| {
            let mut buffer = buffers[c].lock().unwrap();
            if buffer.is_empty() {
                let mut out = Vec::new();
                q.pop_batch(&mut out, 16);
                buffer.extend(out);
            }
            buffer.pop_front()
        },
    );
}

#[test]
fn mpsc_bounded_stress_two_producers() {
    let (tx, rx) = mpsc::bounded(64);
    let rx = std::sync::Mutex::new(rx);
    let n = nanopath_testkit::stress_iters(1_000_000) as u64;
    stress(
        2,
        1,
        n,
        |v| push_spinning(v, |v| tx.push(v)),
        |_| rx.lock().unwrap().pop(),
    );
}

#[test]
fn mpsc_unbounded_stress_three_producers() {
    let (tx, rx) = mpsc::unbounded();
    let n = nanopath_testkit::stress_iters(1_000_000) as u64;
    let rx = std::sync::Mutex::new(rx);
    let producers = std::sync::Mutex::new((0..3).map(|_| tx.clone()).collect::<Vec<_>>());
    stress(
        3,
        1,
        n,
        |v| {
            thread_local! {
                static HANDLE: std::cell::RefCell<Option<mpsc::UnboundedProducer<u64>>> =
                    const { std::cell::RefCell::new(None) };
            }
            HANDLE.with(|h| {
                h.borrow_mut()
                    .get_or_insert_with(|| producers.lock().unwrap().pop().unwrap())
                    .push(v)
            });
        },
        |_| rx.lock().unwrap().pop(),
    );
}

#[test]
fn unbounded_items_left_inside_are_dropped_when_the_consumer_goes_first() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::unbounded();
    drop(rx);
    for i in 0..100 {
        tx.push(Counted::new(i, &drops));
    }
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(tx);
    assert_eq!(drops.load(Ordering::Relaxed), 100);
}

/// The checker of `mpmc_matches_vecdeque` and `mpsc_bounded_matches_vecdeque`
/// over deterministic inputs read the way the `mpmc_ops` fuzz target reads
/// its own (run under Miri in their place).
#[test]
fn bounded_queues_match_vecdeque_interpreted() {
    for data in nanopath_testkit::pseudo_random_inputs(12, 192) {
        let (which, capacity, ops) = bounded_ops::from_bytes(&data);
        bounded_ops::check(which, capacity, &ops);
    }
}
