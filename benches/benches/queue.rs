//! nanopath-queue head to head under criterion. The scenarios, what they
//! move and how they are timed are documented in `nanopath_bench::queue`
//! (`benches/src/queue.rs`), which the A/B rounds binary shares; the
//! async channels in `nanopath_bench::async_channel`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::criterion_config;
use nanopath_bench::queue::*;
use std::hint::black_box;
use std::time::Duration;

fn mpmc(c: &mut Criterion) {
    for run in [
        |n| mpmc_transfer_nanopath(1, 1, n),
        |n| mpmc_transfer_arrayqueue(1, 1, n),
        |n| mpmc_transfer_nanopath(2, 2, n),
        |n| mpmc_transfer_arrayqueue(2, 2, n),
        mpmc_2threads_nanopath,
        mpmc_2threads_arrayqueue,
        mpsc_nanopath_unbounded,
        mpsc_nanopath_bounded,
        mpsc_segqueue,
        mpsc_std,
        uncontended_nanopath,
        uncontended_arrayqueue,
    ] {
        black_box(run(100_000));
    }

    let mut group = c.benchmark_group("mpmc_1p1c");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_mpmc", |b| {
        b.iter_custom(|n| mpmc_transfer_nanopath(1, 1, n))
    });
    group.bench_function("crossbeam_arrayqueue", |b| {
        b.iter_custom(|n| mpmc_transfer_arrayqueue(1, 1, n))
    });
    group.finish();

    // Items per operation: one push and one pop each.
    let mut group = c.benchmark_group("mpmc_2threads");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_mpmc", |b| {
        b.iter_custom(|n| mpmc_2threads_nanopath(n.max(2) & !1))
    });
    group.bench_function("crossbeam_arrayqueue", |b| {
        b.iter_custom(|n| mpmc_2threads_arrayqueue(n.max(2) & !1))
    });
    group.finish();

    let mut group = c.benchmark_group("mpmc_2p2c_oversubscribed");
    group.throughput(Throughput::Elements(1));
    // Two producers split the items, so round to an even count.
    group.bench_function("nanopath_mpmc", |b| {
        b.iter_custom(|n| mpmc_transfer_nanopath(2, 2, n.max(2) & !1))
    });
    group.bench_function("crossbeam_arrayqueue", |b| {
        b.iter_custom(|n| mpmc_transfer_arrayqueue(2, 2, n.max(2) & !1))
    });
    group.finish();

    let mut group = c.benchmark_group("mpmc_uncontended");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_mpmc", |b| b.iter_custom(uncontended_nanopath));
    group.bench_function("crossbeam_arrayqueue", |b| {
        b.iter_custom(uncontended_arrayqueue)
    });
    group.finish();

    let mut group = c.benchmark_group("mpsc_2p1c");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_mpsc_unbounded", |b| {
        b.iter_custom(|n| mpsc_nanopath_unbounded(n.max(2) & !1))
    });
    group.bench_function("nanopath_mpsc_bounded", |b| {
        b.iter_custom(|n| mpsc_nanopath_bounded(n.max(2) & !1))
    });
    group.bench_function("crossbeam_segqueue", |b| {
        b.iter_custom(|n| mpsc_segqueue(n.max(2) & !1))
    });
    group.bench_function("std_mpsc", |b| b.iter_custom(|n| mpsc_std(n.max(2) & !1)));
    group.finish();
}

