//! Round trips in any chunking, every malformed-input class with its exact
//! error, and random garbage that must never panic or over-reserve.

use bytes::{Bytes, BytesMut};
use nanopath_frame::{
    Config, Frame, FrameDecoder, FrameEncoder, FrameError, FrameFields, HEADER_LEN, MAGIC, VERSION,
};
use nanopath_testkit::proptest_config;
use proptest::prelude::*;

fn encode_all(frames: &[(FrameFields, Vec<u8>)]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for (fields, payload) in frames {
        FrameEncoder::default()
            .encode(*fields, payload, &mut wire)
            .unwrap();
    }
    wire.to_vec()
}

fn frames() -> impl Strategy<Value = Vec<(FrameFields, Vec<u8>)>> {
    proptest::collection::vec(
        (
            any::<u64>(),
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 40 } else { 600 }),
        )
            .prop_map(|(sequence, flags, payload)| (FrameFields { sequence, flags }, payload)),
        0..if cfg!(miri) { 4 } else { 12 },
    )
}

/// Feeds `wire` to a decoder in chunks of the given sizes (cycled; 0 read
/// as 1) and returns what came out.
fn decode_chunked(wire: &[u8], chunks: &[usize], config: Config) -> Result<Vec<Frame>, FrameError> {
    let mut dec = FrameDecoder::new(config);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < wire.len() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1);
        let end = (at + n).min(wire.len());
        buf.extend_from_slice(&wire[at..end]);
        at = end;
        i += 1;
        while let Some(frame) = dec.decode(&mut buf)? {
            out.push(frame);
        }
    }
    assert!(buf.is_empty(), "bytes left over after whole frames");
    Ok(out)
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Any sequence of frames, fed in any chunking (including one byte at
    /// a time), comes back identical; `parse` walks the same bytes.
    #[test]
    fn round_trip_in_any_chunking(frames in frames(), chunks in proptest::collection::vec(0usize..80, 1..8), one_by_one in any::<bool>()) {
        let wire = encode_all(&frames);
        let chunks = if one_by_one { vec![1] } else { chunks };
        let got = decode_chunked(&wire, &chunks, Config::default()).unwrap();
        prop_assert_eq!(got.len(), frames.len());
        for (frame, (fields, payload)) in got.iter().zip(&frames) {
            prop_assert_eq!(frame.sequence(), fields.sequence);
            prop_assert_eq!(frame.flags(), fields.flags);
            prop_assert_eq!(&frame.payload()[..], &payload[..]);
        }
        let mut rest = &wire[..];
        for (fields, payload) in &frames {
            let (frame, tail) = Frame::parse(rest).unwrap();
            prop_assert_eq!((frame.sequence(), frame.flags(), frame.payload()), (fields.sequence, fields.flags, &payload[..]));
            rest = tail;
        }
        prop_assert!(rest.is_empty());
        // The vectored form puts the same bytes on the wire.
        let mut vectored = Vec::new();
        for (fields, payload) in &frames {
            let v = FrameEncoder::default().encode_vectored(*fields, payload).unwrap();
            for s in v.io_slices() {
                vectored.extend_from_slice(&s);
            }
        }
        prop_assert_eq!(vectored, wire);
    }

    /// Random bytes, and valid streams with random bytes overwritten,
    /// inserted or cut: decode and parse return frames or errors, never
    /// panic, and the decoder never reserves beyond what the next frame
    /// (bounded by the maximum) needs.
    #[test]
    fn garbage_never_panics_or_over_reserves(
        frames in frames(),
        garbage in proptest::collection::vec(any::<u8>(), 0..300),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        raw in any::<bool>(),
        max in 0u32..2000,
    ) {
        let mut wire = if raw { garbage } else { encode_all(&frames) };
        if !wire.is_empty() {
            for (at, byte) in &edits {
                let i = at.index(wire.len());
                wire[i] = *byte;
            }
            wire.truncate(cut.index(wire.len() + 1));
        }
        let config = Config { max_frame_len: max, verify_checksums: true };
        // parse: frames until an error or the end.
        let mut rest = &wire[..];
        while !rest.is_empty() {
            match Frame::parse_with(rest, &config) {
                Ok((frame, tail)) => {
                    prop_assert!(frame.payload().len() <= max as usize);
                    rest = tail;
                }
                Err(_) => break,
            }
        }
        // decode, a few bytes at a time, watching the reservation.
        let mut dec = FrameDecoder::new(config);
        let mut buf = BytesMut::new();
        // The largest capacity the buffer has had: BytesMut may hand back
        // its original allocation, or double, when asked to grow.
        let mut peak = 0;
        'feed: for chunk in wire.chunks(7) {
            buf.extend_from_slice(chunk);
            peak = peak.max(buf.capacity());
            loop {
                match dec.decode(&mut buf) {
                    Ok(Some(frame)) => prop_assert!(frame.payload().len() <= max as usize),
                    Ok(None) => {
                        // The decoder asked for at most what the next frame
                        // needs, which the header check bounded by `max`.
                        let bound = 2 * peak.max(HEADER_LEN + max as usize);
                        prop_assert!(buf.capacity() <= bound, "capacity {} > {}", buf.capacity(), bound);
                        peak = peak.max(buf.capacity());
                        break;
                    }
                    Err(e) => {
                        // The same error again, nothing consumed.
                        let len = buf.len();
                        prop_assert_eq!(dec.decode(&mut buf), Err(e));
                        prop_assert_eq!(buf.len(), len);
                        break 'feed;
                    }
                }
            }
        }
    }
}

