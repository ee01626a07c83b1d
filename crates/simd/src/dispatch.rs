//! Run-time dispatch: one static function pointer per kernel, and the
//! `kernel!` macro that writes a kernel's dispatch and entry points.
//!
//! The pointer starts at a `detect` function; the first call picks the
//! implementation for `Level::detect()`, stores it, and runs it. Every
//! later call is one relaxed load and an indirect call (the memchr
//! pattern). Relaxed is enough: the pointer publishes no data, and a
//! thread that still sees `detect` just resolves (identically) again.

/// Defines one kernel: its implementation per level, its portable
/// implementation, the once-per-process dispatch, and its public entry
/// points, each a pair of a dispatched function and its `*_with(level, ..)`
/// form.
///
/// A pure kernel, whose entry point is the kernel itself (no preconditions
/// beyond its types; `#[inline]` and `#[must_use]`):
///
/// ```text
/// kernel! {
///     mod NAME = arch::FN, else PORTABLE_FN;
///     /// Docs of the dispatched entry point.
///     pub fn ENTRY(PARAM: TYPE, ..) -> T;
///     /// More docs of the `_with` form (after its summary and `# Errors`).
///     pub fn ENTRY_with;
/// }
/// ```
///
/// Any other kernel:
///
/// ```text
/// kernel! {
///     /// # Safety
///     /// The kernel's preconditions beyond its types, if any.
///     mod NAME: unsafe fn(ARG: TYPE, ..) -> RET
///         = arch::FN, else { PORTABLE CODE OVER THE ARGS };
///     // or: = |level| KERNEL_FOR_LEVEL, else { .. };
///
///     pub fn ENTRY(PARAM: TYPE, ..) -> T;   // no `-> T` for `()`
///     pub fn ENTRY_with;
///     // SAFETY: why the arguments meet the kernel's preconditions.
///     |run| unsafe { run(ARG_EXPR, ..) };
///
///     // An entry point that checks slice lengths first:
///     pub fn ENTRY2(PARAM: TYPE, ..) -> Result<T, Error>;
///     pub fn ENTRY2_with;
///     check { same_len(..)?; }
///     // SAFETY: ..
///     |run| unsafe { run(..) };
/// }
/// ```
///
/// `arch::FN` is the instantiation of `FN` in each `crate::arch` module
/// (x86-64 SSE2 to AVX-512, aarch64 NEON); levels without one run the
/// portable code. The private module `NAME` holds `type Kernel`, the cache
/// `static CHOSEN`, `detect`, `call`, `select` and `scalar`; the portable
/// code and a custom selection are written inside it, so they name other
/// items by `crate::` paths (and the portable code is `scalar`). In each
/// entry point `run` is the dispatched `call`, or in the `_with` form the
/// implementation of a level this CPU has (`Error::Unavailable` otherwise,
/// after any `check`): the entry's `unsafe` block answers for the
/// arguments only. `-> T` entry points return `Result<T, Error>` in the
/// `_with` form; `-> Result<T, Error>` ones (whose `check` returns
/// `Error::LengthMismatch`) return the same type in both forms.
macro_rules! kernel {
    // The return type of an entry point without `-> T`.
    (@unit) => { () };
    (@unit $t:ty) => { $t };

    // `select` for a kernel instantiated in every `arch` module as `$f`.
    (@arch $f:ident) => {
        /// The implementation for `level`: the ISA's, or the portable one.
        pub(super) fn select(level: Level) -> Kernel {
            match level {
                #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                Level::Avx512 => $crate::arch::x86_64::avx512::$f,
                #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                Level::Avx2 => $crate::arch::x86_64::avx2::$f,
                #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                Level::Sse42 => $crate::arch::x86_64::sse42::$f,
                #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                Level::Sse2 => $crate::arch::x86_64::sse2::$f,
                #[cfg(target_arch = "aarch64")]
                Level::Neon => $crate::arch::aarch64::neon::$f,
                _ => scalar,
            }
        }
    };

    (@entries $kernel:ident;) => {};

    // An entry point that checks its arguments: `Result` in both forms.
    (@entries $kernel:ident;
        $(#[$meta:meta])*
        $vis:vis fn $entry:ident($($p:ident: $pt:ty),* $(,)?) -> Result<$t:ty, Error>;
        $(#[$with_meta:meta])*
        $with_vis:vis fn $with:ident;
        check $check:block
        |$run:ident| $body:expr;
        $($rest:tt)*
    ) => {
        $(#[$meta])*
        $vis fn $entry($($p: $pt),*) -> Result<$t, $crate::Error> {
            $check
            let $run = $kernel::call;
            Ok($body)
        }

        #[doc = concat!(" [`", stringify!($entry), "`] at a given level.")]
        #[doc = ""]
        #[doc = " # Errors"]
        #[doc = " [`Error::Unavailable`](crate::Error::Unavailable) if this CPU lacks `level`;"]
        #[doc = concat!(
            " [`Error::LengthMismatch`](crate::Error::LengthMismatch) as for [`",
            stringify!($entry),
            "`]."
        )]
        #[doc = ""]
        $(#[$with_meta])*
        $with_vis fn $with(level: $crate::Level, $($p: $pt),*) -> Result<$t, $crate::Error> {
            $check
            level.check()?;
            let $run = $kernel::select(level);
            Ok($body)
        }

        $crate::dispatch::kernel!(@entries $kernel; $($rest)*);
    };

    // An entry point without checks: `T`, and `Result<T, Error>` at a level.
    (@entries $kernel:ident;
        $(#[$meta:meta])*
        $vis:vis fn $entry:ident($($p:ident: $pt:ty),* $(,)?) $(-> $t:ty)?;
        $(#[$with_meta:meta])*
        $with_vis:vis fn $with:ident;
        |$run:ident| $body:expr;
        $($rest:tt)*
    ) => {
        $(#[$meta])*
        $vis fn $entry($($p: $pt),*) $(-> $t)? {
            let $run = $kernel::call;
            $body
        }

        #[doc = concat!(" [`", stringify!($entry), "`] at a given level.")]
        #[doc = ""]
        #[doc = " # Errors"]
        #[doc = " [`Error::Unavailable`](crate::Error::Unavailable) if this CPU lacks `level`."]
        #[doc = ""]
        $(#[$with_meta])*
        $with_vis fn $with(
            level: $crate::Level,
            $($p: $pt),*
        ) -> Result<$crate::dispatch::kernel!(@unit $($t)?), $crate::Error> {
            level.check()?;
            let $run = $kernel::select(level);
            Ok($body)
        }

        $crate::dispatch::kernel!(@entries $kernel; $($rest)*);
    };

    // A pure kernel: the entry point's signature is the kernel's.
    (
        mod $kernel:ident = arch::$arch:ident, else $scalar:path;
        $(#[$meta:meta])*
        $vis:vis fn $entry:ident($($p:ident: $pt:ty),* $(,)?) -> $t:ty;
        $(#[$with_meta:meta])*
        $with_vis:vis fn $with:ident;
    ) => {
        $crate::dispatch::kernel! {
            mod $kernel: unsafe fn($($p: $pt),*) -> $t
                = arch::$arch, else { $scalar($($p),*) };

            $(#[$meta])*
            #[inline]
            #[must_use]
            $vis fn $entry($($p: $pt),*) -> $t;
            $(#[$with_meta])*
            $with_vis fn $with;
            // SAFETY: a pure kernel has no preconditions beyond its types.
            |run| unsafe { run($($p),*) };
        }
    };

    (
        $(#[$kernel_meta:meta])*
        mod $kernel:ident: unsafe fn($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
            = $(arch::$arch:ident)? $(|$level:ident| $select:expr)?, else $scalar:block;
        $($entries:tt)*
    ) => {
        mod $kernel {
            use $crate::Level;

            /// Every implementation of this kernel has this type.
            $(#[$kernel_meta])*
            type Kernel = unsafe fn($($ty),*) $(-> $ret)?;

            /// The chosen implementation, or `detect` before the first call.
            static CHOSEN: core::sync::atomic::AtomicPtr<()> =
                core::sync::atomic::AtomicPtr::new(detect as Kernel as *mut ());

            /// Picks the implementation for the detected level, caches it,
            /// and runs it.
            ///
            /// # Safety
            /// As `Kernel`.
            unsafe fn detect($($arg: $ty),*) $(-> $ret)? {
                let chosen: Kernel = select(Level::detect());
                CHOSEN.store(chosen as *mut (), core::sync::atomic::Ordering::Relaxed);
                // SAFETY: `select` returned the implementation for a level this
                // CPU has; the caller upholds the kernel's preconditions.
                unsafe { chosen($($arg),*) }
            }

            /// Runs the cached implementation.
            ///
            /// # Safety
            /// As `Kernel`.
            #[inline]
            pub(super) unsafe fn call($($arg: $ty),*) $(-> $ret)? {
                let raw = CHOSEN.load(core::sync::atomic::Ordering::Relaxed);
                // SAFETY: `CHOSEN` only ever holds `detect` or a `Kernel` that
                // `select` returned for the detected level, both cast from
                // `Kernel`; the caller upholds the kernel's preconditions.
                unsafe {
                    let chosen = core::mem::transmute::<*mut (), Kernel>(raw);
                    chosen($($arg),*)
                }
            }

            $($crate::dispatch::kernel!(@arch $arch);)?

            $(
                /// The implementation for a level.
                pub(super) fn select($level: Level) -> Kernel {
                    $select
                }
            )?

            /// The portable implementation.
            ///
            /// # Safety
            /// As `Kernel`.
            unsafe fn scalar($($arg: $ty),*) $(-> $ret)? $scalar
        }

        $crate::dispatch::kernel!(@entries $kernel; $($entries)*);
    };
}
pub(crate) use kernel;
