//! The wire header.

use zerocopy::byteorder::network_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The first four bytes of every frame: ASCII `"NPFR"`.
pub const MAGIC: u32 = 0x4E50_4652;

/// The wire-format version this crate writes and reads.
pub const VERSION: u8 = 1;

/// Bytes in a [`FrameHeader`].
pub const HEADER_LEN: usize = core::mem::size_of::<FrameHeader>();

/// Bytes covered by the header checksum: everything before it.
pub(crate) const HEADER_CRC_COVERS: usize = HEADER_LEN - 4;

/// The 26-byte frame header, every integer big-endian (network order),
/// read in place from the input with no alignment requirement:
///
/// | offset | size | field | meaning |
/// |---:|---:|---|---|
/// | 0 | 4 | `magic` | [`MAGIC`], `4E 50 46 52` ("NPFR") |
/// | 4 | 1 | `version` | [`VERSION`] (1) |
/// | 5 | 1 | `flags` | application-defined bits, carried unchanged |
/// | 6 | 4 | `length` | payload bytes that follow the header |
/// | 10 | 8 | `sequence` | application-defined sequence number |
/// | 18 | 4 | `payload_crc` | CRC32C (Castagnoli) of the payload |
/// | 22 | 4 | `header_crc` | CRC32C of header bytes 0..22 |
///
/// The payload (`length` bytes) follows immediately; the next frame starts
/// right after it.
///
/// ```
/// use nanopath_frame::{FrameHeader, HEADER_LEN};
/// use zerocopy::FromBytes;
///
/// assert_eq!(HEADER_LEN, 26);
/// let mut wire = bytes::BytesMut::new();
/// nanopath_frame::FrameEncoder::default()
///     .encode(nanopath_frame::FrameFields { sequence: 7, flags: 0x80 }, b"abc", &mut wire)
///     .unwrap();
/// let (header, payload) = FrameHeader::ref_from_prefix(&wire).unwrap();
/// assert_eq!(&wire[..6], &[0x4E, 0x50, 0x46, 0x52, 1, 0x80]);
/// assert_eq!(header.length.get(), 3);
/// assert_eq!(header.sequence.get(), 7);
/// assert_eq!(payload, b"abc");
/// ```
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct FrameHeader {
    /// [`MAGIC`].
    pub magic: U32,
    /// [`VERSION`].
    pub version: u8,
    /// Application-defined bits.
    pub flags: u8,
    /// Payload length in bytes.
    pub length: U32,
    /// Application-defined sequence number.
    pub sequence: U64,
    /// CRC32C of the payload.
    pub payload_crc: U32,
    /// CRC32C of the 22 header bytes before this field.
    pub header_crc: U32,
}

impl FrameHeader {
    /// A header for `payload_len` bytes whose CRC32C is `payload_crc`, with
    /// the header checksum filled in.
    pub(crate) fn new(sequence: u64, flags: u8, payload_len: u32, payload_crc: u32) -> Self {
        let mut header = FrameHeader {
            magic: U32::new(MAGIC),
            version: VERSION,
            flags,
            length: U32::new(payload_len),
            sequence: U64::new(sequence),
            payload_crc: U32::new(payload_crc),
            header_crc: U32::new(0),
        };
        header.header_crc = U32::new(header.computed_header_crc());
        header
    }

    /// The CRC32C of the header bytes the checksum covers.
    pub(crate) fn computed_header_crc(&self) -> u32 {
        nanopath_simd::crc32c(&self.as_bytes()[..HEADER_CRC_COVERS])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_26_unaligned_bytes_in_the_documented_order() {
        assert_eq!(HEADER_LEN, 26);
        assert_eq!(core::mem::align_of::<FrameHeader>(), 1);
        let h = FrameHeader::new(0x0102_0304_0506_0708, 0xAB, 0x1122_3344, 0xDEAD_BEEF);
        let b = h.as_bytes();
        assert_eq!(&b[0..4], b"NPFR");
        assert_eq!(b[4], VERSION);
        assert_eq!(b[5], 0xAB);
        assert_eq!(&b[6..10], &[0x11, 0x22, 0x33, 0x44]);
        assert_eq!(&b[10..18], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&b[18..22], &[0xDE, 0xAD, 0xBE, 0xEF]);
        assert_eq!(&b[22..26], &nanopath_simd::crc32c(&b[..22]).to_be_bytes());
    }
}
