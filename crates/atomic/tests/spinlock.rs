//! SpinLock behaviour: mutual exclusion under contention, try_lock semantics,
//! correct auto traits, and a proptest against a plain `Vec`.

#![cfg(not(nanopath_loom))]

use nanopath_atomic::{SpinLock, SpinLockGuard};
use proptest::prelude::*;
use std::cell::Cell;

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn auto_traits_follow_mutex() {
    assert_send_sync::<SpinLock<Vec<u8>>>();
    // `Cell` is Send but not Sync: the lock makes it shareable, like Mutex.
    assert_send_sync::<SpinLock<Cell<u8>>>();
    assert_send::<SpinLockGuard<'static, Vec<u8>>>();
    // That `SpinLock<Rc<_>>` is not Sync is a `compile_fail` doctest on
    // `SpinLock`.
}

/// A holder that panics releases the lock (no poisoning) and keeps what it
/// wrote; a value whose `Drop` panics is dropped once by the lock's drop.
#[test]
fn panicking_holder_releases_the_lock() {
    let lock = SpinLock::new(vec![1]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut guard = lock.lock();
        guard.push(2);
        panic!("holder failed");
    }));
    assert!(result.is_err());
    assert!(!lock.is_locked());
    assert_eq!(*lock.try_lock().expect("released on unwind"), [1, 2]);

    let faults = nanopath_testkit::Faults::new();
    let lock = SpinLock::new(faults.item(0));
    faults.panic_on_drop(1);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(lock))).is_err());
    faults.assert_all_dropped_once(1);
}

#[test]
fn try_lock_fails_while_held_and_succeeds_after() {
    let lock = SpinLock::new(1);
    let mut guard = lock.try_lock().expect("unlocked");
    *guard += 1;
    assert!(lock.try_lock().is_none());
    assert!(lock.is_locked());
    assert_eq!(format!("{lock:?}"), "SpinLock { value: <locked> }");
    drop(guard);
    assert_eq!(*lock.try_lock().expect("released"), 2);
    assert_eq!(format!("{lock:?}"), "SpinLock { value: 2 }");
}

#[test]
fn contended_increments_are_never_lost() {
    // The counter is a plain (non-atomic) u64 behind the lock: a lost update
    // would show as a short total, and a torn pair as unequal halves.
    let threads = 4;
    let per_thread = nanopath_testkit::stress_iters(200_000);
    let lock = SpinLock::new((0u64, 0u64));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    let mut g = lock.lock();
                    assert_eq!(g.0, g.1, "two holders at once");
                    g.0 += 1;
                    std::hint::spin_loop();
                    g.1 += 1;
                }
            });
        }
    });
    let (a, b) = lock.into_inner();
    assert_eq!(a, (threads * per_thread) as u64);
    assert_eq!(a, b);
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Push/pop/clear through guards behaves like the bare Vec.
    #[test]
    fn behaves_like_the_protected_value(ops in proptest::collection::vec(0u8..3, 0..64)) {
        let lock = SpinLock::new(Vec::new());
        let mut model = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                0 => { lock.lock().push(i); model.push(i); }
                1 => { prop_assert_eq!(lock.lock().pop(), model.pop()); }
                _ => { let mut g = lock.try_lock().expect("uncontended"); g.clear(); model.clear(); }
            }
            prop_assert!(!lock.is_locked());
        }
        prop_assert_eq!(lock.into_inner(), model);
    }
}
