//! # nanopath-frame
//!
//! Length-prefixed frames for the data path: a fixed 26-byte header in
//! network byte order (a `zerocopy` struct, read in place), a payload
//! protected by CRC32C (from nanopath-simd), and a header checksum.
//!
//! * [`Frame::parse`] views one frame inside a byte slice: no copy, no
//!   allocation.
//! * [`FrameDecoder::decode`] splits whole frames off a `BytesMut` stream
//!   as [`Frame`]s whose payload is a `Bytes` sharing the input's memory (no
//!   copy); `Ok(None)` asks for more bytes. The announced length is checked
//!   against the configured maximum before anything is reserved.
//! * [`FrameEncoder::encode`] appends a frame to a `BytesMut`;
//!   [`FrameEncoder::encode_vectored`] returns the header bytes and the
//!   borrowed payload as two `IoSlice`s, so a frame goes out with one
//!   `write_vectored` and no payload copy.
//! * [`FrameError`] is a `Copy` enum: every error is typed, allocation-free,
//!   and says what was wrong with which values.
//! * With the `tokio` feature, `Codec` implements `tokio_util::codec`'s
//!   `Decoder` and `Encoder` for `Framed`.
//!
//! The wire format is documented byte by byte on [`FrameHeader`] and in the
//! crate README.
//!
//! ```
//! use bytes::BytesMut;
//! use nanopath_frame::{FrameDecoder, FrameEncoder, FrameFields};
//!
//! let mut wire = BytesMut::new();
//! let enc = FrameEncoder::default();
//! enc.encode(FrameFields { sequence: 1, flags: 0 }, b"hello", &mut wire).unwrap();
//! enc.encode(FrameFields { sequence: 2, flags: 0 }, b"world", &mut wire).unwrap();
//!
//! let mut dec = FrameDecoder::default();
//! let first = dec.decode(&mut wire).unwrap().expect("a whole frame");
//! assert_eq!((first.sequence(), &first.payload()[..]), (1, &b"hello"[..]));
//! let second = dec.decode(&mut wire).unwrap().expect("a whole frame");
//! assert_eq!(&second.payload()[..], b"world");
//! assert!(dec.decode(&mut wire).unwrap().is_none()); // needs more bytes
//! ```

// The crate README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod codec;
mod error;
mod header;

#[cfg(feature = "tokio")]
pub use codec::{Codec, CodecError};
pub use codec::{Config, Frame, FrameDecoder, FrameEncoder, FrameFields, FrameRef, VectoredFrame};
pub use error::FrameError;
pub use header::{FrameHeader, HEADER_LEN, MAGIC, VERSION};
