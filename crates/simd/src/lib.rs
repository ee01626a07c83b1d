//! # nanopath-simd
//!
//! Data-path kernels with run-time CPU dispatch, from portable scalar code
//! up to AVX-512 (and NEON on aarch64):
//!
//! * [`checksum::sum64`]: wrapping sum of little-endian `u64` words;
//! * [`crc32c()`] / [`crc32c_append`]: CRC-32C with the hardware instruction
//!   and carry-less-multiply folding;
//! * [`threshold::keep_above`]: zero the bytes at or below a threshold;
//! * [`f32s::add`], [`f32s::scale`], [`f32s::sum`];
//! * [`search::find`] (like `memchr`) and [`search::count`].
//!
//! Every kernel is a safe function. The default entry point picks the best
//! [`Level`] once per process (a static function pointer that starts at a
//! detection function, the memchr pattern: afterwards one load and an
//! indirect call); the `*_with(level, ..)` entry points run a given level
//! and return [`Error::Unavailable`] if the CPU lacks it, so tests and
//! benchmarks can force each level. Slices that must have equal lengths
//! are checked: a mismatch is [`Error::LengthMismatch`], never undefined
//! behaviour and never a panic.
//!
//! Layout (after memchr): [`reference`](mod@reference) holds the naive definitions;
//! `generic` writes each byte and `f32` algorithm once against a small
//! vector trait; `arch::x86_64::{sse2, avx2, avx512}` and
//! `arch::aarch64::neon` implement the trait and instantiate the
//! algorithms inside `#[target_feature]` functions; CRC32C has its own
//! per-ISA code (`arch::x86_64::crc`) because it uses different
//! instructions, not wider ones. Each kernel module states its kernel once
//! (signature, implementations, portable code, entry points) in a private
//! macro that writes the dispatch and both entry points.
//!
//! ```
//! use nanopath_simd::{Level, crc32c, search};
//!
//! assert_eq!(crc32c(b"123456789"), 0xE306_9283);
//! assert_eq!(search::find(b"key=value", b'='), Some(3));
//! println!("running at {}", Level::detect());
//! ```

#![cfg_attr(not(feature = "std"), no_std)]

// The crate README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// `has_feature!("avx2")`: run-time detection with `std`, the compile-time
/// target features without.
#[cfg(all(feature = "std", all(target_arch = "x86_64", target_feature = "sse2")))]
macro_rules! has_feature {
    ($f:tt) => {
        std::is_x86_feature_detected!($f)
    };
}
#[cfg(all(feature = "std", target_arch = "aarch64"))]
macro_rules! has_feature {
    ($f:tt) => {
        std::arch::is_aarch64_feature_detected!($f)
    };
}
#[cfg(all(
    not(feature = "std"),
    any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        target_arch = "aarch64"
    )
))]
macro_rules! has_feature {
    ($f:tt) => {
        cfg!(target_feature = $f)
    };
}

mod arch;
pub mod checksum;
pub mod crc;
mod crc_math;
mod dispatch;
pub mod f32s;
// The vector algorithms, instantiated only by the `arch` modules: none on
// targets without them (other architectures, and x86-64 targets without
// SSE2 such as `x86_64-unknown-none`, whose soft-float ABI LLVM cannot
// lower vector code for), where every level runs the scalar code.
#[cfg(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    target_arch = "aarch64"
))]
mod generic;
mod level;
pub mod reference;
pub mod search;
pub mod threshold;

pub use crc::{crc32c, crc32c_append};
pub use level::{Error, Level};
