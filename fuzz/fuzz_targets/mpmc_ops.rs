//! Bounded MPMC and MPSC queue operation sequences against a `VecDeque`
//! model (see `crates/queue/tests/ops/bounded.rs`).
#![no_main]

#[path = "../../crates/queue/tests/ops/bounded.rs"]
mod bounded_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (which, capacity, ops) = bounded_ops::from_bytes(data);
    bounded_ops::check(which, capacity, &ops);
});
