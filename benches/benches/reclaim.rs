//! nanopath-reclaim head to head.
//!
//! * `protected_load`: one thread protects a load from an atomic pointer,
//!   reads the object and drops the protection. Ours: a hazard pointer of
//!   the global domain (`protect_ptr` + `reset`), and the `Epoch` guard.
//!   Competitors: haphazard (`protect_ptr` + `reset_protection`),
//!   crossbeam-epoch (pin + load + unpin), seize (enter + protect + leave),
//!   arc-swap (`load`).
//! * `treiber_1thread` / `treiber_2threads`: push then pop, per thread. Ours:
//!   `TreiberStack<u64, Hazard>` and `TreiberStack<u64, Epoch>`.
//!   Competitors: the same Treiber stack written directly on haphazard, on
//!   crossbeam-epoch (its documented stack pattern) and on seize.
//! * `rcu_read`: reads of a 64-byte config while a writer replaces it once
//!   per microsecond. `RcuCell` (hazard and epoch) vs `arc_swap::ArcSwap`
//!   `load` vs `std::sync::RwLock<Arc<_>>`.
//! * A memory table (not timed): objects retired but not yet freed after
//!   10^6 replacements with one stalled reader, per scheme.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::{criterion_config, run_concurrently, with_paced_writer};
use nanopath_reclaim::{Epoch, Hazard, RcuCell, TreiberStack};
use std::hint::black_box;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::time::Duration;

// ------------------------------------------------------------ protected load

fn protected_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("protected_load");
    group.throughput(Throughput::Elements(1));

    let ours = AtomicPtr::new(Box::into_raw(Box::new(42_u64)));
    {
        let mut hp = nanopath_reclaim::hazard::HazardPointer::new();
        group.bench_function("nanopath_hazard", |b| {
            b.iter(|| {
                let p = hp.protect_ptr(&ours);
                // SAFETY: never freed during the bench.
                let v = unsafe { *p };
                hp.reset();
                black_box(v)
            })
        });
    }
    group.bench_function("nanopath_epoch", |b| {
        use nanopath_reclaim::{Guard, Reclaim, Slot};
        b.iter(|| {
            let mut g = Epoch.guard();
            let p = g.protect(Slot::A, &ours);
            // SAFETY: never freed during the bench.
            black_box(unsafe { *p })
        })
    });
    // SAFETY: teardown; no reader left.
    drop(unsafe { Box::from_raw(ours.load(Ordering::Relaxed)) });

    let hh: haphazard::AtomicPtr<u64> = haphazard::AtomicPtr::from(Box::new(42));
    {
        let mut hp = haphazard::HazardPointer::new();
        group.bench_function("haphazard", |b| {
            b.iter(|| {
                // SAFETY: only read through, never stored to.
                let src = unsafe { hh.as_std() };
                let (p, _) = hp.protect_ptr(src).expect("not null");
                // SAFETY: never retired during the bench.
                let v = unsafe { *p.as_ptr() };
                hp.reset_protection();
                black_box(v)
            })
        });
    }

    let cb = crossbeam_epoch::Atomic::new(42_u64);
    group.bench_function("crossbeam_epoch", |b| {
        b.iter(|| {
            let guard = crossbeam_epoch::pin();
            let p = cb.load(Ordering::Acquire, &guard);
            // SAFETY: never freed during the bench.
            black_box(unsafe { *p.deref() })
        })
    });
    // SAFETY: teardown; no reader left.
    drop(unsafe { cb.into_owned() });

    let collector = seize::Collector::new();
    let sz = AtomicPtr::new(Box::into_raw(Box::new(42_u64)));
    group.bench_function("seize", |b| {
        use seize::Guard as _;
        b.iter(|| {
            let guard = collector.enter();
            let p = guard.protect(&sz, Ordering::Acquire);
            // SAFETY: never retired during the bench.
            black_box(unsafe { *p })
        })
    });
    // SAFETY: teardown.
    drop(unsafe { Box::from_raw(sz.load(Ordering::Relaxed)) });

    let swap = arc_swap::ArcSwap::from_pointee(42_u64);
    group.bench_function("arc_swap", |b| b.iter(|| black_box(**swap.load())));
    group.finish();
}

