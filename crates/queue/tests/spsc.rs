//! SPSC behaviour: every operation sequence matches a `VecDeque` model
//! (including chunks and wrap-around), items are dropped exactly once
//! (including those left inside at drop), and a two-thread stress run
//! delivers 10^6 items in order with no loss or duplicate.

#![cfg(not(nanopath_loom))]

use nanopath_queue::Full;
use nanopath_queue::spsc;
use nanopath_testkit::Counted;
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "ops/spsc.rs"]
mod spsc_ops;
use spsc_ops::Op;

fn op() -> impl Strategy<Value = Op> {
    let size = || 0..=spsc_ops::MAX_SIZE;
    prop_oneof![
        4 => Just(Op::Push),
        4 => Just(Op::Pop),
        1 => Just(Op::Peek),
        2 => size().prop_map(Op::PushSlice),
        2 => size().prop_map(Op::PopSlice),
        2 => (size(), size()).prop_map(|(reserve, fill)| Op::WriteChunk { reserve, fill }),
        1 => (size(), size(), size()).prop_map(|(reserve, set, commit)| Op::WriteDefault { reserve, set, commit }),
        2 => (size(), size()).prop_map(|(take, commit)| Op::ReadChunk { take, commit }),
        1 => (size(), size()).prop_map(|(take, iterate)| Op::ReadInto { take, iterate }),
        1 => Just(Op::Len),
    ]
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Single-threaded op sequences agree with `VecDeque` bounded at the same
    /// capacity; small capacities make every sequence wrap many times.
    /// (Capacity 0 is refused; the checker asserts that too.)
    #[test]
    #[cfg_attr(miri, ignore = "generating the values is slow interpreted; see the `_interpreted` test")]
    fn matches_vecdeque(capacity in 0usize..9, ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 60 } else { 200 })) {
        spsc_ops::check(capacity, &ops);
    }

    /// Every item is dropped exactly once: by whoever pops it, by a read
    /// chunk commit, or by the queue when the last handle goes.
    #[test]
    fn drops_every_item_exactly_once(capacity in 1usize..8, pushes in 0usize..40, pops in 0usize..40, drop_consumer_first in any::<bool>()) {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = spsc::ring::<Counted>(capacity);
        let mut accepted = 0;
        let mut rejected = 0;
        for i in 0..pushes {
            match tx.push(Counted::new(i as u64, &drops)) {
                Ok(()) => accepted += 1,
                Err(Full(v)) => { rejected += 1; drop(v); }
            }
            if i < pops && let Some(v) = rx.pop() {
                drop(v);
            }
        }
        if accepted > 0 && let Ok(chunk) = rx.read_chunk(1) {
            chunk.commit(1);
        }
        let before_drop = drops.load(Ordering::Relaxed);
        prop_assert!(before_drop <= accepted + rejected);
        if drop_consumer_first { drop(rx); drop(tx); } else { drop(tx); drop(rx); }
        prop_assert_eq!(drops.load(Ordering::Relaxed), accepted + rejected);
    }
}

#[test]
fn abandonment_is_seen_by_both_sides_and_nothing_sent_is_lost() {
    let (mut tx, mut rx) = spsc::ring(2);
    tx.push(String::from("kept")).unwrap();
    assert!(!rx.is_abandoned());
    drop(tx);
    assert!(rx.is_abandoned());
    assert_eq!(rx.pop().as_deref(), Some("kept"));
    let (tx, rx) = spsc::ring::<u8>(1);
    drop(rx);
    assert!(tx.is_abandoned());
}

