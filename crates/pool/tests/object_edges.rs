//! ObjectPool at its edges: shared derefs, timeouts of zero and
//! `Duration::MAX`, wake-ups from every path that frees a slot, panicking
//! factories, reset hooks and drops, and accessors called mid-traffic.

use nanopath_pool::{ObjectPool, OwnedPooled, Pooled, Timeout};
use nanopath_testkit::{Faults, Faulty, stress_iters};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A wait that must end on a wake-up; the test fails (rather than hangs)
/// if the waiter sleeps through to this deadline.
const LONG: Duration = Duration::from_secs(60);
/// Well before [`LONG`]: a waiter woken by the hand-off returns long before.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// How long the hand-off tests give the waiter to park before they free a
/// slot (the tests pass either way; parking first is the case of interest).
fn let_waiter_park() {
    std::thread::sleep(Duration::from_millis(if cfg!(miri) { 10 } else { 200 }));
}

#[test]
fn handoff_two_shared_derefs_of_one_pooled_object() {
    let pool = ObjectPool::new(1, || 7u64);
    let p = pool.acquire();
    let a: &u64 = &p;
    let b: &u64 = &p;
    assert_eq!((*a, *b), (7, 7));
    assert_eq!(*a + *b, 14);
    drop(p);
    let arc = Arc::new(ObjectPool::new(1, || 9u64));
    let o = arc.acquire_owned();
    let a: &u64 = &o;
    let b: &u64 = &o;
    assert_eq!((*a, *b), (9, 9));
    assert_eq!(*a + *b, 18);
}

fn share_across_two_threads<P: core::ops::Deref<Target = AtomicU64> + Sync>(p: &P) {
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..if cfg!(miri) { 3 } else { 1000 } {
                    p.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(
        p.load(Ordering::Relaxed),
        2 * if cfg!(miri) { 3 } else { 1000 }
    );
}

#[test]
fn handoff_pooled_atomic_shared_by_two_threads() {
    let pool = ObjectPool::new(1, || AtomicU64::new(0));
    let p: Pooled<'_, AtomicU64> = pool.acquire();
    share_across_two_threads(&p);
    let arc = Arc::new(ObjectPool::new(1, || AtomicU64::new(0)));
    let o: OwnedPooled<AtomicU64> = arc.acquire_owned();
    share_across_two_threads(&o);
}

#[test]
fn handoff_release_wakes_a_waiter_with_no_deadline() {
    let pool = Arc::new(ObjectPool::new(1, || 5u32));
    let held = pool.acquire_owned();
    // The waiter reports through a channel, so a lost wake-up (the waiter
    // would sleep forever) fails the test at the guard instead of hanging.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter_pool = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || {
        let got = waiter_pool.acquire_timeout(Duration::MAX).map(|o| *o);
        let _ = tx.send(got);
    });
    let_waiter_park();
    drop(held);
    let got = rx.recv_timeout(HANG_GUARD).expect("woken by the release");
    waiter.join().unwrap();
    assert_eq!(got, Ok(5));
    assert_eq!(pool.stats().timeouts, 0);
}

#[test]
fn handoff_detach_wakes_a_waiter() {
    let pool = Arc::new(ObjectPool::new(1, || 5u32));
    let held = pool.acquire_owned();
    let waiter = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            let start = Instant::now();
            // The slot the detach frees is vacant: the waiter builds anew.
            let got = pool.acquire_timeout(LONG).map(|o| *o);
            (got, start.elapsed())
        })
    };
    let_waiter_park();
    assert_eq!(held.detach(), 5);
    let (got, elapsed) = waiter.join().unwrap();
    assert_eq!(got, Ok(5));
    assert!(
        elapsed < HANG_GUARD,
        "the waiter slept {elapsed:?} of its {LONG:?} although a slot was vacant"
    );
    assert_eq!(pool.stats().created, 2);
}

#[test]
fn acquire_timeout_zero_tries_once() {
    let pool = ObjectPool::new(1, || 3u32);
    // Vacant: builds.
    let held = pool.acquire_timeout(Duration::ZERO).expect("a vacant slot");
    // Lent: gives up at once, without waiting.
    assert_eq!(pool.acquire_timeout(Duration::ZERO).err(), Some(Timeout));
    let s = pool.stats();
    assert_eq!((s.waited, s.timeouts), (0, 1));
    drop(held);
    // Idle: lends.
    assert_eq!(pool.acquire_timeout(Duration::ZERO).map(|o| *o), Ok(3));
}

