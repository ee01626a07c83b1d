//! nanopath-pool head to head.
//!
//! * `pool_1thread/{4KiB,64B}`: acquire an object, write one byte, release
//!   it, on one thread. Ours: `ObjectPool` (warm). Competitors: `Box::new`
//!   and drop (the system allocator), a `Mutex<Vec<Box<T>>>` pool (the common
//!   hand-written pool), the object-pool crate (`Pool<Box<T>>`, objects
//!   move in and out), lockfree-object-pool's `LinearObjectPool`.
//! * `pool_2threads/4KiB`: the same cycle on two threads sharing one pool.
//! * `buffer_cycle`: `BufferPool` acquire, write 64 bytes, freeze, drop, vs
//!   `BytesMut::with_capacity(4096)`, write, freeze, drop.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::{criterion_config, run_concurrently};
use nanopath_pool::{BufferPool, ObjectPool};
use std::hint::black_box;
use std::sync::Mutex;

/// An object of `N` bytes; the first byte is written on every use.
#[derive(Clone)]
struct Obj<const N: usize>([u8; N]);

fn new_obj<const N: usize>() -> Obj<N> {
    Obj([0; N])
}

/// A pool the benches lend one object from, write one byte, and return.
trait Pool: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn cycle(&self, v: u8);
}

struct Ours<const N: usize>(ObjectPool<Obj<N>>);
impl<const N: usize> Pool for Ours<N> {
    const NAME: &'static str = "nanopath_pool";
    fn new() -> Self {
        let p = ObjectPool::new(64, new_obj::<N>);
        p.prefill(64);
        Self(p)
    }
    #[inline]
    fn cycle(&self, v: u8) {
        let mut o = self.0.acquire();
        o.0[0] = v;
        black_box(&*o);
    }
}

struct BoxAlloc<const N: usize>;
impl<const N: usize> Pool for BoxAlloc<N> {
    const NAME: &'static str = "box_alloc";
    fn new() -> Self {
        Self
    }
    #[inline]
    fn cycle(&self, v: u8) {
        let mut o = Box::new(new_obj::<N>());
        o.0[0] = v;
        black_box(&*o);
    }
}

struct MutexVec<const N: usize>(Mutex<Vec<Box<Obj<N>>>>);
impl<const N: usize> Pool for MutexVec<N> {
    const NAME: &'static str = "mutex_vec_pool";
    fn new() -> Self {
        Self(Mutex::new(
            (0..64).map(|_| Box::new(new_obj::<N>())).collect(),
        ))
    }
    #[inline]
    fn cycle(&self, v: u8) {
        let popped = self.0.lock().unwrap().pop();
        let mut o = popped.unwrap_or_else(|| Box::new(new_obj::<N>()));
        o.0[0] = v;
        black_box(&*o);
        self.0.lock().unwrap().push(o);
    }
}

struct ObjectPoolCrate<const N: usize>(object_pool::Pool<Box<Obj<N>>>);
impl<const N: usize> Pool for ObjectPoolCrate<N> {
    const NAME: &'static str = "object_pool";
    fn new() -> Self {
        Self(object_pool::Pool::new(64, || Box::new(new_obj::<N>())))
    }
    #[inline]
    fn cycle(&self, v: u8) {
        let mut o = self.0.pull(|| Box::new(new_obj::<N>()));
        o.0[0] = v;
        black_box(&**o);
    }
}

struct LockfreeObjectPool<const N: usize>(lockfree_object_pool::LinearObjectPool<Obj<N>>);
impl<const N: usize> Pool for LockfreeObjectPool<N> {
    const NAME: &'static str = "lockfree_object_pool";
    fn new() -> Self {
        Self(lockfree_object_pool::LinearObjectPool::new(
            new_obj::<N>,
            |_| {},
        ))
    }
    #[inline]
    fn cycle(&self, v: u8) {
        let mut o = self.0.pull();
        o.0[0] = v;
        black_box(&*o);
    }
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn bench_1thread<P: Pool>(group: &mut Group<'_>, param: &str) {
    let pool = P::new();
    pool.cycle(1); // sanity: runs without panicking
    group.bench_with_input(BenchmarkId::new(P::NAME, param), &(), |b, _| {
        b.iter(|| pool.cycle(black_box(7)))
    });
}

fn bench_2threads<P: Pool>(group: &mut Group<'_>, param: &str) {
    let pool = P::new();
    group.bench_with_input(BenchmarkId::new(P::NAME, param), &(), |b, _| {
        b.iter_custom(|iters| run_concurrently(2, iters, |t, _| pool.cycle(t as u8)))
    });
}

fn pools(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool_1thread");
    group.throughput(Throughput::Elements(1));
    bench_1thread::<Ours<4096>>(&mut group, "4KiB");
    bench_1thread::<BoxAlloc<4096>>(&mut group, "4KiB");
    bench_1thread::<MutexVec<4096>>(&mut group, "4KiB");
    bench_1thread::<ObjectPoolCrate<4096>>(&mut group, "4KiB");
    bench_1thread::<LockfreeObjectPool<4096>>(&mut group, "4KiB");
    bench_1thread::<Ours<64>>(&mut group, "64B");
    bench_1thread::<BoxAlloc<64>>(&mut group, "64B");
    bench_1thread::<MutexVec<64>>(&mut group, "64B");
    bench_1thread::<ObjectPoolCrate<64>>(&mut group, "64B");
    bench_1thread::<LockfreeObjectPool<64>>(&mut group, "64B");
    group.finish();

    let mut group = c.benchmark_group("pool_2threads");
    group.throughput(Throughput::Elements(1));
    bench_2threads::<Ours<4096>>(&mut group, "4KiB");
    bench_2threads::<MutexVec<4096>>(&mut group, "4KiB");
    bench_2threads::<LockfreeObjectPool<4096>>(&mut group, "4KiB");
    group.finish();
}

fn buffers(c: &mut Criterion) {
    let mut group = c.benchmark_group("buffer_cycle");
    group.throughput(Throughput::Elements(1));
    let payload = [0xAB_u8; 64];
    let pool = BufferPool::new(16, 4096);
    {
        // Sanity: the frozen bytes are what was written.
        let mut b = pool.acquire();
        b.extend_from_slice(&payload);
        assert_eq!(&b.freeze()[..], &payload[..]);
    }
    group.bench_function("nanopath_buffer_pool", |b| {
        b.iter(|| {
            let mut buf = pool.acquire();
            buf.extend_from_slice(&payload);
            black_box(buf.freeze())
        })
    });
    group.bench_function("bytesmut_alloc", |b| {
        b.iter(|| {
            let mut buf = bytes::BytesMut::with_capacity(4096);
            buf.extend_from_slice(&payload);
            black_box(buf.freeze())
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = pools, buffers
}
criterion_main!(benches);
