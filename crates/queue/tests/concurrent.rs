//! Concurrent contracts of the lock-free queues:
//!
//! * `handoff_*`: a handle that sees the other side gone (`is_abandoned`)
//!   also sees everything that side did before it went, so a drain after
//!   it loses nothing (run under Miri with many seeds: weak memory);
//! * `both_ends_*`: every accessor of every handle, called while the other
//!   side is busy, is race-free (Miri) and stays within its bounds;
//! * `linearizable_*`: `pop` reports empty and `push` reports full only if
//!   the queue was empty or full at some instant during the call, even when
//!   a slot before the completed item is still being written (or emptied)
//!   by another thread.

#![cfg(not(nanopath_loom))]

use nanopath_queue::{Full, mpmc, mpsc, spsc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `native` natively, `miri` under Miri.
fn size(native: usize, miri: usize) -> usize {
    if cfg!(miri) { miri } else { native }
}

/// Yields until `done()`; fails (instead of hanging) after 30 s.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what}: not seen well before the 30 s timeout"
        );
        std::thread::yield_now();
    }
}

/// Pushes `value`, yielding while the queue is full.
fn push_spinning<T>(mut value: T, mut push: impl FnMut(T) -> Result<(), Full<T>>) {
    while let Err(Full(v)) = push(value) {
        value = v;
        std::thread::yield_now();
    }
}

// ---------------------------------------------------------------- handoff

#[test]
fn handoff_spsc_consumer_drains_everything_after_is_abandoned() {
    let n = size(1000, 3);
    let (mut tx, mut rx) = spsc::ring::<usize>(n);
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..n {
                tx.push(i).unwrap();
            }
            drop(tx);
        });
        wait_until("producer gone", || rx.is_abandoned());
        let got: Vec<usize> = std::iter::from_fn(|| rx.pop()).collect();
        assert_eq!(got, (0..n).collect::<Vec<_>>());
    });
}

#[test]
fn handoff_spsc_producer_sees_every_slot_the_gone_consumer_freed() {
    let n = size(1000, 3);
    let (mut tx, mut rx) = spsc::ring::<usize>(n);
    for i in 0..n {
        tx.push(i).unwrap();
    }
    assert_eq!(tx.free_slots(), 0);
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..n {
                assert_eq!(rx.pop(), Some(i));
            }
            drop(rx);
        });
        wait_until("consumer gone", || tx.is_abandoned());
        assert_eq!(tx.free_slots(), n);
        for i in 0..n {
            tx.push(i).unwrap();
        }
    });
}

#[test]
fn handoff_mpsc_bounded_consumer_drains_everything_after_is_abandoned() {
    let per = size(500, 2);
    let (tx, mut rx) = mpsc::bounded::<usize>(2 * per);
    std::thread::scope(|s| {
        for p in 0..2 {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..per {
                    tx.push(p * per + i).unwrap();
                }
            });
        }
        drop(tx);
        wait_until("producers gone", || rx.is_abandoned());
        let mut got: Vec<usize> = std::iter::from_fn(|| rx.pop()).collect();
        got.sort_unstable();
        assert_eq!(got, (0..2 * per).collect::<Vec<_>>());
    });
}

#[test]
fn handoff_mpsc_bounded_producer_sees_the_consumer_gone() {
    let n = size(100, 2);
    let (tx, mut rx) = mpsc::bounded::<usize>(n);
    for i in 0..n {
        tx.push(i).unwrap();
    }
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..n {
                assert_eq!(rx.pop(), Some(i));
            }
        });
        assert!(tx.len() <= n);
        wait_until("consumer gone", || tx.is_abandoned());
        // The consumer's pops happen-before: every slot is free.
        assert_eq!(tx.len(), 0);
        for i in 0..n {
            tx.push(i).unwrap();
        }
    });
}

