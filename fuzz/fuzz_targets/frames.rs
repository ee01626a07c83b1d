//! Structure-aware: a frame sequence built from the input, encoded with
//! valid checksums, then damaged and read in pieces (see
//! `crates/frame/tests/ops/frames.rs` for what is checked).
#![no_main]

#[path = "../../crates/frame/tests/ops/frames.rs"]
mod stream_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stream_ops::check(&stream_ops::from_bytes(data));
});
