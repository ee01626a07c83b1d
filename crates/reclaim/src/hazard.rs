//! Hazard pointers (Michael, "Hazard Pointers: Safe Memory Reclamation for
//! Lock-Free Objects", IEEE TPDS 2004), with asymmetric fences.
//!
//! A reader announces the pointer it is about to dereference in a *hazard
//! slot* it owns, then re-reads the source to check the pointer is still
//! reachable ([`HazardPointer::protect`]). A writer that unlinks an object
//! *retires* it ([`Domain::retire`]); retired objects are freed by a *scan*
//! that reads every hazard slot of the [`Domain`] and frees the retired
//! objects nobody announced.
//!
//! * **Bounded garbage.** A scan runs when a retire list reaches
//!   `max(base, 2 × hazard slots)` entries, and frees everything but the
//!   (at most one per slot) protected objects, so the number of retired but
//!   unfreed objects stays bounded even when a reader stalls forever while
//!   holding a protection. Epochs cannot promise that.
//! * **Cheap readers.** On Linux the reader's store→load barrier is a
//!   compiler fence; the scanning thread pays a `membarrier` system call
//!   instead (see [`crate::fence`]). Elsewhere, and under Miri and loom,
//!   both sides use a `SeqCst` fence.
//! * **Slot reuse.** Hazard slots are records in an append-only list owned
//!   by the domain; a record is never freed before its domain. The global
//!   domain keeps a few free records per thread in a thread-local cache, so
//!   acquiring and releasing a [`HazardPointer`] touches no shared line;
//!   threads also batch their retirements there. Local domains (created
//!   with [`Domain::new`]) claim records with a CAS on the list and keep
//!   retirements in a shared, locked list: they isolate one data
//!   structure's garbage from the rest of the process, at some cost.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr;

use nanopath_atomic::CachePadded;

use crate::fence;
use crate::sync::{AtomicBool, AtomicPtr, AtomicUsize, Mutex, Ordering, lock};

/// The default minimum retire-list length that triggers a scan. A scan
/// costs one `membarrier` system call plus a pass over the hazard slots.
/// With another thread of the process running, that call measured about
/// 36 µs on a 2-vCPU KVM guest (an IPI per CPU; 1.2 µs with no other thread
/// running), so it is amortised over this many retirements: about 35 ns per
/// retirement at worst there, a few ns on bare metal. Folly and haphazard
/// use 1000.
pub const DEFAULT_SCAN_THRESHOLD: usize = 1024;

/// A retired object and the function that frees it.
///
/// Invariant: `ptr` was unlinked before it was retired (no thread can newly
/// load it from shared memory), it is retired once, and `free(ptr)` may run
/// on any thread once no hazard slot holds `ptr`.
#[derive(Debug)]
pub(crate) struct Retired {
    ptr: *mut (),
    free: unsafe fn(*mut ()),
}

// SAFETY: `retire`'s contract makes the object safe to free from any thread.
unsafe impl Send for Retired {}

impl Retired {
    /// Frees the object.
    ///
    /// # Safety
    /// No hazard slot of its domain holds `ptr`, and it is freed once.
    unsafe fn free(self) {
        // SAFETY: the caller guarantees no reader holds it; `retire`'s
        // contract says `free` is the right way to free it.
        unsafe { (self.free)(self.ptr) }
    }
}

/// One hazard slot.
///
/// Invariants: `hazard` is written only by the owner of the record (the
/// thread that set `active` from false to true, or the thread-local cache
/// holding it), and is null whenever the record is not owned. `next` is
/// written before the record is published on the domain's list and never
/// after; records are freed only when their domain is dropped.
#[derive(Debug)]
pub(crate) struct Record {
    /// The announced address, or null.
    hazard: AtomicPtr<()>,
    /// Whether some `HazardPointer` or thread cache owns this record.
    active: AtomicBool,
    /// The next record on the domain's list (immutable once published).
    next: *const CachePadded<Record>,
    /// The domain that owns this record, as of the last claim (a `Domain`
    /// may move while it has no hazard pointers, so a claimer rewrites it).
    /// Read and written only by the record's current owner.
    domain: AtomicPtr<Domain>,
}

