//! Loom models: run with `cargo xtask verify --only loom`, i.e.
//! `RUSTFLAGS="--cfg nanopath_loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p
//! nanopath-atomic --features loom --release --test loom`.
//!
//! Each model explores every interleaving (up to the preemption bound) of a
//! small scenario and asserts the property that must hold in all of them.

#![cfg(nanopath_loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize};
use loom::thread;
use nanopath_atomic::{
    EventCount, PerThread, SeqLock, ShardedCounter, SpinLock, TaggedIndexStack, ThreadCounter,
};

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

/// A two-slot free list on a [`TaggedIndexStack`]. Thread B pops and
/// pushes while thread A pops: every interleaving leaves each slot owned by
/// at most one thread at a time and both slots back on the list, including
/// the ABA interleaving where A's CAS would succeed on an untagged head.
/// Slot ownership is a loom `UnsafeCell` written by its owner, so loom also
/// fails the model if a hand-over were not ordered.
#[test]
fn tagged_index_stack_has_no_aba() {
    stack_model(|| TaggedIndexStack::with_top(0));
}

/// The same model on a [`TaggedIndexStack::bounded`] stack: a two-bit
/// index field (the empty marker 3), every other bit of the head its tag.
#[test]
fn bounded_tagged_index_stack_has_no_aba() {
    stack_model(|| TaggedIndexStack::bounded(2, 0));
}

fn stack_model(new_stack: fn() -> TaggedIndexStack) {
    const NONE: u32 = TaggedIndexStack::EMPTY;
    struct List {
        stack: TaggedIndexStack,
        next: [AtomicU32; 2],
        data: [UnsafeCell<u32>; 2],
        owned: [AtomicBool; 2],
    }
    impl List {
        fn pop(&self) -> Option<u32> {
            let index = self.stack.pop(|i| &self.next[i as usize])?;
            let was = self.owned[index as usize].swap(true, AcqRel);
            assert!(!was, "slot {index} handed out twice");
            // SAFETY: we own slot `index` until we push it back.
            self.data[index as usize].with_mut(|p| unsafe { *p += 1 });
            Some(index)
        }
        fn push(&self, index: u32) {
            self.owned[index as usize].store(false, Release);
            self.stack.push(index, |i| &self.next[i as usize]);
        }
    }
    // SAFETY: `data[i]` is written only by the thread that popped `i`.
    unsafe impl Sync for List {}
    loom::model(move || {
        let list = Arc::new(List {
            stack: new_stack(),
            next: [AtomicU32::new(1), AtomicU32::new(NONE)],
            data: [UnsafeCell::new(0), UnsafeCell::new(0)],
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

/// The waiting side of an [`EventCount`]: prepare, re-check, wait.
fn wait_until_set(events: &EventCount, flag: &AtomicBool) {
    loop {
        if flag.load(Acquire) {
            return;
        }
        let key = events.prepare_wait();
        if flag.load(Acquire) {
            key.cancel();
            return;
        }
        key.wait();
    }
}

/// A waiter and a notifier race: in every interleaving the waiter ends
/// (loom reports a deadlock if it could sleep through the notification).
/// `notify` sets the flag and notifies.
fn waiter_meets_notifier(notify: fn(&AtomicBool, &EventCount)) {
    loom::model(move || {
        let events = Arc::new(EventCount::new());
        let flag = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (events, flag) = (events.clone(), flag.clone());
            thread::spawn(move || notify(&flag, &events))
        };
        wait_until_set(&events, &flag);
        notifier.join().unwrap();
        assert!(!events.has_waiters());
    });
}

#[test]
fn event_count_never_loses_a_wake_up() {
    waiter_meets_notifier(|flag, events| {
        flag.store(true, Release);
        events.notify_all();
    });
}

/// The asymmetric pair while its mode changes: the waiter moves it to
/// `SeqCst` fences before waiting and a third thread tries to move it back
/// (which may only succeed while nobody is registered). Loom runs both
/// fences of the pair as `SeqCst` fences, so this checks the mode bits'
/// bookkeeping in the state word, not `membarrier`.
#[test]
fn event_count_mode_switches_never_lose_a_wake_up() {
    loom::model(|| {
        let events = Arc::new(EventCount::new_asymmetric());
        let flag = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (events, flag) = (events.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(true, Release);
                events.notify_one();
            })
        };
        let switcher = {
            let events = events.clone();
            thread::spawn(move || {
                let _ = events.use_asymmetric_fences();
            })
        };
        events.use_symmetric_fences();
        wait_until_set(&events, &flag);
        notifier.join().unwrap();
        switcher.join().unwrap();
        assert!(!events.has_waiters());
    });
}

/// Two waiters, one token each handed out with `notify_one`: both waiters
/// get theirs in every interleaving (a `notify_one` that woke nobody, or
/// woke a thread that registered after it, would leave one asleep).
#[test]
fn event_count_notify_one_wakes_every_token_taker() {
    loom::model(|| {
        let events = Arc::new(EventCount::new());
        let tokens = Arc::new(AtomicUsize::new(0));
        let taker = |events: Arc<EventCount>, tokens: Arc<AtomicUsize>| {
            move || {
                loop {
                    let take = || {
                        tokens
                            .fetch_update(AcqRel, Acquire, |t| t.checked_sub(1))
                            .is_ok()
                    };
                    if take() {
                        return;
                    }
                    let key = events.prepare_wait();
                    if take() {
                        key.cancel();
                        return;
                    }
                    key.wait();
                }
            }
        };
        let a = thread::spawn(taker(events.clone(), tokens.clone()));
        let b = thread::spawn(taker(events.clone(), tokens.clone()));
        for _ in 0..2 {
            tokens.fetch_add(1, Release);
            events.notify_one();
        }
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(tokens.load(Relaxed), 0);
    });
}

/// Under loom no thread owns a cell, so every update is a `fetch_add` on a
/// shared cell: two threads' additions all arrive.
#[test]
fn per_thread_counters_lose_no_addition() {
    loom::model(|| {
        let cells = Arc::new(PerThread::with_shards(2, ThreadCounter::new));
        let counter = Arc::new(ShardedCounter::with_shards(2));
        let other = {
            let (cells, counter) = (cells.clone(), counter.clone());
            thread::spawn(move || {
                let (cell, owner) = cells.current();
                assert!(!owner, "nobody owns a cell under loom");
                cell.add(2, owner);
                counter.add(2);
            })
        };
        let (cell, owner) = cells.current();
        cell.add(3, owner);
        counter.add(3);
        other.join().unwrap();
        assert_eq!(cells.iter().map(ThreadCounter::get).sum::<u64>(), 5);
        assert_eq!(counter.sum(), 5);
    });
}

/// The notification after a `SeqCst` condition write. Loom models SeqCst
/// accesses as AcqRel, which is too weak for the fence-free argument, so
/// under loom this path keeps its fence: the model checks the protocol
/// around it, and `tests/event_count.rs`'s `handoff_` test checks the
/// fence-free form under Miri's weak memory.
#[test]
fn event_count_after_seqcst_never_loses_a_wake_up() {
    waiter_meets_notifier(|flag, events| {
        flag.swap(true, loom::sync::atomic::Ordering::SeqCst);
        events.notify_one_after_seqcst();
    });
}

/// A waker that raises a loom flag.
struct FlagWaker(Arc<AtomicBool>);

impl std::task::Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Release);
    }
}

