//! nanopath-frame head to head: decoding a stream of frames held in one
//! `BytesMut` (a fresh copy per batch, made outside the timing).
//!
//! * `frame_decode/{64B,1KiB,16KiB}`: ours with CRC32C verification on
//!   (`nanopath`), tokio-util's `LengthDelimitedCodec` on the same
//!   payloads with its 4-byte length prefix (`length_delimited`: no
//!   checksum, payloads split off without a copy), and a decoder that
//!   checks our frames the same way but copies each payload into a
//!   `Vec<u8>` (`copying`). 64 B is counted in frames/s, the larger sizes
//!   in payload GB/s.
//! * `frame_encode/16KiB`: `encode_vectored` (header and CRC only; the
//!   payload is borrowed), `encode` into a `BytesMut` (one copy), and
//!   `LengthDelimitedCodec::encode` (one copy, no checksum).

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nanopath_bench::criterion_config;
use nanopath_frame::{Frame, FrameDecoder, FrameEncoder, FrameFields, HEADER_LEN};
use std::hint::black_box;
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

/// Frames per decoded stream.
fn frames_for(size: usize) -> usize {
    ((256 * 1024) / size).clamp(16, 4096)
}

fn payload(i: usize, size: usize) -> Vec<u8> {
    (0..size).map(|j| (i * 31 + j) as u8).collect()
}

/// Our decoder, but every payload copied into a `Vec<u8>`.
fn decode_copying(buf: &mut BytesMut) -> Option<Vec<u8>> {
    let (frame, _) = Frame::parse(buf).ok()?;
    let copy = frame.payload().to_vec();
    let total = HEADER_LEN + copy.len();
    let _ = buf.split_to(total);
    Some(copy)
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_decode");
    for (size, name) in [(64usize, "64B"), (1024, "1KiB"), (16 * 1024, "16KiB")] {
        let n = frames_for(size);
        let mut ours = BytesMut::new();
        let mut theirs = BytesMut::new();
        let mut ld = LengthDelimitedCodec::new();
        for i in 0..n {
            let p = payload(i, size);
            FrameEncoder::default()
                .encode(
                    FrameFields {
                        sequence: i as u64,
                        flags: 0,
                    },
                    &p,
                    &mut ours,
                )
                .unwrap();
            ld.encode(Bytes::from(p), &mut theirs).unwrap();
        }
        g.throughput(if size == 64 {
            Throughput::Elements(n as u64)
        } else {
            Throughput::Bytes((n * size) as u64)
        });
        // Sanity: every decoder sees all n frames with the right payloads.
        {
            let mut b = ours.clone();
            let mut dec = FrameDecoder::default();
            let mut k = 0;
            while let Some(f) = dec.decode(&mut b).unwrap() {
                assert_eq!(&f.payload()[..], &payload(k, size)[..]);
                k += 1;
            }
            assert_eq!(k, n);
            let mut b = theirs.clone();
            let mut k = 0;
            while let Some(f) = LengthDelimitedCodec::new().decode(&mut b).unwrap() {
                assert_eq!(&f[..], &payload(k, size)[..]);
                k += 1;
            }
            assert_eq!(k, n);
            let mut b = ours.clone();
            assert_eq!(std::iter::from_fn(|| decode_copying(&mut b)).count(), n);
        }
        g.bench_function(BenchmarkId::new("nanopath", name), |b| {
            let mut dec = FrameDecoder::default();
            b.iter_batched_ref(
                || ours.clone(),
                |buf| {
                    while let Some(f) = dec.decode(buf).unwrap() {
                        black_box(f);
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(BenchmarkId::new("length_delimited", name), |b| {
            let mut codec = LengthDelimitedCodec::new();
            b.iter_batched_ref(
                || theirs.clone(),
                |buf| {
                    while let Some(f) = codec.decode(buf).unwrap() {
                        black_box(f);
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(BenchmarkId::new("copying", name), |b| {
            b.iter_batched_ref(
                || ours.clone(),
                |buf| {
                    while let Some(p) = decode_copying(buf) {
                        black_box(p);
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_encode");
    let size = 16 * 1024;
    let p = payload(1, size);
    let bytes = Bytes::from(p.clone());
    g.throughput(Throughput::Bytes(size as u64));
    let enc = FrameEncoder::default();
    assert_eq!(
        enc.encode_vectored(FrameFields::default(), &p)
            .unwrap()
            .len(),
        HEADER_LEN + size
    );
    g.bench_function(BenchmarkId::new("nanopath_vectored", "16KiB"), |b| {
        b.iter(|| {
            let f = enc
                .encode_vectored(
                    FrameFields {
                        sequence: 1,
                        flags: 0,
                    },
                    black_box(&p),
                )
                .unwrap();
            black_box(f.io_slices().len());
        })
    });
    let mut out = BytesMut::with_capacity(2 * size);
    g.bench_function(BenchmarkId::new("nanopath_copy", "16KiB"), |b| {
        b.iter(|| {
            out.clear();
            enc.encode(
                FrameFields {
                    sequence: 1,
                    flags: 0,
                },
                black_box(&p),
                &mut out,
            )
            .unwrap();
            black_box(&out);
        })
    });
    let mut codec = LengthDelimitedCodec::new();
    g.bench_function(BenchmarkId::new("length_delimited", "16KiB"), |b| {
        b.iter(|| {
            out.clear();
            codec.encode(black_box(bytes.clone()), &mut out).unwrap();
            black_box(&out);
        })
    });
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = decode, encode
}
criterion_main!(benches);
