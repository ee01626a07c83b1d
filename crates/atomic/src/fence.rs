//! Asymmetric fences: a store→load barrier whose cost one side pays.
//!
//! Two threads that each store, then load what the other stored (the
//! store-buffering or Dekker pattern: a hazard-pointer reader publishing a
//! hazard then re-reading the source while a reclaimer unlinks then reads
//! the hazards; a channel sender pushing then checking for a parked
//! receiver while the receiver registers then re-checks the queue) each
//! need a store→load barrier between their two steps, or both can miss the
//! other's store.
//!
//! When one side runs far more often than the other, the cost can be moved
//! to the rare side: on Linux the frequent side's [`light`] barrier is only
//! a compiler fence, and the rare side's [`heavy`] barrier is
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which makes every running
//! thread of the process execute a full memory barrier (an IPI) before it
//! returns (a system call that interrupts every CPU running a thread of
//! the process: 0.35 µs on a 2-vCPU guest, more with many busy CPUs; for a
//! side that is about to sleep or to scan, not for a hot path). Either the light side's load comes after that
//! barrier, and then it sees the heavy side's store (which precedes the
//! system call in its program order, and the call is a full barrier on the
//! calling side), or it comes before, and then the barrier drains the light
//! side's earlier store, which the heavy side's subsequent load sees.
//!
//! The process registers its intent once (`REGISTER_PRIVATE_EXPEDITED`). If
//! the kernel lacks the command (before Linux 4.14), or the target is not
//! Linux, or the `std` feature is off, or the build runs under Miri or
//! loom (neither can model a system call that fences other threads), both
//! sides use a `SeqCst` fence: the classic symmetric protocol. The mode is decided once, on the first call
//! of either side, so both sides always agree on which protocol runs.
//!
//! ```
//! use nanopath_atomic::fence;
//! use std::sync::atomic::{AtomicBool, Ordering};
//!
//! let (ready, parked) = (AtomicBool::new(false), AtomicBool::new(false));
//! let (saw_parked, saw_ready) = std::thread::scope(|s| {
//!     // The frequent side: publish, light barrier, look for a parked peer.
//!     let frequent = s.spawn(|| {
//!         ready.store(true, Ordering::Relaxed);
//!         fence::light();
//!         parked.load(Ordering::Relaxed)
//!     });
//!     // The rare side: register, heavy barrier, re-check before sleeping.
//!     parked.store(true, Ordering::Relaxed);
//!     fence::heavy();
//!     let saw_ready = ready.load(Ordering::Relaxed);
//!     (frequent.join().unwrap(), saw_ready)
//! });
//! // Without the barriers both loads could miss; with them, one sees.
//! assert!(saw_parked || saw_ready);
//! ```

use crate::sync::{Ordering, fence};

/// Whether the asymmetric (membarrier) protocol is in use. Decided once.
#[cfg(all(feature = "std", target_os = "linux", not(miri), not(nanopath_loom)))]
mod mode {
    use crate::sync::{AtomicU8, Ordering};

    const UNKNOWN: u8 = 0;
    const MEMBARRIER: u8 = 1;
    const FALLBACK: u8 = 2;

    // Values from <linux/membarrier.h>.
    const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    /// UNKNOWN until [`decide`] runs; then MEMBARRIER or FALLBACK forever.
    static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

    fn membarrier(cmd: libc::c_long) -> libc::c_long {
        // SAFETY: membarrier takes two integer arguments and touches no user
        // memory; an unsupported command returns -1 (EINVAL/ENOSYS).
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        }
    }

    #[cold]
    fn decide() -> bool {
        let supported = membarrier(MEMBARRIER_CMD_QUERY);
        let usable = supported >= 0
            && supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED != 0
            && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
        let mine = if usable { MEMBARRIER } else { FALLBACK };
        // Two threads may race here; the first decision wins and both use
        // it. Registration is idempotent, so a losing registration is
        // harmless. AcqRel/Acquire: a thread that reads MEMBARRIER also sees
        // that the registration system call has completed.
        match MODE.compare_exchange(UNKNOWN, mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => usable,
            Err(decided) => decided == MEMBARRIER,
        }
    }

    /// Whether the membarrier protocol is in use (deciding it on first call).
    #[inline(always)]
    pub(super) fn asymmetric() -> bool {
        match MODE.load(Ordering::Acquire) {
            MEMBARRIER => true,
            FALLBACK => false,
            _ => decide(),
        }
    }

    /// The heavy side: a full barrier on every running thread.
    pub(super) fn barrier_all() {
        let r = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        // Registration succeeded, so the command cannot fail; if a kernel
        // ever refused it, a SeqCst fence alone would be unsound against
        // compiler-fence readers, so fail loudly rather than free early.
        assert!(
            r == 0,
            "membarrier(PRIVATE_EXPEDITED) failed after registration"
        );
    }
}

/// Whether this process uses the asymmetric protocol (membarrier on the
/// heavy side, a compiler fence on the light side). `false` means both sides use
/// `SeqCst` fences: non-Linux targets, builds without `std`, kernels before
/// 4.14, Miri and loom.
pub fn is_asymmetric() -> bool {
    #[cfg(all(feature = "std", target_os = "linux", not(miri), not(nanopath_loom)))]
    return mode::asymmetric();
    #[cfg(not(all(feature = "std", target_os = "linux", not(miri), not(nanopath_loom))))]
    return false;
}

/// The frequent side's store→load barrier: a compiler fence in the
/// asymmetric protocol, a `SeqCst` fence otherwise. Pairs with [`heavy`]
/// on the other side, never with itself.
#[inline(always)]
pub fn light() {
    #[cfg(all(feature = "std", target_os = "linux", not(miri), not(nanopath_loom)))]
    if mode::asymmetric() {
        // The heavy side's membarrier supplies the hardware barrier; the
        // compiler must still keep the store before the load.
        crate::sync::compiler_fence(Ordering::SeqCst);
        return;
    }
    // Pairs with the SeqCst fence in `heavy`.
    fence(Ordering::SeqCst);
}

/// The rare side's store→load barrier: a `SeqCst` fence and, in the
/// asymmetric protocol, `membarrier` (a full barrier on every running thread
/// of the process). Pairs with [`light`], and also with a `SeqCst` fence or
/// a `SeqCst` access on the other side (it includes a `SeqCst` fence).
pub fn heavy() {
    #[cfg(all(feature = "std", target_os = "linux", not(miri), not(nanopath_loom)))]
    if mode::asymmetric() {
        // Also a full barrier for this thread (the system call is one).
        fence(Ordering::SeqCst);
        mode::barrier_all();
        return;
    }
    // Pairs with the SeqCst fence in `light`.
    fence(Ordering::SeqCst);
}
