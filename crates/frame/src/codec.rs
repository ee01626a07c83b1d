//! Parsing, streaming decode and encode.
//!
//! Checks, in this order, each with its own [`FrameError`]: enough bytes
//! for a header; magic; version; header checksum; announced length against
//! the maximum; enough bytes for the payload; payload checksum (if
//! enabled). The header checksum is always verified: it is 22 bytes of
//! CRC32C, and it is what makes the length trustworthy before anything is
//! reserved for it.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::io::IoSlice;
use zerocopy::{FromBytes, IntoBytes};

use crate::error::FrameError;
use crate::header::{FrameHeader, HEADER_LEN, MAGIC, VERSION};

/// Options for parsing and decoding.
///
/// ```
/// use nanopath_frame::Config;
///
/// let c = Config::default();
/// assert_eq!(c.max_frame_len, 16 << 20);
/// assert!(c.verify_checksums);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The largest payload accepted, in bytes (checked before anything is
    /// reserved for it). Default 16 MiB. On 32-bit targets the enforced
    /// maximum is at most `isize::MAX - 26` (see
    /// [`effective_max_frame_len`](Self::effective_max_frame_len)).
    pub max_frame_len: u32,
    /// Verify each payload's CRC32C (the header checksum is always
    /// verified). Default on.
    pub verify_checksums: bool,
}

impl Config {
    /// The maximum actually enforced: [`max_frame_len`](Self::max_frame_len),
    /// lowered on targets where a frame that long would not fit in one
    /// buffer (on 32-bit targets a header plus payload must stay within
    /// `isize::MAX` bytes, so lengths above `isize::MAX - 26` are
    /// [`TooLarge`](FrameError::TooLarge) whatever the configured maximum).
    /// `TooLarge` errors report this value as `max`.
    ///
    /// ```
    /// use nanopath_frame::Config;
    ///
    /// let c = Config { max_frame_len: 1 << 20, ..Config::default() };
    /// assert_eq!(c.effective_max_frame_len(), 1 << 20);
    /// let huge = Config { max_frame_len: u32::MAX, ..Config::default() };
    /// let expected = if cfg!(target_pointer_width = "64") { u32::MAX } else { i32::MAX as u32 - 26 };
    /// assert_eq!(huge.effective_max_frame_len(), expected);
    /// ```
    pub fn effective_max_frame_len(&self) -> u32 {
        if self.max_frame_len < ADDRESSABLE_MAX {
            self.max_frame_len
        } else {
            ADDRESSABLE_MAX
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_len: 16 << 20,
            verify_checksums: true,
        }
    }
}

/// The application's header fields of a frame to send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameFields {
    /// Carried unchanged to the receiver ([`Frame::sequence`]).
    pub sequence: u64,
    /// Carried unchanged to the receiver ([`Frame::flags`]).
    pub flags: u8,
}

/// Validates a header (magic, version, header checksum, length); returns
/// the payload length.
fn check_header(header: &FrameHeader, config: &Config) -> Result<usize, FrameError> {
    let magic = header.magic.get();
    if magic != MAGIC {
        return Err(FrameError::BadMagic { actual: magic });
    }
    if header.version != VERSION {
        return Err(FrameError::UnsupportedVersion {
            actual: header.version,
        });
    }
    if header.computed_header_crc() != header.header_crc.get() {
        return Err(FrameError::HeaderChecksum);
    }
    let len = header.length.get();
    let max = config.effective_max_frame_len();
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    // Cannot truncate: `len <= max <= isize::MAX - HEADER_LEN`.
    Ok(len as usize)
}

/// The largest payload whose whole frame (`HEADER_LEN` + payload) fits in
/// one buffer on this target: `isize::MAX - HEADER_LEN`, capped at the
/// 32-bit length field. On 64-bit targets this is `u32::MAX`.
const ADDRESSABLE_MAX: u32 = {
    let room = isize::MAX as usize - HEADER_LEN;
    if room > u32::MAX as usize {
        u32::MAX
    } else {
        room as u32
    }
};

