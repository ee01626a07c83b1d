//! Loom models: run with `cargo xtask verify --only loom`, i.e.
//! `RUSTFLAGS="--cfg nanopath_loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p
//! nanopath-atomic --features loom --release --test loom`.
//!
//! Each model explores every interleaving (up to the preemption bound) of a
//! small scenario and asserts the property that must hold in all of them.

#![cfg(nanopath_loom)]

use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use loom::thread;
use nanopath_atomic::{AtomicTaggedIndex, SeqLock, SpinLock, TaggedIndex};

/// Two threads increment a non-atomic pair under the lock: loom's
/// `UnsafeCell` tracking fails the model if the guards ever overlap, and no
/// increment is lost.
#[test]
fn spinlock_mutual_exclusion() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new((0u32, 0u32)));
        let other = {
            let lock = lock.clone();
            thread::spawn(move || {
                let mut g = lock.lock();
                g.0 += 1;
                g.1 += 1;
            })
        };
        if let Some(mut g) = lock.try_lock() {
            g.0 += 1;
            g.1 += 1;
        } else {
            let mut g = lock.lock();
            g.0 += 1;
            g.1 += 1;
        }
        other.join().unwrap();
        assert_eq!(*lock.lock(), (2, 2));
    });
}

/// A reader racing two writes never observes a mix of two writes, and sees
/// the writes in order.
#[test]
fn seqlock_reader_never_sees_a_torn_value() {
    loom::model(|| {
        let lock = Arc::new(SeqLock::new([0u64, 0]));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || {
                lock.write([1, 1]);
                lock.write([2, 2]);
            })
        };
        let mut last = 0;
        for _ in 0..2 {
            if let Some([a, b]) = lock.try_read() {
                assert_eq!(a, b, "torn read");
                assert!(a >= last, "went backwards");
                last = a;
            }
        }
        writer.join().unwrap();
        assert_eq!(lock.try_read(), Some([2, 2]));
    });
}

/// The blocking `read` (its own retry loop) racing a write returns either
/// the old or the new value, whole.
#[test]
fn seqlock_blocking_read_returns_a_whole_value() {
    loom::model(|| {
        let lock = Arc::new(SeqLock::new([0u64, 0]));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || lock.write([1, 1]))
        };
        let [a, b] = lock.read();
        assert_eq!(a, b, "torn read");
        assert!(a <= 1);
        writer.join().unwrap();
        assert_eq!(lock.read(), [1, 1]);
    });
}

/// Two concurrent `update`s serialize: neither loses the other's change,
/// and a concurrent reader sees only whole values.
#[test]
fn seqlock_updates_serialize() {
    loom::model(|| {
        let lock = Arc::new(SeqLock::new([0u32, 0]));
        let other = {
            let lock = lock.clone();
            thread::spawn(move || {
                lock.update(|[a, b]| [a + 1, b + 1]);
            })
        };
        lock.update(|[a, b]| [a + 1, b + 1]);
        if let Some([a, b]) = lock.try_read() {
            assert_eq!(a, b);
        }
        other.join().unwrap();
        assert_eq!(lock.try_read(), Some([2, 2]));
    });
}

/// A two-slot free list with a tagged head. Thread B pops and pushes while
/// thread A pops: every interleaving leaves each slot owned by at most one
/// thread at a time and both slots back on the list — including the ABA
/// interleaving where A's CAS would succeed on an untagged head.
#[test]
fn tagged_index_free_list_has_no_aba() {
    const NONE: u32 = u32::MAX;
    struct List {
        head: AtomicTaggedIndex,
        next: [loom::sync::atomic::AtomicU32; 2],
        owned: [AtomicBool; 2],
    }
    impl List {
        fn pop(&self) -> Option<u32> {
            loop {
                let head = self.head.load(Acquire);
                if head.index() == NONE {
                    return None;
                }
                let next = self.next[head.index() as usize].load(Relaxed);
                if self
                    .head
                    .compare_exchange(head, head.next(next), Acquire, Relaxed)
                    .is_ok()
                {
                    let was = self.owned[head.index() as usize].swap(true, AcqRel);
                    assert!(!was, "slot {} handed out twice", head.index());
                    return Some(head.index());
                }
            }
        }
        fn push(&self, index: u32) {
            self.owned[index as usize].store(false, Release);
            loop {
                let head = self.head.load(Relaxed);
                self.next[index as usize].store(head.index(), Relaxed);
                if self
                    .head
                    .compare_exchange(head, head.next(index), Release, Relaxed)
                    .is_ok()
                {
                    return;
                }
            }
        }
    }
    loom::model(|| {
        let list = Arc::new(List {
            head: AtomicTaggedIndex::new(TaggedIndex::new(0, 0)),
            next: [
                loom::sync::atomic::AtomicU32::new(1),
                loom::sync::atomic::AtomicU32::new(NONE),
            ],
            owned: [AtomicBool::new(false), AtomicBool::new(false)],
        });
        let b = {
            let list = list.clone();
            thread::spawn(move || {
                // Pop 0 and 1, push 0 back: the head reads 0 again (A-B-A).
                let x = list.pop();
                let y = list.pop();
                if let Some(x) = x {
                    list.push(x);
                }
                y
            })
        };
        let mine = list.pop();
        let theirs = b.join().unwrap();
        if let Some(i) = mine {
            list.push(i);
        }
        if let Some(i) = theirs {
            list.push(i);
        }
        let mut all = vec![list.pop().unwrap(), list.pop().unwrap()];
        all.sort_unstable();
        assert_eq!(all, [0, 1]);
        assert_eq!(list.pop(), None);
    });
}
