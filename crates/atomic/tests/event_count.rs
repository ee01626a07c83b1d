//! `EventCount`: a single-threaded model of registrations and epochs checked
//! by proptest, and hand-offs between threads where a lost wake-up would
//! show as a wait that ends by its deadline with the condition still false
//! (stress natively, weak memory with many seeds under Miri).

#![cfg(all(feature = "std", not(nanopath_loom)))]

use nanopath_atomic::EventCount;
use proptest::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Long enough that only a lost wake-up reaches it.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
enum Op {
    Prepare,
    Cancel(usize),
    /// A wait whose deadline has passed: returns at once, telling whether a
    /// notification came since the key's `prepare_wait`.
    Poll(usize),
    NotifyOne,
    NotifyAll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Prepare),
        any::<usize>().prop_map(Op::Cancel),
        any::<usize>().prop_map(Op::Poll),
        Just(Op::NotifyOne),
        Just(Op::NotifyAll),
    ]
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Registrations and notifications agree with a naive model: a key is
    /// "notified" iff some notification came after its registration.
    #[test]
    fn registrations_and_notifications_match_model(ops in proptest::collection::vec(op(), 0..48)) {
        let events = EventCount::new();
        // Model: for each open key, whether a notification came since.
        let mut keys = Vec::new();
        let mut model: Vec<bool> = Vec::new();
        for op in ops {
            match op {
                Op::Prepare => {
                    keys.push(events.prepare_wait());
                    model.push(false);
                }
                Op::Cancel(i) if !keys.is_empty() => {
                    let i = i % keys.len();
                    keys.swap_remove(i).cancel();
                    model.swap_remove(i);
                }
                Op::Poll(i) if !keys.is_empty() => {
                    let i = i % keys.len();
                    let notified = keys.swap_remove(i).wait_until(Some(Instant::now()));
                    prop_assert_eq!(notified, model.swap_remove(i));
                }
                Op::NotifyOne => {
                    events.notify_one();
                    model.iter_mut().for_each(|m| *m = true);
                }
                Op::NotifyAll => {
                    events.notify_all();
                    model.iter_mut().for_each(|m| *m = true);
                }
                Op::Cancel(_) | Op::Poll(_) => {}
            }
            prop_assert_eq!(events.has_waiters(), !keys.is_empty());
        }
    }
}

#[test]
fn a_wait_after_a_notification_returns_at_once_and_a_past_deadline_times_out() {
    let events = EventCount::default();
    assert!(!events.has_waiters());
    // Nobody waits: notifications are no-ops.
    events.notify_one();
    events.notify_all();
    let key = events.prepare_wait();
    assert!(events.has_waiters());
    assert!(!key.wait_until(Some(Instant::now())), "not notified");
    assert!(!events.has_waiters());
    let key = events.prepare_wait();
    events.notify_one();
    // Notified since `prepare_wait`: returns at once, even without deadline.
    key.wait();
    let key = events.prepare_wait();
    events.notify_all();
    assert!(key.wait_until(None));
    // A deadline far in the future, already notified.
    let key = events.prepare_wait();
    events.notify_all();
    assert!(key.wait_until(Instant::now().checked_add(Duration::from_secs(1 << 40))));
    assert!(!events.has_waiters());
    assert!(format!("{events:?}").contains("waiters: 0"));
}

/// A key unregisters when dropped, also when the re-check panics, and an
/// eventcount can be a `static`.
#[test]
fn panicking_recheck_drops_the_key_and_unregisters() {
    static EVENTS: EventCount = EventCount::new();
    let key = EVENTS.prepare_wait();
    assert!(EVENTS.has_waiters());
    drop(key);
    assert!(!EVENTS.has_waiters());
    let unwound = std::panic::catch_unwind(|| {
        let _key = EVENTS.prepare_wait();
        panic!("the re-check panicked");
    });
    assert!(unwound.is_err());
    assert!(!EVENTS.has_waiters(), "the unwound key unregistered");
    // Later waiters still get their notifications.
    let key = EVENTS.prepare_wait();
    EVENTS.notify_one();
    assert!(key.wait_until(Some(Instant::now())));
}

/// Waits with the prepare / re-check / wait protocol until `ready` holds;
/// `false` if a wait ran out of patience while `ready` was still false (a
/// lost wake-up).
fn wait_for(events: &EventCount, ready: impl Fn() -> bool) -> bool {
    loop {
        if ready() {
            return true;
        }
        let key = events.prepare_wait();
        if ready() {
            key.cancel();
            return true;
        }
        let deadline = Instant::now() + PATIENCE;
        if !key.wait_until(Some(deadline)) && !ready() {
            return false;
        }
    }
}

/// Two threads take turns: each waits for its turn and hands the turn over
/// with `hand_over(turn, next)`, which must write `next` and notify. A lost
/// wake-up stalls the exchange.
fn ping_pong(hand_over: impl Fn(&AtomicUsize, &EventCount, usize) + Sync) {
    ping_pong_on(EventCount::new(), |_, _| {}, hand_over);
}