/// A producer that never pushed reads `len` while another producer pushes
/// one item and the consumer pops it: `len` must never count more than was
/// pushed (a consumer's `head` store that did not carry the `tail` it had
/// read let a reader pair a new `head` with an old `tail`: `len == 3` with
/// one item ever pushed, under Miri's weak memory).
#[test]
fn handoff_mpsc_bounded_len_never_exceeds_what_was_pushed() {
    let (tx, mut rx) = mpsc::bounded::<usize>(4);
    let reader = tx.clone();
    // Relaxed on purpose: the reader must learn that the pop happened
    // without synchronising with it (a happens-before edge would hide the
    // stale `tail`).
    let popped = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(move || tx.push(1).unwrap());
        let popped = &popped;
        s.spawn(move || {
            let mut after = 0;
            while after < 5 {
                let len = reader.len();
                assert!(len <= 1, "len {len} with one item ever pushed");
                if popped.load(Ordering::Relaxed) {
                    after += 1;
                }
                std::thread::yield_now();
            }
        });
        wait_until("the item arrives", || rx.pop().is_some());
        popped.store(true, Ordering::Relaxed);
    });
}

#[test]
fn handoff_unbounded_consumer_drains_everything_after_is_abandoned() {
    let per = size(200, 2);
    let (tx, mut rx) = mpsc::unbounded::<usize>();
    std::thread::scope(|s| {
        for p in 0..2 {
            let tx = tx.clone();
            s.spawn(move || (0..per).for_each(|i| tx.push(p * per + i)));
        }
        drop(tx);
        wait_until("producers gone", || rx.is_abandoned());
        let mut got: Vec<usize> = std::iter::from_fn(|| rx.pop()).collect();
        got.sort_unstable();
        assert_eq!(got, (0..2 * per).collect::<Vec<_>>());
    });
}

#[test]
fn handoff_unbounded_producer_sees_the_consumer_gone() {
    let (tx, mut rx) = mpsc::unbounded::<u8>();
    tx.push(1);
    assert!(!tx.is_abandoned());
    std::thread::scope(|s| {
        s.spawn(move || assert_eq!(rx.pop(), Some(1)));
        wait_until("consumer gone", || tx.is_abandoned());
    });
    assert!(tx.is_abandoned());
    assert!(format!("{tx:?}").contains("UnboundedProducer"));
}

// -------------------------------------------------------------- both ends

#[test]
fn both_ends_spsc_every_accessor_while_the_other_side_is_busy() {
    let n = size(100_000, 60) as u64;
    let capacity = 4;
    let (mut tx, mut rx) = spsc::ring::<u64>(capacity);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut next = 0;
            while next < n {
                let before = next;
                // The consumer stays until it has every item.
                assert!(!tx.is_abandoned());
                assert_eq!(tx.capacity(), capacity);
                assert!(tx.free_slots() <= capacity);
                assert!(format!("{tx:?}").starts_with("Producer"));
                match next % 3 {
                    0 => next += u64::from(tx.push(next).is_ok()),
                    1 => {
                        next +=
                            tx.push_slice(&[next, next + 1][..(n - next).min(2) as usize]) as u64
                    }
                    _ => {
                        if let Ok(chunk) = tx.write_chunk_uninit(1) {
                            next += chunk.fill_from_iter([next]) as u64;
                        }
                    }
                }
                if next == before {
                    std::thread::yield_now();
                }
            }
        });
        let mut expected = 0;
        let mut out = Vec::new();
        while expected < n {
            let before = expected;
            let len = rx.len();
            assert!(len <= capacity);
            let _ = rx.is_empty();
            assert_eq!(rx.capacity(), capacity);
            let _ = rx.is_abandoned();
            assert!(format!("{rx:?}").starts_with("Consumer"));
            if let Some(&v) = rx.peek() {
                assert_eq!(v, expected);
            }
            match expected % 3 {
                0 => {
                    if let Some(v) = rx.pop() {
                        assert_eq!(v, expected);
                        expected += 1;
                    }
                }
                1 => {
                    out.clear();
                    rx.pop_batch(&mut out, 2);
                    for &v in &out {
                        assert_eq!(v, expected);
                        expected += 1;
                    }
                }
                _ => {
                    if let Ok(chunk) = rx.read_chunk(1) {
                        assert_eq!(chunk.as_slices().0, [expected]);
                        chunk.commit_all();
                        expected += 1;
                    }
                }
            }
            if expected == before {
                std::thread::yield_now();
            }
        }
    });
}

