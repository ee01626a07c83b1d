//! The datapath's workload, shared by both builds: a byte stream of
//! length-prefixed request frames (nanopath-frame's format), what each
//! request must compute, and the response it produces.
//!
//! A request's payload starts with its key (8 bytes, little endian); the
//! rest is pseudo-random bytes. Handling a request updates the key's state
//! (requests seen, the last checksum), computes the CRC32C of the payload
//! and counts the payload bytes above [`THRESHOLD`], and answers with a
//! response frame whose payload is [`Response::to_bytes`].

use bytes::BytesMut;
use nanopath_frame::{FrameEncoder, FrameFields};

/// Bytes above this value are counted by the threshold filter.
pub const THRESHOLD: u8 = 200;

/// The response payload: what a request computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Response {
    /// The request's sequence number.
    pub sequence: u64,
    /// CRC32C of the request payload.
    pub crc: u32,
    /// Payload bytes above [`THRESHOLD`].
    pub above: u32,
    /// Requests with this key so far, this one included.
    pub seen: u64,
}

impl Response {
    /// Encoded size.
    pub const LEN: usize = 24;

    /// Little-endian fields, in declaration order.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut b = [0u8; Self::LEN];
        b[0..8].copy_from_slice(&self.sequence.to_le_bytes());
        b[8..12].copy_from_slice(&self.crc.to_le_bytes());
        b[12..16].copy_from_slice(&self.above.to_le_bytes());
        b[16..24].copy_from_slice(&self.seen.to_le_bytes());
        b
    }

    /// The inverse of [`to_bytes`](Self::to_bytes); `None` for a payload
    /// of the wrong length.
    pub fn from_bytes(b: &[u8]) -> Option<Response> {
        let b: &[u8; Self::LEN] = b.try_into().ok()?;
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Some(Response {
            sequence: u64_at(0),
            crc: u32_at(8),
            above: u32_at(12),
            seen: u64_at(16),
        })
    }
}

/// The workload's shape.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Requests in the stream.
    pub requests: u64,
    /// Payload bytes per request (at least 8, for the key).
    pub payload: usize,
    /// Distinct keys.
    pub keys: u64,
}

/// A small, fast generator (xorshift64*): the workload must not depend on
/// a random-number crate, and both builds must see the same bytes.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced: xorshift has no zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The key of request `i`.
pub fn key_of(shape: &Shape, i: u64) -> u64 {
    // A multiplicative hash spreads consecutive requests over the keys.
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % shape.keys.max(1)
}

/// The payload of request `i`: its key, then bytes from a generator
/// seeded by `i`.
pub fn payload_of(shape: &Shape, i: u64, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&key_of(shape, i).to_le_bytes());
    let mut rng = Rng::new(i.wrapping_add(0x5151));
    while out.len() < shape.payload.max(8) {
        let word = rng.next_u64().to_le_bytes();
        let room = shape.payload.max(8) - out.len();
        out.extend_from_slice(&word[..room.min(8)]);
    }
}

/// The whole request stream, encoded: request `i` has sequence number `i`.
pub fn request_stream(shape: &Shape) -> BytesMut {
    let encoder = FrameEncoder::new(u32::MAX);
    let frame_len = nanopath_frame::HEADER_LEN + shape.payload.max(8);
    let mut wire = BytesMut::with_capacity(frame_len * shape.requests as usize);
    let mut payload = Vec::with_capacity(shape.payload.max(8));
    for i in 0..shape.requests {
        payload_of(shape, i, &mut payload);
        encoder
            .encode(
                FrameFields {
                    sequence: i,
                    flags: 0,
                },
                &payload,
                &mut wire,
            )
            .expect("payload within u32::MAX");
    }
    wire
}

/// The key a payload carries (its first 8 bytes); `None` if it is shorter.
pub fn key_in(payload: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(payload.get(..8)?.try_into().ok()?))
}

/// The reference: what every request's response must be, computed the
/// plainest way (scalar loops, a `HashMap`), for checking both builds.
pub fn expected_responses(shape: &Shape) -> Vec<Response> {
    let mut seen = std::collections::HashMap::new();
    let mut payload = Vec::new();
    (0..shape.requests)
        .map(|i| {
            payload_of(shape, i, &mut payload);
            let key = key_in(&payload).expect("8-byte key");
            let count = seen.entry(key).or_insert(0u64);
            *count += 1;
            Response {
                sequence: i,
                crc: crc32c_scalar(&payload),
                above: payload.iter().filter(|&&b| b > THRESHOLD).count() as u32,
                seen: *count,
            }
        })
        .collect()
}

/// CRC32C bit by bit (the Castagnoli polynomial, reflected): the
/// reference the builds' checksums are checked against, and the naive
/// build's checksum loop.
pub fn crc32c_scalar(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0x82f6_3b78 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_crc_matches_the_simd_kernel_and_the_check_value() {
        // The CRC-32C check value of "123456789".
        assert_eq!(crc32c_scalar(b"123456789"), 0xe306_9283);
        let shape = Shape {
            requests: 1,
            payload: 1000,
            keys: 3,
        };
        let mut p = Vec::new();
        payload_of(&shape, 7, &mut p);
        assert_eq!(crc32c_scalar(&p), nanopath_simd::crc32c(&p));
    }

    #[test]
    fn the_stream_decodes_to_the_requests_in_order() {
        let shape = Shape {
            requests: 50,
            payload: 100,
            keys: 4,
        };
        let mut wire = request_stream(&shape);
        let mut dec = nanopath_frame::FrameDecoder::default();
        let mut payload = Vec::new();
        for i in 0..shape.requests {
            let frame = dec.decode(&mut wire).unwrap().unwrap();
            assert_eq!(frame.sequence(), i);
            payload_of(&shape, i, &mut payload);
            assert_eq!(&frame.payload()[..], &payload[..]);
            assert_eq!(key_in(frame.payload()), Some(key_of(&shape, i)));
        }
        assert!(wire.is_empty());
    }

    #[test]
    fn responses_round_trip_and_count_per_key() {
        let shape = Shape {
            requests: 40,
            payload: 8,
            keys: 4,
        };
        let expected = expected_responses(&shape);
        let total: u64 = (0..shape.keys)
            .map(|k| {
                expected
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| key_of(&shape, *i as u64) == k)
                    .map(|(_, r)| r.seen)
                    .max()
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!(total, shape.requests, "last counts add up to the requests");
        for r in &expected {
            assert_eq!(Response::from_bytes(&r.to_bytes()), Some(*r));
        }
        assert_eq!(Response::from_bytes(&[0; 3]), None);
    }
}
