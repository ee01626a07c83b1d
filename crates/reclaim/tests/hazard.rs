//! Hazard pointers: protection keeps objects alive, scans free exactly the
//! unprotected ones, the threshold bounds garbage, domains free everything.

use nanopath_reclaim::AtomicPtr;
use nanopath_reclaim::hazard::{DEFAULT_SCAN_THRESHOLD, Domain, HazardPointer};
use nanopath_testkit::Counted;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn boxed(value: u64, drops: &Arc<AtomicUsize>) -> *mut Counted {
    Box::into_raw(Box::new(Counted::new(value, drops)))
}

#[test]
fn protected_object_survives_scans_until_reset() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::with_scan_threshold(1);
    let shared = AtomicPtr::new(boxed(1, &drops));
    let mut hp = domain.hazard_pointer();
    // SAFETY: `shared` holds boxed Counted values retired to `domain`.
    let seen = unsafe { hp.protect(&shared) }.map(|c| c.value);
    assert_eq!(seen, Some(1));
    let old = shared.swap(boxed(2, &drops), Ordering::AcqRel);
    // SAFETY: unlinked by the swap, retired once.
    unsafe { domain.retire_box(old) };
    // Threshold 1: the retire itself scanned, and the object is protected.
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    assert_eq!(domain.unreclaimed(), 1);
    assert_eq!(domain.reclaim(), 0);
    // SAFETY: still protected by `hp`.
    assert_eq!(unsafe { (*old).value }, 1);
    hp.reset();
    assert_eq!(domain.reclaim(), 1);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(domain.unreclaimed(), 0);
    // SAFETY: teardown.
    drop(unsafe { Box::from_raw(shared.load(Ordering::Relaxed)) });
    assert_eq!(drops.load(Ordering::Relaxed), 2);
}

#[test]
fn protect_follows_a_changing_source() {
    let domain = Domain::new();
    let a = Box::into_raw(Box::new(1_u32));
    let b = Box::into_raw(Box::new(2_u32));
    let shared = AtomicPtr::new(a);
    let mut hp = domain.hazard_pointer();
    assert_eq!(hp.protect_ptr(&shared), a);
    shared.store(b, Ordering::Release);
    assert_eq!(hp.protect_ptr(&shared), b);
    // Re-protecting moved the protection: `a` is free to go.
    // SAFETY: `a` is unlinked and retired once.
    unsafe { domain.retire_box(a) };
    assert_eq!(domain.reclaim(), 1);
    shared.store(std::ptr::null_mut(), Ordering::Release);
    // SAFETY: `b` is unlinked by the store above and retired once; `hp`
    // still protects it.
    unsafe { domain.retire_box(b) };
    assert_eq!(domain.reclaim(), 0);
    drop(hp);
    assert_eq!(domain.reclaim(), 1);
    // A null source protects nothing.
    let mut hp = domain.hazard_pointer();
    // SAFETY: `shared` is null.
    assert!(unsafe { hp.protect(&shared) }.is_none());
}

#[test]
fn dropping_a_domain_frees_everything_retired_to_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    for i in 0..10 {
        // SAFETY: never shared, retired once.
        unsafe { domain.retire_box(boxed(i, &drops)) };
    }
    // Below the threshold: nothing freed yet.
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    assert_eq!(domain.unreclaimed(), 10);
    drop(domain);
    assert_eq!(drops.load(Ordering::Relaxed), 10);
}

#[test]
fn hazard_slots_are_reused() {
    let domain = Domain::new();
    for _ in 0..100 {
        let a = domain.hazard_pointer();
        let b = domain.hazard_pointer();
        drop((a, b));
    }
    assert_eq!(domain.hazard_slots(), 2);
    let global = Domain::global();
    let before = global.hazard_slots();
    for _ in 0..100 {
        drop(HazardPointer::new());
    }
    // The thread cache hands the same record back every time.
    assert!(global.hazard_slots() <= before + 1);
}

