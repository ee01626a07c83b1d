//! `sum64`: a fast additive checksum.
//!
//! Definition: split the input into little-endian `u64` words (bytes
//! `8k .. 8k + 8` form word `k`, byte `8k` least significant); if the length
//! is not a multiple of 8, the last word holds the remaining bytes in its
//! low bytes and zeros above. The checksum is the wrapping (mod 2^64) sum of
//! the words. It is cheap and detects any single-word change, but not
//! reordered words; use [`crc32c`](fn@crate::crc32c) to detect those.
//!
//! Levels: `Sse2`/`Sse42` add 2 words per instruction, `Avx2` 4,
//! `Avx512` 8, `Neon` 2, each with four independent accumulators;
//! `Scalar` is the reference loop.

crate::dispatch::kernel! {
    mod sum64_kernel = arch::sum64, else crate::reference::sum64;
    /// The wrapping sum of `data`'s little-endian `u64` words (see the module
    /// docs), at the best level this CPU has.
    ///
    /// ```
    /// use nanopath_simd::checksum::sum64;
    ///
    /// let mut data = [0u8; 20];
    /// data[0] = 1; // word 0 = 1
    /// data[8] = 2; // word 1 = 2
    /// data[16] = 3; // the 4-byte tail, zero-padded = 3
    /// assert_eq!(sum64(&data), 6);
    /// assert_eq!(sum64(&[0xFF; 16]), u64::MAX.wrapping_add(u64::MAX));
    /// ```
    pub fn sum64(data: &[u8]) -> u64;
    /// ```
    /// use nanopath_simd::{Level, checksum};
    ///
    /// let data: Vec<u8> = (0..100).collect();
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(checksum::sum64_with(level, &data), Ok(checksum::sum64(&data)));
    /// }
    /// ```
    pub fn sum64_with;
}
