//! nanopath-shard against the same pipeline on crossbeam-channel, flume
//! and std's `sync_channel` (see `nanopath_bench::shard`): messages per
//! second, one sender, 1 worker and (where the machine has a core for each
//! thread) 2 workers.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::criterion_config;
use nanopath_bench::shard::*;

fn shard(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for workers in [1usize, 2] {
        // One sender plus the workers, each busy: more threads than cores
        // measures the scheduler.
        if 1 + workers > cores.max(2) {
            continue;
        }
        let mut group = c.benchmark_group(format!("shard_1sender/{workers}worker"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("nanopath_shard", |b| {
            b.iter_custom(|n| nanopath(workers, n))
        });
        group.bench_function("nanopath_shard_symmetric_fences", |b| {
            b.iter_custom(|n| nanopath_symmetric(workers, n))
        });
        group.bench_function("nanopath_shard_busy_spin", |b| {
            b.iter_custom(|n| nanopath_busy_spin(workers, n))
        });
        group.bench_function("crossbeam_channel", |b| {
            b.iter_custom(|n| crossbeam(workers, n))
        });
        group.bench_function("flume", |b| b.iter_custom(|n| flume(workers, n)));
        group.bench_function("std_sync_channel", |b| {
            b.iter_custom(|n| std_mpsc(workers, n))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = shard
}
criterion_main!(benches);
