//! Decoding N frames from one `BytesMut` makes a bounded number of
//! allocations that does not grow with N (payloads are split off, never
//! copied). Counted with a counting global allocator.

use bytes::BytesMut;
use nanopath_frame::{Decoder, Encoder, FrameFields};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made while decoding `n` frames of 64-byte payloads (the
/// stream is built first, outside the count).
fn allocations_to_decode(n: usize) -> usize {
    let mut wire = BytesMut::with_capacity(n * 90);
    for i in 0..n {
        Encoder::default()
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
    let mut dec = Decoder::default();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut decoded = 0;
    while let Some(frame) = dec.decode(&mut wire).unwrap() {
        assert_eq!(frame.payload()[0], decoded as u8);
        decoded += 1;
        drop(frame);
    }
    let made = ALLOCATIONS.load(Ordering::Relaxed) - before;
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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(BytesMut::with_capacity(100)));
    assert!(ALLOCATIONS.load(Ordering::Relaxed) > before);
}