#[test]
fn both_ends_mpmc_every_accessor_while_others_push_and_pop() {
    let n = size(50_000, 40);
    let q = mpmc::Queue::<usize>::new(3);
    let popped = AtomicUsize::new(0);
    std::thread::scope(|s| {
        s.spawn(|| (0..n).for_each(|i| push_spinning(i, |v| q.push(v))));
        s.spawn(|| {
            while popped.load(Ordering::Relaxed) < n {
                match q.pop() {
                    Some(_) => popped.fetch_add(1, Ordering::Relaxed),
                    None => {
                        std::thread::yield_now();
                        0
                    }
                };
            }
        });
        while popped.load(Ordering::Relaxed) < n {
            assert!(q.len() <= q.capacity());
            let _ = (q.is_empty(), q.is_full());
            assert!(format!("{q:?}").contains("capacity: 3"));
            std::thread::yield_now();
        }
    });
    assert!(q.is_empty());
}

#[test]
fn both_ends_mpsc_bounded_every_accessor_while_the_other_side_is_busy() {
    let per = size(30_000, 20);
    let capacity = 4;
    let (tx, mut rx) = mpsc::bounded::<usize>(capacity);
    std::thread::scope(|s| {
        for p in 0..2 {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..per {
                    assert!(!tx.is_abandoned());
                    assert!(tx.len() <= capacity);
                    let _ = tx.is_empty();
                    assert_eq!(tx.capacity(), capacity);
                    assert!(format!("{tx:?}").contains("Producer"));
                    if i % 2 == 0 {
                        push_spinning(p * per + i, |v| tx.push(v));
                    } else {
                        let mut one = vec![p * per + i];
                        while tx.push_batch(&mut one) == 0 {
                            std::thread::yield_now();
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut seen = 0;
        let mut out = Vec::new();
        while seen < 2 * per {
            assert!(rx.len() <= capacity);
            let _ = (rx.is_empty(), rx.is_abandoned());
            assert_eq!(rx.capacity(), capacity);
            assert!(format!("{rx:?}").contains("Consumer"));
            let got = if seen % 2 == 0 {
                usize::from(rx.pop().is_some())
            } else {
                out.clear();
                rx.pop_batch(&mut out, 3)
            };
            if got == 0 {
                std::thread::yield_now();
            }
            seen += got;
        }
        wait_until("producers gone", || rx.is_abandoned());
        assert_eq!(rx.pop(), None);
    });
}

#[test]
fn both_ends_unbounded_every_accessor_while_the_other_side_is_busy() {
    let per = size(30_000, 20);
    let (tx, mut rx) = mpsc::unbounded::<usize>();
    std::thread::scope(|s| {
        for p in 0..2 {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..per {
                    assert!(!tx.is_abandoned());
                    assert!(format!("{tx:?}").contains("UnboundedProducer"));
                    tx.push(p * per + i);
                }
            });
        }
        drop(tx);
        let mut seen = 0;
        let mut out = Vec::new();
        while seen < 2 * per {
            let _ = rx.is_abandoned();
            assert!(format!("{rx:?}").contains("UnboundedConsumer"));
            out.clear();
            let got = rx.pop_batch(&mut out, 5) + usize::from(rx.pop().is_some());
            if got == 0 {
                std::thread::yield_now();
            }
            seen += got;
        }
        wait_until("producers gone", || rx.is_abandoned());
        assert_eq!(rx.pop(), None);
    });
}

// ---------------------------------------------------------- linearizable

/// Threads that each alternate a push and a pop on one queue.
const THREADS: usize = 4;

/// The `linearizable_*` tests each keep four threads spinning; run side by
/// side on a two-core machine they starve each other (minutes instead of a
/// second), so they take this lock and run one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Each thread pushes, then pops: its own push has completed, and every
/// pop so far was preceded by its thread's push, so the queue holds a
/// completed, unclaimed item during every pop, which must not report empty.
/// With `capacity >= THREADS` there are at most `THREADS - 1` items when a
/// thread pushes, so the push must not report full either.
#[test]
fn linearizable_mpmc_pop_after_own_push_never_sees_empty() {
    let _alone = one_at_a_time();
    let rounds = size(100_000, 15);
    for capacity in 1..=8 {
        let q = mpmc::Queue::<usize>::new(capacity);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let q = &q;
                s.spawn(move || {
                    for r in 0..rounds {
                        let v = t * rounds + r;
                        if capacity >= THREADS {
                            assert_eq!(
                                q.push(v),
                                Ok(()),
                                "full with a free slot, capacity {capacity}"
                            );
                        } else {
                            push_spinning(v, |v| q.push(v));
                        }
                        assert!(
                            q.pop().is_some(),
                            "empty after our own push, capacity {capacity}"
                        );
                    }
                });
            }
        });
        assert!(q.is_empty());
    }
}

