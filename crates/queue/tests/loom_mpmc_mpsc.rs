//! Loom models for the stamped ring (MPMC and bounded MPSC) and the
//! unbounded MPSC segments: run with `cargo xtask verify --only loom`.
//! Slots are tracked through per-slot shadow cells, so a producer and a
//! consumer that could touch one slot concurrently fail the model; segment
//! frees go through loom's allocator tracking, so a use after free or a
//! leaked segment fails it too.

#![cfg(nanopath_loom)]

use loom::sync::Arc;
use loom::thread;
use nanopath_queue::{mpmc, mpsc};

/// Two producers push three items between them through a three-slot MPMC
/// queue whose positions were first moved two slots on, so the pushes wrap
/// into the next lap, while one consumer pops all three: each producer's
/// items arrive in order, none lost or duplicated. (Only the consumer
/// spins, which keeps the model finite.)
#[test]
fn mpmc_two_producers_one_consumer_wrap_around() {
    loom::model(|| {
        let q = Arc::new(mpmc::Queue::<u32>::new(3));
        for _ in 0..2 {
            q.push(0).unwrap();
            assert_eq!(q.pop(), Some(0));
        }
        let producers: Vec<_> = [vec![1, 2], vec![3]]
            .into_iter()
            .map(|items| {
                let q = q.clone();
                thread::spawn(move || items.into_iter().for_each(|v| q.push(v).unwrap()))
            })
            .collect();
        let mut seen = Vec::new();
        while seen.len() < 3 {
            match q.pop() {
                Some(v) => seen.push(v),
                None => thread::yield_now(),
            }
        }
        for p in producers {
            p.join().unwrap();
        }
        let first: Vec<u32> = seen.iter().copied().filter(|&v| v != 3).collect();
        assert_eq!(first, [1, 2]);
        assert!(seen.contains(&3));
        assert_eq!(q.pop(), None);
    });
}

/// A full queue: a producer races the consumer for the single slot,
/// which is occupied. The push either fails with its value back (the pop
/// had not claimed the slot yet: the queue was full) or lands in the slot
/// the consumer freed, waiting if the pop is still moving the old value
/// out; nothing is lost and the slot is never written while being read.
/// (One producer: two that wait on the same pop make loom's schedule tree
/// unbounded, since yields are not preemptions.)
#[test]
fn mpmc_full_push_races_the_pop_that_frees_the_slot() {
    loom::model(|| {
        let q = Arc::new(mpmc::Queue::<u32>::new(1));
        q.push(1).unwrap();
        let pusher = {
            let q = q.clone();
            thread::spawn(move || q.push(2).err().map(|full| full.into_inner()))
        };
        let first = q.pop();
        let returned = pusher.join().unwrap();
        let mut all: Vec<u32> = first.into_iter().chain(q.pop()).chain(returned).collect();
        all.sort();
        assert_eq!(all, [1, 2]);
        assert_eq!(first, Some(1));
    });
}

/// Batch claims race a single pop: one producer pushes a batch of two
/// while another pushes one item; a consumer takes everything with
/// `pop_batch` and `pop`.
#[test]
fn mpmc_batches_claim_consecutive_slots() {
    loom::model(|| {
        let q = Arc::new(mpmc::Queue::<u32>::new(3));
        let q1 = q.clone();
        let a = thread::spawn(move || {
            let mut items = vec![1, 2];
            while !items.is_empty() {
                q1.push_batch(&mut items);
                thread::yield_now();
            }
        });
        let q2 = q.clone();
        let b = thread::spawn(move || q2.push(7).unwrap());
        let mut seen = Vec::new();
        while seen.len() < 3 {
            if q.pop_batch(&mut seen, 2) == 0 {
                thread::yield_now();
            }
        }
        a.join().unwrap();
        b.join().unwrap();
        let ones: Vec<u32> = seen.iter().copied().filter(|&v| v != 7).collect();
        assert_eq!(ones, [1, 2]);
        assert!(seen.contains(&7));
    });
}

/// Bounded MPSC: two producers and the CAS-free consumer on a two-slot
/// queue whose positions were moved one slot on, so the two pushes wrap.
#[test]
fn mpsc_bounded_consumer_without_cas() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::bounded::<u32>(2);
        tx.push(0).unwrap();
        assert_eq!(rx.pop(), Some(0));
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.push(1).unwrap());
        let b = thread::spawn(move || tx2.push(2).unwrap());
        let mut sum = 0;
        let mut got = 0;
        while got < 2 {
            match rx.pop() {
                Some(v) => {
                    sum += v;
                    got += 1;
                }
                None => thread::yield_now(),
            }
        }
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sum, 3);
        assert!(rx.is_abandoned());
        assert_eq!(rx.pop(), None);
    });
}

/// Unbounded MPSC with two-slot segments: two producers push three items
/// between them, so a segment fills, overflows and is handed over while the
/// consumer reads and moves past it (freeing it or leaving it to the last
/// producer). Loom checks no access after free and no leak.
#[test]
fn mpsc_unbounded_segment_hand_off_and_reclamation() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded::<u32>();
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.push(1);
            tx.push(2);
        });
        let b = thread::spawn(move || tx2.push(3));
        let mut seen = Vec::new();
        while seen.len() < 3 {
            match rx.pop() {
                Some(v) => seen.push(v),
                None => thread::yield_now(),
            }
        }
        a.join().unwrap();
        b.join().unwrap();
        let ones: Vec<u32> = seen.iter().copied().filter(|&v| v != 3).collect();
        assert_eq!(ones, [1, 2]);
        assert_eq!(rx.pop(), None);
    });
}

/// Items still inside when the consumer is dropped first, while producers
/// are still pushing across a segment boundary: all are dropped exactly
/// once (loom's leak check and the `Arc` payloads' counts).
#[test]
fn mpsc_unbounded_drop_with_items_inside() {
    loom::model(|| {
        let item = Arc::new(());
        let (tx, mut rx) = mpsc::unbounded::<Arc<()>>();
        let tx2 = tx.clone();
        let (i1, i2) = (item.clone(), item.clone());
        let a = thread::spawn(move || {
            tx.push(i1.clone());
            tx.push(i1);
        });
        let b = thread::spawn(move || tx2.push(i2));
        let _ = rx.pop();
        drop(rx);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(Arc::strong_count(&item), 1);
    });
}

/// Segment reuse: one producer pushes five items through two-slot segments
/// while the consumer pops, so the third segment is the first one recycled
/// whenever the consumer has already left it (and a fresh one otherwise).
/// FIFO holds and no slot is touched by both sides at once.
#[test]
fn mpsc_unbounded_recycles_segments() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded::<u32>();
        let producer = thread::spawn(move || (0..5).for_each(|i| tx.push(i)));
        let mut seen = Vec::new();
        while seen.len() < 5 {
            match rx.pop() {
                Some(v) => seen.push(v),
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
    });
}