impl Record {
    /// The load-announce-validate loop (see [`HazardPointer::protect_ptr`]).
    #[inline(always)]
    pub(crate) fn protect<T>(&self, src: &AtomicPtr<T>) -> *mut T {
        // Relaxed: the value is used only after the Acquire re-read below
        // has confirmed it.
        let mut p = src.load(Ordering::Relaxed);
        loop {
            self.announce(p);
            // Acquire pairs with the Release store or CAS that published
            // the object: its contents are visible once confirmed.
            let again = src.load(Ordering::Acquire);
            if again == p {
                // Return the validating load's pointer, not `p`: equal
                // addresses, but if `p`'s object was freed and the address
                // reused in between, only `again` carries the provenance of
                // the object now there (Miri found the `p` version).
                return again;
            }
            p = again;
        }
    }

    /// Publishes `p` (see [`HazardPointer::announce`]).
    #[inline(always)]
    pub(crate) fn announce<T>(&self, p: *mut T) {
        // Release: this store also ends the protection of whatever the slot
        // held before, so this thread's reads of that object must happen
        // before a scan that reads the new value (Acquire) and frees it
        // (loom found the Relaxed version). The store→load barrier against
        // the scan comes from the fence pair (see `crate::fence`).
        self.hazard.store(p.cast(), Ordering::Release);
        fence::light();
    }

    /// The domain that owns this record.
    #[inline(always)]
    pub(crate) fn domain(&self) -> &Domain {
        // SAFETY: the owner set this when it claimed the record, and the
        // domain cannot move or drop while one of its records is claimed
        // (claims borrow it).
        unsafe { &*self.domain.load(Ordering::Relaxed) }
    }

    /// Ends the protection (see [`HazardPointer::reset`]).
    #[inline(always)]
    pub(crate) fn reset(&self) {
        // Release: this thread's reads of the object happen before a scan
        // that sees the slot empty (it loads with Acquire) frees it.
        self.hazard.store(ptr::null_mut(), Ordering::Release);
    }
}

/// A set of hazard slots and the objects retired against them.
///
/// Objects protected through one domain must be retired to the same
/// domain. [`Domain::global`] serves most programs; a local domain keeps a
/// data structure's garbage and scans separate from everyone else's.
///
/// ```
/// use nanopath_reclaim::hazard::Domain;
/// use nanopath_reclaim::AtomicPtr;
///
/// let domain = Domain::new();
/// let shared = AtomicPtr::new(Box::into_raw(Box::new(7_u64)));
/// let mut hp = domain.hazard_pointer();
/// // SAFETY: `shared` only ever holds pointers from Box::into_raw, retired
/// // to `domain` after they are unlinked.
/// let value = unsafe { hp.protect(&shared) };
/// assert_eq!(value, Some(&7));
///
/// // A writer replaces the value and retires the old one: it stays alive
/// // while `hp` protects it.
/// let old = shared.swap(Box::into_raw(Box::new(8)), std::sync::atomic::Ordering::AcqRel);
/// // SAFETY: `old` is unlinked and retired once.
/// unsafe { domain.retire_box(old) };
/// assert_eq!(domain.reclaim(), 0); // still protected
/// hp.reset();
/// assert_eq!(domain.reclaim(), 1); // now freed
/// # // SAFETY: teardown, no readers left.
/// # unsafe { drop(Box::from_raw(shared.load(std::sync::atomic::Ordering::Relaxed))) };
/// ```
pub struct Domain {
    /// Head of the append-only record list.
    records: AtomicPtr<CachePadded<Record>>,
    /// Number of records on the list (only grows).
    record_count: AtomicUsize,
    /// Retirements not held in a thread's cache: every retirement of a
    /// local domain, and whatever a thread still held when it exited.
    shared: Mutex<Vec<Retired>>,
    /// Retired and not yet freed, updated when lists are scanned or handed
    /// over (a thread's retirements since its last scan are not included).
    unreclaimed: AtomicUsize,
    /// Minimum retire-list length that triggers a scan.
    scan_base: usize,
}