#[test]
fn acquire_timeout_max_returns_at_once_when_an_object_is_idle() {
    let pool = ObjectPool::new(2, || 3u32);
    let a = pool.acquire_timeout(Duration::MAX).expect("vacant");
    drop(a);
    let b = pool.acquire_timeout(Duration::MAX).expect("idle");
    let c = pool.acquire_timeout(Duration::MAX).expect("vacant");
    assert_eq!((*b, *c), (3, 3));
}

#[test]
fn capacity_zero_and_zero_sized_objects() {
    let empty = ObjectPool::new(0, || 1u8);
    assert_eq!(empty.capacity(), 0);
    assert_eq!(empty.prefill(10), 0);
    assert!(empty.try_acquire().is_none());
    assert_eq!(*empty.acquire(), 1, "built on the heap");
    assert_eq!(empty.acquire_timeout(Duration::ZERO).err(), Some(Timeout));
    assert_eq!(
        empty.acquire_timeout(Duration::from_millis(1)).err(),
        Some(Timeout)
    );
    assert_eq!(empty.stats().created, 1);

    let units = ObjectPool::new(3, || ());
    assert_eq!(units.prefill(5), 3);
    let all: Vec<_> = std::iter::from_fn(|| units.try_acquire()).collect();
    assert_eq!(all.len(), 3);
    drop(all);
    assert_eq!(units.stats().released, 3);
}

#[test]
fn huge_capacities_are_refused_not_allocated() {
    assert!(ObjectPool::try_new(usize::MAX, || 0u8).is_err());
    assert!(ObjectPool::try_new(nanopath_pool::MAX_CAPACITY + 1, || 0u8).is_err());
    assert!(ObjectPool::try_with_reset(usize::MAX, || 0u8, |_| ()).is_err());
    let ok = ObjectPool::try_new(4, || 0u8).expect("a small pool");
    assert_eq!(ok.capacity(), 4);
    let err = ObjectPool::try_new(usize::MAX, || 0u8).unwrap_err();
    assert!(!err.to_string().is_empty());
}

