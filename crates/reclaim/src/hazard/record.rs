//! The hazard record: one published hazard slot, and the append-only list
//! of them that a domain owns.

use core::ptr;

use nanopath_atomic::CachePadded;

use super::domain::Domain;
use crate::fence;
use crate::sync::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

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
    /// The load-announce-validate loop (see
    /// [`HazardPointer::protect_ptr`](super::HazardPointer::protect_ptr)).
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

    /// Publishes `p` (see
    /// [`HazardPointer::announce`](super::HazardPointer::announce)).
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
        // (claims borrow it). Relaxed: only the owner writes and reads it.
        unsafe { &*self.domain.load(Ordering::Relaxed) }
    }

    /// Ends the protection (see
    /// [`HazardPointer::reset`](super::HazardPointer::reset)).
    #[inline(always)]
    pub(crate) fn reset(&self) {
        // Release: this thread's reads of the object happen before a scan
        // that sees the slot empty (it loads with Acquire) frees it.
        self.hazard.store(ptr::null_mut(), Ordering::Release);
    }

    /// The announced address, or null: what a scan must not free.
    #[inline]
    pub(crate) fn protected(&self) -> *mut () {
        // Acquire pairs with the Release stores in `announce` and `reset`:
        // a reader's accesses to an object happen before a scan that sees
        // the slot moved on frees it.
        self.hazard.load(Ordering::Acquire)
    }

    /// Gives the (reset) record up for the next claimer.
    #[inline]
    pub(crate) fn release(&self) {
        // Release pairs with the Acquire claim in `RecordList::claim`: our
        // reset is visible before the slot is reused.
        self.active.store(false, Ordering::Release);
    }
}

/// A domain's records: an append-only, lock-free list.
///
/// Invariants: every record on the list came from `Box::into_raw`, is
/// published once by the CAS in [`claim`](Self::claim), and stays on the
/// list (and allocated) until the list is dropped with its domain. `count`
/// is the number of records published (it only grows).
#[derive(Debug)]
pub(crate) struct RecordList {
    /// Head of the list (the newest record), or null.
    head: AtomicPtr<CachePadded<Record>>,
    /// Number of records on the list.
    count: AtomicUsize,
}

impl RecordList {
    nanopath_atomic::const_fn! {
        /// An empty list.
        pub(crate) const fn new() -> Self {
            Self {
                head: AtomicPtr::new(ptr::null_mut()),
                count: AtomicUsize::new(0),
            }
        }
    }

    /// Number of records on the list.
    pub(crate) fn len(&self) -> usize {
        // Relaxed: a statistic and a scan-threshold input; nothing is read
        // through it.
        self.count.load(Ordering::Relaxed)
    }

    /// The records, newest first. Records appended during the walk may be
    /// missed; that is harmless for scans (a record claimed after the
    /// scan's heavy fence cannot announce an already unlinked object and
    /// validate it).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &CachePadded<Record>> {
        // Acquire pairs with the Release CAS in `claim` that published the
        // head: its `next` and initial state are visible.
        let mut record = self.head.load(Ordering::Acquire);
        core::iter::from_fn(move || {
            // SAFETY: records live until the list is dropped, and `&self`
            // keeps it alive; `next` is immutable after publication.
            let r = unsafe { record.as_ref()? };
            record = r.next.cast_mut();
            Some(r)
        })
    }

    /// Claims a free record for `owner`, or appends a new one.
    #[inline(never)]
    pub(crate) fn claim(&self, owner: &Domain) -> &CachePadded<Record> {
        // Make sure the fence protocol is decided before this record can
        // publish anything (see `crate::fence`).
        let _ = fence::is_asymmetric();
        let owner = ptr::from_ref(owner).cast_mut();
        for r in self.iter() {
            // Acquire pairs with the Release in `Record::release`: the
            // previous owner's reset is visible before we reuse the slot.
            if !r.active.load(Ordering::Relaxed)
                && r.active
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                // We own it now; the domain may have moved since its last
                // claim. Relaxed: only the owner reads it.
                r.domain.store(owner, Ordering::Relaxed);
                return r;
            }
        }
        let new = Box::into_raw(Box::new(CachePadded::new(Record {
            hazard: AtomicPtr::new(ptr::null_mut()),
            active: AtomicBool::new(true),
            next: ptr::null(),
            domain: AtomicPtr::new(owner),
        })));
        // Relaxed: the CAS below re-checks the head it links to.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: `new` is not yet published; we own it.
            unsafe { (&mut *new).next = head };
            // Release publishes `next` and the record's initial state to
            // scanners and claimers that load the head with Acquire.
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        // Relaxed: a count (see `len`).
        self.count.fetch_add(1, Ordering::Relaxed);
        // SAFETY: published records live as long as the list.
        unsafe { &*new }
    }
}

impl Drop for RecordList {
    fn drop(&mut self) {
        // `&mut self`: the domain is being dropped, so no hazard pointer or
        // guard of it exists (they borrow it). This runs after the domain's
        // own `Drop`, also when that panics in a destructor, so the records
        // are freed either way. Relaxed: nothing else can access the list.
        let mut record = self.head.swap(ptr::null_mut(), Ordering::Relaxed);
        while !record.is_null() {
            // SAFETY: records came from Box::into_raw and are freed once
            // (the head was taken above), after the last borrow of the
            // domain ended.
            let b = unsafe { Box::from_raw(record) };
            record = b.next.cast_mut();
        }
    }
}