// SAFETY: records are shared through atomics; raw `next` pointers are
// immutable after publication; retired objects are `Send` by contract.
unsafe impl Send for Domain {}
// SAFETY: as above; every mutation goes through atomics or the mutex.
unsafe impl Sync for Domain {}

impl core::fmt::Debug for Domain {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Domain")
            .field("hazard_slots", &self.hazard_slots())
            .field("unreclaimed", &self.unreclaimed())
            .field("scan_base", &self.scan_base)
            .finish_non_exhaustive()
    }
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(nanopath_loom))]
static GLOBAL: Domain = Domain::with_scan_threshold(DEFAULT_SCAN_THRESHOLD);

impl Domain {
    /// A new local domain with the default scan threshold.
    #[cfg(not(nanopath_loom))]
    pub const fn new() -> Self {
        Self::with_scan_threshold(DEFAULT_SCAN_THRESHOLD)
    }

    /// A new local domain whose retire lists are scanned once they hold
    /// `max(base, 2 × hazard slots)` objects (`base` is raised to 1). A
    /// small base frees sooner and scans (and fences) more often.
    #[cfg(not(nanopath_loom))]
    pub const fn with_scan_threshold(base: usize) -> Self {
        Self {
            records: AtomicPtr::new(ptr::null_mut()),
            record_count: AtomicUsize::new(0),
            shared: Mutex::new(Vec::new()),
            unreclaimed: AtomicUsize::new(0),
            scan_base: if base == 0 { 1 } else { base },
        }
    }

    /// A new local domain with the default scan threshold.
    #[cfg(nanopath_loom)]
    pub fn new() -> Self {
        Self::with_scan_threshold(DEFAULT_SCAN_THRESHOLD)
    }

    /// A new local domain (loom build: not `const`).
    #[cfg(nanopath_loom)]
    pub fn with_scan_threshold(base: usize) -> Self {
        Self {
            records: AtomicPtr::new(ptr::null_mut()),
            record_count: AtomicUsize::new(0),
            shared: Mutex::new(Vec::new()),
            unreclaimed: AtomicUsize::new(0),
            scan_base: base.max(1),
        }
    }