/// A factory that builds `Faulty` values with ids 0, 1, 2, ... and calls
/// `faults.tick()` first (so a planned tick panics instead of building).
fn faulty_factory(faults: &'static Faults) -> impl Fn() -> Faulty + Send + Sync + 'static {
    let next = AtomicU32::new(0);
    move || {
        faults.tick();
        faults.item(next.fetch_add(1, Ordering::Relaxed))
    }
}

/// Every slot can be lent at once: `capacity` objects in slots (a zero
/// timeout never builds on the heap).
fn lends_capacity_at_once<T: Send>(pool: &ObjectPool<T>) {
    let all: Vec<_> = (0..pool.capacity())
        .map(|i| {
            pool.acquire_timeout(Duration::ZERO)
                .unwrap_or_else(|_| panic!("slot {i} of {} lost", pool.capacity()))
        })
        .collect();
    assert_eq!(pool.acquire_timeout(Duration::ZERO).err(), Some(Timeout));
    drop(all);
}

#[test]
fn panicking_factory_leaves_the_slot_vacant() {
    for attempt in 0..3 {
        let faults = Faults::new();
        let pool = ObjectPool::new(2, faulty_factory(faults));
        faults.panic_on_tick(1);
        let r = catch_unwind(AssertUnwindSafe(|| match attempt {
            0 => drop(pool.acquire()),
            1 => drop(pool.acquire_timeout(Duration::ZERO)),
            _ => {
                pool.prefill(1);
            }
        }));
        assert!(r.is_err(), "attempt {attempt}: the factory panicked");
        lends_capacity_at_once(&pool);
        assert_eq!(pool.stats().created, 2);
        drop(pool);
        faults.assert_all_dropped_once(2);
    }
}

#[test]
fn handoff_panicking_factory_wakes_a_waiter() {
    // A builder takes the only vacant slot and its factory stalls; a waiter
    // parks (nothing idle, nothing vacant); the factory panics. The slot is
    // vacant again, and the waiter must be woken to build in it.
    let faults = Faults::new();
    static ENTERED: AtomicBool = AtomicBool::new(false);
    static OPEN: AtomicBool = AtomicBool::new(false);
    let (entered, open) = (&ENTERED, &OPEN);
    let next = AtomicU32::new(0);
    let pool = ObjectPool::new(1, move || {
        entered.store(true, Ordering::SeqCst);
        while !open.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        faults.tick();
        faults.item(next.fetch_add(1, Ordering::Relaxed))
    });
    std::thread::scope(|s| {
        let builder = s.spawn(|| catch_unwind(AssertUnwindSafe(|| drop(pool.acquire()))));
        while !entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let waiter = s.spawn(|| {
            let start = Instant::now();
            let got = pool.acquire_timeout(LONG).map(|o| o.id);
            (got, start.elapsed())
        });
        let_waiter_park();
        faults.panic_on_tick(1);
        open.store(true, Ordering::SeqCst);
        assert!(builder.join().unwrap().is_err(), "the factory panicked");
        let (got, elapsed) = waiter.join().unwrap();
        assert_eq!(got, Ok(0), "the waiter built in the freed slot");
        assert!(elapsed < HANG_GUARD, "woken after the failed build");
    });
    lends_capacity_at_once(&pool);
    drop(pool);
    faults.assert_all_dropped_once(1);
}

#[test]
fn panicking_reset_drops_the_object_and_frees_the_slot() {
    let faults = Faults::new();
    let pool = ObjectPool::with_reset(2, faulty_factory(faults), |_| faults.tick());
    let a = pool.acquire();
    let b = pool.acquire();
    let a_id = a.id;
    faults.panic_on_tick(1); // the reset of `a`
    assert!(catch_unwind(AssertUnwindSafe(|| drop(a))).is_err());
    assert_eq!(faults.drops_of(a_id), 1, "the object is dropped, once");
    drop(b);
    lends_capacity_at_once(&pool);
    assert_eq!(pool.stats().created, 3, "a new object in the freed slot");
    drop(pool);
    faults.assert_all_dropped_once(3);
}

#[test]
fn panicking_reset_then_panicking_drop_drops_once() {
    let faults = Faults::new();
    let pool = ObjectPool::with_reset(1, faulty_factory(faults), |_| faults.tick());
    let a = pool.acquire();
    faults.panic_on_tick(1); // the reset of `a`
    faults.panic_on_drop(1); // and then its drop
    assert!(catch_unwind(AssertUnwindSafe(|| drop(a))).is_err());
    assert_eq!(faults.drops_of(0), 1);
    lends_capacity_at_once(&pool);
    drop(pool);
    faults.assert_all_dropped_once(2);
}

#[test]
fn panicking_reset_of_a_heap_object_drops_it_once() {
    let faults = Faults::new();
    let pool = ObjectPool::with_reset(1, faulty_factory(faults), |_| faults.tick());
    let in_slot = pool.acquire();
    let on_heap = pool.acquire();
    drop(in_slot.detach()); // a vacant slot for the heap object
    faults.panic_on_tick(1);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(on_heap))).is_err());
    assert_eq!(faults.drops_of(1), 1);
    lends_capacity_at_once(&pool);
    drop(pool);
    faults.assert_all_dropped_once(3);
}

#[test]
fn panicking_owned_reset_drops_the_object_and_frees_the_slot() {
    let faults = Faults::new();
    let pool = Arc::new(ObjectPool::with_reset(1, faulty_factory(faults), |_| {
        faults.tick()
    }));
    let a = pool.acquire_owned();
    faults.panic_on_tick(1);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(a))).is_err());
    assert_eq!(faults.drops_of(0), 1);
    lends_capacity_at_once(&pool);
}

#[test]
fn panicking_object_drop_in_pool_drop_still_drops_the_rest() {
    let faults = Faults::new();
    let pool = ObjectPool::new(4, faulty_factory(faults));
    assert_eq!(pool.prefill(4), 4);
    {
        // One in this thread's cache, the rest on the idle stack.
        let held: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
        drop(held);
    }
    faults.panic_on_drop(2);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(pool))).is_err());
    faults.assert_all_dropped_once(4);
}

