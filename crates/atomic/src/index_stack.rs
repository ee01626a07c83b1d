//! [`TaggedIndexStack`]: a lock-free Treiber stack of slot indices into a
//! caller's array, ABA-safe through an [`AtomicTaggedIndex`] head.
//! (See the type's documentation for the design.)

use crate::cache_padded::CachePadded;
use crate::sync::{AtomicU32, Ordering};
use crate::tagged::{AtomicTaggedIndex, TaggedIndex};
use core::fmt;

/// A lock-free stack of `u32` slot indices linked through the caller's
/// `AtomicU32`s (see [Design](#design) for the algorithm).
///
/// Every method takes `link`, which maps a slot index to that slot's link;
/// it must give the same `AtomicU32` for the same index on every call, and
/// the indices pushed must be ones `link` accepts. Index
/// [`EMPTY`](Self::EMPTY) (`u32::MAX`) is reserved: it ends the chain.
///
/// Lock-free, not wait-free: a pop or push retries when another thread's
/// CAS on the head landed first. The head sits on its own cache line.
///
/// ```
/// use nanopath_atomic::TaggedIndexStack;
/// use core::sync::atomic::AtomicU32;
///
/// // Four slots, all free at first: 0 -> 1 -> 2 -> 3.
/// let links: Vec<AtomicU32> = (1..=4)
///     .map(|i| AtomicU32::new(if i < 4 { i } else { TaggedIndexStack::EMPTY }))
///     .collect();
/// let free = TaggedIndexStack::with_top(0);
/// let link = |i: u32| &links[i as usize];
///
/// let a = free.pop(link).unwrap();
/// let b = free.pop(link).unwrap();
/// assert_eq!((a, b), (0, 1));
/// free.push(a, link); // slot 0 is free again, on top
/// assert_eq!(free.pop(link), Some(0));
/// assert_eq!(free.pop(link), Some(2));
/// assert_eq!(free.pop(link), Some(3));
/// assert_eq!(free.pop(link), None);
/// assert!(free.is_empty());
/// ```
///
/// # Design
///
/// The stack stores no data. The caller keeps an array of slots, each with
/// an `AtomicU32` link; the stack's head names the top slot and each slot's
/// link names the one below it. Whoever pops an index owns that slot until
/// it pushes the index back: the shape of every index free list (object
/// pools, arenas, slab allocators).
///
/// **Why a tag.** A pop reads `head = i`, then `link(i) = j`, then CASes the
/// head from `i` to `j`. If between the read and the CAS another thread
/// pops `i`, pops `j` and pushes `i` back, the head is `i` again but `j` is
/// no longer below it; a plain CAS would succeed and put the lent slot `j`
/// back on top (the ABA problem). The head's tag changes on every
/// successful CAS, so that stale CAS fails. The tag is 32 bits: a stale CAS
/// succeeds only if exactly a multiple of 2^32 other CASes land between one
/// thread's load and its CAS.
///
/// **Orderings.** A push stores the slot's link (Relaxed) and then CASes the
/// head with `SeqCst`, which includes the Release that publishes everything
/// the pusher wrote to the slot (its contents and the link); `SeqCst` costs
/// no more than Release for a CAS on x86-64 (a `lock cmpxchg` either way)
/// and lets a push be the `SeqCst` write before an
/// `EventCount::notify_*_after_seqcst` (a pool waking a thread that waits
/// for a free slot). A pop loads the head with Acquire and CASes
/// it with Acquire on success (it now owns the slot and must see the
/// pusher's writes) and on failure (the new head's link is read next). A
/// link read by a pop may be stale when the slot was popped meanwhile; the
/// tagged CAS then fails and the value read is never used.
pub struct TaggedIndexStack {
    /// The top slot's index (or `EMPTY`) and a tag bumped by every
    /// successful CAS. Invariant: following the links from the top reaches
    /// `EMPTY`, visiting each index at most once, and no index on the chain
    /// is owned by anyone (popped and not pushed back).
    head: CachePadded<AtomicTaggedIndex>,
}

impl TaggedIndexStack {
    /// The index that ends the chain (and marks an empty stack).
    pub const EMPTY: u32 = u32::MAX;

    crate::const_fn! {
        /// An empty stack.
        ///
        /// ```
        /// assert!(nanopath_atomic::TaggedIndexStack::new().is_empty());
        /// ```
        #[inline]
        pub const fn new() -> Self {
            Self::with_top(Self::EMPTY)
        }
    }

    crate::const_fn! {
        /// A stack whose top is `top`, for slots the caller has already
        /// linked into a chain that ends in [`EMPTY`](Self::EMPTY) (a fresh
        /// free list: slot `i` linked to `i + 1`). `with_top(EMPTY)` is
        /// empty.
        #[inline]
        pub const fn with_top(top: u32) -> Self {
            Self {
                head: CachePadded::new(AtomicTaggedIndex::new(TaggedIndex::new(top, 0))),
            }
        }
    }

    /// Pops the top index; the caller then owns that slot. `None` if the
    /// stack was empty when looked at.
    #[inline]
    pub fn pop<'a>(&self, link: impl Fn(u32) -> &'a AtomicU32) -> Option<u32> {
        // Acquire pairs with the SeqCst (Release) CAS in `push`: the pusher's writes
        // to the slot are visible once we own it (see the type docs, Design).
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let index = head.index();
            if index == Self::EMPTY {
                return None;
            }
            // Relaxed: may be stale if another thread pops `index` first;
            // the tagged CAS below then fails. Otherwise the Acquire that
            // gave us `head` made the pusher's link store visible.
            let next = link(index).load(Ordering::Relaxed);
            match self.head.compare_exchange_weak(
                head,
                head.next(next),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(index),
                Err(actual) => head = actual,
            }
        }
    }

    /// Pushes `index`, giving up ownership of its slot (whatever the caller
    /// wrote to the slot before is published to the next popper).
    ///
    /// `index` must be a slot the caller owns (popped, or never pushed) and
    /// not [`EMPTY`](Self::EMPTY); pushing an index that is already on the
    /// stack corrupts the chain (the stack then lends one slot twice). No
    /// memory-safety depends on it here, since the stack holds no data, but
    /// a caller that trusts the stack for exclusive access to slot data
    /// must uphold it.
    #[inline]
    pub fn push<'a>(&self, index: u32, link: impl Fn(u32) -> &'a AtomicU32) {
        debug_assert_ne!(
            index,
            Self::EMPTY,
            "EMPTY ends the chain; it cannot be pushed"
        );
        let slot_link = link(index);
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // Relaxed: published by the Release CAS below.
            slot_link.store(head.index(), Ordering::Relaxed);
            // Release (within SeqCst) publishes the slot's contents and link
            // to the popper; SeqCst for waiters (see the type docs, Design).
            match self.head.compare_exchange_weak(
                head,
                head.next(index),
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => head = actual,
            }
        }
    }

    /// Whether the stack was empty when looked at (a snapshot: another
    /// thread may push or pop right after). Acquire, like a pop's first
    /// look.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head.load(Ordering::Acquire).index() == Self::EMPTY
    }
}

impl Default for TaggedIndexStack {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TaggedIndexStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.head.load(Ordering::Relaxed);
        f.debug_struct("TaggedIndexStack")
            .field("top", &head.index())
            .field("tag", &head.tag())
            .finish()
    }
}