/// Verifies the payload checksum if the config asks for it.
fn check_payload(header: &FrameHeader, payload: &[u8], config: &Config) -> Result<(), FrameError> {
    if config.verify_checksums {
        let actual = nanopath_simd::crc32c(payload);
        let expected = header.payload_crc.get();
        if actual != expected {
            return Err(FrameError::PayloadChecksum { expected, actual });
        }
    }
    Ok(())
}

/// A frame viewed in place inside a byte slice (see [`Frame::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    header: &'a FrameHeader,
    payload: &'a [u8],
}

impl<'a> FrameRef<'a> {
    /// The header, in place.
    pub fn header(&self) -> &'a FrameHeader {
        self.header
    }
    /// The sequence number.
    pub fn sequence(&self) -> u64 {
        self.header.sequence.get()
    }
    /// The flags byte.
    pub fn flags(&self) -> u8 {
        self.header.flags
    }
    /// The application's header fields, as the sender gave them (as
    /// [`Frame::fields`]).
    ///
    /// ```
    /// use nanopath_frame::{Frame, FrameEncoder, FrameFields};
    ///
    /// let fields = FrameFields { sequence: 9, flags: 2 };
    /// let mut wire = bytes::BytesMut::new();
    /// FrameEncoder::default().encode(fields, b"x", &mut wire).unwrap();
    /// assert_eq!(Frame::parse(&wire).unwrap().0.fields(), fields);
    /// ```
    pub fn fields(&self) -> FrameFields {
        FrameFields {
            sequence: self.sequence(),
            flags: self.flags(),
        }
    }
    /// The payload, in place.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// A decoded frame that owns its payload as `Bytes` (sharing the decoder's
/// input memory: no copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    header: FrameHeader,
    payload: Bytes,
}

impl Frame {
    /// Views the first frame in `buf` with the default [`Config`]: returns
    /// it and the bytes after it. No copy, no allocation.
    ///
    /// # Errors
    /// Any [`FrameError`]; `TooShort` when `buf` holds less than a whole
    /// frame.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use nanopath_frame::{Frame, FrameEncoder, FrameFields};
    ///
    /// let mut wire = BytesMut::new();
    /// FrameEncoder::default().encode(FrameFields { sequence: 9, flags: 1 }, b"ping", &mut wire).unwrap();
    /// wire.extend_from_slice(b"rest");
    /// let (frame, rest) = Frame::parse(&wire).unwrap();
    /// assert_eq!((frame.sequence(), frame.flags(), frame.payload()), (9, 1, &b"ping"[..]));
    /// assert_eq!(rest, b"rest");
    /// ```
    pub fn parse(buf: &[u8]) -> Result<(FrameRef<'_>, &[u8]), FrameError> {
        Self::parse_with(buf, &Config::default())
    }

