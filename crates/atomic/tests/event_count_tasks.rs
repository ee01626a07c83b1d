//! `EventCount`'s task registrations (`register_waker`): a sequential model
//! of registrations, notifications and wakers checked by proptest, wakers
//! that run code when dropped (never under the eventcount's lock), and a
//! thread hand-off between a polled task and a notifier.

#![cfg(all(feature = "std", not(nanopath_loom)))]

use nanopath_atomic::{EventCount, Registration, WakerSlot};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Counting>, Waker) {
    let c = Arc::new(Counting::default());
    (c.clone(), Waker::from(c))
}

#[derive(Debug, Clone)]
enum Op {
    /// Register slot `.0` with its waker number `.1` (of two).
    Register(usize, bool),
    Unregister(usize),
    NotifyOne,
    NotifyAll,
}

const SLOTS: usize = 4;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..SLOTS, any::<bool>()).prop_map(|(i, w)| Op::Register(i, w)),
        (0..SLOTS).prop_map(Op::Unregister),
        Just(Op::NotifyOne),
        Just(Op::NotifyAll),
    ]
}

/// The naive model of one slot.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
    Empty,
    /// Registered at this sequence number, with this waker.
    Waiting(u64, bool),
    /// A notification took it.
    Notified,
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Every result (`New`/`Kept`, notified or not, who is woken and with
    /// which waker, whether anyone is registered) agrees with the model:
    /// `notify_one` takes the oldest registration, `notify_all` all of
    /// them, a registration still waiting keeps its place and takes the
    /// newer waker.
    #[test]
    fn task_registrations_match_model(ops in proptest::collection::vec(op(), 0..64)) {
        let events = EventCount::new();
        let wakers: Vec<[(Arc<Counting>, Waker); 2]> =
            (0..SLOTS).map(|_| [counting(), counting()]).collect();
        let mut slots: Vec<WakerSlot> = (0..SLOTS).map(|_| WakerSlot::new()).collect();
        let mut model = [Model::Empty; SLOTS];
        let mut woken = [[0usize; 2]; SLOTS];
        let mut seq = 0;
        for op in ops {
            match op {
                Op::Register(i, w) => {
                    let got = events.register_waker(&mut slots[i], &wakers[i][usize::from(w)].1);
                    match model[i] {
                        Model::Waiting(s, _) => {
                            prop_assert_eq!(got, Registration::Kept);
                            model[i] = Model::Waiting(s, w);
                        }
                        _ => {
                            prop_assert_eq!(got, Registration::New);
                            seq += 1;
                            model[i] = Model::Waiting(seq, w);
                        }
                    }
                }
                Op::Unregister(i) => {
                    let notified = events.unregister_waker(&mut slots[i]);
                    prop_assert_eq!(notified, model[i] == Model::Notified);
                    model[i] = Model::Empty;
                }
                Op::NotifyOne => {
                    events.notify_one();
                    let oldest = (0..SLOTS)
                        .filter_map(|i| match model[i] {
                            Model::Waiting(s, w) => Some((s, i, w)),
                            _ => None,
                        })
                        .min();
                    if let Some((_, i, w)) = oldest {
                        model[i] = Model::Notified;
                        woken[i][usize::from(w)] += 1;
                    }
                }
                Op::NotifyAll => {
                    events.notify_all();
                    for i in 0..SLOTS {
                        if let Model::Waiting(_, w) = model[i] {
                            model[i] = Model::Notified;
                            woken[i][usize::from(w)] += 1;
                        }
                    }
                }
            }
            let waiting = model.iter().any(|m| matches!(m, Model::Waiting(..)));
            prop_assert_eq!(events.has_waiters(), waiting);
            for i in 0..SLOTS {
                prop_assert_eq!(slots[i].is_registered(), model[i] != Model::Empty);
                for w in 0..2 {
                    prop_assert_eq!(wakers[i][w].0.0.load(Ordering::SeqCst), woken[i][w]);
                }
            }
        }
    }
}

/// Registering and withdrawing over and over (a `select!` loop re-making
/// its future) keeps working, and a registration made after all that is
/// still found and woken.
#[test]
fn many_cancelled_registrations_leave_the_list_usable() {
    let events = EventCount::new();
    let (count, waker) = counting();
    let mut keep = WakerSlot::new();
    assert_eq!(events.register_waker(&mut keep, &waker), Registration::New);
    for _ in 0..if cfg!(miri) { 200 } else { 100_000 } {
        let mut slot = WakerSlot::new();
        assert_eq!(events.register_waker(&mut slot, &waker), Registration::New);
        assert!(!events.unregister_waker(&mut slot));
    }
    let mut last = WakerSlot::new();
    let (last_count, last_waker) = counting();
    let _ = events.register_waker(&mut last, &last_waker);
    events.notify_one();
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "the oldest goes first");
    events.notify_one();
    assert_eq!(last_count.0.load(Ordering::SeqCst), 1);
    assert!(!events.has_waiters());
    assert!(events.unregister_waker(&mut keep));
    assert!(events.unregister_waker(&mut last));
}

/// A notified task that gives up passes the notification on: the next
/// registered task is woken, none is lost.
#[test]
fn a_dropped_waiter_passes_its_notification_on() {
    let events = EventCount::new();
    let (a_count, a) = counting();
    let (b_count, b) = counting();
    let (mut sa, mut sb) = (WakerSlot::new(), WakerSlot::new());
    let _ = events.register_waker(&mut sa, &a);
    let _ = events.register_waker(&mut sb, &b);
    events.notify_one();
    assert_eq!(a_count.0.load(Ordering::SeqCst), 1);
    assert_eq!(b_count.0.load(Ordering::SeqCst), 0);
    // Task a is dropped without acting on its notification.
    if events.unregister_waker(&mut sa) {
        events.notify_one();
    }
    assert_eq!(b_count.0.load(Ordering::SeqCst), 1);
    assert!(!events.has_waiters());
}