/// [`ping_pong`] on `events`, calling `before_wait(events, turn)` before
/// each wait.
fn ping_pong_on(
    events: EventCount,
    before_wait: impl Fn(&EventCount, usize) + Sync,
    hand_over: impl Fn(&AtomicUsize, &EventCount, usize) + Sync,
) {
    let turn = AtomicUsize::new(0);
    let rounds = nanopath_testkit::stress_iters(20_000);
    std::thread::scope(|s| {
        for me in 0..2 {
            let (turn, events, hand_over, before_wait) = (&turn, &events, &hand_over, &before_wait);
            s.spawn(move || {
                for round in 0..rounds {
                    let mine = 2 * round + me;
                    before_wait(events, mine);
                    assert!(
                        wait_for(events, || turn.load(Ordering::Acquire) == mine),
                        "lost wake-up at turn {mine}"
                    );
                    hand_over(turn, events, mine + 1);
                }
            });
        }
    });
    assert_eq!(turn.load(Ordering::Relaxed), 2 * rounds);
}

#[test]
fn handoff_ping_pong_never_loses_a_wake_up() {
    ping_pong(|turn, events, next| {
        turn.store(next, Ordering::Release);
        events.notify_all();
    });
}

/// The fence-free notification after a `SeqCst` condition write (a swap).
#[test]
fn handoff_after_seqcst_ping_pong_never_loses_a_wake_up() {
    ping_pong(|turn, events, next| {
        turn.swap(next, Ordering::SeqCst);
        events.notify_one_after_seqcst();
    });
}

/// The asymmetric pair, switched to `SeqCst` fences and back while both
/// threads wait on it and notify through it: every mode a waiter or a
/// notifier can read (natively, `membarrier`'s light side included).
#[test]
fn handoff_ping_pong_across_fence_mode_switches() {
    ping_pong_on(
        EventCount::new_asymmetric(),
        |events, turn| match turn % 7 {
            0 | 3 => events.use_symmetric_fences(),
            1 | 5 => {
                // Fails while the other thread is registered: then the
                // mode stays as it was.
                let _ = events.use_asymmetric_fences();
            }
            _ => {}
        },
        |turn, events, next| {
            turn.store(next, Ordering::Release);
            events.notify_one();
        },
    );
}

/// The fence modes: an asymmetric eventcount switches to `SeqCst` fences at
/// any time and back only while nobody is registered; a symmetric one never
/// switches. The mode bits never count as waiters.
#[test]
fn fence_mode_switches_follow_registrations() {
    let events = EventCount::new_asymmetric();
    assert!(events.is_asymmetric());
    let key = events.prepare_wait();
    events.use_symmetric_fences();
    assert!(!events.is_asymmetric());
    assert!(events.has_waiters());
    assert!(!events.use_asymmetric_fences(), "a waiter is registered");
    events.notify_all();
    assert!(
        key.wait_until(Some(Instant::now())),
        "notified across the switch"
    );
    assert!(!events.has_waiters());
    assert!(events.use_asymmetric_fences());
    assert!(events.use_asymmetric_fences(), "already asymmetric");
    assert!(events.is_asymmetric());
    let key = events.prepare_wait();
    events.notify_one();
    assert!(key.wait_until(Some(Instant::now())));
    events.use_symmetric_fences();
    events.use_symmetric_fences();
    assert!(!events.is_asymmetric() && !events.has_waiters());
    assert!(format!("{events:?}").contains("asymmetric: false"));

    let symmetric = EventCount::new();
    symmetric.use_symmetric_fences();
    assert!(!symmetric.use_asymmetric_fences());
    assert!(!symmetric.is_asymmetric() && !symmetric.has_waiters());
}

/// Several waiters take tokens one producer hands out one at a time with
/// `notify_one`: every token is taken and no waiter sleeps through one.
#[test]
fn handoff_notify_one_wakes_a_waiter_for_every_token() {
    let tokens = AtomicUsize::new(0);
    let taken = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let events = EventCount::new();
    let total = nanopath_testkit::stress_iters(20_000);
    let take = || {
        tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1))
            .is_ok()
    };
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let ok = wait_for(&events, || {
                        tokens.load(Ordering::Acquire) > 0 || done.load(Ordering::Acquire)
                    });
                    assert!(ok, "a waiter slept through a token");
                    if take() {
                        taken.fetch_add(1, Ordering::Relaxed);
                    } else if done.load(Ordering::Acquire) && tokens.load(Ordering::Acquire) == 0 {
                        return;
                    }
                }
            });
        }
        for _ in 0..total {
            tokens.fetch_add(1, Ordering::Release);
            events.notify_one();
            // Keep at most a few tokens outstanding so waiters really park.
            while tokens.load(Ordering::Acquire) > 2 {
                std::thread::yield_now();
            }
        }
        done.store(true, Ordering::Release);
        events.notify_all();
    });
    assert_eq!(taken.load(Ordering::Relaxed), total);
}