/// A task registers (`register_waker`), re-checks and returns pending
/// while a notifier sets the flag and notifies: in every interleaving the
/// task either saw the flag or had its waker called (a task left pending
/// and never woken is the lost wake-up), and nothing stays registered.
#[test]
fn event_count_task_registration_never_loses_a_wake_up() {
    use nanopath_atomic::{Registration, WakerSlot};
    for all in [false, true] {
        loom::model(move || {
            let events = Arc::new(EventCount::new());
            let flag = Arc::new(AtomicBool::new(false));
            let woken = Arc::new(AtomicBool::new(false));
            let notifier = {
                let (events, flag) = (events.clone(), flag.clone());
                thread::spawn(move || {
                    flag.store(true, Release);
                    if all {
                        events.notify_all();
                    } else {
                        events.notify_one();
                    }
                })
            };
            let waker = std::task::Waker::from(std::sync::Arc::new(FlagWaker(woken.clone())));
            let mut slot = WakerSlot::new();
            let ready = flag.load(Acquire) || {
                assert_eq!(events.register_waker(&mut slot, &waker), Registration::New);
                flag.load(Acquire)
            };
            notifier.join().unwrap();
            if ready {
                let _ = events.unregister_waker(&mut slot);
            } else {
                assert!(woken.load(Acquire), "pending and never woken");
                assert!(events.unregister_waker(&mut slot), "woken, so notified");
            }
            assert!(!events.has_waiters());
        });
    }
}