    /// The process-wide domain, with a per-thread cache of hazard slots and
    /// retirements. Not available in loom builds (a static cannot hold loom
    /// atomics across model iterations); loom models use local domains.
    #[cfg(not(nanopath_loom))]
    pub fn global() -> &'static Domain {
        &GLOBAL
    }

    #[cfg(not(nanopath_loom))]
    fn is_global(&self) -> bool {
        ptr::eq(self, &GLOBAL)
    }

    /// A hazard pointer (one slot) of this domain.
    #[inline]
    pub fn hazard_pointer(&self) -> HazardPointer<'_> {
        HazardPointer {
            record: self.acquire_record(),
            domain: self,
        }
    }

    /// Number of hazard slots this domain has created (they are reused,
    /// never freed before the domain).
    pub fn hazard_slots(&self) -> usize {
        self.record_count.load(Ordering::Relaxed)
    }

    /// Objects retired to this domain and not yet freed, as of the last
    /// scan or hand-over of each list (retirements a thread made since its
    /// last scan are not counted until then).
    pub fn unreclaimed(&self) -> usize {
        self.unreclaimed.load(Ordering::Relaxed)
    }

    /// Retires `ptr`: `free(ptr)` runs once no hazard slot of this domain
    /// protects it (at a later scan, at the latest when the domain is
    /// dropped; the global domain is never dropped).
    ///
    /// # Safety
    /// * `ptr` is unlinked: no thread can load it from shared memory any
    ///   more (threads that already hold it protected keep it alive).
    /// * It is retired once, and `free(ptr)` is the right way to free it
    ///   from any thread at any later time (what it points to is `Send` and
    ///   outlives the domain, or at least the scan that frees it).
    /// * Readers of `ptr` protect it through this domain.
    ///
    /// `free` runs inside a later scan, which any retirement or
    /// [`reclaim`](Self::reclaim) on this domain may trigger (for the global
    /// domain, on any thread of the process). If it panics, the panic comes
    /// out of that operation; the scan's other objects stay retired and are
    /// freed by a later scan or the domain's drop, each once.
    pub unsafe fn retire(&self, ptr: *mut (), free: unsafe fn(*mut ())) {
        let retired = Retired { ptr, free };
        #[cfg(not(nanopath_loom))]
        if self.is_global() {
            match local::retire(retired) {
                Ok(()) => return,
                // The thread's cache is gone (a TLS destructor is running):
                // fall through to the shared list.
                Err(back) => return self.retire_shared(back),
            }
        }
        self.retire_shared(retired);
    }

    /// Retires a pointer obtained from `Box::into_raw`; the box is dropped
    /// once no hazard slot protects it.
    ///
    /// # Safety
    /// As for [`retire`](Self::retire), with `ptr` from `Box::<T>::into_raw`.
    pub unsafe fn retire_box<T: Send>(&self, ptr: *mut T) {
        // SAFETY: forwarded contract; `drop_box::<T>` frees a `Box<T>`.
        unsafe { self.retire(ptr.cast(), drop_box::<T>) }
    }

    /// Scans now: frees every object retired to this domain that no hazard
    /// slot protects, from the shared list and from the calling thread's
    /// cache. Returns how many were freed.
    pub fn reclaim(&self) -> usize {
        let mut freed = 0;
        #[cfg(not(nanopath_loom))]
        if self.is_global() {
            freed += local::scan_now();
        }
        let mut batch = core::mem::take(&mut *lock(&self.shared));
        // Shared entries were counted when they were added.
        freed += self.scan(&mut batch, 0);
        self.return_survivors(batch);
        freed
    }

    fn retire_shared(&self, retired: Retired) {
        let mut shared = lock(&self.shared);
        shared.push(retired);
        self.unreclaimed.fetch_add(1, Ordering::Relaxed);
        if shared.len() < self.threshold() {
            return;
        }
        let mut batch = core::mem::take(&mut *shared);
        drop(shared);
        self.scan(&mut batch, 0);
        self.return_survivors(batch);
    }

    fn return_survivors(&self, batch: Vec<Retired>) {
        if !batch.is_empty() {
            lock(&self.shared).extend(batch);
        }
    }

    /// Retire-list length that triggers a scan: proportional to the number
    /// of hazard slots, so at least half of a full list is freeable.
    fn threshold(&self) -> usize {
        // Loom models use base 1 to scan at every retire; the slot term
        // would postpone those scans past the racing operations.
        #[cfg(nanopath_loom)]
        return self.scan_base;
        #[cfg(not(nanopath_loom))]
        return self
            .scan_base
            .max(2 * self.record_count.load(Ordering::Relaxed));
    }

    /// Frees every entry of `list` that no hazard slot holds; the protected
    /// ones stay in `list`. `newly` entries of `list` were not yet counted
    /// in `unreclaimed`. Returns the number freed. Destructors run after
    /// `list` is settled and may retire more objects.
    fn scan(&self, list: &mut Vec<Retired>, newly: usize) -> usize {
        // The unlinks of everything in `list` happened before this point in
        // this thread (or were handed over through the mutex / TLS). The
        // heavy fence orders them before the hazard reads below, against
        // each reader's light fence (see `crate::fence`).
        fence::heavy();
        let mut protected: Vec<*mut ()> = Vec::new();
        let mut record = self.records.load(Ordering::Acquire);
        while !record.is_null() {
            // SAFETY: records live until the domain is dropped, and `&self`
            // keeps it alive.
            let r = unsafe { &*record };
            // Acquire pairs with the Release reset in `HazardPointer::reset`:
            // a reader's accesses to an object happen before it is freed.
            let h = r.hazard.load(Ordering::Acquire);
            if !h.is_null() {
                protected.push(h);
            }
            record = r.next.cast_mut();
        }
        protected.sort_unstable();
        let mut to_free = Vec::new();
        let mut i = 0;
        while i < list.len() {
            if protected.binary_search(&list[i].ptr).is_ok() {
                i += 1;
            } else {
                to_free.push(list.swap_remove(i));
            }
        }
        let freed = to_free.len();
        // Counter bookkeeping before running destructors (which may retire).
        if newly >= freed {
            self.unreclaimed.fetch_add(newly - freed, Ordering::Relaxed);
        } else {
            self.unreclaimed.fetch_sub(freed - newly, Ordering::Relaxed);
        }
        // If a destructor panics, the guard hands what is not yet freed (the
        // rest of `to_free`) and the survivors in `list` to the shared list,
        // so a later scan or the domain's drop frees each exactly once.
        let mut pending = Unwinding {
            domain: self,
            to_free: to_free.into_iter(),
            survivors: list,
            finished: false,
        };
        for r in pending.to_free.by_ref() {
            // SAFETY: no hazard slot announced `r.ptr` after the heavy
            // fence, and it was unlinked before it: no reader holds it or
            // can obtain it. Each entry is freed once (moved out of `list`,
            // then out of the iterator before its destructor runs).
            unsafe { r.free() };
        }
        pending.finished = true;
        freed
    }

    /// Claims a free record, or appends a new one.
    #[inline]
    pub(crate) fn acquire_record(&self) -> &CachePadded<Record> {
        #[cfg(not(nanopath_loom))]
        if self.is_global()
            && let Some(r) = local::take_record()
        {
            // SAFETY: cached records belong to the global domain, which is
            // never dropped.
            return unsafe { &*r };
        }
        self.claim_record()
    }

    #[inline(never)]
    fn claim_record(&self) -> &CachePadded<Record> {
        // Make sure the fence protocol is decided before this record can
        // publish anything (see `crate::fence`).
        let _ = fence::is_asymmetric();
        let mut record = self.records.load(Ordering::Acquire);
        while !record.is_null() {
            // SAFETY: records live as long as the domain.
            let r = unsafe { &*record };
            // Acquire pairs with the Release in `release_record`: the
            // previous owner's reset is visible before we reuse the slot.
            if !r.active.load(Ordering::Relaxed)
                && r.active
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                // We own it now; the domain may have moved since its last
                // claim.
                r.domain
                    .store(ptr::from_ref(self).cast_mut(), Ordering::Relaxed);
                return r;
            }
            record = r.next.cast_mut();
        }
        let new = Box::into_raw(Box::new(CachePadded::new(Record {
            hazard: AtomicPtr::new(ptr::null_mut()),
            active: AtomicBool::new(true),
            next: ptr::null(),
            domain: AtomicPtr::new(ptr::from_ref(self).cast_mut()),
        })));
        let mut head = self.records.load(Ordering::Relaxed);
        loop {
            // SAFETY: `new` is not yet published; we own it.
            unsafe { (&mut *new).next = head };
            // Release publishes `next` and the record's initial state to
            // scanners and claimers that load the head with Acquire.
            match self.records.compare_exchange_weak(
                head,
                new,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        self.record_count.fetch_add(1, Ordering::Relaxed);
        // SAFETY: published records live as long as the domain.
        unsafe { &*new }
    }

    #[inline]
    pub(crate) fn release_record(&self, record: &CachePadded<Record>) {
        record.reset();
        #[cfg(not(nanopath_loom))]
        if self.is_global() && local::give_record(record) {
            return;
        }
        // Release pairs with the Acquire claim in `claim_record`.
        record.active.store(false, Ordering::Release);
    }
}

