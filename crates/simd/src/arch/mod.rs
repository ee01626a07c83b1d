//! Thin per-ISA modules: each implements the vector traits of
//! `crate::generic` for its registers and instantiates the generic
//! algorithms inside `#[target_feature]` functions, plus CRC32C code that
//! is specific to the ISA's instructions.

/// Instantiates the generic byte and f32 kernels for one vector type inside
/// functions compiled with `$features`.
#[cfg(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    target_arch = "aarch64"
))]
macro_rules! instantiate {
    ($features:literal, $bytes:ty, $floats:ty) => {
        /// `generic::find` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn find(hay: &[u8], byte: u8) -> Option<usize> {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::find::<$bytes>(hay, byte) }
        }

        /// `generic::rfind` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn rfind(hay: &[u8], byte: u8) -> Option<usize> {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::rfind::<$bytes>(hay, byte) }
        }

        /// `generic::find_any` of two bytes for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::find_any::<$bytes, 2>(hay, [a, b]) }
        }

        /// `generic::find_any` of three bytes for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn find3(hay: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::find_any::<$bytes, 3>(hay, [a, b, c]) }
        }

        /// `generic::count` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn count(hay: &[u8], byte: u8) -> usize {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::count::<$bytes>(hay, byte) }
        }

        /// `generic::sum64` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn sum64(data: &[u8]) -> u64 {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::sum64::<$bytes>(data) }
        }

        /// `generic::keep_above` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA; as `generic::keep_above` for the
        /// pointers.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn keep_above(input: *const u8, out: *mut u8, len: usize, t: u8) {
            // SAFETY: the caller guarantees the features and the pointers.
            unsafe { crate::generic::keep_above::<$bytes>(input, out, len, t) }
        }

        /// `generic::add` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA; the three lengths are equal.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
            // SAFETY: the caller guarantees the features and lengths.
            unsafe { crate::generic::add::<$floats>(a, b, out) }
        }

        /// `generic::scale` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA; the two lengths are equal.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn scale(a: &[f32], k: f32, out: &mut [f32]) {
            // SAFETY: the caller guarantees the features and lengths.
            unsafe { crate::generic::scale::<$floats>(a, k, out) }
        }

        /// `generic::sum` for this ISA.
        ///
        /// # Safety
        /// The CPU supports this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn sum(a: &[f32]) -> f32 {
            // SAFETY: the caller guarantees the features.
            unsafe { crate::generic::sum::<$floats>(a) }
        }
    };
}
#[cfg(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    target_arch = "aarch64"
))]
pub(crate) use instantiate;

#[cfg(target_arch = "aarch64")]
pub(crate) mod aarch64;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) mod x86_64;
