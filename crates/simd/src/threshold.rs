//! `keep_above`: zero every byte at or below a threshold.
//!
//! Levels: `Sse2`/`Sse42` and `Avx2` use `max(x, t + 1) == x` (SSE2 and
//! AVX2 have no unsigned byte compare), `Avx512` an unsigned compare into a
//! mask and a zero-masked move, `Neon` `vcgtq_u8`; `Scalar` is the
//! reference loop.

use crate::level::same_len;

crate::dispatch::kernel! {
    /// # Safety
    /// `input` readable and `out` writable for `len` bytes; equal or disjoint.
    mod keep_above_kernel: unsafe fn(input: *const u8, out: *mut u8, len: usize, t: u8)
        = arch::keep_above, else {
            for i in 0..len {
                // SAFETY: `i < len`; the caller guarantees both ranges.
                unsafe {
                    let x = *input.add(i);
                    *out.add(i) = if x > t { x } else { 0 };
                }
            }
        };

    /// `out[i] = input[i]` where `input[i] > threshold` (unsigned), else 0.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `out` is
    /// not as long as `input` (nothing is written).
    ///
    /// ```
    /// use nanopath_simd::threshold::keep_above;
    ///
    /// let input = [10u8, 200, 128, 127, 255, 0];
    /// let mut out = [9u8; 6];
    /// keep_above(&input, 127, &mut out).unwrap();
    /// assert_eq!(out, [0, 200, 128, 0, 255, 0]);
    /// assert!(keep_above(&input, 127, &mut [0u8; 5]).is_err());
    /// ```
    pub fn keep_above(input: &[u8], threshold: u8, out: &mut [u8]) -> Result<(), Error>;
    /// ```
    /// use nanopath_simd::{Level, threshold::keep_above_with};
    ///
    /// let input: Vec<u8> = (0..=255).collect();
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     let mut out = vec![0u8; 256];
    ///     keep_above_with(level, &input, 250, &mut out).unwrap();
    ///     assert_eq!(out.iter().filter(|&&b| b != 0).count(), 5);
    /// }
    /// ```
    pub fn keep_above_with;
    check { same_len(input.len(), out.len())?; }
    // SAFETY: `input` and `out` are distinct borrows (disjoint) of `len`
    // bytes each.
    |run| unsafe { run(input.as_ptr(), out.as_mut_ptr(), input.len(), threshold) };

    /// [`keep_above`] on `data` itself.
    ///
    /// ```
    /// let mut data = *b"\x01\x80\xff\x7f";
    /// nanopath_simd::threshold::keep_above_in_place(&mut data, 0x7f);
    /// assert_eq!(data, [0, 0x80, 0xff, 0]);
    /// ```
    pub fn keep_above_in_place(data: &mut [u8], threshold: u8);
    pub fn keep_above_in_place_with;
    |run| {
        let p = data.as_mut_ptr();
        // SAFETY: one buffer of `len` bytes as both input and output, which
        // the implementations allow (equal pointers).
        unsafe { run(p, p, data.len(), threshold) }
    };
}
