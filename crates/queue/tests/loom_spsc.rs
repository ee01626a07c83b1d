//! Loom models for the SPSC ring buffer: run with `cargo xtask verify
//! --only loom`. Slots are tracked through per-slot shadow cells (see the
//! crate's `sync` module), so loom fails a model in which the producer and
//! the consumer could touch one slot concurrently.

#![cfg(nanopath_loom)]

use loom::thread;
use nanopath_queue::spsc;

/// Push three items through a two-slot buffer (so the producer reuses a
/// slot the consumer freed): FIFO, nothing lost, no slot race.
#[test]
fn push_pop_with_wrap_around() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::ring::<u32>(2);
        let producer = thread::spawn(move || {
            let mut sent = 0;
            while sent < 3 {
                if tx.push(sent).is_ok() {
                    sent += 1;
                } else {
                    thread::yield_now();
                }
            }
        });
        let mut expected = 0;
        while expected < 3 {
            match rx.pop() {
                Some(v) => {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(rx.pop(), None);
    });
}

/// A write chunk committed with one publication, read back through a read
/// chunk committed with one publication, wrapping around the buffer end.
#[test]
fn chunk_commit_publishes_whole_batches() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::ring::<u32>(3);
        let producer = thread::spawn(move || {
            tx.push(0).unwrap();
            // Wait for the consumer to free slot 0, then write two items that
            // wrap around the end of the buffer in one chunk.
            loop {
                if let Ok(chunk) = tx.write_chunk_uninit(3) {
                    assert_eq!(chunk.fill_from_iter([1, 2, 3]), 3);
                    return;
                }
                thread::yield_now();
            }
        });
        let mut seen = Vec::new();
        while seen.len() < 4 {
            let ready = rx.len();
            if ready == 0 {
                thread::yield_now();
                continue;
            }
            let chunk = rx.read_chunk(ready).unwrap();
            let (a, b) = chunk.as_slices();
            seen.extend(a.iter().chain(b).copied());
            chunk.commit_all();
        }
        producer.join().unwrap();
        assert_eq!(seen, [0, 1, 2, 3]);
    });
}

/// Items still inside when both handles are dropped (on different threads)
/// are dropped exactly once.
#[test]
fn drop_with_items_inside() {
    loom::model(|| {
        let (mut tx, rx) = spsc::ring::<loom::sync::Arc<u8>>(2);
        let item = loom::sync::Arc::new(7);
        tx.push(item.clone()).unwrap();
        let t = thread::spawn(move || drop(rx));
        drop(tx);
        t.join().unwrap();
        assert_eq!(loom::sync::Arc::strong_count(&item), 1);
    });
}

/// The items left inside after the consumer has moved off slot 0 are
/// dropped once each, from the slot the consumer stopped at, whichever
/// handle goes last: the consumer's slot index reaches the ring's drop.
#[test]
fn drop_with_items_inside_after_the_consumer_moved() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::ring::<loom::sync::Arc<u8>>(3);
        let items: Vec<_> = (0..3).map(loom::sync::Arc::new).collect();
        for item in &items {
            tx.push(item.clone()).unwrap();
        }
        let t = thread::spawn(move || {
            assert_eq!(rx.pop().as_deref(), Some(&0));
            drop(rx);
        });
        // Wraps around to slot 0 if the pop came first, or finds the ring
        // full.
        let _ = tx.push(loom::sync::Arc::new(3));
        drop(tx);
        t.join().unwrap();
        for item in &items {
            assert_eq!(loom::sync::Arc::strong_count(item), 1);
        }
    });
}
