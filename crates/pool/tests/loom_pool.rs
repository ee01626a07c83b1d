//! Loom models for ObjectPool. Run with
//! `RUSTFLAGS="--cfg nanopath_loom" cargo test -p nanopath-pool --features loom --release --test loom_pool`.
//! Each slot's object sits in a loom cell touched whenever the slot is
//! filled, lent or returned, so two owners of one slot fail the model.
#![cfg(nanopath_loom)]

use loom::sync::Arc;
use loom::thread;
use nanopath_pool::ObjectPool;

#[test]
fn concurrent_acquire_release_never_shares_a_slot() {
    loom::model(|| {
        let pool = Arc::new(ObjectPool::new(1, || 0u32));
        assert_eq!(pool.prefill(1), 1);
        let other = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                if let Some(mut o) = pool.try_acquire() {
                    *o += 1;
                }
            })
        };
        if let Some(mut o) = pool.try_acquire() {
            *o += 1;
        }
        other.join().unwrap();
        // The one object is idle again with every increment applied.
        let o = pool.try_acquire().expect("idle");
        assert!((1..=2).contains(&*o));
        assert_eq!(pool.stats().acquired, pool.stats().released + 1);
    });
}

#[test]
fn tagged_head_prevents_aba() {
    // Thread B pops the head slot and stalls before its CAS; thread A
    // releases/acquires/releases so the same slot index is back on top with
    // a different successor. Without the tag B's CAS would succeed with a
    // stale `next` and lend a slot twice.
    loom::model(|| {
        let pool = Arc::new(ObjectPool::new(2, || 0u32));
        assert_eq!(pool.prefill(2), 2);
        let other = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let a = pool.try_acquire();
                let b = pool.try_acquire();
                drop(a);
                drop(b);
            })
        };
        let mine = pool.try_acquire();
        if let Some(mut m) = mine {
            *m += 1;
        }
        other.join().unwrap();
        let all: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
        assert_eq!(all.len(), 2, "both objects idle, none lost or duplicated");
    });
}

#[test]
fn buffer_pool_lends_a_buffer_to_one_thread_at_a_time() {
    // One buffer, two threads writing and freezing: each slot's cell is a
    // loom cell, so two lenders of one buffer fail the model.
    loom::model(|| {
        let pool = Arc::new(nanopath_pool::BufferPool::new(1, 8));
        let other = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let mut b = pool.acquire();
                b.extend_from_slice(b"a");
                let f = b.freeze();
                assert_eq!(&f[..], b"a");
            })
        };
        let mut b = pool.acquire();
        b.extend_from_slice(b"b");
        let f = b.freeze();
        assert_eq!(&f[..], b"b");
        other.join().unwrap();
        drop(f);
        let s = pool.stats();
        assert_eq!((s.acquired, s.released), (2, 2));
        assert!((1..=2).contains(&s.created));
    });
}

#[test]
fn detach_and_release_race_leaves_every_slot_usable() {
    loom::model(|| {
        // `acquire_owned` takes std's `Arc` (not modelled; the pool's own
        // atomics and cells are).
        let pool = std::sync::Arc::new(ObjectPool::new(2, || 0u32));
        let a = pool.acquire_owned();
        let b = pool.acquire_owned();
        let other = thread::spawn(move || assert_eq!(a.detach(), 0));
        drop(b);
        other.join().unwrap();
        let all: Vec<_> = (0..2).map(|_| pool.acquire()).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(pool.stats().created, 3);
    });
}

/// A thread parked in `acquire_timeout` on a full pool is woken by the
/// release, in every interleaving (loom reports a deadlock if the release
/// could slip between the waiter's last look and its sleep).
#[test]
fn parked_acquire_is_woken_by_a_release() {
    loom::model(|| {
        let pool = Arc::new(ObjectPool::new(1, || 0u32));
        let held = pool.acquire();
        let waiter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                // `Duration::MAX`: no deadline, so only a wake-up ends it.
                let mut o = pool
                    .acquire_timeout(std::time::Duration::MAX)
                    .expect("no deadline");
                *o += 1;
            })
        };
        drop(held);
        waiter.join().unwrap();
        assert_eq!(*pool.try_acquire().expect("idle again"), 1);
    });
}
