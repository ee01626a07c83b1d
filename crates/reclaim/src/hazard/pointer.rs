//! The hazard pointer users hold: one hazard slot of a domain.

use nanopath_atomic::CachePadded;

use super::domain::Domain;
use super::record::Record;
use crate::sync::AtomicPtr;

/// One hazard slot of a [`Domain`], owned by one thread at a time.
///
/// Dropping it resets the slot and returns it for reuse. It borrows the
/// domain, so it cannot outlive it, and references it hands out borrow it,
/// so they cannot outlive the protection.
#[must_use = "a hazard pointer protects nothing once dropped; keep it while you read"]
pub struct HazardPointer<'d> {
    /// A record of `domain`, owned by this hazard pointer until its drop.
    pub(super) record: &'d CachePadded<Record>,
    /// The domain the record belongs to.
    pub(super) domain: &'d Domain,
}

impl core::fmt::Debug for HazardPointer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HazardPointer")
            .field("protected", &self.record.protected())
            .finish()
    }
}

impl HazardPointer<'static> {
    /// A hazard pointer of the global domain. Not in loom builds (see the
    /// crate docs).
    #[cfg(not(nanopath_loom))]
    pub fn new() -> Self {
        Domain::global().hazard_pointer()
    }
}

#[cfg(not(nanopath_loom))]
impl Default for HazardPointer<'static> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: a hazard pointer may move to another thread; the record is owned
// by whoever holds it, and the thread cache only takes it back on drop.
unsafe impl Send for HazardPointer<'_> {}

impl<'d> HazardPointer<'d> {
    /// Loads `src` and protects the pointer read: announces it, then
    /// re-reads `src` until the announced value is still current. The
    /// returned pointer (possibly null) cannot be freed by this domain until
    /// the next `protect`, [`reset`](Self::reset) or drop. Lock-free: it
    /// retries only when `src` changed in between.
    #[inline]
    pub fn protect_ptr<T>(&mut self, src: &AtomicPtr<T>) -> *mut T {
        self.record.protect(src)
    }

    /// Protects the object `src` points to and borrows it for as long as
    /// this hazard pointer is not reused.
    ///
    /// # Safety
    /// Every pointer ever stored in `src` is null or points to a live `T`
    /// that is freed only through [`Domain::retire`] on this hazard
    /// pointer's domain, after it was unlinked from `src`.
    #[inline]
    pub unsafe fn protect<T>(&mut self, src: &AtomicPtr<T>) -> Option<&T> {
        let p = self.protect_ptr(src);
        // SAFETY: `p` was current in `src` after it was announced, so it is
        // live and cannot be freed until this slot is reset; the borrow of
        // `self` ends before any reset.
        unsafe { p.as_ref() }
    }

    /// Announces `p` without validating it. Use when the protection depends
    /// on a different location than the one `p` was read from (the
    /// Michael-Scott queue announces `head.next` and then checks that
    /// `head` is unchanged): the caller must re-check that `p` is still
    /// reachable after this call before dereferencing it.
    #[inline]
    pub fn announce<T>(&mut self, p: *mut T) {
        self.record.announce(p);
    }

    /// Clears the protection: the object may be freed from now on.
    #[inline]
    pub fn reset(&mut self) {
        self.record.reset();
    }

    /// The domain this hazard pointer belongs to.
    pub fn domain(&self) -> &'d Domain {
        self.domain
    }
}

impl Drop for HazardPointer<'_> {
    fn drop(&mut self) {
        self.domain.release_record(self.record);
    }
}