#[test]
fn both_ends_accessors_while_others_acquire_and_release() {
    let iters = stress_iters(20_000);
    let pool = Arc::new(ObjectPool::with_reset(2, || 0u64, |v| *v = 0));
    let finished = AtomicUsize::new(0);
    let detached = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (pool, finished, detached) = (&pool, &finished, &detached);
            s.spawn(move || {
                for i in 0..iters {
                    match (i + t) % 5 {
                        0 => drop(pool.try_acquire()),
                        1 => drop(pool.acquire_timeout(Duration::ZERO)),
                        2 => drop(pool.try_acquire_owned()),
                        3 if i % 50 == 3 => {
                            assert_eq!(pool.acquire().detach(), 0, "reset before reuse");
                            detached.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {
                            let mut o = pool.acquire_owned();
                            *o += 1;
                        }
                    }
                }
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }
        let mut last = pool.stats();
        loop {
            let workers_done = finished.load(Ordering::SeqCst) == 2;
            let now = pool.stats();
            assert!(now.acquired >= last.acquired && now.released >= last.released);
            assert!(now.created >= last.created && now.timeouts >= last.timeouts);
            assert_eq!(pool.capacity(), 2);
            assert!(format!("{pool:?}").starts_with("ObjectPool"));
            if let Some(mut o) = pool.try_acquire() {
                assert_eq!(*o, 0, "reset before reuse");
                *o = 1;
            }
            last = now;
            if workers_done {
                break;
            }
            std::thread::yield_now();
        }
    });
    let s = pool.stats();
    assert_eq!(s.acquired, s.released + detached.load(Ordering::SeqCst));
    lends_capacity_at_once(&pool);
}

#[test]
fn handoff_prefill_wakes_a_waiter() {
    // Prefill takes the only vacant slot and its factory stalls; a waiter
    // parks (nothing idle, nothing vacant); the factory returns and the new
    // object goes idle: the waiter must be woken to take it.
    static ENTERED: AtomicBool = AtomicBool::new(false);
    static OPEN: AtomicBool = AtomicBool::new(false);
    let (entered, open) = (&ENTERED, &OPEN);
    let pool = ObjectPool::new(1, move || {
        entered.store(true, Ordering::SeqCst);
        while !open.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        11u32
    });
    std::thread::scope(|s| {
        let filler = s.spawn(|| pool.prefill(1));
        while !entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let waiter = s.spawn(|| {
            let start = Instant::now();
            let got = pool.acquire_timeout(LONG).map(|o| *o);
            (got, start.elapsed())
        });
        let_waiter_park();
        open.store(true, Ordering::SeqCst);
        assert_eq!(filler.join().unwrap(), 1);
        let (got, elapsed) = waiter.join().unwrap();
        assert_eq!(got, Ok(11));
        assert!(elapsed < HANG_GUARD, "woken by the prefill");
    });
    assert_eq!(pool.stats().created, 1);
}

/// A capacity-0 pool never frees a slot, so even `Duration::MAX` times out
/// at once instead of parking forever. The wait runs on its own thread, so
/// a regression fails the test instead of hanging it.
#[test]
fn edge_capacity_zero_with_no_deadline_times_out_at_once() {
    let empty = Arc::new(ObjectPool::new(0, || 1u8));
    let (tx, rx) = std::sync::mpsc::channel();
    let pool = Arc::clone(&empty);
    let waiter = std::thread::spawn(move || {
        let got = pool.acquire_timeout(Duration::MAX).map(|p| *p);
        let _ = tx.send(got);
    });
    let got = rx.recv_timeout(HANG_GUARD).expect("returned, not parked");
    waiter.join().unwrap();
    assert_eq!(got, Err(Timeout));
    assert_eq!(empty.stats().timeouts, 1);
}

/// A handler panics while holding a pooled object and the reset hook
/// panics too as the object goes back during unwinding: the process does
/// not abort, the handler's panic is the one that arrives, the object is
/// dropped once and the pool keeps its capacity.
#[test]
fn panicking_reset_during_unwinding_keeps_the_first_panic() {
    let faults = Faults::new();
    let pool = ObjectPool::with_reset(2, faulty_factory(faults), |_| faults.tick());
    let mut id = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let p = pool.acquire();
        id = Some(p.id);
        faults.panic_on_tick(1); // the reset as `p` goes back
        panic!("handler failed");
    }));
    let payload = result.expect_err("the handler's panic arrives");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"handler failed"));
    assert_eq!(faults.drops_of(id.expect("acquired")), 1);
    lends_capacity_at_once(&pool);
    drop(pool);
    faults.assert_no_double_drop();
}

