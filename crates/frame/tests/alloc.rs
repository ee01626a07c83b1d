//! Decoding N frames from one `BytesMut` makes a bounded number of
//! allocations that does not grow with N (payloads are split off, never
//! copied). Counted with a counting global allocator.

use bytes::BytesMut;
use nanopath_frame::{FrameDecoder, FrameEncoder, FrameFields};
use nanopath_testkit::{CountingAllocator, thread_allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made while decoding `n` frames of 64-byte payloads (the
/// stream is built first, outside the count).
fn allocations_to_decode(n: usize) -> u64 {
    let mut wire = BytesMut::with_capacity(n * 90);
    for i in 0..n {
        FrameEncoder::default()
            .encode(
                FrameFields {
                    sequence: i as u64,
                    flags: 0,
                },
                &[i as u8; 64],
                &mut wire,
            )
            .unwrap();
    }
    let mut dec = FrameDecoder::default();
    let before = thread_allocations();
    let mut decoded = 0;
    while let Some(frame) = dec.decode(&mut wire).unwrap() {
        assert_eq!(frame.payload()[0], decoded as u8);
        decoded += 1;
        drop(frame);
    }
    let made = thread_allocations() - before;
    assert_eq!(decoded, n);
    made
}

#[test]
fn decoding_allocates_a_constant_amount() {
    let small = allocations_to_decode(10);
    let large = allocations_to_decode(if cfg!(miri) { 50 } else { 10_000 });
    assert_eq!(small, large, "allocations grew with the frame count");
    assert!(small <= 2, "{small} allocations to decode");
    // Control: the counter does see allocations.
    let before = thread_allocations();
    drop(std::hint::black_box(BytesMut::with_capacity(100)));
    assert!(thread_allocations() > before);
}
