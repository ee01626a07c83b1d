//! The [`Reclaim`] trait and its two implementations, [`Hazard`] and
//! [`Epoch`], so that lock-free data structures are written once and run on
//! either scheme.
//!
//! An operation takes a guard from the scheme ([`Reclaim::guard`]), loads
//! shared pointers through it ([`Guard::protect`]), and retires what it
//! unlinks ([`Guard::retire_box`]). With hazard pointers the guard owns two
//! hazard slots ([`Slot::A`], [`Slot::B`]); with epochs it is a pinned
//! crossbeam-epoch guard and the slots are ignored.

use crate::hazard::domain::{Domain, drop_box};
use crate::hazard::record::Record;
use crate::sync::{Arc, AtomicPtr, Ordering};
use nanopath_atomic::CachePadded;

/// Which of a guard's two protection slots to use. Algorithms that hold two
/// pointers at once (the Michael-Scott queue's head and its successor) use
/// both; protecting into a slot releases what that slot protected before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The first slot.
    A = 0,
    /// The second slot.
    B = 1,
}

/// A memory-reclamation scheme.
///
/// The data structures of this crate dereference the pointers that
/// [`protect_one`](Self::protect_one) and the guards' [`Guard::protect`]
/// return, so the trait is `unsafe` to implement: a scheme that does not
/// protect would let safe code read freed memory. [`Hazard`] and [`Epoch`]
/// are the implementations; a new one takes on the contract below.
///
/// # Safety
///
/// Implementors guarantee, for every instance `r` and every clone of it:
///
/// * every guard returned by [`guard`](Self::guard) upholds the [`Guard`]
///   contract, and retirements through any guard of `r` are held back by
///   the protection of every guard and read guard of `r` (not only of the
///   guard that retires);
/// * a non-null pointer returned by [`protect_one`](Self::protect_one) was
///   the value of `src` at some instant during the call, and it is not freed
///   by a retirement through `r` until the returned read guard is dropped,
///   provided every pointer stored in `src` is retired through `r` only
///   after it was unlinked;
/// * the guards synchronise like the implementations here: whatever the
///   retiring thread wrote before unlinking an object happens-before the
///   protected reads of it, and those reads happen-before its free.
///
/// A scheme that protects nothing cannot be written without `unsafe`:
///
/// ```compile_fail
/// use nanopath_reclaim::{AtomicPtr, EpochGuard, Reclaim};
///
/// struct Careless;
///
/// impl Reclaim for Careless {
///     type Guard<'r> = EpochGuard;
///     type ReadGuard<'r> = ();
///     fn guard(&self) -> EpochGuard {
///         nanopath_reclaim::Epoch.guard()
///     }
///     fn protect_one<T>(&self, src: &AtomicPtr<T>) -> ((), *mut T) {
///         ((), src.load(core::sync::atomic::Ordering::Acquire))
///     }
/// }
/// ```
pub unsafe trait Reclaim: Send + Sync {
    /// The per-operation protection context.
    type Guard<'r>: Guard
    where
        Self: 'r;

    /// A guard that protects exactly one pointer, for read-mostly cells:
    /// small enough (one word) that a `(guard, pointer)` pair is returned in
    /// registers.
    type ReadGuard<'r>
    where
        Self: 'r;

    /// Starts an operation.
    fn guard(&self) -> Self::Guard<'_>;

    /// Loads `src` and protects the pointer read until the returned guard is
    /// dropped, with the same guarantee as [`Guard::protect`].
    fn protect_one<T>(&self, src: &AtomicPtr<T>) -> (Self::ReadGuard<'_>, *mut T);
}

/// A protection context obtained from [`Reclaim::guard`].
///
/// # Safety
/// Implementors guarantee that a non-null pointer returned by `protect`
/// (or announced and then re-validated by the caller) is not freed by a
/// retire of the same scheme before this guard releases the slot (by
/// protecting into it again, or being dropped).
pub unsafe trait Guard {
    /// Loads `src` and protects the pointer read in `slot` (possibly null).
    fn protect<T>(&mut self, slot: Slot, src: &AtomicPtr<T>) -> *mut T;

    /// Protects `p` in `slot` without validating it; the caller must then
    /// check that `p` is still reachable before dereferencing it (the
    /// protection counts only from a point where it was).
    fn announce<T>(&mut self, slot: Slot, p: *mut T);

    /// Ends the protection held in `slot` (the object may be freed from
    /// now on). Call it before retiring an object this guard protects, so
    /// the retiring thread's own scan can free it at once.
    fn reset(&mut self, slot: Slot);