    /// [`parse`](Self::parse) with a given [`Config`].
    ///
    /// # Errors
    /// Any [`FrameError`].
    pub fn parse_with<'a>(
        buf: &'a [u8],
        config: &Config,
    ) -> Result<(FrameRef<'a>, &'a [u8]), FrameError> {
        let (header, rest) =
            FrameHeader::ref_from_prefix(buf).map_err(|_| FrameError::TooShort {
                actual: buf.len(),
                expected: HEADER_LEN,
            })?;
        let len = check_header(header, config)?;
        if rest.len() < len {
            return Err(FrameError::TooShort {
                actual: buf.len(),
                expected: HEADER_LEN + len,
            });
        }
        let (payload, rest) = rest.split_at(len);
        check_payload(header, payload, config)?;
        Ok((FrameRef { header, payload }, rest))
    }

    /// A frame to send: the header is built (with both checksums) from
    /// `fields` and `payload`.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] if the payload does not fit the 32-bit
    /// length field.
    ///
    /// ```
    /// use nanopath_frame::{Frame, FrameFields};
    ///
    /// let f = Frame::new(FrameFields { sequence: 3, flags: 0 }, bytes::Bytes::from_static(b"x")).unwrap();
    /// assert_eq!(f.header().payload_crc.get(), nanopath_simd::crc32c(b"x"));
    /// ```
    pub fn new(fields: FrameFields, payload: Bytes) -> Result<Frame, FrameError> {
        let len = u32::try_from(payload.len()).map_err(|_| FrameError::TooLarge {
            len: u32::MAX,
            max: u32::MAX,
        })?;
        let header = FrameHeader::new(
            fields.sequence,
            fields.flags,
            len,
            nanopath_simd::crc32c(&payload),
        );
        Ok(Frame { header, payload })
    }

    /// The header.
    pub fn header(&self) -> &FrameHeader {
        &self.header
    }
    /// The sequence number.
    pub fn sequence(&self) -> u64 {
        self.header.sequence.get()
    }
    /// The flags byte.
    pub fn flags(&self) -> u8 {
        self.header.flags
    }
    /// The application's header fields, as the sender gave them: what to
    /// pass to [`FrameEncoder::encode`] to send the frame on.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use nanopath_frame::{Frame, FrameFields};
    ///
    /// let fields = FrameFields { sequence: 7, flags: 2 };
    /// let frame = Frame::new(fields, Bytes::from_static(b"hi")).unwrap();
    /// assert_eq!(frame.fields(), fields);
    /// ```
    pub fn fields(&self) -> FrameFields {
        FrameFields {
            sequence: self.sequence(),
            flags: self.flags(),
        }
    }
    /// The payload.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }
    /// The payload, owned.
    pub fn into_payload(self) -> Bytes {
        self.payload
    }
}

/// Splits frames off a byte stream.
///
/// After an error the decoder has consumed nothing of the bad frame: the
/// input still starts with it, every frame returned before is the
/// caller's, and calling `decode` again returns the same error. The
/// stream cannot be resynchronised (the format has no sync marker beyond
/// the magic); close it.
#[derive(Debug, Clone, Default)]
pub struct FrameDecoder {
    config: Config,
}

impl FrameDecoder {
    /// A decoder with the given options.
    pub fn new(config: Config) -> Self {
        FrameDecoder { config }
    }

    /// The options.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The floor of [`decode`](Self::decode)'s reservation step: one call
    /// asks for room for at most `max(src.len(), RESERVE_STEP)` more bytes
    /// (so `src` needs at most `2 * src.len() + RESERVE_STEP`), 64 KiB.
    pub const RESERVE_STEP: usize = 64 * 1024;

