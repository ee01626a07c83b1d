//! [`FrameError`]: what can be wrong with a frame.

use core::fmt;

/// Why a frame was rejected. `Copy`, no allocation: it carries the values
/// that were wrong.
///
/// ```
/// use nanopath_frame::{Frame, FrameError, HEADER_LEN};
///
/// let err = Frame::parse(&[0u8; 3]).unwrap_err();
/// assert_eq!(err, FrameError::TooShort { actual: 3, expected: HEADER_LEN });
/// assert_eq!(err.to_string(), "frame too short: 3 bytes, need 26");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// Fewer bytes than the header, or than header + announced payload
    /// (from [`Frame::parse`](crate::Frame::parse), and from
    /// [`FrameDecoder::decode_eof`](crate::FrameDecoder::decode_eof) when
    /// the stream ended inside a frame; `decode` returns `Ok(None)`
    /// instead).
    TooShort {
        /// Bytes available.
        actual: usize,
        /// Bytes needed.
        expected: usize,
    },
    /// The first four bytes are not [`MAGIC`](crate::MAGIC).
    BadMagic {
        /// The four bytes found, as a big-endian number.
        actual: u32,
    },
    /// A version this crate does not speak (it speaks
    /// [`VERSION`](crate::VERSION)).
    UnsupportedVersion {
        /// The version byte found.
        actual: u8,
    },
    /// The announced payload length exceeds the configured maximum.
    TooLarge {
        /// The announced payload length.
        len: u32,
        /// The configured maximum.
        max: u32,
    },
    /// The header's own CRC32C does not match its other fields.
    HeaderChecksum,
    /// The payload's CRC32C does not match the header.
    PayloadChecksum {
        /// The CRC32C the header announced.
        expected: u32,
        /// The CRC32C of the payload received.
        actual: u32,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::TooShort { actual, expected } => {
                write!(f, "frame too short: {actual} bytes, need {expected}")
            }
            FrameError::BadMagic { actual } => {
                write!(
                    f,
                    "bad magic {actual:#010x}, expected {:#010x}",
                    crate::MAGIC
                )
            }
            FrameError::UnsupportedVersion { actual } => write!(
                f,
                "unsupported frame version {actual} (this decoder speaks {})",
                crate::VERSION
            ),
            FrameError::TooLarge { len, max } => {
                write!(
                    f,
                    "frame payload of {len} bytes exceeds the maximum of {max}"
                )
            }
            FrameError::HeaderChecksum => f.write_str("frame header checksum mismatch"),
            FrameError::PayloadChecksum { expected, actual } => write!(
                f,
                "payload checksum mismatch: header says {expected:#010x}, payload has {actual:#010x}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// For code that reads frames through `std::io` (a `Read` adapter, a
/// hand-written loop over a socket): the frame error as
/// [`InvalidData`](std::io::ErrorKind::InvalidData) (or
/// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) for a frame cut
/// short), with the `FrameError` kept as its source.
///
/// ```
/// use nanopath_frame::FrameError;
///
/// let e: std::io::Error = FrameError::BadMagic { actual: 0 }.into();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
/// let inner = e.get_ref().and_then(|e| e.downcast_ref::<FrameError>());
/// assert_eq!(inner, Some(&FrameError::BadMagic { actual: 0 }));
/// let short: std::io::Error = FrameError::TooShort { actual: 3, expected: 26 }.into();
/// assert_eq!(short.kind(), std::io::ErrorKind::UnexpectedEof);
/// ```
impl From<FrameError> for std::io::Error {
    fn from(e: FrameError) -> Self {
        let kind = match e {
            FrameError::TooShort { .. } => std::io::ErrorKind::UnexpectedEof,
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}