/// A waker whose drop registers with the same eventcount (as the drop of
/// a task whose future unregisters would): it is never dropped under the
/// eventcount's lock, which would deadlock.
struct ReentrantDrop {
    events: Arc<EventCount>,
    dropped: Arc<AtomicBool>,
}

impl Wake for ReentrantDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for ReentrantDrop {
    fn drop(&mut self) {
        let mut slot = WakerSlot::new();
        let _ = self.events.register_waker(&mut slot, Waker::noop());
        let _ = self.events.unregister_waker(&mut slot);
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn wakers_are_dropped_outside_the_lock() {
    let events = Arc::new(EventCount::new());
    let reentrant = |dropped: &Arc<AtomicBool>| {
        Waker::from(Arc::new(ReentrantDrop {
            events: events.clone(),
            dropped: dropped.clone(),
        }))
    };
    // Woken (and so dropped) by a notification, one and all.
    for all in [false, true] {
        let dropped = Arc::new(AtomicBool::new(false));
        let mut slot = WakerSlot::new();
        let _ = events.register_waker(&mut slot, &reentrant(&dropped));
        if all {
            events.notify_all();
        } else {
            events.notify_one();
        }
        assert!(dropped.load(Ordering::SeqCst));
        assert!(events.unregister_waker(&mut slot));
    }
    // Replaced by another waker, and withdrawn.
    let dropped = Arc::new(AtomicBool::new(false));
    let mut slot = WakerSlot::new();
    let _ = events.register_waker(&mut slot, &reentrant(&dropped));
    assert_eq!(
        events.register_waker(&mut slot, Waker::noop()),
        Registration::Kept
    );
    assert!(dropped.load(Ordering::SeqCst));
    let dropped = Arc::new(AtomicBool::new(false));
    assert_eq!(
        events.register_waker(&mut slot, &reentrant(&dropped)),
        Registration::Kept
    );
    assert!(!events.unregister_waker(&mut slot));
    assert!(dropped.load(Ordering::SeqCst));
    // More than one batch of `notify_all`.
    let flags: Vec<_> = (0..20).map(|_| Arc::new(AtomicBool::new(false))).collect();
    let mut slots: Vec<_> = flags
        .iter()
        .map(|f| {
            let mut s = WakerSlot::new();
            let _ = events.register_waker(&mut s, &reentrant(f));
            s
        })
        .collect();
    events.notify_all();
    assert!(flags.iter().all(|f| f.load(Ordering::SeqCst)));
    assert!(slots.iter_mut().all(|s| events.unregister_waker(s)));
    assert!(!events.has_waiters());
}

/// A waker that unparks the thread polling the task.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls "the counter reached `target`" as a task would, parking the
/// thread between polls; `false` if it had to give up (a lost wake-up).
fn poll_until(events: &EventCount, counter: &AtomicUsize, target: usize) -> bool {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut slot = WakerSlot::new();
    let mut poll = |_cx: &mut Context<'_>| loop {
        if counter.load(Ordering::Acquire) >= target {
            let _ = events.unregister_waker(&mut slot);
            return Poll::Ready(());
        }
        if events.register_waker(&mut slot, _cx.waker()) == Registration::Kept
            || counter.load(Ordering::Acquire) < target
        {
            return Poll::Pending;
        }
    };
    let give_up = Instant::now() + Duration::from_secs(30);
    while poll(&mut cx).is_pending() {
        if Instant::now() >= give_up {
            return false;
        }
        std::thread::park_timeout(Duration::from_secs(1));
    }
    true
}

/// Two threads take turns through two eventcounts, each waiting as a task
/// for the other's step: every step's wake-up arrives.
#[test]
fn handoff_task_and_thread_take_turns() {
    let rounds = if cfg!(miri) { 20 } else { 2_000 };
    let counter = AtomicUsize::new(0);
    let (even, odd) = (EventCount::new(), EventCount::new());
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..rounds {
                assert!(poll_until(&odd, &counter, 2 * i + 1), "lost wake-up");
                counter.fetch_add(1, Ordering::Release);
                even.notify_one();
            }
        });
        for i in 0..rounds {
            counter.fetch_add(1, Ordering::Release);
            odd.notify_one();
            assert!(poll_until(&even, &counter, 2 * i + 2), "lost wake-up");
        }
    });
    assert_eq!(counter.load(Ordering::Relaxed), 2 * rounds);
}

/// Both kinds on one eventcount: a sleeping thread and a registered task
/// are both woken by `notify_all`.
#[test]
fn threads_and_tasks_wait_together() {
    let events = EventCount::new();
    let flag = AtomicBool::new(false);
    let (count, waker) = counting();
    let mut slot = WakerSlot::new();
    let _ = events.register_waker(&mut slot, &waker);
    std::thread::scope(|s| {
        let sleeper = s.spawn(|| {
            while !flag.load(Ordering::Acquire) {
                let key = events.prepare_wait();
                if flag.load(Ordering::Acquire) {
                    break;
                }
                key.wait();
            }
        });
        flag.store(true, Ordering::Release);
        events.notify_all();
        sleeper.join().unwrap();
    });
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert!(events.unregister_waker(&mut slot));
}