/// A scan's state while it runs destructors.
struct Unwinding<'a> {
    domain: &'a Domain,
    /// Unprotected entries not yet freed.
    to_free: alloc::vec::IntoIter<Retired>,
    /// Entries still protected at the scan.
    survivors: &'a mut Vec<Retired>,
    /// Set once every destructor has run; until then a drop of this value
    /// means one of them panicked.
    finished: bool,
}

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Unwinding from a destructor: run no more of them here (a second
        // panic would abort); hand everything still owned to the shared
        // list, counted again, for a later scan or the domain's drop.
        let rest: Vec<Retired> = self.to_free.by_ref().collect();
        self.domain
            .unreclaimed
            .fetch_add(rest.len(), Ordering::Relaxed);
        let mut shared = lock(&self.domain.shared);
        shared.extend(rest);
        shared.append(self.survivors);
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        // `&mut self`: no hazard pointer of this domain exists (they borrow
        // it), so every retired object is unprotected. If a destructor
        // panics, the guards free the remaining objects and the records
        // while unwinding (a second panic aborts, as for `Vec`'s elements).
        struct FreeRecords<'a>(&'a AtomicPtr<CachePadded<Record>>);
        impl Drop for FreeRecords<'_> {
            fn drop(&mut self) {
                let mut record = self.0.swap(ptr::null_mut(), Ordering::Relaxed);
                while !record.is_null() {
                    // SAFETY: records came from Box::into_raw and are freed
                    // once (the head was taken above), after the last borrow
                    // of the domain ended.
                    let b = unsafe { Box::from_raw(record) };
                    record = b.next.cast_mut();
                }
            }
        }
        struct FreeRest(alloc::vec::IntoIter<Retired>);
        impl Drop for FreeRest {
            fn drop(&mut self) {
                for r in self.0.by_ref() {
                    // SAFETY: as below.
                    unsafe { r.free() };
                }
            }
        }
        let _records = FreeRecords(&self.records);
        let list = core::mem::take(self.shared.get_mut().unwrap_or_else(|e| e.into_inner()));
        let mut rest = FreeRest(list.into_iter());
        for r in rest.0.by_ref() {
            // SAFETY: no reader exists; each entry is freed once (moved out
            // of the iterator before its destructor runs).
            unsafe { r.free() };
        }
    }
}