    /// Retires an unlinked `Box<T>`; it is dropped once no guard protects it.
    ///
    /// # Safety
    /// `ptr` came from `Box::<T>::into_raw`, is no longer reachable from
    /// shared memory, and is retired once. Its drop may run on any thread,
    /// at any later time (before the scheme's domain is dropped, for hazard
    /// pointers; for epochs possibly at process exit or never).
    unsafe fn retire_box<T: Send>(&mut self, ptr: *mut T);

    /// Retires an unlinked object with its own free function.
    ///
    /// # Safety
    /// As for [`retire_box`](Self::retire_box), with `free(ptr)` being the
    /// right way to free it from any thread.
    unsafe fn retire_with(&mut self, ptr: *mut (), free: unsafe fn(*mut ()));
}

// --- hazard pointers -------------------------------------------------------

/// Hazard pointers as a [`Reclaim`] scheme: the global [`Domain`] by
/// default, or a local one shared through an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Hazard {
    domain: DomainRef,
}

#[derive(Debug, Clone)]
enum DomainRef {
    #[cfg(not(nanopath_loom))]
    Global,
    Local(Arc<LocalDomain>),
}

/// A local domain owned by the `Hazard` handles that share it.
#[derive(Debug)]
struct LocalDomain(Domain);

impl Default for DomainRef {
    /// The global domain; loom builds have none and get a fresh local one.
    fn default() -> Self {
        #[cfg(not(nanopath_loom))]
        return DomainRef::Global;
        #[cfg(nanopath_loom)]
        return DomainRef::Local(Arc::new(LocalDomain(Domain::new())));
    }
}

impl Hazard {
    /// The global domain (per-thread slot caches; the fastest choice).
    /// Not in loom builds (see the crate docs).
    #[cfg(not(nanopath_loom))]
    pub fn global() -> Self {
        Self {
            domain: DomainRef::Global,
        }
    }

    /// A new local domain with the given scan threshold (see
    /// [`Domain::with_scan_threshold`]). Clones share it.
    pub fn local(scan_threshold: usize) -> Self {
        Self {
            domain: DomainRef::Local(Arc::new(LocalDomain(Domain::with_scan_threshold(
                scan_threshold,
            )))),
        }
    }

    /// The domain this scheme protects and retires through.
    pub fn domain(&self) -> &Domain {
        match &self.domain {
            #[cfg(not(nanopath_loom))]
            DomainRef::Global => Domain::global(),
            DomainRef::Local(d) => &d.0,
        }
    }
}

/// A [`Hazard`] guard: up to two hazard slots, claimed on first use and
/// released when the guard is dropped.
#[must_use = "dropping the guard releases its protection at once"]
pub struct HazardGuard<'d> {
    domain: &'d Domain,
    /// Claimed records (null until first use). Raw pointers rather than
    /// `Option<HazardPointer>`: moving 16-byte options in and out of the
    /// array cost a store-forwarding stall per read.
    records: [*const CachePadded<Record>; 2],
}

impl core::fmt::Debug for HazardGuard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HazardGuard")
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl HazardGuard<'_> {
    #[inline(always)]
    fn slot(&mut self, slot: Slot) -> &CachePadded<Record> {
        let r = &mut self.records[slot as usize];
        if r.is_null() {
            *r = self.domain.acquire_record();
        }
        // SAFETY: non-null records belong to `self.domain`, which outlives
        // the guard, and records live as long as their domain.
        unsafe { &**r }
    }
}

impl Drop for HazardGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        let [a, b] = self.records;
        if !a.is_null() {
            // SAFETY: as in `slot`; each claimed record is released once.
            self.domain.release_record(unsafe { &*a });
        }
        if !b.is_null() {
            // SAFETY: as above.
            self.domain.release_record(unsafe { &*b });
        }
    }
}

/// A [`Hazard`] read guard: one claimed hazard slot, released on drop.
#[must_use = "dropping the guard releases its protection at once"]
pub struct HazardReadGuard<'d> {
    record: &'d CachePadded<Record>,
}

impl core::fmt::Debug for HazardReadGuard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HazardReadGuard").finish_non_exhaustive()
    }
}

impl Drop for HazardReadGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.record.domain().release_record(self.record);
    }
}

// SAFETY: every guard and read guard of a `Hazard` claims its records from
// `self.domain()`, which clones share; retirements go to that domain, whose
// scans free nothing a record of it announces (`protect` validates the
// announcement with a re-load, so the pointer was the source's value while
// announced); the light/heavy fence pair and the Release reset / Acquire
// scan give the required happens-before edges (see `crate::fence`).
unsafe impl Reclaim for Hazard {
    type Guard<'r> = HazardGuard<'r>;
    type ReadGuard<'r> = HazardReadGuard<'r>;

    #[inline]
    fn protect_one<T>(&self, src: &AtomicPtr<T>) -> (HazardReadGuard<'_>, *mut T) {
        let record = self.domain().acquire_record();
        let p = record.protect(src);
        (HazardReadGuard { record }, p)
    }

