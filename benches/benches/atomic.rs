//! nanopath-atomic head to head.
//!
//! * `counter_2threads`: two threads incrementing a counter. Competitors: one
//!   shared `AtomicU64`, two unpadded neighbouring `AtomicU64`s (false
//!   sharing), two `crossbeam_utils::CachePadded` ones; ours: two
//!   `nanopath_atomic::CachePadded` ones and one `ShardedCounter`.
//! * `lock_uncontended` / `lock_2threads`: lock, increment a `u64`, unlock.
//!   `SpinLock` vs `std::sync::Mutex` vs `parking_lot::Mutex`.
//! * `seqlock_read/{64B,128B}`: reads of a 64- or 128-byte value while a
//!   writer thread rewrites it once per microsecond.
//!   `SeqLock` vs `std::sync::RwLock` vs the `seqlock` crate.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::{criterion_config, run_concurrently, with_paced_writer};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

// ---------------------------------------------------------------- counters

/// A counter two threads increment; `thread` is 0 or 1.
trait Counter: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn incr(&self, thread: usize);
    fn total(&self) -> u64;
}

struct SharedAtomic(AtomicU64);
impl Counter for SharedAtomic {
    const NAME: &'static str = "shared_atomic";
    fn new() -> Self {
        Self(AtomicU64::new(0))
    }
    fn incr(&self, _: usize) {
        self.0.fetch_add(1, Relaxed);
    }
    fn total(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

struct UnpaddedNeighbours([AtomicU64; 2]);
impl Counter for UnpaddedNeighbours {
    const NAME: &'static str = "unpadded_neighbours";
    fn new() -> Self {
        Self([AtomicU64::new(0), AtomicU64::new(0)])
    }
    fn incr(&self, thread: usize) {
        self.0[thread].fetch_add(1, Relaxed);
    }
    fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Relaxed)).sum()
    }
}

struct CrossbeamPadded([crossbeam_utils::CachePadded<AtomicU64>; 2]);
impl Counter for CrossbeamPadded {
    const NAME: &'static str = "crossbeam_cache_padded";
    fn new() -> Self {
        Self([
            crossbeam_utils::CachePadded::new(AtomicU64::new(0)),
            crossbeam_utils::CachePadded::new(AtomicU64::new(0)),
        ])
    }
    fn incr(&self, thread: usize) {
        self.0[thread].fetch_add(1, Relaxed);
    }
    fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Relaxed)).sum()
    }
}

struct NanopathPadded([nanopath_atomic::CachePadded<AtomicU64>; 2]);
impl Counter for NanopathPadded {
    const NAME: &'static str = "nanopath_cache_padded";
    fn new() -> Self {
        Self([
            nanopath_atomic::CachePadded::new(AtomicU64::new(0)),
            nanopath_atomic::CachePadded::new(AtomicU64::new(0)),
        ])
    }
    fn incr(&self, thread: usize) {
        self.0[thread].fetch_add(1, Relaxed);
    }
    fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Relaxed)).sum()
    }
}

struct NanopathSharded(nanopath_atomic::ShardedCounter);
impl Counter for NanopathSharded {
    const NAME: &'static str = "nanopath_sharded";
    fn new() -> Self {
        Self(nanopath_atomic::ShardedCounter::new())
    }
    fn incr(&self, _: usize) {
        self.0.incr();
    }
    fn total(&self) -> u64 {
        self.0.sum()
    }
}

fn bench_counter<C: Counter>(c: &mut Group<'_>) {
    // Sanity check before timing: no increment lost.
    let counter = C::new();
    run_concurrently(2, 10_000, |t, _| counter.incr(t));
    assert_eq!(counter.total(), 20_000, "{} lost increments", C::NAME);

    c.bench_function(C::NAME, |b| {
        b.iter_custom(|iters| {
            let counter = C::new();
            let time = run_concurrently(2, iters, |t, _| counter.incr(t));
            black_box(counter.total());
            time
        })
    });
}

fn counters(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_2threads");
    group.throughput(Throughput::Elements(1));
    bench_counter::<SharedAtomic>(&mut group);
    bench_counter::<UnpaddedNeighbours>(&mut group);
    bench_counter::<CrossbeamPadded>(&mut group);
    bench_counter::<NanopathPadded>(&mut group);
    bench_counter::<NanopathSharded>(&mut group);
    group.finish();
}

// ------------------------------------------------------------------- locks

/// A lock around a `u64`; `bump` is lock, increment, unlock.
trait Lock: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn bump(&self);
    fn get(&self) -> u64;
}

struct NanopathSpin(nanopath_atomic::SpinLock<u64>);
impl Lock for NanopathSpin {
    const NAME: &'static str = "nanopath_spinlock";
    fn new() -> Self {
        Self(nanopath_atomic::SpinLock::new(0))
    }
    #[inline]
    fn bump(&self) {
        *self.0.lock() += 1;
    }
    fn get(&self) -> u64 {
        *self.0.lock()
    }
}

struct StdMutex(std::sync::Mutex<u64>);
impl Lock for StdMutex {
    const NAME: &'static str = "std_mutex";
    fn new() -> Self {
        Self(std::sync::Mutex::new(0))
    }
    #[inline]
    fn bump(&self) {
        *self.0.lock().expect("not poisoned") += 1;
    }
    fn get(&self) -> u64 {
        *self.0.lock().expect("not poisoned")
    }
}

