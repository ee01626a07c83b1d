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

#[derive(Debug, Clone)]
enum Op {
    Push,
    Pop,
    PushBatch(usize),
    PopBatch(usize),
    Len,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Push),
        4 => Just(Op::Pop),
        2 => (0usize..12).prop_map(Op::PushBatch),
        2 => (0usize..12).prop_map(Op::PopBatch),
        1 => Just(Op::Len),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..if cfg!(miri) { 60 } else { 200 })
}

/// The operations a bounded queue under test offers, so one model check
/// covers `mpmc::Queue` and `mpsc::bounded`.
trait Bounded {
    fn push(&mut self, v: u64) -> Result<(), Full<u64>>;
    fn pop(&mut self) -> Option<u64>;
    fn push_batch(&mut self, items: &mut Vec<u64>) -> usize;
    fn pop_batch(&mut self, out: &mut Vec<u64>, max: usize) -> usize;
    fn len(&self) -> usize;
}

impl Bounded for mpmc::Queue<u64> {
    fn push(&mut self, v: u64) -> Result<(), Full<u64>> {
        mpmc::Queue::push(self, v)
    }
    fn pop(&mut self) -> Option<u64> {
        mpmc::Queue::pop(self)
    }
    fn push_batch(&mut self, items: &mut Vec<u64>) -> usize {
        mpmc::Queue::push_batch(self, items)
    }
    fn pop_batch(&mut self, out: &mut Vec<u64>, max: usize) -> usize {
        mpmc::Queue::pop_batch(self, out, max)
    }
    fn len(&self) -> usize {
        mpmc::Queue::len(self)
    }
}

impl Bounded for (mpsc::Producer<u64>, mpsc::Consumer<u64>) {
    fn push(&mut self, v: u64) -> Result<(), Full<u64>> {
        self.0.push(v)
    }
    fn pop(&mut self) -> Option<u64> {
        self.1.pop()
    }
    fn push_batch(&mut self, items: &mut Vec<u64>) -> usize {
        self.0.push_batch(items)
    }
    fn pop_batch(&mut self, out: &mut Vec<u64>, max: usize) -> usize {
        self.1.pop_batch(out, max)
    }
    fn len(&self) -> usize {
        assert_eq!(self.0.len(), self.1.len());
        self.1.len()
    }
}

fn check_against_model(
    q: &mut impl Bounded,
    capacity: usize,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let mut model = VecDeque::new();
    let mut next = 0u64;
    for op in ops {
        match op {
            Op::Push => {
                let r = q.push(next);
                if model.len() < capacity {
                    prop_assert_eq!(r, Ok(()));
                    model.push_back(next);
                } else {
                    prop_assert_eq!(r, Err(Full(next)));
                }
                next += 1;
            }
            Op::Pop => prop_assert_eq!(q.pop(), model.pop_front()),
            Op::PushBatch(n) => {
                let mut items: Vec<u64> = (next..next + n as u64).collect();
                let pushed = q.push_batch(&mut items);
                prop_assert_eq!(pushed, n.min(capacity - model.len()));
                model.extend(next..next + pushed as u64);
                // What did not fit is still there, in order.
                let rest: Vec<u64> = (next + pushed as u64..next + n as u64).collect();
                prop_assert_eq!(items, rest);
                next += n as u64;
            }
            Op::PopBatch(n) => {
                let mut out = vec![u64::MAX];
                let popped = q.pop_batch(&mut out, n);
                prop_assert_eq!(popped, n.min(model.len()));
                let expected: Vec<u64> = std::iter::once(u64::MAX)
                    .chain(model.drain(..popped))
                    .collect();
                prop_assert_eq!(out, expected);
            }
            Op::Len => prop_assert_eq!(q.len(), model.len()),
        }
    }
    prop_assert_eq!(q.len(), model.len());
    Ok(())
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// `mpmc::Queue` agrees with a `VecDeque` bounded at the same capacity;
    /// small and non-power-of-two capacities wrap many times.
    #[test]
    fn mpmc_matches_vecdeque(capacity in 1usize..9, ops in ops()) {
        check_against_model(&mut mpmc::Queue::new(capacity), capacity, ops)?;
    }

    /// The bounded MPSC queue agrees with the same model.
    #[test]
    fn mpsc_bounded_matches_vecdeque(capacity in 1usize..9, ops in ops()) {
        check_against_model(&mut mpsc::bounded(capacity), capacity, ops)?;
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