    #[inline]
    fn guard(&self) -> HazardGuard<'_> {
        HazardGuard {
            domain: self.domain(),
            records: [core::ptr::null(); 2],
        }
    }
}

// SAFETY: `protect` is the hazard pointer's load-announce-validate loop;
// retirements go to the same domain, whose scans skip announced pointers.
unsafe impl Guard for HazardGuard<'_> {
    #[inline]
    fn protect<T>(&mut self, slot: Slot, src: &AtomicPtr<T>) -> *mut T {
        self.slot(slot).protect(src)
    }

    #[inline]
    fn announce<T>(&mut self, slot: Slot, p: *mut T) {
        self.slot(slot).announce(p);
    }

    #[inline]
    fn reset(&mut self, slot: Slot) {
        let r = self.records[slot as usize];
        if !r.is_null() {
            // SAFETY: as in `slot`.
            unsafe { (*r).reset() };
        }
    }

    #[inline]
    unsafe fn retire_box<T: Send>(&mut self, ptr: *mut T) {
        // SAFETY: forwarded contract.
        unsafe { self.domain.retire(ptr.cast(), drop_box::<T>) }
    }

    #[inline]
    unsafe fn retire_with(&mut self, ptr: *mut (), free: unsafe fn(*mut ())) {
        // SAFETY: forwarded contract.
        unsafe { self.domain.retire(ptr, free) }
    }
}

// --- epochs ----------------------------------------------------------------

/// Epoch-based reclamation as a [`Reclaim`] scheme: an adapter over
/// crossbeam-epoch's default collector (not a reimplementation). A guard is
/// a pinned `crossbeam_epoch::Guard`; protection is a plain `Acquire` load,
/// and retired objects are deferred until every thread pinned at the time
/// has unpinned. Reads are the cheapest; garbage is unbounded while any
/// thread stays pinned.
///
/// Under loom, crossbeam-epoch's own atomics are not modelled (it keeps its
/// own loom configuration): the models check our algorithms' use of the
/// guard, not crossbeam's epoch machinery.
#[derive(Debug, Clone, Copy, Default)]
pub struct Epoch;

/// An [`Epoch`] guard: the thread is pinned while it lives.
#[derive(Debug)]
#[must_use = "dropping the guard unpins the thread at once"]
pub struct EpochGuard {
    guard: crossbeam_epoch::Guard,
}

impl EpochGuard {
    /// The underlying crossbeam-epoch guard.
    pub fn as_crossbeam(&self) -> &crossbeam_epoch::Guard {
        &self.guard
    }
}

// SAFETY: guards and read guards are pins of crossbeam-epoch's default
// collector, shared by every `Epoch`; retirements are deferred on it, and it
// runs no deferred function while a pin that began before the deferral is
// alive. The Acquire loads pair with the Release stores that published each
// object, and crossbeam orders the end of a pin before its deferred frees.
unsafe impl Reclaim for Epoch {
    type Guard<'r> = EpochGuard;
    type ReadGuard<'r> = EpochGuard;

    #[inline]
    fn protect_one<T>(&self, src: &AtomicPtr<T>) -> (EpochGuard, *mut T) {
        let guard = self.guard();
        // Acquire pairs with the Release store that published the object.
        (guard, src.load(Ordering::Acquire))
    }

    #[inline]
    fn guard(&self) -> EpochGuard {
        EpochGuard {
            guard: crossbeam_epoch::pin(),
        }
    }
}

// SAFETY: while pinned, crossbeam-epoch runs no deferred function that was
// deferred after this pin began; objects are retired (deferred) only after
// they are unlinked, so anything loaded during the pin outlives it.
unsafe impl Guard for EpochGuard {
    #[inline]
    fn protect<T>(&mut self, _slot: Slot, src: &AtomicPtr<T>) -> *mut T {
        // Acquire pairs with the Release store that published the object.
        src.load(Ordering::Acquire)
    }

    #[inline]
    fn announce<T>(&mut self, _slot: Slot, _p: *mut T) {}

    #[inline]
    fn reset(&mut self, _slot: Slot) {}

    #[inline]
    unsafe fn retire_box<T: Send>(&mut self, ptr: *mut T) {
        // SAFETY: the caller guarantees `ptr` is unlinked, boxed, retired
        // once and freeable from any thread; crossbeam runs the closure
        // after every pin that could have loaded it has ended.
        unsafe { self.guard.defer_unchecked(move || drop(Box::from_raw(ptr))) }
    }

    #[inline]
    unsafe fn retire_with(&mut self, ptr: *mut (), free: unsafe fn(*mut ())) {
        // SAFETY: as above, with the caller's free function.
        unsafe { self.guard.defer_unchecked(move || free(ptr)) }
    }
}