/// The same with batches: a one-item `push_batch`, then a `pop_batch`,
/// which must return at least one item.
#[test]
fn linearizable_mpmc_batches_never_see_empty_or_full_wrongly() {
    let _alone = one_at_a_time();
    let rounds = size(100_000, 15);
    for capacity in THREADS..=8 {
        let q = mpmc::Queue::<usize>::new(capacity);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let q = &q;
                s.spawn(move || {
                    let mut out = Vec::new();
                    for r in 0..rounds {
                        let mut one = vec![t * rounds + r];
                        assert_eq!(q.push_batch(&mut one), 1, "full with a free slot");
                        out.clear();
                        assert_eq!(q.pop_batch(&mut out, 1), 1, "empty after our own push");
                    }
                });
            }
        });
        assert!(q.is_empty());
    }
}

/// The full side: the queue starts full and each thread pops, then pushes.
/// Every pop finds at least `capacity - (THREADS - 1)` items, and every
/// push at most `capacity - 1` (its own pop made room), so a push must not
/// report full, even when the slot it lands on is still being emptied by
/// another thread's pop.
#[test]
fn linearizable_mpmc_push_after_own_pop_never_sees_full() {
    let _alone = one_at_a_time();
    let rounds = size(100_000, 15);
    for capacity in THREADS..=8 {
        let q = mpmc::Queue::<usize>::new(capacity);
        for i in 0..capacity {
            q.push(i).unwrap();
        }
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                let q = &q;
                s.spawn(move || {
                    for _ in 0..rounds {
                        let v = q.pop().expect("empty with items inside");
                        assert_eq!(
                            q.push(v),
                            Ok(()),
                            "full after our own pop, capacity {capacity}"
                        );
                    }
                });
            }
        });
        assert_eq!(q.len(), capacity);
    }
}

/// The bounded MPSC consumer: producers count each push once it has
/// returned; the consumer, having seen that count, must be able to pop that
/// many items, even while an earlier slot is still being written by a
/// producer that claimed it first.
#[test]
fn linearizable_mpsc_bounded_consumer_sees_every_completed_push() {
    let _alone = one_at_a_time();
    let per = size(20_000, 15);
    for capacity in 1..=8 {
        let (tx, mut rx) = mpsc::bounded::<usize>(capacity);
        let completed = AtomicUsize::new(0);
        let mut false_empty = 0;
        std::thread::scope(|s| {
            for p in 0..3 {
                let (tx, completed) = (tx.clone(), &completed);
                s.spawn(move || {
                    for i in 0..per {
                        push_spinning(p * per + i, |v| tx.push(v));
                        // Release: the push happens-before the consumer's
                        // Acquire load of the count.
                        completed.fetch_add(1, Ordering::Release);
                    }
                });
            }
            // A false "empty" is counted, not asserted at once: a panic
            // here would leave the producers waiting on a full queue.
            let mut popped = 0;
            let mut out = Vec::new();
            while popped < 3 * per {
                let done = completed.load(Ordering::Acquire);
                if done == popped {
                    // Nothing new: let a producer run (two cores, four
                    // threads).
                    std::thread::yield_now();
                }
                while popped < done {
                    let n = if popped % 2 == 0 {
                        usize::from(rx.pop().is_some())
                    } else {
                        out.clear();
                        rx.pop_batch(&mut out, done - popped)
                    };
                    false_empty += usize::from(n == 0);
                    popped += n;
                }
            }
        });
        assert_eq!(
            false_empty, 0,
            "empty with completed pushes unread, capacity {capacity}"
        );
        assert_eq!(rx.pop(), None);
    }
}
