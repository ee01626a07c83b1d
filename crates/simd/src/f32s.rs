//! `f32` slice arithmetic: `add`, `scale`, `sum`.
//!
//! `add` and `scale` are exact lane-wise IEEE operations: every level
//! gives bit-identical results to the scalar loop.
//!
//! `sum` does **not** add left to right. At a vector level with `L` lanes
//! it keeps `4L` running partial sums (element `i` of each block of `4L`
//! goes to partial sum `i`), adds them pairwise at the end, and adds the
//! tail (fewer than `4L` elements) left to right. Each partial sum has
//! about `n / 4L` terms, so the classic bound `|ŝ − s| ≤ γₖ · Σ|aᵢ|`
//! (with `γₖ = k·u / (1 − k·u)`, `u = 2⁻²⁴`) holds with
//! `k = n / 4L + log₂(4L) + 4L + 1` instead of the scalar loop's
//! `k = n − 1`: usually *more* accurate, but not bit-identical, and not
//! the same across levels. NaN and infinities propagate as in any order.
//! The tests check every level against an `f64` sum with this bound.

use crate::level::same_len;

crate::dispatch::kernel! {
    /// # Safety
    /// The three lengths are equal.
    mod add_kernel: unsafe fn(a: &[f32], b: &[f32], out: &mut [f32])
        = arch::add, else { crate::reference::add(a, b, out) };

    /// `out[i] = a[i] + b[i]`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) unless all
    /// three lengths are equal (nothing is written).
    ///
    /// ```
    /// let mut out = [0.0f32; 3];
    /// nanopath_simd::f32s::add(&[1.0, 2.0, 3.0], &[0.5, 0.5, 0.5], &mut out).unwrap();
    /// assert_eq!(out, [1.5, 2.5, 3.5]);
    /// ```
    pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error>;
    pub fn add_with;
    check {
        same_len(a.len(), b.len())?;
        same_len(a.len(), out.len())?;
    }
    // SAFETY: the lengths are equal (checked above).
    |run| unsafe { run(a, b, out) };
}

crate::dispatch::kernel! {
    /// # Safety
    /// The two lengths are equal.
    mod scale_kernel: unsafe fn(a: &[f32], k: f32, out: &mut [f32])
        = arch::scale, else { crate::reference::scale(a, k, out) };

    /// `out[i] = a[i] * k`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `out` is
    /// not as long as `a`.
    ///
    /// ```
    /// let mut out = [0.0f32; 2];
    /// nanopath_simd::f32s::scale(&[1.5, -2.0], 2.0, &mut out).unwrap();
    /// assert_eq!(out, [3.0, -4.0]);
    /// ```
    pub fn scale(a: &[f32], k: f32, out: &mut [f32]) -> Result<(), Error>;
    pub fn scale_with;
    check { same_len(a.len(), out.len())?; }
    // SAFETY: the lengths are equal (checked above).
    |run| unsafe { run(a, k, out) };
}

crate::dispatch::kernel! {
    mod sum_kernel = arch::sum, else crate::reference::sum;
    /// The sum of `a`, in the order described in the module docs.
    ///
    /// ```
    /// let a: Vec<f32> = (1..=100).map(|i| i as f32).collect();
    /// assert_eq!(nanopath_simd::f32s::sum(&a), 5050.0); // exact: small integers
    /// ```
    pub fn sum(a: &[f32]) -> f32;
    pub fn sum_with;
}