/// Frees a `Box<T>` retired as a type-erased pointer.
///
/// # Safety
/// `p` came from `Box::<T>::into_raw` and is freed once.
pub(crate) unsafe fn drop_box<T>(p: *mut ()) {
    // SAFETY: the caller's contract.
    drop(unsafe { Box::from_raw(p.cast::<T>()) });
}

/// One hazard slot of a [`Domain`], owned by one thread at a time.
///
/// Dropping it resets the slot and returns it for reuse. It borrows the
/// domain, so it cannot outlive it, and references it hands out borrow it,
/// so they cannot outlive the protection.
pub struct HazardPointer<'d> {
    record: &'d CachePadded<Record>,
    domain: &'d Domain,
}

impl core::fmt::Debug for HazardPointer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HazardPointer")
            .field("protected", &self.record.hazard.load(Ordering::Relaxed))
            .finish()
    }
}

impl HazardPointer<'static> {
    /// A hazard pointer of the global domain.
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

/// The global domain's per-thread cache: free hazard records and a batch of
/// retirements, so that the common case touches no shared cache line.
#[cfg(not(nanopath_loom))]
mod local {
    use super::{GLOBAL, Record, Retired};
    use alloc::vec::Vec;
    use core::cell::{Cell, RefCell};
    use nanopath_atomic::CachePadded;

    use crate::sync::{Ordering, lock};

    /// Free records kept per thread (enough for a guard's two slots).
    const CACHED_RECORDS: usize = 2;

    /// The hot half of the cache: plain `Cell`s with no destructor, so an
    /// access is one thread-pointer-relative load or store (a `RefCell` in
    /// a destructor-carrying thread-local measured 7 ns per take + give).
    ///
    /// Invariant: every non-null slot holds a record of the global domain
    /// that is `active`, has a null hazard, and is used by nobody else.
    /// Slots are filled only while `registered` is true, i.e. while `LOCAL`
    /// is alive and will release them when the thread exits.
    struct Fast {
        slots: [Cell<*const CachePadded<Record>>; CACHED_RECORDS],
        registered: Cell<bool>,
    }

    /// The cold half: this thread's retirements, and the destructor that
    /// releases the cached records and hands the retirements over.
    struct Local {
        /// Retired to the global domain by this thread, not yet scanned.
        retired: Vec<Retired>,
        /// Entries of `retired` already counted in `unreclaimed` (those that
        /// survived a scan).
        counted: usize,
    }

