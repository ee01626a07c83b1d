//! Byte search: `find` (like `memchr`) and `count`.
//!
//! Levels: `Sse2`/`Sse42` (16 bytes per compare), `Avx2` (32), `Avx512`
//! (64, comparing into mask registers), `Neon` (16, with a 4-bit-per-byte
//! mask); each looks at four vectors per loop iteration and checks all
//! four with one test. Inputs shorter than a vector use the reference
//! loop; longer ones end with one vector that overlaps the previous bytes,
//! so nothing is read outside the slice.

use crate::{Error, Level, reference};

mod find_kernel {
    use super::*;

    crate::dispatch::dispatch!(unsafe fn(hay: &[u8], byte: u8) -> Option<usize>);

    pub(super) fn select(level: Level) -> Kernel {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => crate::arch::x86_64::avx512::find,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => crate::arch::x86_64::avx2::find,
            #[cfg(target_arch = "x86_64")]
            Level::Sse42 => crate::arch::x86_64::sse42::find,
            #[cfg(target_arch = "x86_64")]
            Level::Sse2 => crate::arch::x86_64::sse2::find,
            #[cfg(target_arch = "aarch64")]
            Level::Neon => crate::arch::aarch64::neon::find,
            _ => scalar,
        }
    }

    /// # Safety
    /// None (a safe function typed as a kernel).
    unsafe fn scalar(hay: &[u8], byte: u8) -> Option<usize> {
        reference::find(hay, byte)
    }

    pub(super) fn run(hay: &[u8], byte: u8) -> Option<usize> {
        // SAFETY: no preconditions beyond the types.
        unsafe { call(hay, byte) }
    }

    pub(super) fn run_with(level: Level, hay: &[u8], byte: u8) -> Result<Option<usize>, Error> {
        // SAFETY: no preconditions beyond the types.
        unsafe { call_with(level, hay, byte) }
    }
}

mod count_kernel {
    use super::*;

    crate::dispatch::dispatch!(unsafe fn(hay: &[u8], byte: u8) -> usize);

    pub(super) fn select(level: Level) -> Kernel {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => crate::arch::x86_64::avx512::count,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => crate::arch::x86_64::avx2::count,
            #[cfg(target_arch = "x86_64")]
            Level::Sse42 => crate::arch::x86_64::sse42::count,
            #[cfg(target_arch = "x86_64")]
            Level::Sse2 => crate::arch::x86_64::sse2::count,
            #[cfg(target_arch = "aarch64")]
            Level::Neon => crate::arch::aarch64::neon::count,
            _ => scalar,
        }
    }

    /// # Safety
    /// None (a safe function typed as a kernel).
    unsafe fn scalar(hay: &[u8], byte: u8) -> usize {
        reference::count(hay, byte)
    }

    pub(super) fn run(hay: &[u8], byte: u8) -> usize {
        // SAFETY: no preconditions beyond the types.
        unsafe { call(hay, byte) }
    }

    pub(super) fn run_with(level: Level, hay: &[u8], byte: u8) -> Result<usize, Error> {
        // SAFETY: no preconditions beyond the types.
        unsafe { call_with(level, hay, byte) }
    }
}

/// The index of the first `byte` in `hay`, like `memchr::memchr`.
///
/// ```
/// use nanopath_simd::bytes::find;
///
/// let hay = b"GET /index.html HTTP/1.1\r\n";
/// assert_eq!(find(hay, b'\r'), Some(24));
/// assert_eq!(find(hay, b'#'), None);
/// ```
#[inline]
pub fn find(hay: &[u8], byte: u8) -> Option<usize> {
    find_kernel::run(hay, byte)
}

/// [`find`] at a given level.
///
/// # Errors
/// [`Error::Unavailable`] if this CPU lacks `level`.
///
/// ```
/// use nanopath_simd::{Level, bytes::find_with};
///
/// let mut hay = vec![0u8; 1000];
/// hay[777] = 1;
/// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
///     assert_eq!(find_with(level, &hay, 1), Ok(Some(777)));
/// }
/// ```
pub fn find_with(level: Level, hay: &[u8], byte: u8) -> Result<Option<usize>, Error> {
    find_kernel::run_with(level, hay, byte)
}

/// How many times `byte` occurs in `hay`.
///
/// ```
/// assert_eq!(nanopath_simd::bytes::count(b"a,b,,c", b','), 3);
/// ```
#[inline]
pub fn count(hay: &[u8], byte: u8) -> usize {
    count_kernel::run(hay, byte)
}

/// [`count`] at a given level.
///
/// # Errors
/// [`Error::Unavailable`] if this CPU lacks `level`.
///
/// ```
/// use nanopath_simd::{Level, bytes::count_with};
///
/// let hay = vec![7u8; 300];
/// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
///     assert_eq!(count_with(level, &hay, 7), Ok(300));
/// }
/// ```
pub fn count_with(level: Level, hay: &[u8], byte: u8) -> Result<usize, Error> {
    count_kernel::run_with(level, hay, byte)
}
