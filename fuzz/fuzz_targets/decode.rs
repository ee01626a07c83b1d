//! Raw bytes through `Frame::parse` and the streaming decoder, fed in
//! chunks whose sizes come from the input. Neither may panic; the decoder
//! reserves only in step with what arrived. (Random bytes rarely pass the
//! magic and the header checksum; the `frames` target builds valid
//! streams to reach what lies behind them.)
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
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        let room = buf.capacity();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    // Reserved in step with what arrived (BytesMut may
                    // double), and never beyond the frame's end.
                    let step = 4 * buf.len() + 2 * FrameDecoder::RESERVE_STEP;
                    let frame = 2 * (HEADER_LEN + config.max_frame_len as usize);
                    assert!(buf.capacity() <= room.max(step.min(frame.max(room))));
                    break;
                }
                Err(_) => return,
            }
        }
    }
});