    /// The next whole frame at the front of `src`, split off `src` (the
    /// payload shares `src`'s memory), or `Ok(None)` when `src` holds less
    /// than a whole frame. Then it reserves room for more of that frame,
    /// never beyond its end (header + the announced length, which is
    /// checked against the maximum first), and in steps that follow what
    /// has arrived: at most `max(src.len(), RESERVE_STEP)` more bytes per
    /// call. A peer that announces the maximum and then sends a byte at a
    /// time holds O(sent + 64 KiB) bytes (a 26-byte header gets 64 KiB at
    /// once, the floor that keeps honest large frames cheap), not the
    /// 16 MiB it announced; an honest peer's large frame still costs
    /// amortised O(1) copies per byte (the room at least doubles each
    /// step).
    ///
    /// # Errors
    /// Any [`FrameError`] except `TooShort`; `src` is left as it was.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use nanopath_frame::{Config, FrameDecoder, FrameEncoder, FrameError, FrameFields};
    ///
    /// let mut wire = BytesMut::new();
    /// FrameEncoder::default().encode(FrameFields::default(), &[7u8; 100], &mut wire).unwrap();
    /// let mut small = FrameDecoder::new(Config { max_frame_len: 64, ..Config::default() });
    /// assert_eq!(small.decode(&mut wire), Err(FrameError::TooLarge { len: 100, max: 64 }));
    /// assert_eq!(wire.len(), 126, "nothing consumed");
    ///
    /// let mut half = wire.split_to(60);
    /// let mut dec = FrameDecoder::default();
    /// assert_eq!(dec.decode(&mut half), Ok(None));
    /// assert!(half.capacity() >= 126, "room reserved for the whole frame");
    /// half.unsplit(wire);
    /// assert_eq!(dec.decode(&mut half).unwrap().unwrap().payload().len(), 100);
    /// ```
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Ok((header, _)) = FrameHeader::read_from_prefix(&src[..]) else {
            src.reserve(HEADER_LEN - src.len());
            return Ok(None);
        };
        let len = check_header(&header, &self.config)?;
        let total = HEADER_LEN + len;
        if src.len() < total {
            let step = src.len().max(Self::RESERVE_STEP);
            src.reserve((total - src.len()).min(step));
            return Ok(None);
        }
        check_payload(&header, &src[HEADER_LEN..total], &self.config)?;
        // Skip the header (no reference-count traffic), then split the
        // payload off: one shared-buffer split per frame.
        src.advance(HEADER_LEN);
        let payload = src.split_to(len).freeze();
        Ok(Some(Frame { header, payload }))
    }

    /// [`decode`](Self::decode) at the end of the stream: what is left in
    /// `src` must be whole frames.
    ///
    /// # Errors
    /// As for `decode`, and [`FrameError::TooShort`] when the stream ended
    /// inside a frame (`actual`: the bytes held; `expected`: the bytes that
    /// frame needs, or the header's length while the header is cut).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use nanopath_frame::{FrameDecoder, FrameEncoder, FrameError, FrameFields, HEADER_LEN};
    ///
    /// let mut wire = BytesMut::new();
    /// FrameEncoder::default().encode(FrameFields::default(), &[1u8; 10], &mut wire).unwrap();
    /// wire.truncate(HEADER_LEN + 4);
    /// let err = FrameDecoder::default().decode_eof(&mut wire).unwrap_err();
    /// assert_eq!(err, FrameError::TooShort { actual: HEADER_LEN + 4, expected: HEADER_LEN + 10 });
    /// assert_eq!(FrameDecoder::default().decode_eof(&mut BytesMut::new()), Ok(None));
    /// ```
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let expected = match FrameHeader::read_from_prefix(&src[..]) {
            // `decode` checked this header: its length is within the maximum.
            Ok((header, _)) => HEADER_LEN + header.length.get() as usize,
            Err(_) => HEADER_LEN,
        };
        Err(FrameError::TooShort {
            actual: src.len(),
            expected,
        })
    }
}

/// Writes frames.
///
/// ```
/// use nanopath_frame::{FrameEncoder, FrameError, FrameFields};
///
/// let enc = FrameEncoder::new(8);
/// let mut out = bytes::BytesMut::new();
/// assert_eq!(
///     enc.encode(FrameFields::default(), b"too long!", &mut out),
///     Err(FrameError::TooLarge { len: 9, max: 8 })
/// );
/// assert!(out.is_empty());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FrameEncoder {
    max_frame_len: u32,
}

impl Default for FrameEncoder {
    /// The same maximum as [`Config::default`].
    fn default() -> Self {
        FrameEncoder {
            max_frame_len: Config::default().max_frame_len,
        }
    }
}