/// The same for a pool dropped during unwinding with an idle object whose
/// `Drop` panics.
#[test]
fn panicking_object_drop_in_pool_drop_during_unwinding_keeps_the_first_panic() {
    let faults = Faults::new();
    let pool = ObjectPool::new(2, faulty_factory(faults));
    assert_eq!(pool.prefill(2), 2);
    let result = catch_unwind(AssertUnwindSafe(move || {
        let _pool = pool;
        faults.panic_on_drop(1);
        panic!("handler failed");
    }));
    let payload = result.expect_err("the handler's panic arrives");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"handler failed"));
    faults.assert_all_dropped_once(2);
}

/// A factory that stalls holds up only its own caller: while it runs, a
/// release still wakes a parked waiter, which gets the released object.
/// (The factory runs outside every lock the pool has.)
#[test]
fn handoff_a_stalled_factory_does_not_hold_up_a_release() {
    static ENTERED: AtomicBool = AtomicBool::new(false);
    static OPEN: AtomicBool = AtomicBool::new(false);
    let (entered, open) = (&ENTERED, &OPEN);
    let built = AtomicU64::new(0);
    let pool = ObjectPool::new(2, move || {
        let id = built.fetch_add(1, Ordering::Relaxed);
        if id == 1 {
            // The second build stalls until the test opens it.
            entered.store(true, Ordering::SeqCst);
            while !open.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
        }
        id
    });
    std::thread::scope(|s| {
        let held = pool.acquire();
        assert_eq!(*held, 0);
        let builder = s.spawn(|| *pool.acquire());
        while !entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        // Nothing idle, nothing vacant: the waiter parks.
        let waiter = s.spawn(|| {
            let start = std::time::Instant::now();
            let got = pool.acquire_timeout(LONG).map(|o| *o);
            (got, start.elapsed())
        });
        let_waiter_park();
        drop(held);
        let (got, elapsed) = waiter.join().unwrap();
        open.store(true, Ordering::SeqCst);
        assert_eq!(
            got,
            Ok(0),
            "the released object, while the factory still ran"
        );
        // Woken by the release, not by its timeout's last look.
        assert!(
            elapsed < HANG_GUARD,
            "the waiter slept through the release ({elapsed:?})"
        );
        assert_eq!(builder.join().unwrap(), 1);
    });
    assert_eq!(pool.stats().created, 2);
}

/// A factory that uses its own pool (lends and returns an idle object,
/// reads the stats) neither deadlocks nor corrupts it.
#[test]
fn a_reentrant_factory_uses_its_own_pool() {
    static POOL: std::sync::OnceLock<ObjectPool<u64>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        ObjectPool::new(3, || {
            let pool = POOL.get().expect("set before the first build");
            let _ = pool.stats();
            // An idle object if there is one (`try_acquire` never builds),
            // returned at once: 1 + its value, or 1.
            let inner = pool.try_acquire().map(|o| *o);
            inner.unwrap_or(0) + 1
        })
    });
    // Nothing idle while the first is built.
    let first = pool.acquire();
    assert_eq!(*first, 1);
    drop(first);
    // The second is built with the first idle: the factory borrows it.
    assert_eq!(pool.prefill(1), 1);
    let held: Vec<_> = (0..2).map(|_| pool.try_acquire().expect("idle")).collect();
    let mut values: Vec<u64> = held.iter().map(|o| **o).collect();
    values.sort_unstable();
    assert_eq!(values, [1, 2]);
    // The third with both lent: nothing idle again.
    let third = pool.acquire();
    assert_eq!(*third, 1);
    let stats = pool.stats();
    assert_eq!(stats.created, 3);
    // Lends: 1 + the factory's 1 + 2 + 1; returns: the first and the
    // factory's.
    assert_eq!((stats.acquired, stats.released), (5, 2));
    drop((held, third));
    // Every slot can still be lent at once.
    let all: Vec<_> = (0..3).map(|_| pool.try_acquire().expect("idle")).collect();
    assert_eq!(all.len(), 3);
}
