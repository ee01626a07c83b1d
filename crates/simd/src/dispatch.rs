//! Run-time dispatch: one static function pointer per kernel.
//!
//! The pointer starts at a `detect` function; the first call picks the
//! implementation for `Level::detect()`, stores it, and runs it. Every
//! later call is one relaxed load and an indirect call (the memchr
//! pattern). Relaxed is enough: the pointer publishes no data, and a
//! thread that still sees `detect` just resolves (identically) again.

/// Defines, inside the calling kernel module, `type Kernel`, the cache
/// `static`, `detect`, and `call` for a kernel whose implementations have
/// the signature `unsafe fn($($ty),*) -> $ret`, chosen per level by the
/// module's `fn select(Level) -> Kernel`.
macro_rules! dispatch {
    (unsafe fn($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        /// Every implementation of this kernel has this type.
        type Kernel = unsafe fn($($ty),*) -> $ret;

        /// The chosen implementation, or `detect` before the first call.
        static CHOSEN: core::sync::atomic::AtomicPtr<()> =
            core::sync::atomic::AtomicPtr::new(detect as Kernel as *mut ());

        /// Picks the implementation for the detected level, caches it,
        /// and runs it.
        ///
        /// # Safety
        /// The kernel's own preconditions (none beyond its types, except
        /// where its module says so).
        unsafe fn detect($($arg: $ty),*) -> $ret {
            let chosen: Kernel = select($crate::Level::detect());
            CHOSEN.store(chosen as *mut (), core::sync::atomic::Ordering::Relaxed);
            // SAFETY: `select` returned the implementation for a level this
            // CPU has; the caller upholds the kernel's preconditions.
            unsafe { chosen($($arg),*) }
        }

        /// Runs the cached implementation.
        ///
        /// # Safety
        /// As `detect`.
        #[inline]
        unsafe fn call($($arg: $ty),*) -> $ret {
            let raw = CHOSEN.load(core::sync::atomic::Ordering::Relaxed);
            // SAFETY: `CHOSEN` only ever holds `detect` or a `Kernel` that
            // `select` returned for the detected level, both cast from
            // `Kernel`; the caller upholds the kernel's preconditions.
            unsafe {
                let chosen = core::mem::transmute::<*mut (), Kernel>(raw);
                chosen($($arg),*)
            }
        }

        /// Runs the implementation for `level`, if this CPU has it.
        ///
        /// # Safety
        /// As `detect`.
        #[inline]
        unsafe fn call_with(
            level: $crate::Level,
            $($arg: $ty),*
        ) -> Result<$ret, $crate::Error> {
            level.check()?;
            // SAFETY: `level` is available; the caller upholds the rest.
            Ok(unsafe { select(level)($($arg),*) })
        }
    };
}
pub(crate) use dispatch;
