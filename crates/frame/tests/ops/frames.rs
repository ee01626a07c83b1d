//! Structure-aware frame streams: a sequence of frames encoded with valid
//! checksums, then bit-flipped, cut, spliced and concatenated, and fed to
//! the streaming decoder in chunks of any size. The decoder must agree with
//! `Frame::parse_with` over the whole stream (the plain, one-shot parser is
//! the model), return the encoded frames exactly while the bytes are
//! intact, stop at the first damaged frame when checksums are verified,
//! keep a sticky error, and reserve memory only in step with what arrived.
//! One checker for the proptest (`tests/frames.rs`), the `frames` fuzz
//! target (`fuzz/fuzz_targets/frames.rs`) and its regression seeds; it
//! panics on the first disagreement.

use bytes::{Bytes, BytesMut};
use nanopath_frame::{
    Config, Frame, FrameDecoder, FrameEncoder, FrameError, FrameFields, FrameHeader, HEADER_LEN,
    MAGIC, VERSION,
};
use nanopath_testkit::arbitrary::{self, Unstructured};
use zerocopy::{FromZeros, IntoBytes};

/// What the stream is made of and what happens to it on the way.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    pub(crate) config: Config,
    /// Frames as sent: fields, payload length and a seed for its bytes.
    pub(crate) frames: Vec<(FrameFields, usize, u8)>,
    pub(crate) damage: Vec<Damage>,
    /// Sizes of the reads the decoder gets, cycled (each at least 1).
    pub(crate) reads: Vec<usize>,
}

/// A change to the encoded bytes; positions are taken modulo the length.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Damage {
    Flip {
        at: usize,
        bit: u8,
    },
    /// Everything from `at` on is lost.
    Cut {
        at: usize,
    },
    /// A byte inserted at `at`.
    Insert {
        at: usize,
        byte: u8,
    },
    /// The first `len` bytes appended again (a stream concatenated with
    /// a prefix of itself).
    Repeat {
        len: usize,
    },
    /// A lone header with a valid checksum inserted before frame
    /// `before` (modulo the frame count plus one: after the last frame),
    /// announcing `len` payload bytes (modulo the maximum plus one) that
    /// never come as such: what follows it is read as its payload. With a
    /// large maximum this is a peer that announces much and sends little.
    Announce {
        before: usize,
        len: u32,
    },
}

/// Largest payload generated (some above the decoder's maximum).
pub(crate) const MAX_PAYLOAD: usize = 700;

/// Largest maximum frame length chosen: the default, 16 MiB, so that an
/// announced length can be far beyond what has arrived.
pub(crate) const MAX_LIMIT: u32 = 16 << 20;

impl Stream {
    /// A stream from fuzz bytes.
    pub(crate) fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Stream> {
        // Mostly a maximum near the payloads' sizes (so some are refused),
        // sometimes one far above them.
        let max_frame_len = if u.ratio(1, 4)? {
            u.int_in_range(0..=MAX_LIMIT)?
        } else {
            u.int_in_range(0..=MAX_PAYLOAD as u32)?
        };
        let config = Config {
            max_frame_len,
            verify_checksums: u.ratio(7, 8)?,
        };
        let fitting = MAX_PAYLOAD.min(max_frame_len as usize);
        let count = u.int_in_range(0..=12)?;
        let mut frames = Vec::with_capacity(count);
        for _ in 0..count {
            let fields = FrameFields {
                sequence: u.arbitrary()?,
                flags: u.arbitrary()?,
            };
            // Mostly within the maximum, sometimes beyond it.
            let len = if u.ratio(1, 8)? {
                u.int_in_range(0..=MAX_PAYLOAD)?
            } else {
                u.int_in_range(0..=fitting)?
            };
            frames.push((fields, len, u.arbitrary()?));
        }
        let mut damage = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let at = u.arbitrary::<u16>()? as usize;
            damage.push(match u.int_in_range(0..=6u8)? {
                0..=2 => Damage::Flip {
                    at,
                    bit: u.int_in_range(0..=7)?,
                },
                3 => Damage::Cut { at },
                4 => Damage::Insert {
                    at,
                    byte: u.arbitrary()?,
                },
                5 => Damage::Repeat { len: at },
                _ => Damage::Announce {
                    before: at,
                    len: u.arbitrary()?,
                },
            });
        }
        let mut reads = Vec::new();
        for _ in 0..u.int_in_range(1..=4)? {
            reads.push(u.int_in_range(1..=300)?);
        }
        Ok(Stream {
            config,
            frames,
            damage,
            reads,
        })
    }
}

