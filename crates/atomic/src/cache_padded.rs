//! [`CachePadded`]: keep a value alone in its cache line(s).
//! (See the type's documentation for the design.)

use core::fmt;
use core::ops::{Deref, DerefMut};

/// Pads and aligns `T` to the cache-line (or prefetch-pair) size of the
/// target architecture, so that two `CachePadded` values never share one.
///
/// The alignment is [`CachePadded::ALIGN`]; the size is `size_of::<T>()`
/// rounded up to a multiple of it.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use nanopath_atomic::CachePadded;
///
/// // Two counters that different threads write: each in its own line.
/// let counters = [CachePadded::new(AtomicU64::new(0)), CachePadded::new(AtomicU64::new(0))];
/// counters[0].fetch_add(1, Ordering::Relaxed);
///
/// let a = &counters[0] as *const _ as usize;
/// let b = &counters[1] as *const _ as usize;
/// assert!(b - a >= CachePadded::<AtomicU64>::ALIGN);
/// assert_eq!(counters[0].load(Ordering::Relaxed), 1);
/// ```
///
/// # Design
///
/// Two values written by different cores must not share the unit the
/// coherence protocol moves between cores, or each write invalidates the
/// other core's copy ("false sharing"). That unit is not always one line:
///
/// * **x86_64**: lines are 64 bytes, but since Sandy Bridge the L2 spatial
///   prefetcher fetches lines in aligned pairs (Intel 64 and IA-32
///   Architectures Optimization Reference Manual, §2.x "spatial prefetcher"),
///   so a neighbour in the paired line still ping-pongs: **128**.
/// * **aarch64**: Apple M-series cores use 128-byte lines, and Neoverse
///   parts prefetch pairs as well: **128**.
/// * **powerpc64**: POWER7 and later have 128-byte lines: **128**.
/// * **s390x**: 256-byte lines (z/Architecture Principles of Operation): **256**.
/// * **arm (32-bit), mips, sparc, hexagon**: 32-byte lines on the common
///   cores of these families: **32**.
/// * **m68k**: 16-byte lines: **16**.
/// * everything else (riscv64, x86, loongarch, wasm...): **64**, the common
///   line size.
///
/// Over-alignment costs memory, never correctness; under-alignment costs
/// throughput. When in doubt the table above errs high.
#[cfg_attr(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    ),
    repr(align(128))
)]
#[cfg_attr(target_arch = "s390x", repr(align(256)))]
#[cfg_attr(
    any(
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "mips32r6",
        target_arch = "mips64",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "hexagon",
    ),
    repr(align(32))
)]
#[cfg_attr(target_arch = "m68k", repr(align(16)))]
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "mips32r6",
        target_arch = "mips64",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "hexagon",
        target_arch = "m68k",
    )),
    repr(align(64))
)]
#[derive(Clone, Copy, Default, Hash, PartialEq, Eq)]
pub struct CachePadded<T> {
    /// The wrapped value; the struct's alignment supplies the padding.
    value: T,
}

impl<T> CachePadded<T> {
    /// The alignment (and size granularity) of `CachePadded` on this target.
    ///
    /// ```
    /// use nanopath_atomic::CachePadded;
    /// assert!(CachePadded::<u8>::ALIGN.is_power_of_two());
    /// assert_eq!(core::mem::align_of::<CachePadded<u8>>(), CachePadded::<u8>::ALIGN);
    /// ```
    pub const ALIGN: usize = core::mem::align_of::<Self>();

    /// Wraps `value`.
    ///
    /// ```
    /// use nanopath_atomic::CachePadded;
    /// let padded = CachePadded::new(7u32);
    /// assert_eq!(*padded, 7);
    /// ```
    #[inline]
    pub const fn new(value: T) -> Self {
        Self { value }
    }

    /// Unwraps the value.
    ///
    /// ```
    /// use nanopath_atomic::CachePadded;
    /// assert_eq!(CachePadded::new(String::from("x")).into_inner(), "x");
    /// ```
    #[inline]
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for CachePadded<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T> From<T> for CachePadded<T> {
    #[inline]
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachePadded")
            .field("value", &self.value)
            .finish()
    }
}

impl<T: fmt::Display> fmt::Display for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

#[cfg(test)]
mod tests {
    use super::CachePadded;
    use core::mem::{align_of, size_of};

    #[test]
    fn alignment_matches_the_architecture_table() {
        let expected = if cfg!(any(
            target_arch = "x86_64",
            target_arch = "aarch64",
            target_arch = "powerpc64"
        )) {
            128
        } else if cfg!(target_arch = "s390x") {
            256
        } else {
            // The remaining arms are 16, 32 or 64; at least a power of two.
            CachePadded::<u8>::ALIGN
        };
        assert_eq!(align_of::<CachePadded<u8>>(), expected);
        assert!(expected.is_power_of_two());
    }

    #[test]
    fn adjacent_values_never_share_an_alignment_block() {
        fn check<T: Copy>(value: T) {
            let pair: [CachePadded<T>; 2] = [CachePadded::new(value); 2];
            let align = CachePadded::<T>::ALIGN;
            let a = core::ptr::addr_of!(pair[0]) as usize;
            let b = core::ptr::addr_of!(pair[1]) as usize;
            assert_eq!(a % align, 0, "first value is not block aligned");
            assert_eq!(b % align, 0, "second value is not block aligned");
            // The last byte of the first value and the first byte of the second
            // fall in different aligned blocks.
            let last_of_a = a + size_of::<T>().max(1) - 1;
            assert_ne!(last_of_a / align, b / align);
            assert!(b - a >= align);
        }
        check(0u8);
        check(0u64);
        check([0u8; 100]);
        check([0u64; 40]);
    }

    #[test]
    fn size_is_a_multiple_of_the_alignment() {
        assert_eq!(size_of::<CachePadded<u8>>(), CachePadded::<u8>::ALIGN);
        let big = size_of::<CachePadded<[u8; 300]>>();
        assert_eq!(big % CachePadded::<u8>::ALIGN, 0);
        assert!(big >= 300);
    }

    #[test]
    fn deref_and_into_inner_reach_the_value() {
        let mut p = CachePadded::new(vec![1, 2]);
        p.push(3);
        assert_eq!(*p, [1, 2, 3]);
        assert_eq!(format!("{p:?}"), "CachePadded { value: [1, 2, 3] }");
        assert_eq!(p.into_inner(), vec![1, 2, 3]);
    }
}
