//! Raw bytes through `Frame::parse_with` and the streaming decoder (see
//! `crates/frame/tests/ops/decode.rs` for what is checked). Random bytes
//! rarely pass the magic and the header checksum; the `frames` target
//! builds valid streams to reach what lies behind them.
#![no_main]

#[path = "../../crates/frame/tests/ops/decode.rs"]
mod decode_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    decode_ops::check(data);
});