// ------------------------------------------------------------ Treiber stacks

/// A stack the Treiber benches push to and pop from.
trait Stack: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn push(&self, v: u64);
    fn pop(&self) -> Option<u64>;
}

struct OursHazard(TreiberStack<u64, Hazard>);
impl Stack for OursHazard {
    const NAME: &'static str = "nanopath_hazard";
    fn new() -> Self {
        Self(TreiberStack::new())
    }
    fn push(&self, v: u64) {
        self.0.push(v)
    }
    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }
}

struct OursEpoch(TreiberStack<u64, Epoch>);
impl Stack for OursEpoch {
    const NAME: &'static str = "nanopath_epoch";
    fn new() -> Self {
        Self(TreiberStack::new())
    }
    fn push(&self, v: u64) {
        self.0.push(v)
    }
    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }
}

/// A Treiber stack node for the competitors (`next` is immutable once
/// the node is published).
struct Node {
    value: u64,
    next: *mut Node,
}

/// The Treiber stack on haphazard, as its README suggests writing it.
struct HaphazardStack {
    head: haphazard::AtomicPtr<Node>,
}
// SAFETY: nodes are shared through haphazard's protocol only.
unsafe impl Sync for HaphazardStack {}
// SAFETY: `Node` holds a u64 and a pointer managed by the stack.
unsafe impl Send for Node {}
impl Stack for HaphazardStack {
    const NAME: &'static str = "haphazard_stack";
    fn new() -> Self {
        Self {
            // SAFETY: null is allowed.
            head: unsafe { haphazard::AtomicPtr::new(ptr::null_mut()) },
        }
    }
    fn push(&self, value: u64) {
        let node = Box::into_raw(Box::new(Node {
            value,
            next: ptr::null_mut(),
        }));
        loop {
            let head = self.head.load_ptr();
            // SAFETY: unpublished node.
            unsafe { (*node).next = head };
            // SAFETY: `node` is a valid boxed Node, retired only via haphazard.
            if unsafe { self.head.compare_exchange_weak_ptr(head, node) }.is_ok() {
                return;
            }
        }
    }
    fn pop(&self) -> Option<u64> {
        let mut hp = haphazard::HazardPointer::new();
        loop {
            // SAFETY: only read through; stores go through the wrapper.
            let (head, _) = hp.protect_ptr(unsafe { self.head.as_std() })?;
            let head = head.as_ptr();
            // SAFETY: protected.
            let next = unsafe { (*head).next };
            // SAFETY: `next` is null or a valid published node.
            if let Ok(Some(old)) = unsafe { self.head.compare_exchange_weak_ptr(head, next) } {
                // SAFETY: protected; we unlinked it.
                let v = unsafe { (*head).value };
                hp.reset_protection();
                // SAFETY: unlinked, retired once.
                unsafe { old.retire() };
                return Some(v);
            }
        }
    }
}
impl Drop for HaphazardStack {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

/// The Treiber stack on crossbeam-epoch, as its documentation writes it.
struct CrossbeamStack {
    head: crossbeam_epoch::Atomic<CbNode>,
}
struct CbNode {
    value: u64,
    next: crossbeam_epoch::Atomic<CbNode>,
}
impl Stack for CrossbeamStack {
    const NAME: &'static str = "crossbeam_epoch_stack";
    fn new() -> Self {
        Self {
            head: crossbeam_epoch::Atomic::null(),
        }
    }
    fn push(&self, value: u64) {
        use crossbeam_epoch::Owned;
        let mut n = Owned::new(CbNode {
            value,
            next: crossbeam_epoch::Atomic::null(),
        });
        let guard = crossbeam_epoch::pin();
        loop {
            let head = self.head.load(Ordering::Relaxed, &guard);
            n.next.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange(head, n, Ordering::Release, Ordering::Relaxed, &guard)
            {
                Ok(_) => return,
                Err(e) => n = e.new,
            }
        }
    }
    fn pop(&self) -> Option<u64> {
        let guard = crossbeam_epoch::pin();
        loop {
            let head = self.head.load(Ordering::Acquire, &guard);
            // SAFETY: pinned; nodes are freed only through defer_destroy.
            let h = unsafe { head.as_ref() }?;
            let next = h.next.load(Ordering::Relaxed, &guard);
            if self
                .head
                .compare_exchange(head, next, Ordering::Relaxed, Ordering::Relaxed, &guard)
                .is_ok()
            {
                // SAFETY: unlinked by us, destroyed once after the epoch.
                unsafe { guard.defer_destroy(head) };
                return Some(h.value);
            }
        }
    }
}
impl Drop for CrossbeamStack {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

/// The Treiber stack on seize.
struct SeizeStack {
    head: AtomicPtr<Node>,
    collector: seize::Collector,
}
// SAFETY: nodes are shared through seize's protocol only.
unsafe impl Sync for SeizeStack {}
impl Stack for SeizeStack {
    const NAME: &'static str = "seize_stack";
    fn new() -> Self {
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
            collector: seize::Collector::new(),
        }
    }
    fn push(&self, value: u64) {
        let node = Box::into_raw(Box::new(Node {
            value,
            next: ptr::null_mut(),
        }));
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: unpublished node.
            unsafe { (*node).next = head };
            match self
                .head
                .compare_exchange_weak(head, node, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }
    fn pop(&self) -> Option<u64> {
        use seize::Guard as _;
        let guard = self.collector.enter();
        loop {
            let head = guard.protect(&self.head, Ordering::Acquire);
            if head.is_null() {
                return None;
            }
            // SAFETY: protected by the guard.
            let next = unsafe { (*head).next };
            if self
                .head
                .compare_exchange(head, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: protected; we unlinked it.
                let v = unsafe { (*head).value };
                // SAFETY: unlinked, boxed, retired once.
                unsafe { guard.defer_retire(head, seize::reclaim::boxed) };
                return Some(v);
            }
        }
    }
}
impl Drop for SeizeStack {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

fn bench_stack<S: Stack>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    threads: usize,
) {
    // Sanity check before timing: LIFO on one thread.
    let stack = S::new();
    stack.push(1);
    stack.push(2);
    assert_eq!(
        (stack.pop(), stack.pop(), stack.pop()),
        (Some(2), Some(1), None),
        "{}",
        S::NAME
    );
    group.bench_function(S::NAME, |b| {
        b.iter_custom(|iters| {
            let stack = S::new();
            let t = run_concurrently(threads, iters, |t, i| {
                stack.push(i ^ t as u64);
                black_box(stack.pop());
            });
            // Every push was followed by a pop on the same thread, so
            // nothing is left.
            assert!(stack.pop().is_none(), "{} lost track of a value", S::NAME);
            t
        })
    });
}

fn treiber(c: &mut Criterion) {
    for (name, threads) in [("treiber_1thread", 1), ("treiber_2threads", 2)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        bench_stack::<OursHazard>(&mut group, threads);
        bench_stack::<OursEpoch>(&mut group, threads);
        bench_stack::<HaphazardStack>(&mut group, threads);
        bench_stack::<CrossbeamStack>(&mut group, threads);
        bench_stack::<SeizeStack>(&mut group, threads);
        group.finish();
    }
}

// ------------------------------------------------------------------ RCU read

/// The writer's period in `rcu_read`: one replacement per microsecond.
const WRITER_PERIOD: Duration = Duration::from_micros(1);

type Config = [u64; 8];

trait ReadMostly: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn read_first(&self) -> u64;
    fn write(&self, v: Config);
}

struct RcuHazard(RcuCell<Config, Hazard>);
impl ReadMostly for RcuHazard {
    const NAME: &'static str = "nanopath_rcu_hazard";
    fn new() -> Self {
        Self(RcuCell::new([0; 8]))
    }
    #[inline]
    fn read_first(&self) -> u64 {
        let g = self.0.read();
        assert_eq!(g[0], g[7], "torn");
        g[0]
    }
    fn write(&self, v: Config) {
        self.0.store(v)
    }
}

struct RcuEpoch(RcuCell<Config, Epoch>);
impl ReadMostly for RcuEpoch {
    const NAME: &'static str = "nanopath_rcu_epoch";
    fn new() -> Self {
        Self(RcuCell::with_reclaim([0; 8], Epoch))
    }
    #[inline]
    fn read_first(&self) -> u64 {
        let g = self.0.read();
        assert_eq!(g[0], g[7], "torn");
        g[0]
    }
    fn write(&self, v: Config) {
        self.0.store(v)
    }
}

struct ArcSwapCell(arc_swap::ArcSwap<Config>);
impl ReadMostly for ArcSwapCell {
    const NAME: &'static str = "arc_swap";
    fn new() -> Self {
        Self(arc_swap::ArcSwap::from_pointee([0; 8]))
    }
    #[inline]
    fn read_first(&self) -> u64 {
        let g = self.0.load();
        assert_eq!(g[0], g[7], "torn");
        g[0]
    }
    fn write(&self, v: Config) {
        self.0.store(Arc::new(v))
    }
}

struct RwLockArc(std::sync::RwLock<Arc<Config>>);
impl ReadMostly for RwLockArc {
    const NAME: &'static str = "std_rwlock_arc";
    fn new() -> Self {
        Self(std::sync::RwLock::new(Arc::new([0; 8])))
    }
    #[inline]
    fn read_first(&self) -> u64 {
        let g = self.0.read().unwrap();
        assert_eq!(g[0], g[7], "torn");
        g[0]
    }
    fn write(&self, v: Config) {
        *self.0.write().unwrap() = Arc::new(v);
    }
}

fn bench_read<C: ReadMostly>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let cell = Box::new(nanopath_atomic::CachePadded::new(C::new()));
    let cell: &C = &cell;
    cell.write([7; 8]);
    assert_eq!(cell.read_first(), 7, "{} lost a write", C::NAME);
    with_paced_writer(
        WRITER_PERIOD,
        |n| cell.write([n; 8]),
        || group.bench_function(C::NAME, |b| b.iter(|| black_box(cell.read_first()))),
    );
}