fn one_frame(payload: &[u8]) -> Vec<u8> {
    encode_all(&[(
        FrameFields {
            sequence: 0x0102_0304_0506_0708,
            flags: 0x5A,
        },
        payload.to_vec(),
    )])
}

/// Both entry points see the same error for a whole buffer.
fn errors(wire: &[u8], config: Config) -> (FrameError, FrameError) {
    let parse = Frame::parse_with(wire, &config).unwrap_err();
    let mut buf = BytesMut::from(wire);
    let decode = FrameDecoder::new(config).decode(&mut buf).unwrap_err();
    assert_eq!(buf.len(), wire.len(), "nothing consumed on error");
    (parse, decode)
}

#[test]
fn truncated_header() {
    let wire = one_frame(b"payload");
    for len in 0..HEADER_LEN {
        assert_eq!(
            Frame::parse(&wire[..len]),
            Err(FrameError::TooShort {
                actual: len,
                expected: HEADER_LEN
            })
        );
        let mut buf = BytesMut::from(&wire[..len]);
        assert_eq!(FrameDecoder::default().decode(&mut buf), Ok(None));
        assert!(buf.capacity() >= HEADER_LEN, "room for the header reserved");
    }
}

#[test]
fn truncated_payload() {
    let wire = one_frame(&[9u8; 40]);
    for len in HEADER_LEN..wire.len() {
        assert_eq!(
            Frame::parse(&wire[..len]),
            Err(FrameError::TooShort {
                actual: len,
                expected: HEADER_LEN + 40
            })
        );
        let mut buf = BytesMut::from(&wire[..len]);
        assert_eq!(FrameDecoder::default().decode(&mut buf), Ok(None));
        assert!(buf.capacity() >= wire.len(), "room for the frame reserved");
    }
}

#[test]
fn bad_magic() {
    let mut wire = one_frame(b"x");
    wire[0] = b'X';
    let want = FrameError::BadMagic {
        actual: u32::from_be_bytes([b'X', b'P', b'F', b'R']),
    };
    assert_eq!(errors(&wire, Config::default()), (want, want));
    assert_ne!(MAGIC, u32::from_be_bytes([b'X', b'P', b'F', b'R']));
}

#[test]
fn bad_version() {
    let mut wire = one_frame(b"x");
    wire[4] = VERSION + 1;
    let want = FrameError::UnsupportedVersion {
        actual: VERSION + 1,
    };
    assert_eq!(errors(&wire, Config::default()), (want, want));
}

#[test]
fn oversized_length_is_refused_before_any_reservation() {
    // A peer announcing a 4 GiB payload: a valid header (checksum right)
    // with length u32::MAX and nothing after it.
    let mut wire = one_frame(b"");
    wire[6..10].copy_from_slice(&u32::MAX.to_be_bytes());
    let crc = nanopath_simd::crc32c(&wire[..22]);
    wire[22..26].copy_from_slice(&crc.to_be_bytes());
    let want = FrameError::TooLarge {
        len: u32::MAX,
        max: 16 << 20,
    };
    let mut buf = BytesMut::from(&wire[..]);
    let cap = buf.capacity();
    assert_eq!(FrameDecoder::default().decode(&mut buf), Err(want));
    assert_eq!(buf.capacity(), cap, "nothing reserved");
    assert_eq!(Frame::parse(&wire), Err(want));
    // And a small configured maximum.
    let wire = one_frame(&[0u8; 65]);
    let small = Config {
        max_frame_len: 64,
        ..Config::default()
    };
    let want = FrameError::TooLarge { len: 65, max: 64 };
    assert_eq!(errors(&wire, small), (want, want));
}

/// A header alone (valid checksum) announcing `len` payload bytes.
fn header_announcing(len: u32) -> Vec<u8> {
    let mut wire = one_frame(b"");
    wire[6..10].copy_from_slice(&len.to_be_bytes());
    let crc = nanopath_simd::crc32c(&wire[..22]);
    wire[22..26].copy_from_slice(&crc.to_be_bytes());
    wire
}