/// A frame ready for `write_vectored`: the encoded header and the borrowed
/// payload (see [`FrameEncoder::encode_vectored`]).
#[derive(Debug, Clone, Copy)]
pub struct VectoredFrame<'a> {
    header: [u8; HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> VectoredFrame<'a> {
    /// The header bytes.
    pub fn header(&self) -> &[u8; HEADER_LEN] {
        &self.header
    }
    /// The payload (the caller's memory, not copied).
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// Header and payload as two `IoSlice`s for `Write::write_vectored`.
    pub fn io_slices(&self) -> [IoSlice<'_>; 2] {
        [IoSlice::new(&self.header), IoSlice::new(self.payload)]
    }
    /// Total bytes on the wire.
    pub fn len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }
    /// Never true: a frame has at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl FrameEncoder {
    /// An encoder that refuses payloads over `max_frame_len` bytes.
    pub fn new(max_frame_len: u32) -> Self {
        FrameEncoder { max_frame_len }
    }

    fn header(&self, fields: FrameFields, payload: &[u8]) -> Result<FrameHeader, FrameError> {
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        if payload.len() > self.max_frame_len as usize {
            return Err(FrameError::TooLarge {
                len,
                max: self.max_frame_len,
            });
        }
        Ok(FrameHeader::new(
            fields.sequence,
            fields.flags,
            len,
            nanopath_simd::crc32c(payload),
        ))
    }

    /// Appends one frame (header, then a copy of `payload`) to `dst`,
    /// reserving exactly what it needs.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] if `payload` exceeds the maximum (nothing
    /// is written).
    pub fn encode(
        &self,
        fields: FrameFields,
        payload: &[u8],
        dst: &mut BytesMut,
    ) -> Result<(), FrameError> {
        let header = self.header(fields, payload)?;
        dst.reserve(HEADER_LEN + payload.len());
        dst.put_slice(header.as_bytes());
        dst.put_slice(payload);
        Ok(())
    }

    /// The frame as its header bytes and the borrowed payload, for one
    /// `write_vectored` with no payload copy.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] if `payload` exceeds the maximum.
    ///
    /// ```
    /// use std::io::Write;
    /// use nanopath_frame::{Frame, FrameEncoder, FrameFields};
    ///
    /// let payload = vec![42u8; 16 * 1024];
    /// let frame = FrameEncoder::default().encode_vectored(FrameFields { sequence: 1, flags: 0 }, &payload).unwrap();
    /// let mut socket = Vec::new(); // any `Write`
    /// let written = socket.write_vectored(&frame.io_slices()).unwrap();
    /// assert_eq!(written, frame.len());
    /// assert_eq!(Frame::parse(&socket).unwrap().0.payload(), &payload[..]);
    /// ```
    pub fn encode_vectored<'a>(
        &self,
        fields: FrameFields,
        payload: &'a [u8],
    ) -> Result<VectoredFrame<'a>, FrameError> {
        let header = self.header(fields, payload)?;
        let mut bytes = [0u8; HEADER_LEN];
        bytes.copy_from_slice(header.as_bytes());
        Ok(VectoredFrame {
            header: bytes,
            payload,
        })
    }

    /// Appends an already-built [`Frame`] to `dst`.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] if its payload exceeds the maximum.
    pub fn encode_frame(&self, frame: &Frame, dst: &mut BytesMut) -> Result<(), FrameError> {
        let len = frame.header.length.get();
        if len > self.max_frame_len {
            return Err(FrameError::TooLarge {
                len,
                max: self.max_frame_len,
            });
        }
        dst.reserve(HEADER_LEN + frame.payload.len());
        dst.put_slice(frame.header.as_bytes());
        dst.put_slice(&frame.payload);
        Ok(())
    }
}

#[cfg(feature = "tokio")]
mod tokio_codec {
    use super::*;

    /// A `tokio_util::codec` codec: [`FrameDecoder`] and [`FrameEncoder`]
    /// together, for `Framed` over a byte stream (see `examples/echo.rs`).
    /// [`Codec::new`] gives both one [`Config`].
    ///
    /// It encodes a [`Frame`], a `(FrameFields, Bytes)` pair or bare
    /// `Bytes` (default fields). With three `Encoder` impls, a sink call
    /// that sends no item needs the item type named:
    /// `SinkExt::<Bytes>::close(&mut framed)`.
    #[derive(Debug, Clone, Default)]
    pub struct Codec {
        /// Decodes incoming frames.
        pub decoder: FrameDecoder,
        /// Encodes outgoing frames.
        pub encoder: FrameEncoder,
    }

