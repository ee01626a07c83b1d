//! `cargo +nightly fuzz run decode` (from crates/frame): arbitrary bytes
//! through `Frame::parse` and the streaming decoder, fed in chunks whose
//! sizes come from the input. Neither may panic; the decoder may not
//! reserve beyond what the next frame needs (bounded by the maximum).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use nanopath_frame::{Config, Frame, FrameDecoder, HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, data)) = data.split_first() else {
        return;
    };
    let config = Config {
        max_frame_len: u32::from(knobs) * 64,
        verify_checksums: knobs & 1 == 0,
    };
    let mut rest = data;
    while let Ok((frame, tail)) = Frame::parse_with(rest, &config) {
        assert!(frame.payload().len() <= config.max_frame_len as usize);
        if tail.len() == rest.len() {
            break;
        }
        rest = tail;
    }
    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::new();
    let chunk = usize::from(knobs % 17) + 1;
    // The largest capacity so far: BytesMut may hand back its original
    // allocation, or double, when asked to grow.
    let mut peak = 0;
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        peak = peak.max(buf.capacity());
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    let bound = 2 * peak.max(HEADER_LEN + config.max_frame_len as usize);
                    assert!(buf.capacity() <= bound);
                    peak = peak.max(buf.capacity());
                    break;
                }
                Err(_) => return,
            }
        }
    }
});