/// Lengths near `u32::MAX` with the maximum configured as high as it goes:
/// no arithmetic overflow (on 32-bit targets `HEADER_LEN + len` would
/// wrap), and a frame that could not fit in one buffer on this target is
/// `TooLarge`, refused before any reservation. Run under Miri on i686 by
/// `cargo xtask verify`.
#[test]
fn lengths_near_u32_max_with_the_largest_maximum() {
    let config = Config {
        max_frame_len: u32::MAX,
        ..Config::default()
    };
    let max = config.effective_max_frame_len();
    if cfg!(target_pointer_width = "64") {
        assert_eq!(max, u32::MAX);
    } else {
        assert_eq!(max as usize, isize::MAX as usize - HEADER_LEN);
    }
    for len in [
        u32::MAX,
        u32::MAX - 1,
        u32::MAX - 26,
        max,
        max.saturating_add(1),
    ] {
        let wire = header_announcing(len);
        let parsed = Frame::parse_with(&wire, &config);
        if len > max {
            let want = FrameError::TooLarge { len, max };
            assert_eq!(parsed, Err(want));
            let mut buf = BytesMut::from(&wire[..]);
            let cap = buf.capacity();
            assert_eq!(FrameDecoder::new(config).decode(&mut buf), Err(want));
            assert_eq!(buf.capacity(), cap, "nothing reserved");
            assert_eq!(buf.len(), wire.len(), "nothing consumed");
        } else {
            // Acceptable: the whole frame is addressable, so its length is
            // exact (the decoder would reserve it; not done here).
            assert_eq!(
                parsed,
                Err(FrameError::TooShort {
                    actual: HEADER_LEN,
                    expected: HEADER_LEN + len as usize
                })
            );
        }
    }
}

#[test]
fn flipped_payload_bit() {
    let payload = b"the quick brown fox";
    let clean = one_frame(payload);
    for bit in 0..payload.len() * 8 {
        let mut wire = clean.clone();
        wire[HEADER_LEN + bit / 8] ^= 1 << (bit % 8);
        let mut bad = payload.to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        let want = FrameError::PayloadChecksum {
            expected: nanopath_simd::crc32c(payload),
            actual: nanopath_simd::crc32c(&bad),
        };
        assert_eq!(errors(&wire, Config::default()), (want, want));
        // With verification off the frame goes through, flipped bit and all.
        let off = Config {
            verify_checksums: false,
            ..Config::default()
        };
        let (frame, _) = Frame::parse_with(&wire, &off).unwrap();
        assert_eq!(frame.payload(), &bad[..]);
    }
}

#[test]
fn flipped_header_bit() {
    let clean = one_frame(b"abc");
    // Flags, length, sequence, payload CRC and the header CRC itself: a
    // flipped bit anywhere there is a header checksum error (magic and
    // version have their own errors, checked first).
    for bit in 5 * 8..HEADER_LEN * 8 {
        let mut wire = clean.clone();
        wire[bit / 8] ^= 1 << (bit % 8);
        let (parse, decode) = errors(&wire, Config::default());
        assert_eq!(parse, FrameError::HeaderChecksum, "bit {bit}");
        assert_eq!(decode, FrameError::HeaderChecksum, "bit {bit}");
    }
}

#[test]
fn decoding_after_an_error_keeps_what_was_decoded() {
    let mut wire = BytesMut::from(
        &encode_all(&[
            (
                FrameFields {
                    sequence: 1,
                    flags: 0,
                },
                b"good".to_vec(),
            ),
            (
                FrameFields {
                    sequence: 2,
                    flags: 0,
                },
                b"bad".to_vec(),
            ),
        ])[..],
    );
    let second = HEADER_LEN + 4;
    wire[second + HEADER_LEN] ^= 0xFF; // corrupt the second payload
    let mut dec = FrameDecoder::default();
    let first = dec.decode(&mut wire).unwrap().unwrap();
    assert!(matches!(
        dec.decode(&mut wire),
        Err(FrameError::PayloadChecksum { .. })
    ));
    assert_eq!(&first.payload()[..], b"good", "the decoded frame is intact");
    assert_eq!(wire.len(), HEADER_LEN + 3, "the bad frame is still there");
}

#[test]
fn errors_display_their_values() {
    assert_eq!(
        FrameError::TooLarge { len: 5, max: 4 }.to_string(),
        "frame payload of 5 bytes exceeds the maximum of 4"
    );
    assert_eq!(
        FrameError::PayloadChecksum {
            expected: 1,
            actual: 2
        }
        .to_string(),
        "payload checksum mismatch: header says 0x00000001, payload has 0x00000002"
    );
    assert_eq!(
        FrameError::BadMagic { actual: 0 }.to_string(),
        "bad magic 0x00000000, expected 0x4e504652"
    );
    let e: Box<dyn std::error::Error> = Box::new(FrameError::HeaderChecksum);
    assert_eq!(e.to_string(), "frame header checksum mismatch");
}