#[test]
fn capacity_is_exact_and_bounded() {
    let (mut tx, _rx) = spsc::ring(3);
    for i in 0..3 {
        tx.push(i).unwrap();
    }
    assert_eq!(tx.push(3), Err(Full(3)));
    let err = spsc::try_ring::<u8>(usize::MAX / 2 + 1).unwrap_err();
    assert_eq!((err.minimum, err.maximum), (1, usize::MAX / 2));
    assert!(err.to_string().contains("outside the supported range"));
    // Capacity 0 is an error, not a queue that is always full.
    let err = spsc::try_ring::<u8>(0).unwrap_err();
    assert!(err.to_string().contains("below the minimum of 1"), "{err}");
    // Zero-sized items take no memory but keep exact counts.
    let (mut tx, mut rx) = spsc::ring::<()>(1 << 40);
    tx.push(()).unwrap();
    assert_eq!(rx.len(), 1);
    assert_eq!(rx.pop(), Some(()));
}

#[test]
fn an_uncommitted_read_chunk_consumes_nothing() {
    let (mut tx, mut rx) = spsc::ring(4);
    tx.push_slice(&[1, 2, 3]);
    {
        let chunk = rx.read_chunk(3).unwrap();
        assert_eq!(chunk.as_slices().0, &[1, 2, 3]);
    }
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.pop(), Some(1));
}

/// Two threads, 10^6 items (10^4 under Miri), pushed one by one and in
/// chunks, popped one by one and in chunks: FIFO, no loss, no duplicate, and
/// every item dropped exactly once.
#[test]
fn stress_two_threads_fifo_no_loss() {
    let items = nanopath_testkit::stress_iters(1_000_000) as u64;
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::ring::<Counted>(64);
    std::thread::scope(|s| {
        let drops_tx = drops.clone();
        s.spawn(move || {
            let mut next = 0u64;
            while next < items {
                if next.is_multiple_of(3) {
                    // Batch path: fill whatever chunk is free, up to 16.
                    let want = 16.min((items - next) as usize);
                    let free = tx.free_slots().min(want);
                    if let Ok(chunk) = tx.write_chunk_uninit(free) {
                        let n = chunk.fill_from_iter((next..).map(|v| Counted::new(v, &drops_tx)));
                        next += n as u64;
                    }
                } else {
                    // Build the item only once there is room, so a rejected
                    // push never creates (and drops) an extra `Counted`.
                    if tx.free_slots() == 0 {
                        std::hint::spin_loop();
                        continue;
                    }
                    match tx.push(Counted::new(next, &drops_tx)) {
                        Ok(()) => next += 1,
                        Err(Full(_)) => unreachable!("a free slot was seen and only we push"),
                    }
                }
            }
        });
        let mut expected = 0u64;
        while expected < items {
            if expected.is_multiple_of(5) {
                if let Ok(chunk) = rx.read_chunk(rx.len().min(8)) {
                    let (a, b) = chunk.as_slices();
                    for item in a.iter().chain(b) {
                        assert_eq!(item.value, expected, "out of order or lost");
                        expected += 1;
                    }
                    chunk.commit_all();
                }
            } else if let Some(item) = rx.pop() {
                assert_eq!(item.value, expected, "out of order or lost");
                expected += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        assert_eq!(rx.pop().map(|i| i.value), None, "duplicate or extra item");
    });
    assert_eq!(drops.load(Ordering::Relaxed), items as usize);
}

/// What the `spsc_ops` fuzz target found or keeps as seeds, replayed
/// through the same checker.
#[test]
#[cfg_attr(miri, ignore = "reads files; Miri isolates the file system")]
fn fuzz_seeds_replay() {
    for (name, data) in nanopath_testkit::fuzz_seeds("spsc_ops") {
        let (capacity, ops) = spsc_ops::from_bytes(&data);
        let run = std::panic::catch_unwind(|| spsc_ops::check(capacity, &ops));
        assert!(run.is_ok(), "seed {name}: capacity {capacity}, {ops:?}");
    }
}

/// The checker of `matches_vecdeque` over deterministic inputs read the way
/// the `spsc_ops` fuzz target reads its own (run under Miri in its place).
#[test]
fn matches_vecdeque_interpreted() {
    for data in nanopath_testkit::pseudo_random_inputs(8, 256) {
        let (capacity, ops) = spsc_ops::from_bytes(&data);
        spsc_ops::check(capacity, &ops);
    }
}
