//! CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected, initial value and
//! final XOR `0xFFFF_FFFF` — the CRC of iSCSI, ext4, Btrfs and SCTP, with
//! the same values as the `crc32c` crate. The check value of `b"123456789"`
//! is `0xE306_9283`.
//!
//! Levels:
//! * `Scalar`, `Sse2`: slicing-by-8 tables (8 KiB, built at compile time).
//! * `Sse42`: the `crc32` instruction on three interleaved streams.
//! * `Avx2`, `Avx512`: carry-less-multiply folding for inputs of 256
//!   bytes or more — 256-bit `vpclmulqdq` (128 bytes per iteration) where
//!   the CPU has it, else 128-bit `pclmulqdq` (64 bytes per iteration) —
//!   and the `Sse42` code below that. With `vpclmulqdq`, inputs of 8704
//!   bytes or more go through a fused loop: each block folds 4 KiB while
//!   three `crc32` streams cover the next 4.5 KiB, so both units work at
//!   once where the CPU runs them on different ports. There is no 512-bit
//!   folding yet; the `Avx512` level runs the 256-bit code.
//! * `Neon`: the ARMv8 CRC instructions where the CPU has them, else tables.

crate::dispatch::kernel! {
    mod crc32c_kernel: unsafe fn(state: u32, data: &[u8]) -> u32
        = |level| match level {
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            Level::Avx2 | Level::Avx512 => {
                if crate::arch::x86_64::crc::has_vpclmulqdq() {
                    crate::arch::x86_64::crc::crc_fused256
                } else {
                    crate::arch::x86_64::crc::crc_pclmul
                }
            }
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            Level::Sse42 => crate::arch::x86_64::crc::crc_sse42,
            #[cfg(target_arch = "aarch64")]
            Level::Neon if crate::arch::aarch64::neon::has_crc() => crate::arch::aarch64::neon::crc,
            _ => scalar,
        },
        // Slicing-by-8 tables.
        else { crate::crc_math::update_table(state, data) };

    /// The CRC-32C of the bytes whose CRC-32C is `crc`, followed by `data`: for
    /// any split, `crc32c_append(crc32c(a), b) == crc32c(a ‖ b)`.
    ///
    /// ```
    /// use nanopath_simd::{crc32c, crc32c_append};
    ///
    /// let whole = crc32c(b"hello, world");
    /// assert_eq!(crc32c_append(crc32c(b"hello, "), b"world"), whole);
    /// ```
    #[inline]
    #[must_use]
    pub fn crc32c_append(crc: u32, data: &[u8]) -> u32;
    /// ```
    /// use nanopath_simd::{Level, crc::crc32c_append_with};
    ///
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(crc32c_append_with(level, 0, b"123456789"), Ok(0xE306_9283));
    /// }
    /// ```
    pub fn crc32c_append_with;
    // The kernels take and return raw states (see `crc_math`).
    // SAFETY: no preconditions beyond the types.
    |run| !unsafe { run(!crc, data) };
}

/// The CRC-32C of `data`.
///
/// ```
/// assert_eq!(nanopath_simd::crc32c(b"123456789"), 0xE306_9283);
/// assert_eq!(nanopath_simd::crc32c(b""), 0);
/// ```
#[inline]
#[must_use]
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c_append(0, data)
}

/// The CRC-32C of `a ‖ b` from `crc32c(a)`, `crc32c(b)` and `b`'s length,
/// without the bytes (zlib's `crc32_combine`): for CRCs computed in
/// parallel over the pieces of one buffer, or kept per segment. Costs
/// about 64 carry-less multiply steps per bit of `len_b`, in scalar code.
///
/// ```
/// use nanopath_simd::crc::crc32c_combine;
/// use nanopath_simd::crc32c;
///
/// let (a, b) = (b"hello, ".as_slice(), b"world".as_slice());
/// assert_eq!(crc32c_combine(crc32c(a), crc32c(b), b.len() as u64), crc32c(b"hello, world"));
/// assert_eq!(crc32c_combine(crc32c(a), crc32c(b""), 0), crc32c(a));
/// ```
#[must_use]
pub fn crc32c_combine(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    // With raw (linear) states R: crc(x) = !R(!0, x), and
    // R(s, a ‖ b) = shift(R(s, a), |b|) ^ R(0, b). Expanding both CRCs, the
    // initial and final inversions cancel (see `crc_math`):
    // crc(a ‖ b) = shift(crc(a), |b|) ^ crc(b).
    crate::crc_math::shift(crc_a, len_b) ^ crc_b
}

/// CRC-32C as a [`core::hash::Hasher`]: `write` appends bytes
/// ([`crc32c_append`]) and [`crc32c`](Self::crc32c) is the checksum of
/// everything written. For checksums of data written in pieces, and as a
/// fast (not DoS-resistant) hash with `BuildHasherDefault<Crc32cHasher>`.
///
/// `finish` is the CRC spread over 64 bits (multiplied by an odd
/// constant: a bijection, so no two CRCs collide), not the CRC itself:
/// hash tables read the high bits (hashbrown's control tag is the top 7),
/// and a CRC widened to `u64` would leave them all zero. Only `write`
/// feeds the raw bytes: `value.hash(&mut h)` adds what `Hash` adds (a
/// length prefix for slices, a terminator for `str`), and `write_u32` and
/// its siblings write native-endian bytes, so those hashes differ between
/// platforms; use `write` with explicit bytes for a checksum.
///
/// ```
/// use core::hash::Hasher;
/// use nanopath_simd::crc::Crc32cHasher;
///
/// let mut h = Crc32cHasher::new();
/// h.write(b"1234");
/// h.write(b"56789");
/// assert_eq!(h.crc32c(), 0xE306_9283);
/// assert_eq!(h.finish(), 0xE306_9283u64.wrapping_mul(Crc32cHasher::SPREAD));
/// assert_ne!(h.finish() >> 57, 0, "the high bits carry the hash too");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Crc32cHasher {
    /// The CRC-32C of everything written so far (0 for nothing).
    crc: u32,
}

impl Crc32cHasher {
    /// The odd constant `finish` multiplies the CRC by (2^64 over the
    /// golden ratio, rounded to odd).
    pub const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A hasher that has seen nothing.
    pub const fn new() -> Self {
        Crc32cHasher { crc: 0 }
    }

    /// A hasher continuing from the CRC-32C `crc` of earlier bytes.
    pub const fn with_initial(crc: u32) -> Self {
        Crc32cHasher { crc }
    }

    /// The CRC-32C of everything written so far.
    pub const fn crc32c(&self) -> u32 {
        self.crc
    }
}

impl core::hash::Hasher for Crc32cHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.crc = crc32c_append(self.crc, bytes);
    }

    #[inline]
    fn finish(&self) -> u64 {
        u64::from(self.crc).wrapping_mul(Self::SPREAD)
    }
}