struct ParkingLotMutex(parking_lot::Mutex<u64>);
impl Lock for ParkingLotMutex {
    const NAME: &'static str = "parking_lot_mutex";
    fn new() -> Self {
        Self(parking_lot::Mutex::new(0))
    }
    #[inline]
    fn bump(&self) {
        *self.0.lock() += 1;
    }
    fn get(&self) -> u64 {
        *self.0.lock()
    }
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// Sanity check before timing: two threads, no lost update.
fn check_lock<L: Lock>() {
    let lock = L::new();
    run_concurrently(2, 10_000, |_, _| lock.bump());
    assert_eq!(lock.get(), 20_000, "{} lost updates", L::NAME);
}

fn bench_lock_uncontended<L: Lock>(group: &mut Group<'_>) {
    check_lock::<L>();
    group.bench_function(L::NAME, |b| {
        let lock = L::new();
        b.iter(|| black_box(&lock).bump());
    });
}

fn bench_lock_contended<L: Lock>(group: &mut Group<'_>) {
    check_lock::<L>();
    group.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            let lock = L::new();
            let time = run_concurrently(2, iters, |_, _| lock.bump());
            black_box(lock.get());
            time
        })
    });
}

fn locks(c: &mut Criterion) {
    let mut uncontended = c.benchmark_group("lock_uncontended");
    uncontended.throughput(Throughput::Elements(1));
    bench_lock_uncontended::<NanopathSpin>(&mut uncontended);
    bench_lock_uncontended::<StdMutex>(&mut uncontended);
    bench_lock_uncontended::<ParkingLotMutex>(&mut uncontended);
    uncontended.finish();

    let mut contended = c.benchmark_group("lock_2threads");
    contended.throughput(Throughput::Elements(1));
    bench_lock_contended::<NanopathSpin>(&mut contended);
    bench_lock_contended::<StdMutex>(&mut contended);
    bench_lock_contended::<ParkingLotMutex>(&mut contended);
    contended.finish();
}

// ---------------------------------------------------------------- seqlocks

/// The writer's period in `seqlock_read`: one write per microsecond (1 M
/// writes/s, a busy market-data feed), the same for every implementation.
const WRITER_PERIOD: Duration = Duration::from_micros(1);

/// A cell holding `[u64; N]` that one thread writes and another reads.
trait ReadMostly<const N: usize>: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn read(&self) -> [u64; N];
    fn write(&self, value: [u64; N]);
}

struct NanopathSeqLock<const N: usize>(nanopath_atomic::SeqLock<[u64; N]>);
impl<const N: usize> ReadMostly<N> for NanopathSeqLock<N> {
    const NAME: &'static str = "nanopath_seqlock";
    fn new() -> Self {
        Self(nanopath_atomic::SeqLock::new([0; N]))
    }
    #[inline]
    fn read(&self) -> [u64; N] {
        self.0.read()
    }
    fn write(&self, value: [u64; N]) {
        self.0.write(value);
    }
}

struct StdRwLock<const N: usize>(std::sync::RwLock<[u64; N]>);
impl<const N: usize> ReadMostly<N> for StdRwLock<N> {
    const NAME: &'static str = "std_rwlock";
    fn new() -> Self {
        Self(std::sync::RwLock::new([0; N]))
    }
    #[inline]
    fn read(&self) -> [u64; N] {
        *self.0.read().expect("not poisoned")
    }
    fn write(&self, value: [u64; N]) {
        *self.0.write().expect("not poisoned") = value;
    }
}

struct SeqlockCrate<const N: usize>(seqlock::SeqLock<[u64; N]>);
impl<const N: usize> ReadMostly<N> for SeqlockCrate<N> {
    const NAME: &'static str = "seqlock_crate";
    fn new() -> Self {
        Self(seqlock::SeqLock::new([0; N]))
    }
    #[inline]
    fn read(&self) -> [u64; N] {
        self.0.read()
    }
    fn write(&self, value: [u64; N]) {
        *self.0.lock_write() = value;
    }
}

/// Reads one value and checks it is whole (every word written together).
#[inline]
fn checked_read<const N: usize, C: ReadMostly<N>>(cell: &C) {
    let v = cell.read();
    assert!(v[0] == v[N - 1], "{} returned a torn value", C::NAME);
    black_box(v);
}

fn bench_read_mostly<const N: usize, C: ReadMostly<N>>(group: &mut Group<'_>, param: &str) {
    // Sanity check before timing: a write is visible, and reads under a
    // concurrent writer are never torn (checked_read asserts).
    let cell = C::new();
    cell.write([7; N]);
    assert_eq!(cell.read(), [7; N], "{} lost a write", C::NAME);
    with_paced_writer(
        WRITER_PERIOD,
        |n| cell.write([n; N]),
        || {
            for _ in 0..100_000 {
                checked_read(&cell);
            }
        },
    );

    // Boxed and padded: the cell shares no line with either thread's stack.
    let cell = Box::new(nanopath_atomic::CachePadded::new(C::new()));
    let cell: &C = &cell;
    with_paced_writer(
        WRITER_PERIOD,
        |n| cell.write([n; N]),
        || {
            group.bench_with_input(BenchmarkId::new(C::NAME, param), &(), |b, _| {
                b.iter(|| checked_read(cell))
            })
        },
    );
}

fn seqlocks(c: &mut Criterion) {
    let mut group = c.benchmark_group("seqlock_read");
    group.throughput(Throughput::Elements(1));
    bench_read_mostly::<8, NanopathSeqLock<8>>(&mut group, "64B");
    bench_read_mostly::<8, StdRwLock<8>>(&mut group, "64B");
    bench_read_mostly::<8, SeqlockCrate<8>>(&mut group, "64B");
    bench_read_mostly::<16, NanopathSeqLock<16>>(&mut group, "128B");
    bench_read_mostly::<16, StdRwLock<16>>(&mut group, "128B");
    bench_read_mostly::<16, SeqlockCrate<16>>(&mut group, "128B");
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = counters, locks, seqlocks
}
criterion_main!(benches);
