//! Channel operation sequences (every flavor, handles cloned and dropped)
//! against a model (see `crates/queue/tests/ops/channel.rs`).
#![no_main]

#[path = "../../crates/queue/tests/ops/channel.rs"]
mod channel_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (kind, capacity, ops) = channel_ops::from_bytes(data);
    channel_ops::check(kind, capacity, &ops);
});