#[test]
fn threshold_bounds_unfreed_objects_with_a_stalled_reader() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::with_scan_threshold(16);
    let shared = AtomicPtr::new(boxed(0, &drops));
    // A reader protects the first object and never lets go.
    let mut stalled = domain.hazard_pointer();
    let held = stalled.protect_ptr(&shared);
    let n = nanopath_testkit::stress_iters(100_000) as u64;
    let mut max_unfreed = 0;
    for i in 1..=n {
        let old = shared.swap(boxed(i, &drops), Ordering::AcqRel);
        // SAFETY: unlinked by the swap, retired once.
        unsafe { domain.retire_box(old) };
        let unfreed = i as usize - drops.load(Ordering::Relaxed);
        max_unfreed = max_unfreed.max(unfreed);
    }
    // One slot (the stalled one), threshold max(16, 2 × 1): at most 16
    // waiting plus the protected one.
    assert!(max_unfreed <= 17, "{max_unfreed} unfreed");
    // SAFETY: still protected.
    assert_eq!(unsafe { (*held).value }, 0);
    drop(stalled);
    domain.reclaim();
    assert_eq!(drops.load(Ordering::Relaxed), n as usize);
    // SAFETY: teardown.
    drop(unsafe { Box::from_raw(shared.load(Ordering::Relaxed)) });
}

#[test]
fn global_domain_batches_per_thread_and_hands_over_at_exit() {
    let drops = Arc::new(AtomicUsize::new(0));
    let n = DEFAULT_SCAN_THRESHOLD as u64 * 3 + 5;
    let d = Arc::clone(&drops);
    // `join` (unlike a scope) returns after the thread's TLS destructors ran.
    std::thread::spawn(move || {
        for i in 0..n {
            // SAFETY: never shared, retired once.
            unsafe { Domain::global().retire_box(boxed(i, &d)) };
        }
        // Scans ran at the threshold; at most one threshold's worth waits.
        let threshold = DEFAULT_SCAN_THRESHOLD.max(2 * Domain::global().hazard_slots());
        assert!(d.load(Ordering::Relaxed) as u64 >= n - threshold as u64);
    })
    .join()
    .unwrap();
    // The exited thread handed its batch to the domain's shared list; a
    // scan from here frees it (other tests' objects may be freed too).
    Domain::global().reclaim();
    assert_eq!(drops.load(Ordering::Relaxed), n as usize);
}

#[test]
fn fence_mode_is_decided_once() {
    let first = nanopath_reclaim::fence::is_asymmetric();
    assert_eq!(nanopath_reclaim::fence::is_asymmetric(), first);
    if cfg!(miri) || !cfg!(target_os = "linux") {
        assert!(!first);
    }
}

#[test]
fn readers_and_a_reclaimer_race() {
    // Readers protect and read objects while a writer swaps and retires
    // them; each object holds its own value, so a freed object read by a
    // reader shows up under Miri (use after free) or as a wrong value.
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::with_scan_threshold(4);
    let shared = AtomicPtr::new(boxed(0, &drops));
    let n = nanopath_testkit::stress_iters(200_000) as u64;
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut hp = domain.hazard_pointer();
            let mut last = 0;
            while !done.load(Ordering::Acquire) {
                // SAFETY: `shared` holds boxed values retired to `domain`.
                let v = unsafe { hp.protect(&shared) }.expect("never null").value;
                assert!(v >= last, "values only grow: {v} after {last}");
                last = v;
            }
        });
        for i in 1..=n {
            let old = shared.swap(boxed(i, &drops), Ordering::AcqRel);
            // SAFETY: unlinked, retired once.
            unsafe { domain.retire_box(old) };
        }
        done.store(true, Ordering::Release);
    });
    domain.reclaim();
    assert_eq!(drops.load(Ordering::Relaxed), n as usize);
    // SAFETY: teardown.
    drop(unsafe { Box::from_raw(shared.load(Ordering::Relaxed)) });
}
