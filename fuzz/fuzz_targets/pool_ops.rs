//! Object pool operation sequences against a model of its free set (see
//! `crates/pool/tests/ops/object_pool.rs`).
#![no_main]

#[path = "../../crates/pool/tests/ops/object_pool.rs"]
mod pool_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (capacity, ops) = pool_ops::from_bytes(data);
    pool_ops::check(capacity, &ops);
});
