//! SPSC ring operation sequences against a `VecDeque` model (see
//! `crates/queue/tests/ops/spsc.rs`).
#![no_main]

#[path = "../../crates/queue/tests/ops/spsc.rs"]
mod spsc_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (capacity, ops) = spsc_ops::from_bytes(data);
    spsc_ops::check(capacity, &ops);
});