fn rcu_read(c: &mut Criterion) {
    let mut group = c.benchmark_group("rcu_read");
    group.throughput(Throughput::Elements(1));
    bench_read::<RcuHazard>(&mut group);
    bench_read::<RcuEpoch>(&mut group);
    bench_read::<ArcSwapCell>(&mut group);
    bench_read::<RwLockArc>(&mut group);
    group.finish();
    memory_table();
}

// -------------------------------------------------------------- memory table

/// A value that counts its drops, to measure retired-but-unfreed objects.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Replaces the value of a cell `ops` times while a guard taken before the
/// first replacement stays alive; returns (max, final) values alive,
/// excluding the current one.
fn unfreed_with_stalled_reader<R>(reclaim: R, ops: usize) -> (usize, usize)
where
    R: nanopath_reclaim::Reclaim,
{
    let drops = Arc::new(AtomicUsize::new(0));
    let cell = RcuCell::from_arc_with(Arc::new(Counted(Arc::clone(&drops))), reclaim);
    let stalled = cell.read();
    let mut max = 0;
    for i in 1..=ops {
        cell.store(Counted(Arc::clone(&drops)));
        max = max.max(i - drops.load(Ordering::Relaxed));
    }
    let last = ops - drops.load(Ordering::Relaxed);
    drop(stalled);
    (max, last)
}

/// Writes the stalled-reader table for the report (not a timing).
fn memory_table() {
    let Ok(dir) = std::env::var("NANOPATH_REPORT_TABLES") else {
        return;
    };
    const OPS: usize = 1_000_000;
    let (h_max, h_last) = unfreed_with_stalled_reader(Hazard::default(), OPS);
    let (e_max, e_last) = unfreed_with_stalled_reader(Epoch, OPS);
    let table = format!(
        "## reclaim_memory\n\n\
         Objects retired but not yet freed while one reader holds a guard, over \
         {OPS} `RcuCell::store` calls on one thread (not a timing; no target).\n\n\
         | scheme | most unfreed at once | unfreed at the end |\n|---|---:|---:|\n\
         | nanopath hazard pointers (global domain, threshold max(1024, 2 × slots)) | {h_max} | {h_last} |\n\
         | nanopath epoch (crossbeam-epoch) | {e_max} | {e_last} |\n"
    );
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(std::path::Path::new(&dir).join("reclaim_memory.md"), table);
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = protected_load, treiber, rcu_read
}
criterion_main!(benches);
