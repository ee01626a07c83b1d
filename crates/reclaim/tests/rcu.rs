//! RcuCell on both schemes: reads, writes, exact drops, concurrent
//! consistency, and the garbage bound with a stalled reader.

use nanopath_reclaim::{Epoch, Hazard, RcuCell, Reclaim};
use nanopath_testkit::{Counted, stress_iters};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The epoch tests below share crossbeam's global collector: one pins it
/// on purpose for a long time (the stalled reader) and one keeps readers
/// pinned on two threads, which would stop or delay the exact-drop test's
/// frees. They take this lock so the harness cannot run them side by side.
static GLOBAL_EPOCH: Mutex<()> = Mutex::new(());

fn global_epoch_alone() -> MutexGuard<'static, ()> {
    GLOBAL_EPOCH
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read_write_roundtrip<R: Reclaim + Clone>(reclaim: R, flush: fn()) {
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let cell = RcuCell::from_arc_with(Arc::new(Counted::new(1, &drops)), reclaim);
        assert_eq!(cell.read().value, 1);
        let guard = cell.read();
        cell.store(Counted::new(2, &drops));
        // The old value stays readable through the guard taken before.
        assert_eq!(guard.value, 1);
        drop(guard);
        assert_eq!(cell.read().value, 2);
        let old = cell.swap(Counted::new(3, &drops));
        assert_eq!(old.value, 2);
        let arc = cell.load_arc();
        assert_eq!(arc.value, 3);
        let prev = cell.update(|c| Counted::new(c.value * 10, &drops));
        assert_eq!(prev.value, 3);
        assert_eq!(cell.read().value, 30);
        assert_eq!(arc.value, 3, "a loaded Arc keeps its value");
        drop((old, arc, prev));
    }
    // Four values were created; the last died with the cell, the others
    // once every guard, Arc and retirement released them.
    let expected = 4;
    // Flush until everything is freed, or a deadline: the epoch can only
    // advance once every pinned thread has moved on, and on a loaded
    // 2-vCPU machine a preempted pinned thread (another test's, or the
    // harness's) can hold it back for a while. A real leak still fails.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while drops.load(Ordering::Relaxed) != expected && std::time::Instant::now() < deadline {
        flush();
        std::thread::yield_now();
    }
    assert_eq!(drops.load(Ordering::Relaxed), expected);
}

/// Epoch garbage is freed when the global epoch advances; pin and flush
/// until it has (bounded, so a bug fails the test instead of hanging).
fn flush_epochs() {
    for _ in 0..1000 {
        Epoch.guard().as_crossbeam().flush();
    }
}

#[test]
fn hazard_cell_roundtrip_and_exact_drops() {
    read_write_roundtrip(Hazard::local(1), || {});
}

#[test]
fn epoch_cell_roundtrip_and_exact_drops() {
    let _alone = global_epoch_alone();
    read_write_roundtrip(Epoch, flush_epochs);
}

#[test]
fn default_cell_uses_the_global_hazard_domain() {
    let cell: RcuCell<String> = RcuCell::new("a".into());
    cell.store("b".into());
    assert_eq!(&*cell.read(), "b");
    assert_eq!(format!("{cell:?}"), "RcuCell { value: \"b\", .. }");
}

/// Readers always see a consistent pair (both halves written together)
/// while a writer updates; values only move forward.
fn concurrent_readers_see_whole_values<R: Reclaim + 'static>(cell: RcuCell<(u64, u64), R>) {
    let writes = stress_iters(200_000) as u64;
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut last = 0;
                while !done.load(Ordering::Acquire) {
                    let v = cell.read();
                    assert_eq!(v.1, v.0 * 2, "torn value");
                    assert!(v.0 >= last);
                    last = v.0;
                    let a = cell.load_arc();
                    assert_eq!(a.1, a.0 * 2);
                }
            });
        }
        for i in 1..=writes {
            if i % 2 == 0 {
                cell.store((i, i * 2));
            } else {
                cell.update(|&(a, _)| (a + 1, (a + 1) * 2));
            }
        }
        done.store(true, Ordering::Release);
    });
    assert_eq!(cell.read().0, writes);
}

#[test]
fn concurrent_hazard_cell() {
    concurrent_readers_see_whole_values(RcuCell::<_, Hazard>::new((0, 0)));
}

#[test]
fn concurrent_epoch_cell() {
    // Its pinned readers would slow the other epoch tests' frees.
    let _alone = global_epoch_alone();
    concurrent_readers_see_whole_values(RcuCell::with_reclaim((0, 0), Epoch));
}

/// One reader holds a guard forever while a writer replaces the value n
/// times. Returns the most values ever alive (created − dropped).
fn max_unfreed_with_stalled_reader<R: Reclaim + Clone + 'static>(reclaim: R, n: u64) -> usize {
    let drops = Arc::new(AtomicUsize::new(0));
    let cell = RcuCell::from_arc_with(Arc::new(Counted::new(0, &drops)), reclaim);
    let stalled = cell.read();
    let mut max_alive = 0;
    for i in 1..=n {
        cell.store(Counted::new(i, &drops));
        let alive = (i + 1) as usize - drops.load(Ordering::Relaxed);
        max_alive = max_alive.max(alive);
    }
    assert_eq!(stalled.value, 0, "the stalled reader's value is intact");
    drop(stalled);
    max_alive
}

#[test]
fn stalled_reader_bounds_hazard_garbage() {
    let n = stress_iters(1_000_000) as u64;
    // One protected value plus at most one threshold (64 here; this domain
    // has one slot) waiting, plus the current value.
    let hazard = max_unfreed_with_stalled_reader(Hazard::local(64), n);
    assert!(
        hazard <= 64 + 2,
        "hazard pointers kept {hazard} values alive"
    );
}

#[test]
fn stalled_reader_grows_epoch_garbage() {
    let _alone = global_epoch_alone();
    let n = stress_iters(1_000_000) as u64;
    // The pinned reader stops the epoch, so nothing retired after the pin
    // can be freed: every value is still alive at the end. This is the
    // trade-off against hazard pointers, documented in the README.
    let epoch = max_unfreed_with_stalled_reader(Epoch, n);
    assert!(
        epoch as u64 >= n,
        "epochs kept only {epoch} of {n} values alive"
    );
}

/// `compare_and_swap` as a lock-free counter: threads load, build the next
/// value and swap it in only over the value they saw. Every success is one
/// increment, none is lost, refused values come back, and every value ever
/// stored is dropped exactly once with the cell.
#[test]
fn handoff_compare_and_swap_loses_no_update() {
    let per_thread = if cfg!(miri) { 5 } else { 2_000 };
    let drops = Arc::new(AtomicUsize::new(0));
    let made = AtomicUsize::new(1);
    // A domain of its own: dropped with the cell, it frees what it holds.
    let cell = RcuCell::with_reclaim(Counted::new(0, &drops), Hazard::local(2));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut done = 0;
                while done < per_thread {
                    let seen = cell.load_arc();
                    made.fetch_add(1, Ordering::Relaxed);
                    let next = Arc::new(Counted::new(seen.value + 1, &drops));
                    match cell.compare_and_swap(&seen, next) {
                        Ok(old) => {
                            assert!(Arc::ptr_eq(&old, &seen));
                            done += 1;
                        }
                        Err(back) => assert_eq!(back.value, seen.value + 1),
                    }
                }
            });
        }
    });
    assert_eq!(cell.read().value, 2 * per_thread as u64);
    drop(cell);
    assert_eq!(drops.load(Ordering::SeqCst), made.load(Ordering::Relaxed));
}
