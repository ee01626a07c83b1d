//! Loom models for nanopath-reclaim. Run with
//! `RUSTFLAGS="--cfg nanopath_loom" cargo test -p nanopath-reclaim --features loom --release --test loom_reclaim`
//! (or `cargo xtask verify --only loom`).
//!
//! Under loom the hazard-pointer fences are the `SeqCst` fallback (loom
//! cannot model `membarrier`), domains are local (threshold 1, so every
//! retire scans), and nodes carry shadow cells so a free that is not
//! ordered after a read fails the model. crossbeam-epoch's internals are
//! not modelled; the epoch models check our algorithms' use of its guards.
#![cfg(nanopath_loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::Ordering;
use loom::thread;
use nanopath_reclaim::hazard::Domain;
use nanopath_reclaim::{AtomicPtr, Epoch, Hazard, MsQueue, RcuCell, Reclaim, TreiberStack};

/// A value whose reads and free loom can see.
struct Tracked {
    value: UnsafeCell<u64>,
}

// SAFETY: shared access only reads the cell; the write happens in `drop`,
// with exclusive access (and loom checks the ordering).
unsafe impl Sync for Tracked {}

impl Tracked {
    fn new(v: u64) -> Self {
        Self {
            value: UnsafeCell::new(v),
        }
    }
    fn get(&self) -> u64 {
        // SAFETY: only written by `drop`, which loom orders against this.
        self.value.with(|p| unsafe { *p })
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.value.with_mut(|p| {
            // SAFETY: we are the last owner; the write marks the free.
            unsafe { *p = u64::MAX }
        });
    }
}

#[test]
fn hazard_protect_vs_concurrent_retire() {
    loom::model(|| {
        let domain = Arc::new(Domain::with_scan_threshold(1));
        let shared = Arc::new(AtomicPtr::new(Box::into_raw(Box::new(Tracked::new(1)))));
        let reader = {
            let (domain, shared) = (Arc::clone(&domain), Arc::clone(&shared));
            thread::spawn(move || {
                let mut hp = domain.hazard_pointer();
                // SAFETY: `shared` holds boxed values retired to `domain`.
                let v = unsafe { hp.protect(&shared) }.expect("never null").get();
                assert!(v == 1 || v == 2, "read a freed value: {v}");
            })
        };
        let old = shared.swap(Box::into_raw(Box::new(Tracked::new(2))), Ordering::AcqRel);
        // SAFETY: unlinked by the swap, retired once; threshold 1 scans now.
        unsafe { domain.retire_box(old) };
        reader.join().unwrap();
        domain.reclaim();
        assert_eq!(domain.unreclaimed(), 0);
        // SAFETY: teardown, no readers left.
        drop(unsafe { Box::from_raw(shared.load(Ordering::Relaxed)) });
    });
}

fn treiber_push_pop<R: Reclaim + 'static>(make: fn() -> R) {
    loom::model(move || {
        let stack = Arc::new(TreiberStack::with_reclaim(make()));
        stack.push(1_u64);
        stack.push(2);
        // Two pops race on the same head: the loser must not read the
        // winner's node after it is freed, and the CAS must not suffer ABA
        // when the other thread pushes a new node right after.
        let other = {
            let stack = Arc::clone(&stack);
            thread::spawn(move || {
                let v = stack.pop();
                stack.push(3);
                v
            })
        };
        let mine = stack.pop();
        let theirs = other.join().unwrap();
        let mut all: Vec<u64> = [mine, theirs].into_iter().flatten().collect();
        all.extend(std::iter::from_fn(|| stack.pop()));
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3], "each value popped exactly once");
    });
}

#[test]
fn treiber_push_pop_hazard() {
    treiber_push_pop(|| Hazard::local(1));
}

#[test]
fn treiber_push_pop_epoch() {
    treiber_push_pop(|| Epoch);
}

fn ms_queue_enqueue_dequeue<R: Reclaim + 'static>(make: fn() -> R) {
    loom::model(move || {
        let queue = Arc::new(MsQueue::with_reclaim(make()));
        queue.enqueue(1_u64);
        // A dequeue races an enqueue+dequeue: nodes retired by one thread
        // are read by the other, and the tail may lag behind.
        let other = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                queue.enqueue(2);
                queue.dequeue()
            })
        };
        let mine = queue.dequeue();
        let theirs = other.join().unwrap();
        let mut got: Vec<u64> = [mine, theirs].into_iter().flatten().collect();
        got.extend(std::iter::from_fn(|| queue.dequeue()));
        got.sort_unstable();
        assert_eq!(got, [1, 2], "each value dequeued exactly once");
        // FIFO: 2 is only dequeued after 1.
        assert!(mine != Some(2) || theirs == Some(1));
        assert!(theirs != Some(2) || mine == Some(1));
    });
}

#[test]
fn ms_queue_enqueue_dequeue_hazard() {
    ms_queue_enqueue_dequeue(|| Hazard::local(1));
}

#[test]
fn ms_queue_enqueue_dequeue_epoch() {
    ms_queue_enqueue_dequeue(|| Epoch);
}

#[test]
fn rcu_read_during_swap() {
    loom::model(|| {
        let cell = Arc::new(RcuCell::<Tracked, Hazard>::from_arc_with(
            std::sync::Arc::new(Tracked::new(1)),
            Hazard::local(1),
        ));
        let reader = {
            let cell = Arc::clone(&cell);
            thread::spawn(move || {
                let v = cell.read().get();
                assert!(v == 1 || v == 2, "read a freed value: {v}");
            })
        };
        let old = cell.swap(Tracked::new(2));
        assert_eq!(old.get(), 1);
        drop(old);
        reader.join().unwrap();
        assert_eq!(cell.read().get(), 2);
    });
}