    /// A frame error or an I/O error from the stream under the codec.
    #[derive(Debug)]
    #[non_exhaustive]
    pub enum CodecError {
        /// The peer sent a bad frame.
        Frame(FrameError),
        /// The stream failed.
        Io(std::io::Error),
    }

    impl core::fmt::Display for CodecError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            match self {
                CodecError::Frame(e) => e.fmt(f),
                CodecError::Io(e) => e.fmt(f),
            }
        }
    }

    impl std::error::Error for CodecError {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            match self {
                CodecError::Frame(e) => Some(e),
                CodecError::Io(e) => Some(e),
            }
        }
    }

    impl From<std::io::Error> for CodecError {
        fn from(e: std::io::Error) -> Self {
            CodecError::Io(e)
        }
    }

    impl From<FrameError> for CodecError {
        fn from(e: FrameError) -> Self {
            CodecError::Frame(e)
        }
    }

    impl Codec {
        /// A codec whose decoder and encoder share one configuration: the
        /// same maximum payload both ways.
        ///
        /// ```
        /// use nanopath_frame::{Codec, Config};
        /// let codec = Codec::new(Config { max_frame_len: 4096, ..Config::default() });
        /// assert_eq!(codec.decoder.config().max_frame_len, 4096);
        /// ```
        pub fn new(config: Config) -> Self {
            Codec {
                decoder: FrameDecoder::new(config),
                encoder: FrameEncoder::new(config.effective_max_frame_len()),
            }
        }
    }

    impl tokio_util::codec::Decoder for Codec {
        type Item = Frame;
        type Error = CodecError;

        fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
            Ok(self.decoder.decode(src)?)
        }

        /// As `decode`; a stream that ends inside a frame is
        /// [`FrameError::TooShort`] (the bytes held and the bytes the frame
        /// needs), not a bare I/O error.
        fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
            Ok(self.decoder.decode_eof(src)?)
        }
    }

    /// Frames as built.
    impl tokio_util::codec::Encoder<Frame> for Codec {
        type Error = CodecError;

        fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
            Ok(self.encoder.encode_frame(&frame, dst)?)
        }
    }

    /// A payload with its header fields.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use nanopath_frame::{Codec, FrameFields};
    /// use tokio_util::codec::{Decoder, Encoder};
    /// let mut codec = Codec::default();
    /// let mut wire = BytesMut::new();
    /// let fields = FrameFields { sequence: 7, flags: 1 };
    /// codec.encode((fields, Bytes::from_static(b"hi")), &mut wire).unwrap();
    /// codec.encode(Bytes::from_static(b"there"), &mut wire).unwrap(); // default fields
    /// let first = codec.decode(&mut wire).unwrap().unwrap();
    /// assert_eq!((first.fields(), &first.payload()[..]), (fields, &b"hi"[..]));
    /// assert_eq!(codec.decode(&mut wire).unwrap().unwrap().sequence(), 0);
    /// ```
    impl tokio_util::codec::Encoder<(FrameFields, Bytes)> for Codec {
        type Error = CodecError;

        fn encode(
            &mut self,
            (fields, payload): (FrameFields, Bytes),
            dst: &mut BytesMut,
        ) -> Result<(), CodecError> {
            Ok(self.encoder.encode(fields, &payload, dst)?)
        }
    }

    /// A payload with default header fields (sequence 0, no flags).
    impl tokio_util::codec::Encoder<Bytes> for Codec {
        type Error = CodecError;

        fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
            Ok(self.encoder.encode(FrameFields::default(), &payload, dst)?)
        }
    }
}
#[cfg(feature = "tokio")]
pub use tokio_codec::{Codec, CodecError};
