//! User destructors that panic, through every path of this crate that
//! drops user values: the structures' drops, hazard scans (a retirement's
//! destructor runs inside `retire`, `reclaim` or a store) and a domain's
//! drop. Every value must be dropped exactly once, never twice, and the
//! structure or domain must stay usable after the panic.

use nanopath_reclaim::hazard::Domain;
use nanopath_reclaim::{Epoch, Hazard, MsQueue, RcuCell, Reclaim, TreiberStack};
use nanopath_testkit::{Faults, Faulty};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

const N: u32 = 10;

fn stack_drop<R: Reclaim + Clone>(reclaim: R) {
    for k in 1..=N as usize {
        let faults = Faults::new();
        let stack = TreiberStack::with_reclaim(reclaim.clone());
        for id in 0..N {
            stack.push(faults.item(id));
        }
        faults.panic_on_drop(k);
        assert!(catch_unwind(AssertUnwindSafe(move || drop(stack))).is_err());
        faults.assert_all_dropped_once(N);
    }
}

fn queue_drop<R: Reclaim + Clone>(reclaim: R) {
    for k in 1..=N as usize {
        let faults = Faults::new();
        let queue = MsQueue::with_reclaim(reclaim.clone());
        for id in 0..N {
            queue.enqueue(faults.item(id));
        }
        // One value out, so the dummy is a former value node too.
        drop(queue.dequeue());
        faults.panic_on_drop(k);
        let result = catch_unwind(AssertUnwindSafe(move || drop(queue)));
        // The first value was dropped before the fault was armed; the k-th
        // of the nine left panics, if there is one.
        assert_eq!(result.is_err(), k < N as usize);
        faults.assert_all_dropped_once(N);
    }
}

#[test]
fn panicking_drop_treiber_stack_hazard() {
    stack_drop(Hazard::local(1));
}

#[test]
fn panicking_drop_treiber_stack_epoch() {
    stack_drop(Epoch);
}

#[test]
fn panicking_drop_ms_queue_hazard() {
    queue_drop(Hazard::local(1));
}

#[test]
fn panicking_drop_ms_queue_epoch() {
    queue_drop(Epoch);
}

/// A retired value whose destructor panics inside the scan of a local
/// domain: the panic reaches the caller that triggered the scan, the other
/// retirements of that scan are still freed (later), and a value a reader
/// still protected during the scan is freed once the reader is gone.
#[test]
fn panicking_drop_in_hazard_scan() {
    let faults = Faults::new();
    let hazard = Hazard::local(4);
    {
        let cell = RcuCell::from_arc_with(Arc::new(faults.item(0)), hazard.clone());
        let reader = cell.read();
        assert_eq!(reader.id, 0);
        // Stores 1..=3 retire 0..=2 (0 stays protected by `reader`); the
        // fourth retirement triggers a scan that frees 1, 2, 3 - the second
        // of those drops panics out of `store`.
        for id in 1..=3 {
            cell.store(faults.item(id));
        }
        faults.panic_on_drop(2);
        let stored = catch_unwind(AssertUnwindSafe(|| cell.store(faults.item(4))));
        assert!(stored.is_err(), "the destructor's panic reaches the caller");
        // Nothing dropped twice; the protected value is still alive; the
        // count of unreclaimed objects is exact: the four retired (0..=3)
        // less those freed before the panic and the one that panicked.
        faults.assert_no_double_drop();
        assert_eq!(hazard.domain().unreclaimed(), 4 - faults.total_drops());
        assert_eq!(reader.id, 0);
        assert_eq!(faults.drops_of(0), 0);
        drop(reader);
        // The domain still works: more stores, reads and a full reclaim.
        cell.store(faults.item(5));
        assert_eq!(cell.read().id, 5);
        hazard.domain().reclaim();
        for id in 0..=4 {
            assert_eq!(faults.drops_of(id), 1, "value {id} freed once");
        }
        assert_eq!(
            hazard.domain().unreclaimed(),
            0,
            "only the current value is left"
        );
    }
    drop(hazard);
    faults.assert_all_dropped_once(6);
}

/// The global domain's per-thread batch, scanned by `reclaim`.
#[test]
fn panicking_drop_in_global_scan() {
    let faults = Faults::new();
    {
        let cell: RcuCell<Faulty, Hazard> = RcuCell::new(faults.item(0));
        for id in 1..N {
            cell.store(faults.item(id));
        }
        faults.panic_on_drop(3);
        let scanned = catch_unwind(|| Domain::global().reclaim());
        assert!(scanned.is_err());
        faults.assert_no_double_drop();
        // What the panicking scan did not free is freed by the next one.
        Domain::global().reclaim();
        for id in 0..N - 1 {
            assert_eq!(faults.drops_of(id), 1, "value {id} freed once");
        }
    }
    faults.assert_all_dropped_once(N);
}

/// A domain dropped with retirements whose destructor panics: the panic
/// propagates and every other retirement is still freed, once.
#[test]
fn panicking_drop_of_domain() {
    for k in 1..=N as usize {
        let faults = Faults::new();
        let domain = Domain::with_scan_threshold(1 << 20);
        for id in 0..N {
            let p = Box::into_raw(Box::new(faults.item(id)));
            // SAFETY: `p` is from Box::into_raw, never shared, retired once.
            unsafe { domain.retire_box(p) };
        }
        faults.panic_on_drop(k);
        assert!(catch_unwind(AssertUnwindSafe(move || drop(domain))).is_err());
        faults.assert_all_dropped_once(N);
    }
}

/// A retirement's scan runs other objects' destructors: one that panics
/// comes out of whichever operation triggered the scan - here a pop from a
/// stack sharing the domain with an `RcuCell`. The popped value is lost to
/// the caller but dropped, not leaked.
#[test]
fn panicking_drop_of_another_object_during_pop() {
    let faults = Faults::new();
    // Scans at the fourth retirement (the threshold is at least 4).
    let hazard = Hazard::local(4);
    {
        let cell = RcuCell::from_arc_with(Arc::new(faults.item(0)), hazard.clone());
        let stack = TreiberStack::with_reclaim(hazard.clone());
        for id in 1..=3 {
            cell.store(faults.item(id)); // retires 0, 1, 2
        }
        stack.push(faults.item(10));
        faults.panic_on_drop(1);
        let popped = catch_unwind(AssertUnwindSafe(|| stack.pop()));
        assert!(popped.is_err(), "the scan at the pop's retire panics");
        assert_eq!(faults.drops_of(10), 1, "the popped value is dropped");
        faults.assert_no_double_drop();
        assert_eq!(cell.read().id, 3);
    }
    drop(hazard);
    for id in [0, 1, 2, 3, 10] {
        assert_eq!(faults.drops_of(id), 1, "value {id} dropped once");
    }
    faults.assert_no_double_drop();
}