/// A stream from fuzz bytes (an empty one where the bytes run out).
pub(crate) fn from_bytes(data: &[u8]) -> Stream {
    Stream::arbitrary(&mut Unstructured::new(data)).unwrap_or(Stream {
        config: Config::default(),
        frames: Vec::new(),
        damage: Vec::new(),
        reads: vec![1],
    })
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| seed ^ (i as u8).wrapping_mul(31))
        .collect()
}

/// A header announcing `len` payload bytes, its checksum valid, with no
/// payload behind it.
fn lone_header(len: u32) -> Vec<u8> {
    let mut header = FrameHeader::new_zeroed();
    header.magic.set(MAGIC);
    header.version = VERSION;
    header.length.set(len);
    header.sequence.set(u64::from(len));
    let mut bytes = header.as_bytes().to_vec();
    let crc = nanopath_simd::crc32c(&bytes[..HEADER_LEN - 4]);
    bytes[HEADER_LEN - 4..].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// What a parse of the whole stream gives: the frames, then how it ended.
#[derive(Debug, PartialEq)]
struct Parsed {
    frames: Vec<(FrameFields, Bytes)>,
    /// `Ok(n)`: the stream ended with `n` bytes of a cut frame (0: clean).
    end: Result<usize, FrameError>,
}

/// The model: `Frame::parse_with` over the whole stream, one frame at a time.
fn parse_all(wire: &[u8], config: &Config) -> Parsed {
    let mut frames = Vec::new();
    let mut rest = wire;
    loop {
        if rest.is_empty() {
            return Parsed { frames, end: Ok(0) };
        }
        match Frame::parse_with(rest, config) {
            Ok((frame, tail)) => {
                assert!(tail.len() < rest.len(), "a parse consumed nothing");
                frames.push((frame.fields(), Bytes::copy_from_slice(frame.payload())));
                rest = tail;
            }
            Err(FrameError::TooShort { actual, .. }) => {
                assert_eq!(actual, rest.len());
                return Parsed {
                    frames,
                    end: Ok(actual),
                };
            }
            Err(e) => {
                return Parsed {
                    frames,
                    end: Err(e),
                };
            }
        }
    }
}

/// The streaming decoder over `wire`, fed in `reads`-sized pieces.
fn decode_all(wire: &[u8], config: Config, reads: &[usize]) -> Parsed {
    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    let mut error = None;
    for &read in reads.iter().cycle() {
        if fed == wire.len() {
            break;
        }
        let piece = &wire[fed..(fed + read).min(wire.len())];
        fed += piece.len();
        buf.extend_from_slice(piece);
        let room = buf.capacity();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push((frame.fields(), frame.payload().clone())),
                Ok(None) => {
                    // Reserved in step with what arrived (see
                    // `FrameDecoder::RESERVE_STEP`; `BytesMut` may double).
                    let bound = room.max(4 * buf.len() + 2 * FrameDecoder::RESERVE_STEP);
                    assert!(
                        buf.capacity() <= bound,
                        "{} reserved holding {}",
                        buf.capacity(),
                        buf.len()
                    );
                    break;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if error.is_some() {
            break;
        }
    }
    if let Some(e) = error {
        // Sticky, and nothing of the bad frame consumed, even with the
        // rest of the stream behind it.
        let held = buf.len();
        buf.extend_from_slice(&wire[fed..]);
        assert_eq!(decoder.decode(&mut buf), Err(e));
        assert_eq!(decoder.decode_eof(&mut buf), Err(e));
        assert_eq!(
            buf.len(),
            held + wire.len() - fed,
            "the bad frame was consumed"
        );
        return Parsed {
            frames,
            end: Err(e),
        };
    }
    let held = buf.len();
    match decoder.decode_eof(&mut buf) {
        Ok(None) => {
            assert_eq!(held, 0);
            Parsed { frames, end: Ok(0) }
        }
        Ok(Some(_)) => panic!("decode_eof found a frame decode missed"),
        Err(FrameError::TooShort { actual, .. }) => {
            assert_eq!(actual, held);
            Parsed {
                frames,
                end: Ok(held),
            }
        }
        Err(e) => panic!("decode_eof: {e:?} that decode did not report"),
    }
}

/// Encodes, damages and decodes `stream`; panics on any disagreement.
pub(crate) fn check(stream: &Stream) {
    let config = stream.config;
    let encoder = FrameEncoder::new(u32::MAX);
    let mut wire = BytesMut::new();
    let mut sent = Vec::new();
    // Where each frame starts and ends in the undamaged stream.
    let mut spans = Vec::new();
    for &(fields, len, seed) in &stream.frames {
        let data = payload(len, seed);
        let start = wire.len();
        encoder
            .encode(fields, &data, &mut wire)
            .expect("within u32::MAX");
        spans.push(start..wire.len());
        sent.push((fields, Bytes::from(data)));
    }
    let intact = wire.to_vec();
    let mut damaged = intact.clone();
    for &d in &stream.damage {
        let n = damaged.len();
        match d {
            Damage::Flip { at, bit } if n > 0 => damaged[at % n] ^= 1 << bit,
            Damage::Cut { at } => damaged.truncate(if n == 0 { 0 } else { at % (n + 1) }),
            Damage::Insert { at, byte } => damaged.insert(at % (n + 1), byte),
            Damage::Repeat { len } => {
                let prefix = damaged[..len.min(n)].to_vec();
                damaged.extend_from_slice(&prefix);
            }
            Damage::Announce { before, len } => {
                let len = len % config.max_frame_len.saturating_add(1);
                // A frame boundary of the intact stream (earlier damage
                // may have moved it; then it is just a position).
                let k = before % (spans.len() + 1);
                let at = spans.get(k).map_or(intact.len(), |s| s.start).min(n);
                damaged.splice(at..at, lone_header(len));
            }
            Damage::Flip { .. } => {}
        }
    }

    let model = parse_all(&damaged, &config);
    let reads: Vec<usize> = stream.reads.iter().map(|&r| r.max(1)).collect();
    assert_eq!(
        decode_all(&damaged, config, &reads),
        model,
        "decoder vs parse_with"
    );

    // Frames wholly before the first changed byte arrive as sent (up to
    // the first one beyond the maximum, which is refused).
    let first_change = intact
        .iter()
        .zip(&damaged)
        .position(|(a, b)| a != b)
        .unwrap_or(intact.len().min(damaged.len()));
    let whole = spans.iter().take_while(|s| s.end <= first_change).count();
    let allowed = sent
        .iter()
        .take(whole)
        .take_while(|(_, p)| p.len() <= config.max_frame_len as usize)
        .count();
    assert!(model.frames.len() >= allowed, "lost intact frames");
    assert_eq!(model.frames[..allowed], sent[..allowed]);
    if allowed < whole {
        let len = sent[allowed].1.len() as u32;
        assert_eq!(model.frames.len(), allowed);
        assert_eq!(
            model.end,
            Err(FrameError::TooLarge {
                len,
                max: config.max_frame_len
            })
        );
    }
    if damaged == intact {
        if allowed == sent.len() {
            assert_eq!(model.end, Ok(0), "an intact stream ends cleanly");
        }
        return;
    }
    // Only flips, checksums on: the first damaged frame is never delivered
    // (CRC32C catches every error of up to three bits in a frame).
    let only_flips = stream
        .damage
        .iter()
        .all(|d| matches!(d, Damage::Flip { .. }));
    if only_flips && config.verify_checksums && allowed == whole {
        assert_eq!(model.frames.len(), whole, "a damaged frame was delivered");
        assert!(model.end.is_err(), "damage went unnoticed: {:?}", model.end);
    }
}
