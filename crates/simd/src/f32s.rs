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
use crate::{Error, Level, reference};

mod add_kernel {
    use super::*;

    crate::dispatch::dispatch!(unsafe fn(a: &[f32], b: &[f32], out: &mut [f32]) -> ());

    pub(super) fn select(level: Level) -> Kernel {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => crate::arch::x86_64::avx512::add,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => crate::arch::x86_64::avx2::add,
            #[cfg(target_arch = "x86_64")]
            Level::Sse42 => crate::arch::x86_64::sse42::add,
            #[cfg(target_arch = "x86_64")]
            Level::Sse2 => crate::arch::x86_64::sse2::add,
            #[cfg(target_arch = "aarch64")]
            Level::Neon => crate::arch::aarch64::neon::add,
            _ => scalar,
        }
    }

    /// # Safety
    /// The three lengths are equal.
    unsafe fn scalar(a: &[f32], b: &[f32], out: &mut [f32]) {
        reference::add(a, b, out);
    }

    pub(super) fn run(
        level: Option<Level>,
        a: &[f32],
        b: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        same_len(a.len(), b.len())?;
        same_len(a.len(), out.len())?;
        match level {
            // SAFETY: the lengths are equal (checked above).
            None => unsafe { call(a, b, out) },
            // SAFETY: as above.
            Some(level) => unsafe { call_with(level, a, b, out)? },
        }
        Ok(())
    }
}

mod scale_kernel {
    use super::*;

    crate::dispatch::dispatch!(unsafe fn(a: &[f32], k: f32, out: &mut [f32]) -> ());

    pub(super) fn select(level: Level) -> Kernel {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => crate::arch::x86_64::avx512::scale,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => crate::arch::x86_64::avx2::scale,
            #[cfg(target_arch = "x86_64")]
            Level::Sse42 => crate::arch::x86_64::sse42::scale,
            #[cfg(target_arch = "x86_64")]
            Level::Sse2 => crate::arch::x86_64::sse2::scale,
            #[cfg(target_arch = "aarch64")]
            Level::Neon => crate::arch::aarch64::neon::scale,
            _ => scalar,
        }
    }

    /// # Safety
    /// The two lengths are equal.
    unsafe fn scalar(a: &[f32], k: f32, out: &mut [f32]) {
        reference::scale(a, k, out);
    }

    pub(super) fn run(
        level: Option<Level>,
        a: &[f32],
        k: f32,
        out: &mut [f32],
    ) -> Result<(), Error> {
        same_len(a.len(), out.len())?;
        match level {
            // SAFETY: the lengths are equal (checked above).
            None => unsafe { call(a, k, out) },
            // SAFETY: as above.
            Some(level) => unsafe { call_with(level, a, k, out)? },
        }
        Ok(())
    }
}

mod sum_kernel {
    use super::*;

    crate::dispatch::dispatch!(unsafe fn(a: &[f32]) -> f32);

    pub(super) fn select(level: Level) -> Kernel {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => crate::arch::x86_64::avx512::sum,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => crate::arch::x86_64::avx2::sum,
            #[cfg(target_arch = "x86_64")]
            Level::Sse42 => crate::arch::x86_64::sse42::sum,
            #[cfg(target_arch = "x86_64")]
            Level::Sse2 => crate::arch::x86_64::sse2::sum,
            #[cfg(target_arch = "aarch64")]
            Level::Neon => crate::arch::aarch64::neon::sum,
            _ => scalar,
        }
    }

    /// # Safety
    /// None (a safe function typed as a kernel).
    unsafe fn scalar(a: &[f32]) -> f32 {
        reference::sum(a)
    }

    pub(super) fn run(a: &[f32]) -> f32 {
        // SAFETY: no preconditions beyond the types.
        unsafe { call(a) }
    }

    pub(super) fn run_with(level: Level, a: &[f32]) -> Result<f32, Error> {
        // SAFETY: no preconditions beyond the types.
        unsafe { call_with(level, a) }
    }
}

/// `out[i] = a[i] + b[i]`.
///
/// # Errors
/// [`Error::LengthMismatch`] unless all three lengths are equal (nothing
/// is written).
///
/// ```
/// let mut out = [0.0f32; 3];
/// nanopath_simd::f32s::add(&[1.0, 2.0, 3.0], &[0.5, 0.5, 0.5], &mut out).unwrap();
/// assert_eq!(out, [1.5, 2.5, 3.5]);
/// ```
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    add_kernel::run(None, a, b, out)
}

/// [`add`] at a given level.
///
/// # Errors
/// [`Error::Unavailable`] if this CPU lacks `level`;
/// [`Error::LengthMismatch`] as for [`add`].
pub fn add_with(level: Level, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    add_kernel::run(Some(level), a, b, out)
}

/// `out[i] = a[i] * k`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `out` is not as long as `a`.
///
/// ```
/// let mut out = [0.0f32; 2];
/// nanopath_simd::f32s::scale(&[1.5, -2.0], 2.0, &mut out).unwrap();
/// assert_eq!(out, [3.0, -4.0]);
/// ```
pub fn scale(a: &[f32], k: f32, out: &mut [f32]) -> Result<(), Error> {
    scale_kernel::run(None, a, k, out)
}

/// [`scale`] at a given level.
///
/// # Errors
/// [`Error::Unavailable`] if this CPU lacks `level`;
/// [`Error::LengthMismatch`] as for [`scale`].
pub fn scale_with(level: Level, a: &[f32], k: f32, out: &mut [f32]) -> Result<(), Error> {
    scale_kernel::run(Some(level), a, k, out)
}

/// The sum of `a`, in the order described in the module docs.
///
/// ```
/// let a: Vec<f32> = (1..=100).map(|i| i as f32).collect();
/// assert_eq!(nanopath_simd::f32s::sum(&a), 5050.0); // exact: small integers
/// ```
#[inline]
pub fn sum(a: &[f32]) -> f32 {
    sum_kernel::run(a)
}

/// [`sum`] at a given level.
///
/// # Errors
/// [`Error::Unavailable`] if this CPU lacks `level`.
pub fn sum_with(level: Level, a: &[f32]) -> Result<f32, Error> {
    sum_kernel::run_with(level, a)
}