#[test]
fn frames_built_for_sending_round_trip() {
    let frame = Frame::new(
        FrameFields {
            sequence: 5,
            flags: 2,
        },
        Bytes::from_static(b"payload"),
    )
    .unwrap();
    let mut wire = BytesMut::new();
    FrameEncoder::default()
        .encode_frame(&frame, &mut wire)
        .unwrap();
    assert_eq!(
        FrameDecoder::default().decode(&mut wire).unwrap(),
        Some(frame)
    );
}

/// A peer that announces the largest frame and then sends it a byte at a
/// time gets memory in proportion to what it sent: the decoder reserves in
/// steps that follow the bytes held (at most twice what arrived plus
/// `RESERVE_STEP`, and `BytesMut` may double that), never the announced
/// 16 MiB at once. The same frame sent honestly in 64 KiB reads decodes
/// whole, with few reallocations.
#[test]
#[cfg_attr(miri, ignore = "16 MiB of input; the bound is arithmetic, not UB")]
fn a_slow_peer_gets_memory_in_proportion_to_what_it_sent() {
    let config = Config::default();
    let max = config.max_frame_len as usize;
    let payload = vec![0x5au8; max];
    let mut wire = BytesMut::new();
    FrameEncoder::new(config.max_frame_len)
        .encode(FrameFields::default(), &payload, &mut wire)
        .unwrap();
    let wire = wire.freeze();
    let step = FrameDecoder::RESERVE_STEP;

    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::new();
    let slow = 256 * 1024;
    for (sent, byte) in wire[..slow].iter().enumerate() {
        buf.extend_from_slice(&[*byte]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        let held = sent + 1;
        assert!(
            buf.capacity() <= 4 * held + 2 * step,
            "{} bytes reserved after {held} received",
            buf.capacity()
        );
    }
    assert!(
        buf.capacity() < max / 8,
        "nowhere near the announced length"
    );
    // The rest, honestly: the frame decodes whole and in few allocations.
    let mut grown = 0;
    for piece in wire[slow..].chunks(64 * 1024) {
        let before = buf.capacity();
        buf.extend_from_slice(piece);
        match decoder.decode(&mut buf).unwrap() {
            Some(frame) => assert_eq!(frame.payload(), &payload[..]),
            None => assert!(buf.capacity() <= 4 * buf.len() + 2 * step),
        }
        grown += usize::from(buf.capacity() != before);
    }
    assert!(buf.is_empty(), "the whole frame was taken");
    assert!(grown <= 24, "{grown} reallocations for one 16 MiB frame");
}

#[path = "ops/frames.rs"]
mod stream_ops;

#[path = "ops/decode.rs"]
mod decode_ops;

proptest! {
    #![proptest_config(proptest_config())]

    /// Frame sequences with valid checksums, damaged (flips, cuts,
    /// insertions, repeats) and read in pieces: the streaming decoder
    /// agrees with `Frame::parse_with`, delivers intact frames exactly and
    /// never a damaged one (see `ops/frames.rs`). The structure comes from
    /// the bytes, the way the `frames` fuzz target builds it.
    #[test]
    fn damaged_streams_decode_like_the_one_shot_parser(
        data in proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 256 } else { 4096 }),
    ) {
        stream_ops::check(&stream_ops::from_bytes(&data));
    }
}

/// What the `frames` fuzz target found or keeps as seeds, replayed through
/// the same checker.
#[test]
#[cfg_attr(miri, ignore = "reads files; Miri isolates the file system")]
fn fuzz_seeds_replay() {
    for (name, data) in nanopath_testkit::fuzz_seeds("frames") {
        let stream = stream_ops::from_bytes(&data);
        let run = std::panic::catch_unwind(|| stream_ops::check(&stream));
        assert!(run.is_ok(), "seed {name}: {stream:?}");
    }
}

/// What the raw `decode` fuzz target found or keeps as seeds (among them a
/// header announcing the largest frame its configuration allows, followed
/// by a few bytes), replayed through the same checker.
#[test]
#[cfg_attr(miri, ignore = "reads files; Miri isolates the file system")]
fn fuzz_seeds_replay_decode() {
    for (name, data) in nanopath_testkit::fuzz_seeds("decode") {
        let run = std::panic::catch_unwind(|| decode_ops::check(&data));
        assert!(run.is_ok(), "seed {name}: {data:?}");
    }
}