    impl Drop for Local {
        fn drop(&mut self) {
            let _ = FAST.try_with(|f| {
                // No more caching on this thread: `give_record` cannot
                // re-register a destroyed `LOCAL`.
                f.registered.set(false);
                for slot in &f.slots {
                    let r = slot.replace(core::ptr::null());
                    if !r.is_null() {
                        // SAFETY: global records are never freed.
                        let r = unsafe { &*r };
                        r.active.store(false, Ordering::Release);
                    }
                }
            });
            let retired = core::mem::take(&mut self.retired);
            let newly = retired.len() - self.counted;
            if !retired.is_empty() {
                GLOBAL.unreclaimed.fetch_add(newly, Ordering::Relaxed);
                lock(&GLOBAL.shared).extend(retired);
            }
        }
    }

    std::thread_local! {
        static FAST: Fast = const {
            Fast {
                slots: [const { Cell::new(core::ptr::null()) }; CACHED_RECORDS],
                registered: Cell::new(false),
            }
        };
        static LOCAL: RefCell<Local> = const {
            RefCell::new(Local {
                retired: Vec::new(),
                counted: 0,
            })
        };
    }

    /// A cached free record, if this thread has one.
    #[inline]
    pub(super) fn take_record() -> Option<*const CachePadded<Record>> {
        FAST.try_with(|f| {
            for slot in &f.slots {
                let r = slot.replace(core::ptr::null());
                if !r.is_null() {
                    return Some(r);
                }
            }
            None
        })
        .ok()
        .flatten()
    }

    /// Keeps `record` (already reset) in this thread's cache; false if the
    /// cache is full or gone, and the caller must release it.
    #[inline]
    pub(super) fn give_record(record: &CachePadded<Record>) -> bool {
        FAST.try_with(|f| {
            if !f.registered.get() {
                // Touching `LOCAL` registers its destructor; it fails once
                // the thread is tearing down.
                if LOCAL.try_with(|_| ()).is_err() {
                    return false;
                }
                f.registered.set(true);
            }
            for slot in &f.slots {
                if slot.get().is_null() {
                    slot.set(record);
                    return true;
                }
            }
            false
        })
        .unwrap_or(false)
    }

    /// Adds `r` to this thread's batch and scans it at the threshold.
    /// Gives `r` back if the thread cache is gone.
    pub(super) fn retire(r: Retired) -> Result<(), Retired> {
        let mut slot = Some(r);
        let due = LOCAL.try_with(|l| match l.try_borrow_mut() {
            Ok(mut l) => {
                if let Some(r) = slot.take() {
                    l.retired.push(r);
                }
                l.retired.len() >= GLOBAL.threshold()
            }
            Err(_) => false,
        });
        if let Some(r) = slot {
            return Err(r);
        }
        if due == Ok(true) {
            scan_now();
        }
        Ok(())
    }

    /// Scans this thread's batch (and the shared list when it has entries
    /// handed over by exited threads). Returns the number freed.
    pub(super) fn scan_now() -> usize {
        let Some((mut batch, counted)) = LOCAL
            .try_with(|l| {
                let mut l = l.try_borrow_mut().ok()?;
                let counted = core::mem::take(&mut l.counted);
                Some((core::mem::take(&mut l.retired), counted))
            })
            .ok()
            .flatten()
        else {
            return 0;
        };
        let mut newly = batch.len() - counted;
        {
            let mut shared = lock(&GLOBAL.shared);
            if !shared.is_empty() {
                // Already counted when they were handed over.
                batch.append(&mut shared);
            }
        }
        let before = batch.len();
        let freed = GLOBAL.scan(&mut batch, newly);
        newly = before - freed;
        let _ = LOCAL.try_with(|l| match l.try_borrow_mut() {
            Ok(mut l) => {
                // Destructors may have retired more in the meantime.
                batch.append(&mut l.retired);
                l.retired = core::mem::take(&mut batch);
                l.counted += newly;
            }
            Err(_) => lock(&GLOBAL.shared).append(&mut batch),
        });
        if !batch.is_empty() {
            lock(&GLOBAL.shared).append(&mut batch);
        }
        freed
    }
}
