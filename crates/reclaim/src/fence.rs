//! Asymmetric fences for hazard pointers.
//!
//! A hazard-pointer reader publishes the pointer it is about to use and then
//! re-reads the source; a reclaimer unlinks an object and then reads every
//! published hazard. Both sides need a store→load barrier between their two
//! steps (the store-buffering pattern), or each can miss the other's store.
//!
//! Readers run far more often than reclaimers scan, so the cost is moved to
//! the reclaimer: on Linux the reader's barrier is only a compiler fence
//! (`light`), and the reclaimer's `heavy` barrier is
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which makes every running
//! thread of the process execute a full memory barrier (an IPI) before it
//! returns. Either a reader's re-read comes after that barrier, and then it
//! sees the unlink (the reclaimer's unlink precedes the system call in its
//! program order, and the call is a full barrier on the calling side), or
//! its hazard store comes before the barrier, and then the reclaimer's
//! subsequent reads of the hazards see it.
//!
//! The process registers its intent once (`REGISTER_PRIVATE_EXPEDITED`). If
//! the kernel lacks the command (before Linux 4.14), or the target is not
//! Linux, or the build runs under Miri or loom (neither can model a system
//! call that fences other threads), both sides use a `SeqCst` fence: the
//! classic symmetric protocol. The mode is decided once, before the first
//! reader publishes anything (`light` and `heavy` both decide it on first
//! use), so readers and reclaimers always agree on which protocol runs.

use crate::sync::{Ordering, fence};

/// Whether the asymmetric (membarrier) protocol is in use. Decided once.
#[cfg(all(target_os = "linux", not(miri), not(nanopath_loom)))]
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

    /// The reclaimer's side: a full barrier on every running thread.
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
/// reclaimer, a compiler fence on readers). `false` means both sides use
/// `SeqCst` fences: non-Linux targets, kernels before 4.14, Miri and loom.
pub fn is_asymmetric() -> bool {
    #[cfg(all(target_os = "linux", not(miri), not(nanopath_loom)))]
    return mode::asymmetric();
    #[cfg(not(all(target_os = "linux", not(miri), not(nanopath_loom))))]
    return false;
}

/// The reader's barrier between publishing a hazard and re-reading the source.
#[inline(always)]
pub(crate) fn light() {
    #[cfg(all(target_os = "linux", not(miri), not(nanopath_loom)))]
    if mode::asymmetric() {
        // The heavy side's membarrier supplies the hardware barrier; the
        // compiler must still keep the store before the load.
        crate::sync::compiler_fence(Ordering::SeqCst);
        return;
    }
    // Pairs with the SeqCst fence in `heavy`.
    fence(Ordering::SeqCst);
}

/// The reclaimer's barrier between unlinking objects and reading hazards.
pub(crate) fn heavy() {
    #[cfg(all(target_os = "linux", not(miri), not(nanopath_loom)))]
    if mode::asymmetric() {
        // Also a full barrier for this thread (the system call is one).
        fence(Ordering::SeqCst);
        mode::barrier_all();
        return;
    }
    // Pairs with the SeqCst fence in `light`.
    fence(Ordering::SeqCst);
}
