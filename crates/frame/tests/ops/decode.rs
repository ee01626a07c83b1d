//! Raw bytes through `Frame::parse_with` and the streaming decoder, fed in
//! chunks whose size comes from the input. Neither may panic, every frame
//! returned is within the maximum, and the decoder reserves memory only in
//! step with what arrived, also when a header announces the most the
//! configuration allows. One checker for the `decode` fuzz target
//! (`fuzz/fuzz_targets/decode.rs`) and its regression seeds, replayed by
//! `tests/frames.rs`; it panics on the first violation.

use bytes::BytesMut;
use nanopath_frame::{Config, Frame, FrameDecoder};

/// The configuration the first byte selects: its cube as the maximum (0 to
/// 16 581 375 bytes, so a header may announce far more than has arrived)
/// and its low bit whether payload checksums are verified.
pub(crate) fn config(knobs: u8) -> Config {
    Config {
        max_frame_len: u32::from(knobs).pow(3),
        verify_checksums: knobs & 1 == 0,
    }
}

/// Checks one input: a knob byte, then the stream.
pub(crate) fn check(data: &[u8]) {
    let Some((&knobs, data)) = data.split_first() else {
        return;
    };
    let config = config(knobs);
    let max = config.max_frame_len as usize;
    let mut rest = data;
    while let Ok((frame, tail)) = Frame::parse_with(rest, &config) {
        assert!(frame.payload().len() <= max, "a frame above the maximum");
        assert!(tail.len() < rest.len(), "a parse consumed nothing");
        rest = tail;
    }
    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::new();
    let chunk = usize::from(knobs % 17) + 1;
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        let room = buf.capacity();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(frame.payload().len() <= max, "a frame above the maximum");
                }
                Ok(None) => {
                    // A reserve that reallocates asks for at most
                    // `2 * len + RESERVE_STEP` and `BytesMut` may double
                    // that; one that does not leaves the capacity as it was.
                    let bound = room.max(4 * buf.len() + 2 * FrameDecoder::RESERVE_STEP);
                    assert!(
                        buf.capacity() <= bound,
                        "{} reserved holding {}",
                        buf.capacity(),
                        buf.len()
                    );
                    break;
                }
                Err(_) => return,
            }
        }
    }
}
