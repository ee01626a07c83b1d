//! nanopath-simd head to head, in GB/s of input, at 64 B, 1 KiB, 64 KiB and
//! 1 MiB (inputs live in one buffer, reused, so the larger sizes measure
//! L2/L3 bandwidth rather than DRAM), and CRC32C also at 96 MiB, far above
//! the last-level cache, where DRAM bandwidth decides.
//!
//! Every group has `nanopath` (the dispatched entry point), one
//! `level_<name>` entry per level this CPU has (forced with `*_with`), the
//! naive `reference` (the compiler may auto-vectorise it), and the crates
//! people use:
//! * `crc32c`: the crc32c crate (3-way `crc32`), crc32fast (CRC-32/IEEE, a
//!   different polynomial, with carry-less folding: the speed yardstick);
//!   the reference is the bitwise loop, and `level_scalar` our tables.
//! * `find` (byte absent, the whole input scanned): memchr.
//! * `count`: `memchr::memchr_iter(..).count()`.
//! * `sum64`: simd-adler32 (a checksum peer) and `copy_from_slice` of the
//!   same bytes (the memory-bandwidth yardstick).
//! * `keep_above`, `f32_add`, `f32_scale`, `f32_sum`: the reference and a
//!   copy.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::criterion_config;
use nanopath_simd::{Level, checksum, f32s, reference, search, threshold};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [(usize, &str); 4] = [
    (64, "64B"),
    (1024, "1KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

/// Levels this CPU has.
fn levels() -> Vec<Level> {
    Level::ALL
        .into_iter()
        .filter(|l| l.is_available())
        .collect()
}

fn level_id(level: Level) -> String {
    format!("level_{}", level.name().replace('.', ""))
}

fn input(len: usize) -> Vec<u8> {
    // Deterministic bytes with no 0xFF (the byte `find` looks for).
    (0..len as u32)
        .map(|i| ((i.wrapping_mul(2_654_435_761) >> 13) % 255) as u8)
        .collect()
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// A group for one kernel: throughput in input bytes, short timings (the
/// kernels are single-threaded and stable; `cargo xtask bench` flags
/// cannot lengthen these).
fn group<'a>(c: &'a mut Criterion, name: &str) -> Group<'a> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_millis(700));
    g.sample_size(20);
    g
}

fn run(g: &mut Group<'_>, id: &str, size: &str, mut f: impl FnMut()) {
    g.bench_function(BenchmarkId::new(id, size), |b| b.iter(&mut f));
}

fn crc(c: &mut Criterion) {
    let mut g = group(c, "crc32c");
    for (len, size) in SIZES {
        let data = input(len);
        let d = &data[..];
        g.throughput(Throughput::Bytes(len as u64));
        // Sanity: every entry computes the same CRC (crc32fast is a
        // different CRC and is only timed).
        let want = crc32c::crc32c(d);
        assert_eq!(nanopath_simd::crc32c(d), want);
        assert_eq!(reference::crc32c(0, d), want);
        run(&mut g, "nanopath", size, || {
            black_box(nanopath_simd::crc32c(black_box(d)));
        });
        for level in levels() {
            assert_eq!(
                nanopath_simd::crc::crc32c_append_with(level, 0, d),
                Ok(want)
            );
            run(&mut g, &level_id(level), size, || {
                black_box(nanopath_simd::crc::crc32c_append_with(level, 0, black_box(d)).ok());
            });
        }
        run(&mut g, "crc32c_crate", size, || {
            black_box(crc32c::crc32c(black_box(d)));
        });
        run(&mut g, "crc32fast", size, || {
            black_box(crc32fast::hash(black_box(d)));
        });
        if len <= 64 * 1024 {
            // The bitwise loop takes milliseconds at 1 MiB.
            run(&mut g, "reference", size, || {
                black_box(reference::crc32c(0, black_box(d)));
            });
        }
    }
    // Far above the last-level cache: memory bandwidth, and how each
    // level's access pattern streams from DRAM.
    let len = 96 << 20;
    let data = input(len);
    let d = &data[..];
    g.throughput(Throughput::Bytes(len as u64));
    g.sample_size(10);
    let want = crc32c::crc32c(d);
    assert_eq!(nanopath_simd::crc32c(d), want);
    run(&mut g, "nanopath", "96MiB", || {
        black_box(nanopath_simd::crc32c(black_box(d)));
    });
    for level in levels() {
        run(&mut g, &level_id(level), "96MiB", || {
            black_box(nanopath_simd::crc::crc32c_append_with(level, 0, black_box(d)).ok());
        });
    }
    run(&mut g, "crc32c_crate", "96MiB", || {
        black_box(crc32c::crc32c(black_box(d)));
    });
}

fn find_count(c: &mut Criterion) {
    let mut g = group(c, "find");
    for (len, size) in SIZES {
        let data = input(len);
        let d = &data[..];
        g.throughput(Throughput::Bytes(len as u64));
        assert_eq!(search::find(d, 0xFF), None);
        assert_eq!(memchr::memchr(0xFF, d), None);
        run(&mut g, "nanopath", size, || {
            black_box(search::find(black_box(d), black_box(0xFF)));
        });
        for level in levels() {
            run(&mut g, &level_id(level), size, || {
                black_box(search::find_with(level, black_box(d), black_box(0xFF)).ok());
            });
        }
        run(&mut g, "memchr", size, || {
            black_box(memchr::memchr(black_box(0xFF), black_box(d)));
        });
        run(&mut g, "reference", size, || {
            black_box(reference::find(black_box(d), black_box(0xFF)));
        });
    }
    drop(g);
    let mut g = group(c, "count");
    for (len, size) in SIZES {
        let data = input(len);
        let d = &data[..];
        g.throughput(Throughput::Bytes(len as u64));
        let want = reference::count(d, 7);
        assert_eq!(search::count(d, 7), want);
        assert_eq!(memchr::memchr_iter(7, d).count(), want);
        run(&mut g, "nanopath", size, || {
            black_box(search::count(black_box(d), black_box(7)));
        });
        for level in levels() {
            run(&mut g, &level_id(level), size, || {
                black_box(search::count_with(level, black_box(d), black_box(7)).ok());
            });
        }
        run(&mut g, "memchr_iter", size, || {
            black_box(memchr::memchr_iter(black_box(7), black_box(d)).count());
        });
        run(&mut g, "reference", size, || {
            black_box(reference::count(black_box(d), black_box(7)));
        });
    }
}

fn sum64_keep_above(c: &mut Criterion) {
    let mut g = group(c, "sum64");
    for (len, size) in SIZES {
        let data = input(len);
        let d = &data[..];
        let mut copy = vec![0u8; len];
        g.throughput(Throughput::Bytes(len as u64));
        assert_eq!(checksum::sum64(d), reference::sum64(d));
        run(&mut g, "nanopath", size, || {
            black_box(checksum::sum64(black_box(d)));
        });
        for level in levels() {
            run(&mut g, &level_id(level), size, || {
                black_box(checksum::sum64_with(level, black_box(d)).ok());
            });
        }
        run(&mut g, "reference", size, || {
            black_box(reference::sum64(black_box(d)));
        });
        run(&mut g, "simd_adler32", size, || {
            black_box(simd_adler32::adler32(&black_box(d)));
        });
        run(&mut g, "copy_from_slice", size, || {
            copy.copy_from_slice(black_box(d));
            black_box(&copy);
        });
    }
    drop(g);
    let mut g = group(c, "keep_above");
    for (len, size) in SIZES {
        let data = input(len);
        let d = &data[..];
        let mut out = vec![0u8; len];
        let mut want = vec![0u8; len];
        reference::keep_above(d, 100, &mut want);
        threshold::keep_above(d, 100, &mut out).unwrap();
        assert_eq!(out, want);
        g.throughput(Throughput::Bytes(len as u64));
        run(&mut g, "nanopath", size, || {
            threshold::keep_above(black_box(d), black_box(100), &mut out).unwrap();
            black_box(&out);
        });
        for level in levels() {
            run(&mut g, &level_id(level), size, || {
                threshold::keep_above_with(level, black_box(d), black_box(100), &mut out).unwrap();
                black_box(&out);
            });
        }
        run(&mut g, "reference", size, || {
            reference::keep_above(black_box(d), black_box(100), &mut out);
            black_box(&out);
        });
        run(&mut g, "copy_from_slice", size, || {
            out.copy_from_slice(black_box(d));
            black_box(&out);
        });
    }
}

fn floats(c: &mut Criterion) {
    for kernel in ["f32_add", "f32_scale", "f32_sum"] {
        let mut g = group(c, kernel);
        for (len, size) in SIZES {
            let n = len / 4;
            let a: Vec<f32> = (0..n).map(|i| (i % 201) as f32 - 100.0).collect();
            let b: Vec<f32> = (0..n).map(|i| (i % 77) as f32 * 1.5).collect();
            let mut out = vec![0f32; n];
            g.throughput(Throughput::Bytes(len as u64));
            let (a, b) = (&a[..], &b[..]);
            match kernel {
                "f32_add" => {
                    run(&mut g, "nanopath", size, || {
                        f32s::add(black_box(a), black_box(b), &mut out).unwrap();
                        black_box(&out);
                    });
                    for level in levels() {
                        run(&mut g, &level_id(level), size, || {
                            f32s::add_with(level, black_box(a), black_box(b), &mut out).unwrap();
                            black_box(&out);
                        });
                    }
                    run(&mut g, "reference", size, || {
                        reference::add(black_box(a), black_box(b), &mut out);
                        black_box(&out);
                    });
                }
                "f32_scale" => {
                    run(&mut g, "nanopath", size, || {
                        f32s::scale(black_box(a), black_box(1.5), &mut out).unwrap();
                        black_box(&out);
                    });
                    for level in levels() {
                        run(&mut g, &level_id(level), size, || {
                            f32s::scale_with(level, black_box(a), black_box(1.5), &mut out)
                                .unwrap();
                            black_box(&out);
                        });
                    }
                    run(&mut g, "reference", size, || {
                        reference::scale(black_box(a), black_box(1.5), &mut out);
                        black_box(&out);
                    });
                }
                _ => {
                    // Sums of these values are exact in f32 (small integers
                    // whose running sums stay far below 2^24), so every
                    // order agrees.
                    assert_eq!(f32s::sum(a), reference::sum(a));
                    run(&mut g, "nanopath", size, || {
                        black_box(f32s::sum(black_box(a)));
                    });
                    for level in levels() {
                        run(&mut g, &level_id(level), size, || {
                            black_box(f32s::sum_with(level, black_box(a)).ok());
                        });
                    }
                    run(&mut g, "reference", size, || {
                        black_box(reference::sum(black_box(a)));
                    });
                }
            }
        }
    }
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = crc, find_count, sum64_keep_above, floats
}
criterion_main!(benches);
