//! The domain: the retired objects and the scans that free them.

use nanopath_atomic::CachePadded;

#[cfg(not(nanopath_loom))]
use super::local;
use super::pointer::HazardPointer;
use super::record::{Record, RecordList};
use crate::fence;
use crate::sync::{AtomicUsize, Mutex, Ordering, lock};

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
    /// The hazard records (slots), freed only with the domain.
    records: RecordList,
    /// Retirements not held in a thread's cache: every retirement of a
    /// local domain, and whatever a thread still held when it exited.
    pub(super) shared: Mutex<Vec<Retired>>,
    /// Retired and not yet freed, updated when lists are scanned or handed
    /// over (a thread's retirements since its last scan are not included).
    /// A statistic: every access is Relaxed, since nothing is read through
    /// it (the lists themselves pass through the mutex or stay on one
    /// thread).
    pub(super) unreclaimed: AtomicUsize,
    /// Minimum retire-list length that triggers a scan.
    scan_base: usize,
}

// SAFETY: records are shared through atomics; raw `next` pointers are
// immutable after publication (see `RecordList`); retired objects are
// `Send` by contract.
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

/// The global domain (see [`Domain::global`]). Not in loom builds: loom
/// atomics cannot live in a `static`.
#[cfg(not(nanopath_loom))]
pub(super) static GLOBAL: Domain = Domain::with_scan_threshold(DEFAULT_SCAN_THRESHOLD);

impl Domain {
    nanopath_atomic::const_fn! {
        /// A new local domain with the default scan threshold.
        pub const fn new() -> Self {
            Self::with_scan_threshold(DEFAULT_SCAN_THRESHOLD)
        }
    }

    nanopath_atomic::const_fn! {
        /// A new local domain whose retire lists are scanned once they hold
        /// `max(base, 2 × hazard slots)` objects (`base` is raised to 1). A
        /// small base frees sooner and scans (and fences) more often.
        pub const fn with_scan_threshold(base: usize) -> Self {
            Self {
                records: RecordList::new(),
                shared: Mutex::new(Vec::new()),
                unreclaimed: AtomicUsize::new(0),
                scan_base: if base == 0 { 1 } else { base },
            }
        }
    }

    /// The process-wide domain, with a per-thread cache of hazard slots and
    /// retirements. Not in loom builds (a static cannot hold loom atomics
    /// across model iterations; see the crate docs): loom models use local
    /// domains.
    #[cfg(not(nanopath_loom))]
    pub fn global() -> &'static Domain {
        &GLOBAL
    }

    #[cfg(not(nanopath_loom))]
    fn is_global(&self) -> bool {
        core::ptr::eq(self, &GLOBAL)
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
        self.records.len()
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
    pub(super) fn threshold(&self) -> usize {
        // Loom models use base 1 to scan at every retire; the slot term
        // would postpone those scans past the racing operations.
        #[cfg(nanopath_loom)]
        return self.scan_base;
        #[cfg(not(nanopath_loom))]
        return self.scan_base.max(2 * self.records.len());
    }

    /// Frees every entry of `list` that no hazard slot holds; the protected
    /// ones stay in `list`. `newly` entries of `list` were not yet counted
    /// in `unreclaimed`. Returns the number freed. Destructors run after
    /// `list` is settled and may retire more objects.
    pub(super) fn scan(&self, list: &mut Vec<Retired>, newly: usize) -> usize {
        // The unlinks of everything in `list` happened before this point in
        // this thread (or were handed over through the mutex / TLS). The
        // heavy fence orders them before the hazard reads below, against
        // each reader's light fence (see `crate::fence`).
        fence::heavy();
        let mut protected: Vec<*mut ()> = self
            .records
            .iter()
            .map(|r| r.protected())
            .filter(|h| !h.is_null())
            .collect();
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
        self.records.claim(self)
    }

    #[inline]
    pub(crate) fn release_record(&self, record: &CachePadded<Record>) {
        record.reset();
        #[cfg(not(nanopath_loom))]
        if self.is_global() && local::give_record(record) {
            return;
        }
        record.release();
    }
}

/// A scan's state while it runs destructors.
struct Unwinding<'a> {
    domain: &'a Domain,
    /// Unprotected entries not yet freed.
    to_free: std::vec::IntoIter<Retired>,
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
        // panics, the guard frees the remaining objects while unwinding (a
        // second panic aborts, as for `Vec`'s elements); the records are
        // freed by the `RecordList` field's drop, which runs after this one
        // either way.
        struct FreeRest(std::vec::IntoIter<Retired>);
        impl Drop for FreeRest {
            fn drop(&mut self) {
                for r in self.0.by_ref() {
                    // SAFETY: as below.
                    unsafe { r.free() };
                }
            }
        }
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
