//! SeqLock behaviour: values round-trip for every size and alignment class,
//! readers never observe torn values under concurrent writers, `update` is
//! atomic with respect to other writers, and a panicking `update` releases
//! the lock.

#![cfg(not(nanopath_loom))]

use nanopath_atomic::SeqLock;
use nanopath_atomic::zerocopy::{FromBytes, Immutable, IntoBytes};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A 13-byte value: one whole word, then a 4-byte and a 1-byte tail unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Odd13 {
    a: [u8; 8],
    b: [u8; 4],
    c: u8,
}

/// A 64-byte market-data-like record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Quote {
    bid: u64,
    ask: u64,
    bid_size: u32,
    ask_size: u32,
    seq: u64,
    venue: [u8; 32],
}

#[test]
fn round_trips_values_of_every_tail_shape() {
    fn check<T: FromBytes + IntoBytes + Immutable + Copy + PartialEq + std::fmt::Debug>(
        a: T,
        b: T,
    ) {
        let lock = SeqLock::new(a);
        assert_eq!(lock.read(), a);
        assert_eq!(lock.try_read(), Some(a));
        lock.write(b);
        assert_eq!(lock.read(), b);
        assert_eq!(lock.into_inner(), b);
    }
    check((), ());
    check(1u8, 2u8);
    check(1u16, 0xBEEFu16);
    check([1u8; 3], [9u8; 3]);
    check(0x0102_0304u32, 7u32);
    check([1u8; 7], [2u8; 7]);
    check(u64::MAX, 0u64);
    check(
        Odd13 {
            a: [1; 8],
            b: [2; 4],
            c: 3,
        },
        Odd13 {
            a: [4; 8],
            b: [5; 4],
            c: 6,
        },
    );
    check([7u128; 3], [8u128; 3]);
    let q = Quote {
        bid: 1,
        ask: 2,
        bid_size: 3,
        ask_size: 4,
        seq: 5,
        venue: *b"XNAS padded venue name..........",
    };
    check(q, Quote { seq: 6, ..q });
}

#[test]
fn update_returns_and_stores_the_new_value() {
    let lock = SeqLock::new([1u32, 2]);
    assert_eq!(lock.update(|[a, b]| [b, a]), [2, 1]);
    assert_eq!(lock.read(), [2, 1]);
}

#[test]
fn a_panicking_update_leaves_the_value_and_releases_the_lock() {
    let lock = SeqLock::new(5u64);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lock.update(|_| panic!("closure failed"));
    }));
    assert!(result.is_err());
    // Not stuck odd: a single read attempt succeeds and a write goes through.
    assert_eq!(lock.try_read(), Some(5));
    lock.write(6);
    assert_eq!(lock.read(), 6);
}

#[test]
fn debug_shows_the_value() {
    assert_eq!(
        format!("{:?}", SeqLock::new(3u8)),
        "SeqLock { value: Some(3) }"
    );
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Any sequence of writes and updates reads back like a plain variable.
    #[test]
    fn behaves_like_a_plain_variable(ops in proptest::collection::vec((any::<bool>(), any::<[u16; 5]>()), 0..64)) {
        let lock = SeqLock::new([0u16; 5]);
        let mut model = [0u16; 5];
        for (is_update, value) in ops {
            if is_update {
                let written = lock.update(|old| {
                    let mut next = old;
                    for (n, v) in next.iter_mut().zip(value) {
                        *n = n.wrapping_add(v);
                    }
                    next
                });
                for (m, v) in model.iter_mut().zip(value) {
                    *m = m.wrapping_add(v);
                }
                prop_assert_eq!(written, model);
            } else {
                lock.write(value);
                model = value;
            }
            prop_assert_eq!(lock.read(), model);
            prop_assert_eq!(lock.try_read(), Some(model));
        }
        prop_assert_eq!(lock.into_inner(), model);
    }
}

/// Writers store values whose words are all equal; readers check every read
/// is uniform (not torn) and, with one writer, never goes backwards.
fn stress<const WORDS: usize>(writers: usize, readers: usize, writes_per_writer: usize) {
    let lock = SeqLock::new([0u64; WORDS]);
    let finished_writers = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for w in 0..writers {
            let (lock, finished_writers) = (&lock, &finished_writers);
            s.spawn(move || {
                for i in 1..=writes_per_writer as u64 {
                    // High bits name the writer, low bits count its writes.
                    lock.write([((w as u64) << 48) | i; WORDS]);
                }
                // Release: the readers' last read happens after our last write.
                finished_writers.fetch_add(1, Ordering::Release);
            });
        }
        for _ in 0..readers {
            s.spawn(|| {
                let mut last = 0u64;

                loop {
                    let stop = finished_writers.load(Ordering::Acquire) == writers;
                    let v = lock.read();
                    assert!(v.iter().all(|&x| x == v[0]), "torn read: {v:?}");
                    if writers == 1 {
                        assert!(v[0] >= last, "went backwards: {} after {last}", v[0]);
                        last = v[0];
                    }
                    if stop {
                        // The final read saw some writer's final value.
                        assert_eq!(v[0] & 0xFFFF_FFFF_FFFF, writes_per_writer as u64);
                        return;
                    }
                }
            });
        }
    });
}

#[test]
fn stress_one_writer_two_readers_64_bytes() {
    stress::<8>(1, 2, nanopath_testkit::stress_iters(200_000));
}

#[test]
fn stress_two_writers_one_reader_128_bytes() {
    stress::<16>(2, 1, nanopath_testkit::stress_iters(100_000));
}
