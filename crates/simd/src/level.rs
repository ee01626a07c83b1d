//! Instruction-set levels, detection, and the crate's error type.

use core::fmt;
use core::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level a kernel can run at.
///
/// Levels are ordered from least to most capable within an architecture;
/// [`Level::detect`] picks the best one the CPU supports. Each kernel
/// documents what it runs at each level (a level without a dedicated
/// implementation runs the best lower one).
///
/// | level | x86-64 features required | aarch64 |
/// |---|---|---|
/// | `Scalar` | none (portable Rust) | none |
/// | `Sse2` | `sse2` (every x86-64 CPU) | — |
/// | `Sse42` | `sse4.2`, `popcnt` | — |
/// | `Avx2` | `avx2`, `bmi1`, `bmi2`, `popcnt`, `sse4.2`, `pclmulqdq` | — |
/// | `Avx512` | `Avx2`'s plus `avx512f`, `avx512bw`, `avx512vl` | — |
/// | `Neon` | — | `neon` |
///
/// ```
/// use nanopath_simd::Level;
///
/// assert!(Level::Scalar.is_available());
/// let best = Level::detect();
/// assert!(best.is_available());
/// assert!(Level::ALL.iter().filter(|l| l.is_available()).all(|&l| l <= best || l == Level::Neon));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Portable Rust; the compiler may still auto-vectorise it for the
    /// target's baseline.
    Scalar,
    /// 128-bit SSE2.
    Sse2,
    /// SSE4.2: adds the CRC32C instruction and `popcnt`.
    Sse42,
    /// 256-bit AVX2, with carry-less multiplication (`pclmulqdq`) for CRC
    /// folding (and `vpclmulqdq` on 256-bit registers where the CPU has it).
    Avx2,
    /// 512-bit AVX-512 (F, BW, VL).
    Avx512,
    /// 128-bit NEON on aarch64.
    Neon,
}

impl Level {
    /// Every level, in order.
    pub const ALL: [Level; 6] = [
        Level::Scalar,
        Level::Sse2,
        Level::Sse42,
        Level::Avx2,
        Level::Avx512,
        Level::Neon,
    ];

    /// The lower-case name used in reports (`"avx2"`).
    ///
    /// ```
    /// assert_eq!(nanopath_simd::Level::Sse42.name(), "sse4.2");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Sse2 => "sse2",
            Level::Sse42 => "sse4.2",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
            Level::Neon => "neon",
        }
    }

    /// Whether this CPU can run code at this level (checked at run time
    /// with `std`; without `std`, from the features enabled at compile
    /// time). Under Miri only `Scalar` is reported, so Miri runs the
    /// portable code.
    ///
    /// ```
    /// use nanopath_simd::Level;
    /// assert!(Level::Scalar.is_available());
    /// #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    /// assert!(!Level::Neon.is_available());
    /// ```
    #[inline]
    pub fn is_available(self) -> bool {
        // Bit `1 + index in ALL` per available level, bit 0 = computed.
        // Relaxed: any thread computes the same bits.
        static AVAILABLE: AtomicU8 = AtomicU8::new(0);
        let mut bits = AVAILABLE.load(Ordering::Relaxed);
        if bits == 0 {
            bits = 1;
            for (i, level) in Level::ALL.into_iter().enumerate() {
                let yes = level == Level::Scalar || (!cfg!(miri) && available(level));
                if yes {
                    bits |= 2 << i;
                }
            }
            AVAILABLE.store(bits, Ordering::Relaxed);
        }
        bits & (2 << self as u8) != 0
    }

    /// The best level this CPU supports (cached after the first call).
    ///
    /// ```
    /// let level = nanopath_simd::Level::detect();
    /// assert!(level.is_available());
    /// assert_eq!(level, nanopath_simd::Level::detect());
    /// ```
    pub fn detect() -> Level {
        // 0 = not yet detected; otherwise 1 + the index in `ALL`. Relaxed:
        // the value is recomputed identically by any thread that races.
        static DETECTED: AtomicU8 = AtomicU8::new(0);
        let cached = DETECTED.load(Ordering::Relaxed);
        if cached != 0 {
            return Level::ALL[usize::from(cached - 1)];
        }
        let best = Level::ALL
            .iter()
            .rev()
            .copied()
            .find(|l| l.is_available())
            .unwrap_or(Level::Scalar);
        let index = Level::ALL.iter().position(|&l| l == best).unwrap_or(0);
        DETECTED.store(index as u8 + 1, Ordering::Relaxed);
        best
    }

    /// `Ok(())` if available, else [`Error::Unavailable`].
    pub(crate) fn check(self) -> Result<(), Error> {
        if self.is_available() {
            Ok(())
        } else {
            Err(Error::Unavailable { level: self })
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
// Without `std` every `has_feature!` is a compile-time constant, which
// clippy would have us fold by hand per target.
#[cfg_attr(not(feature = "std"), allow(clippy::nonminimal_bool))]
fn available(level: Level) -> bool {
    macro_rules! has {
        ($($f:tt),+) => { $(has_feature!($f))&&+ };
    }
    match level {
        Level::Scalar => true,
        Level::Sse2 => has!("sse2"),
        Level::Sse42 => has!("sse2", "sse4.2", "popcnt"),
        Level::Avx2 => has!(
            "sse2",
            "sse4.2",
            "popcnt",
            "avx2",
            "bmi1",
            "bmi2",
            "pclmulqdq"
        ),
        Level::Avx512 => available(Level::Avx2) && has!("avx512f", "avx512bw", "avx512vl"),
        Level::Neon => false,
    }
}

#[cfg(target_arch = "aarch64")]
fn available(level: Level) -> bool {
    match level {
        Level::Scalar => true,
        Level::Neon => has_feature!("neon"),
        _ => false,
    }
}

#[cfg(not(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    target_arch = "aarch64"
)))]
fn available(level: Level) -> bool {
    level == Level::Scalar
}

/// Why a kernel refused to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A `*_with` entry point was asked for a level this CPU lacks.
    Unavailable {
        /// The level asked for.
        level: Level,
    },
    /// Input and output slices differ in length.
    LengthMismatch {
        /// The input's length (the first slice argument).
        input: usize,
        /// The other slice's length.
        other: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unavailable { level } => {
                write!(f, "this CPU cannot run the {level} level")
            }
            Error::LengthMismatch { input, other } => write!(
                f,
                "slice lengths differ: input has {input} elements, the other slice {other}"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Checks that two slices have the same length.
#[inline]
pub(crate) fn same_len(input: usize, other: usize) -> Result<(), Error> {
    if input == other {
        Ok(())
    } else {
        Err(Error::LengthMismatch { input, other })
    }
}