fn channels(c: &mut Criterion) {
    for run in [
        channel_nanopath_spsc,
        channel_nanopath_spsc_busy_spin,
        channel_nanopath_mpsc,
        channel_nanopath_mpmc,
        channel_crossbeam,
        channel_flume,
        channel_std,
        channel_pingpong_nanopath_spsc,
        channel_pingpong_crossbeam,
    ] {
        black_box(run(10_000));
    }
    let mut group = c.benchmark_group("channel_1p1c");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_channel_spsc", |b| {
        b.iter_custom(channel_nanopath_spsc)
    });
    group.bench_function("nanopath_channel_spsc_busy_spin", |b| {
        b.iter_custom(channel_nanopath_spsc_busy_spin)
    });
    group.bench_function("nanopath_channel_mpsc", |b| {
        b.iter_custom(channel_nanopath_mpsc)
    });
    group.bench_function("nanopath_channel_mpmc", |b| {
        b.iter_custom(channel_nanopath_mpmc)
    });
    group.bench_function("crossbeam_channel", |b| b.iter_custom(channel_crossbeam));
    group.bench_function("flume", |b| b.iter_custom(channel_flume));
    group.bench_function("std_sync_channel", |b| b.iter_custom(channel_std));
    group.finish();

    let mut group = c.benchmark_group("channel_pingpong");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_channel_spsc", |b| {
        b.iter_custom(channel_pingpong_nanopath_spsc)
    });
    group.bench_function("crossbeam_channel", |b| {
        b.iter_custom(channel_pingpong_crossbeam)
    });
    group.finish();
}

fn spsc(c: &mut Criterion) {
    // Sanity check before timing: each implementation delivers 100k items in
    // order (the asserts are inside the consumers and stay on while timed).
    for run in [
        spsc_items::<Nanopath>,
        spsc_items::<Rtrb>,
        spsc_items::<Ringbuf>,
        nanopath_chunks,
        rtrb_chunks,
        spsc_pingpong::<Nanopath>,
        spsc_pingpong::<Rtrb>,
    ] {
        black_box(run(100_000));
    }

    let mut group = c.benchmark_group("spsc_1p1c");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_spsc", |b| b.iter_custom(spsc_items::<Nanopath>));
    group.bench_function("rtrb", |b| b.iter_custom(spsc_items::<Rtrb>));
    group.bench_function("ringbuf", |b| b.iter_custom(spsc_items::<Ringbuf>));
    group.finish();

    let mut group = c.benchmark_group("spsc_chunks_64");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_spsc", |b| b.iter_custom(nanopath_chunks));
    group.bench_function("rtrb", |b| b.iter_custom(rtrb_chunks));
    group.finish();

    let mut group = c.benchmark_group("spsc_pingpong");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nanopath_spsc", |b| {
        b.iter_custom(spsc_pingpong::<Nanopath>)
    });
    group.bench_function("rtrb", |b| b.iter_custom(spsc_pingpong::<Rtrb>));
    group.finish();
}

fn async_channels(c: &mut Criterion) {
    use nanopath_bench::async_channel::*;
    type One = fn(u64, bool) -> Duration;
    let ones: [(&str, One); 5] = [
        ("nanopath_channel_mpsc", one_nanopath_mpsc),
        ("nanopath_channel_spsc", one_nanopath_spsc),
        ("tokio_mpsc", one_tokio_mpsc),
        ("flume", one_flume),
        ("kanal", one_kanal),
    ];
    for (group_name, multi) in [("async_1p1c", true), ("async_1p1c_current_thread", false)] {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements(1));
        for (name, run) in ones {
            black_box(run(10_000, multi));
            group.bench_function(name, |b| b.iter_custom(|n| run(n, multi)));
        }
        group.finish();
    }
    type PingPong = fn(u64) -> Duration;
    let pingpongs: [(&str, PingPong); 5] = [
        ("nanopath_channel_mpsc", pingpong_nanopath_mpsc),
        ("nanopath_channel_spsc", pingpong_nanopath_spsc),
        ("tokio_mpsc", pingpong_tokio_mpsc),
        ("flume", pingpong_flume),
        ("kanal", pingpong_kanal),
    ];
    let mut group = c.benchmark_group("async_pingpong");
    group.throughput(Throughput::Elements(1));
    for (name, run) in pingpongs {
        black_box(run(1_000));
        group.bench_function(name, |b| b.iter_custom(run));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = spsc, mpmc, channels, async_channels
}
criterion_main!(benches);
