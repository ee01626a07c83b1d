//! nanopath-queue head to head (SPSC so far).
//!
//! * `spsc_1p1c`: one producer thread pushes u64s one at a time, one
//!   consumer thread pops them, capacity 1024. nanopath `spsc` vs rtrb.
//! * `spsc_chunks_64`: the same traffic moved in chunks of 64 through the
//!   zero-copy chunk APIs (`write_chunk_uninit` + `fill_from_iter`,
//!   `read_chunk` + `commit_all`). nanopath vs rtrb.
//!
//! Times are per item; the producer runs on a scoped thread released by a
//! barrier, the consumer on the benchmark thread, and the sample ends when
//! the consumer has seen every item (checked: in order, none lost).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::criterion_config;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

const CAPACITY: usize = 1024;
const CHUNK: usize = 64;

/// Runs `produce` on a second thread and `consume` here, both released by
/// one barrier; returns the consumer's time.
fn one_to_one(produce: impl FnOnce() + Send, consume: impl FnOnce()) -> Duration {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            barrier.wait();
            produce();
        });
        barrier.wait();
        let start = Instant::now();
        consume();
        start.elapsed()
    })
}

/// Defines `$items(n)` and `$chunks(n)` for one SPSC implementation: move
/// `n` u64s from a producer thread to the consumer, one at a time or in
/// chunks of [`CHUNK`], asserting order on every item. The implementations
/// differ only in how a full push and a successful pop are spelled.
macro_rules! spsc_impl {
    (
        $items:ident, $chunks:ident, $name:literal,
        new: $new:expr,
        full: $full:pat => $back:ident,
        popped: $popped:pat => $value:ident $(,)?
    ) => {
        fn $items(n: u64) -> Duration {
            let (mut tx, mut rx) = $new;
            one_to_one(
                move || {
                    for i in 0..n {
                        let mut v = i;
                        while let Err($full) = tx.push(v) {
                            v = $back;
                            std::hint::spin_loop();
                        }
                    }
                },
                || {
                    let mut expected = 0;
                    while expected < n {
                        if let $popped = rx.pop() {
                            assert_eq!(
                                $value, expected,
                                concat!($name, " lost or reordered an item")
                            );
                            expected += 1;
                        }
                    }
                },
            )
        }

        fn $chunks(n: u64) -> Duration {
            let (mut tx, mut rx) = $new;
            one_to_one(
                move || {
                    let mut next = 0;
                    while next < n {
                        let want = CHUNK.min((n - next) as usize);
                        if let Ok(chunk) = tx.write_chunk_uninit(want) {
                            next += chunk.fill_from_iter(next..) as u64;
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                },
                || {
                    let mut expected = 0;
                    while expected < n {
                        let want = CHUNK.min((n - expected) as usize);
                        if let Ok(chunk) = rx.read_chunk(want) {
                            let (a, b) = chunk.as_slices();
                            for &v in a.iter().chain(b) {
                                assert_eq!(
                                    v, expected,
                                    concat!($name, " chunk lost or reordered an item")
                                );
                                expected += 1;
                            }
                            chunk.commit_all();
                        }
                    }
                },
            )
        }
    };
}

spsc_impl!(
    nanopath_items, nanopath_chunks, "nanopath spsc",
    new: nanopath_queue::spsc::channel::<u64>(CAPACITY),
    full: nanopath_queue::Full(back) => back,
    popped: Some(value) => value,
);

spsc_impl!(
    rtrb_items, rtrb_chunks, "rtrb",
    new: rtrb::RingBuffer::<u64>::new(CAPACITY),
    full: rtrb::PushError::Full(back) => back,
    popped: Ok(value) => value,
);

fn spsc(c: &mut Criterion) {
    // Sanity check before timing: each implementation delivers 100k items in
    // order (the asserts are inside the consumers and stay on while timed).
    for run in [nanopath_items, rtrb_items, nanopath_chunks, rtrb_chunks] {
        black_box(run(100_000));
    }

    let mut group = c.benchmark_group("spsc_1p1c");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_spsc", |b| b.iter_custom(nanopath_items));
    group.bench_function("rtrb", |b| b.iter_custom(rtrb_items));
    group.finish();

    let mut group = c.benchmark_group("spsc_chunks_64");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_spsc", |b| b.iter_custom(nanopath_chunks));
    group.bench_function("rtrb", |b| b.iter_custom(rtrb_chunks));
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = spsc
}
criterion_main!(benches);
