//! Panics in user code inside the queues: an item whose `Drop` panics (while
//! a read chunk is committed, or while a queue drops what is left inside)
//! and an iterator that panics while it fills a write chunk. Every item must
//! be dropped exactly once, never twice, and the queue must stay usable.

#![cfg(not(nanopath_loom))]

use nanopath_queue::{mpmc, mpsc, spsc};
use nanopath_testkit::{Faults, Faulty};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, which must panic.
fn must_panic(f: impl FnOnce()) {
    assert!(
        catch_unwind(AssertUnwindSafe(f)).is_err(),
        "the injected panic did not happen"
    );
}

/// Moves the positions of an SPSC queue `by` slots on, so the items pushed
/// next wrap around the end of the buffer.
fn rotate(
    tx: &mut spsc::Producer<Faulty>,
    rx: &mut spsc::Consumer<Faulty>,
    f: &'static Faults,
    by: u32,
) {
    for i in 0..by {
        tx.push(f.item(1000 + i)).unwrap();
        drop(rx.pop().unwrap());
    }
}

#[test]
fn panicking_spsc_read_chunk_commit_releases_every_item_it_dropped() {
    for rotation in 0..4 {
        let f = Faults::new();
        let (mut tx, mut rx) = spsc::ring(4);
        rotate(&mut tx, &mut rx, f, rotation);
        for id in 0..4 {
            tx.push(f.item(id)).unwrap();
        }
        // The second of the three committed drops panics.
        f.panic_on_drop(2);
        must_panic(|| rx.read_chunk(3).unwrap().commit_all());
        for id in 0..3 {
            assert_eq!(f.drops_of(id), 1, "item {id}, rotation {rotation}");
        }
        // Only the uncommitted item is left, and the queue still works.
        assert_eq!(rx.len(), 1);
        assert_eq!(tx.free_slots(), 3);
        assert_eq!(rx.pop().map(|v| v.id), Some(3));
        tx.push(f.item(4)).unwrap();
        assert_eq!(rx.pop().map(|v| v.id), Some(4));
        tx.push(f.item(5)).unwrap();
        drop((tx, rx));
        f.assert_all_dropped_once(6);
    }
}

#[test]
fn panicking_spsc_drop_still_drops_the_other_items() {
    for rotation in 0..4 {
        let f = Faults::new();
        let (mut tx, mut rx) = spsc::ring(4);
        rotate(&mut tx, &mut rx, f, rotation);
        for id in 0..4 {
            tx.push(f.item(id)).unwrap();
        }
        drop(tx);
        f.panic_on_drop(2);
        must_panic(|| drop(rx));
        f.assert_all_dropped_once(4);
    }
}

#[test]
fn panicking_spsc_fill_from_iter_publishes_what_the_iterator_yielded() {
    let f = Faults::new();
    let (mut tx, mut rx) = spsc::ring(4);
    rotate(&mut tx, &mut rx, f, 3);
    // The third call of the iterator panics, after two items.
    f.panic_on_tick(3);
    let mut next = 0;
    must_panic(|| {
        tx.write_chunk_uninit(4)
            .unwrap()
            .fill_from_iter(std::iter::from_fn(|| {
                f.tick();
                next += 1;
                Some(f.item(next - 1))
            }));
    });
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.pop().map(|v| v.id), Some(0));
    // The queue is still usable, on both sides.
    assert_eq!(
        tx.write_chunk_uninit(3)
            .unwrap()
            .fill_from_iter([f.item(2), f.item(3)]),
        2
    );
    let ids: Vec<u32> = std::iter::from_fn(|| rx.pop()).map(|v| v.id).collect();
    assert_eq!(ids, [1, 2, 3]);
    drop((tx, rx));
    f.assert_all_dropped_once(4);
}

#[test]
fn panicking_spsc_pop_batch_and_chunks_leave_no_duplicate() {
    // A panicking drop of a popped item (the caller's) cannot touch the
    // queue: the items that were moved out are not in it any more.
    let f = Faults::new();
    let (mut tx, mut rx) = spsc::ring(3);
    for id in 0..3 {
        tx.push(f.item(id)).unwrap();
    }
    let mut out = Vec::new();
    assert_eq!(rx.pop_batch(&mut out, 2), 2);
    f.panic_on_drop(1);
    must_panic(|| drop(out));
    assert_eq!(rx.pop().map(|v| v.id), Some(2));
    assert_eq!(rx.pop().map(|v| v.id), None);
    drop((tx, rx));
    f.assert_all_dropped_once(3);
}

#[test]
fn panicking_mpmc_drop_still_drops_the_other_items() {
    for rotation in 0..3 {
        let f = Faults::new();
        let q = mpmc::Queue::new(3);
        for i in 0..rotation {
            q.push(f.item(100 + i)).unwrap();
            drop(q.pop().unwrap());
        }
        let mut batch: Vec<Faulty> = (0..3).map(|id| f.item(id)).collect();
        assert_eq!(q.push_batch(&mut batch), 3);
        f.panic_on_drop(1);
        must_panic(|| drop(q));
        f.assert_all_dropped_once(3);
    }
}

#[test]
fn panicking_mpsc_bounded_drop_still_drops_the_other_items() {
    let f = Faults::new();
    let (tx, rx) = mpsc::bounded(4);
    for id in 0..4 {
        tx.push(f.item(id)).unwrap();
    }
    drop(rx);
    f.panic_on_drop(3);
    must_panic(|| drop(tx));
    f.assert_all_dropped_once(4);
}

#[test]
fn panicking_mpsc_unbounded_drop_still_drops_the_other_items() {
    // Enough items for three segments; the consumer has read a few, so the
    // first segment is dropped from the middle.
    let f = Faults::new();
    let n = 2 * mpsc::SEGMENT_SLOTS as u32 + 5;
    let (tx, mut rx) = mpsc::unbounded();
    for id in 0..n {
        tx.push(f.item(id));
    }
    for id in 0..3 {
        assert_eq!(rx.pop().map(|v| v.id), Some(id));
    }
    drop(tx);
    // The fifth item still inside panics: it is in the first segment.
    f.panic_on_drop(5);
    must_panic(|| drop(rx));
    f.assert_all_dropped_once(n);
}
