//! [`TaggedIndexStack`]: a lock-free Treiber stack of slot indices into a
//! caller's array, ABA-safe through a tagged head.
//! (See the type's documentation for the design.)

use crate::cache_padded::CachePadded;
use crate::sync::{AtomicU32, AtomicU64, Ordering};
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
/// // Indices below 4 only: the head's tag gets 61 of its 64 bits.
/// let free = TaggedIndexStack::bounded(4, 0);
/// assert_eq!(free.tag_bits(), 61);
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
/// successful CAS, so that stale CAS fails.
///
/// **How wide the tag is.** Head and tag share one `AtomicU64`: the index
/// takes the fewest bits that hold every index below the stack's bound
/// (plus the empty marker) and the tag the rest, so a stack made with
/// [`bounded`](Self::bounded)`(1024, _)` has a 53-bit tag and one made
/// with [`new`](Self::new) or [`with_top`](Self::with_top) (any `u32`
/// index) a 32-bit tag ([`tag_bits`](Self::tag_bits) says which). A stale
/// CAS succeeds only if exactly a multiple of 2^`tag_bits` successful
/// CASes land on this head between one thread's load and its CAS: with a
/// 32-bit tag and CASes every 5 ns, a thread stalled for 21 s at that one
/// point; with 53 bits, for 1.4 years. Give the bound whenever the slots
/// are known.
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
    /// `tag << index_bits | field`: `field` is the top slot's index, or
    /// all ones for an empty stack; `tag` is bumped (wrapping) by every
    /// successful CAS. Invariant: following the links from the top reaches
    /// `EMPTY`, visiting each index at most once, and no index on the chain
    /// is owned by anyone (popped and not pushed back).
    head: CachePadded<AtomicU64>,
    /// Bits of `head` that hold the index field (0..=32). Invariant: every
    /// index pushed, and the initial top, is below `2^index_bits - 1`
    /// (all ones is the empty marker). Never changes.
    index_bits: u32,
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
        /// empty. Any index but `EMPTY` may be pushed, so the tag is 32
        /// bits; [`bounded`](Self::bounded) widens it.
        #[inline]
        pub const fn with_top(top: u32) -> Self {
            Self::with_index_bits(top, u32::BITS)
        }
    }

    crate::const_fn! {
        /// [`with_top`](Self::with_top) for indices below `slots` only: the
        /// index field takes just the bits those need and the tag every
        /// other bit of the head (see [Design](#design)). `top` is below
        /// `slots`, or [`EMPTY`](Self::EMPTY).
        ///
        /// # Panics
        /// If `top` is neither below `slots` nor `EMPTY`.
        ///
        /// ```
        /// use nanopath_atomic::TaggedIndexStack;
        ///
        /// assert_eq!(TaggedIndexStack::bounded(0, TaggedIndexStack::EMPTY).tag_bits(), 64);
        /// assert_eq!(TaggedIndexStack::bounded(1, 0).tag_bits(), 63);
        /// assert_eq!(TaggedIndexStack::bounded(1024, 0).tag_bits(), 53);
        /// assert_eq!(TaggedIndexStack::bounded(u32::MAX, 0).tag_bits(), 32);
        /// ```
        #[inline]
        #[track_caller]
        pub const fn bounded(slots: u32, top: u32) -> Self {
            assert!(
                top == Self::EMPTY || top < slots,
                "the top index must be below the bound (or EMPTY)"
            );
            // Enough bits that all ones (the empty marker) is above every
            // index below `slots`: 2^bits - 1 >= slots.
            Self::with_index_bits(top, u32::BITS - slots.leading_zeros())
        }
    }

    crate::const_fn! {
        #[inline]
        const fn with_index_bits(top: u32, index_bits: u32) -> Self {
            let mask = Self::mask_of(index_bits);
            let field = if top == Self::EMPTY { mask } else { top as u64 };
            Self {
                head: CachePadded::new(AtomicU64::new(field)),
                index_bits,
            }
        }
    }

    /// Bits of the head's ABA tag: 64 less the index field's width.
    #[inline]
    pub const fn tag_bits(&self) -> u32 {
        u64::BITS - self.index_bits
    }

    #[inline]
    const fn mask_of(index_bits: u32) -> u64 {
        (1u64 << index_bits) - 1
    }

    /// The index in `head`, `EMPTY` for the empty marker.
    #[inline]
    fn index_of(&self, head: u64) -> u32 {
        let field = head & Self::mask_of(self.index_bits);
        if field == Self::mask_of(self.index_bits) {
            Self::EMPTY
        } else {
            field as u32
        }
    }

    /// The head after a successful CAS from `head` that leaves `index` on
    /// top: the tag bumped (wrapping within its bits), the field replaced.
    #[inline]
    fn next(&self, head: u64, index: u32) -> u64 {
        let mask = Self::mask_of(self.index_bits);
        let field = if index == Self::EMPTY {
            mask
        } else {
            u64::from(index) & mask
        };
        ((head & !mask).wrapping_add(mask + 1)) | field
    }

    /// Pops the top index; the caller then owns that slot. `None` if the
    /// stack was empty when looked at.
    #[inline]
    pub fn pop<'a>(&self, link: impl Fn(u32) -> &'a AtomicU32) -> Option<u32> {
        // Acquire pairs with the SeqCst (Release) CAS in `push`: the pusher's writes
        // to the slot are visible once we own it (see the type docs, Design).
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let index = self.index_of(head);
            if index == Self::EMPTY {
                return None;
            }
            // Relaxed: may be stale if another thread pops `index` first;
            // the tagged CAS below then fails. Otherwise the Acquire that
            // gave us `head` made the pusher's link store visible.
            let next = link(index).load(Ordering::Relaxed);
            match self.head.compare_exchange_weak(
                head,
                self.next(head, next),
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
    /// `index` must be a slot the caller owns (popped, or never pushed),
    /// below the stack's bound (see [`bounded`](Self::bounded)) and not
    /// [`EMPTY`](Self::EMPTY); pushing an index that is already on the
    /// stack corrupts the chain (the stack then lends one slot twice). No
    /// memory-safety depends on it here, since the stack holds no data, but
    /// a caller that trusts the stack for exclusive access to slot data
    /// must uphold it.
    ///
    /// # Panics
    /// If `index` does not fit the index field below its all-ones empty
    /// marker: `EMPTY` itself, or, for a [`bounded`](Self::bounded) stack
    /// whose `slots` has bit length `b` (its field is `b` bits wide),
    /// `2^b - 1` or more (so `bounded(4, ..)` accepts 0 to 6, not only 0
    /// to 3; indices in `slots..2^b - 1` are kept exactly, and the bound
    /// that matters to the caller is its own slot count). The field would
    /// hold a different index or the empty marker, and the chain would
    /// lose slots. One compare, before anything is written.
    ///
    /// ```should_panic
    /// use nanopath_atomic::{sync::AtomicU32, TaggedIndexStack};
    ///
    /// let links = [AtomicU32::new(0), AtomicU32::new(0)];
    /// let stack = TaggedIndexStack::bounded(1, TaggedIndexStack::EMPTY);
    /// stack.push(0, |i| &links[i as usize]);
    /// stack.push(1, |i| &links[i as usize]); // a one-bit field's empty marker
    /// ```
    #[inline]
    #[track_caller]
    pub fn push<'a>(&self, index: u32, link: impl Fn(u32) -> &'a AtomicU32) {
        // `EMPTY` is all ones, at or above every field mask: one compare
        // rejects both.
        assert!(
            u64::from(index) < Self::mask_of(self.index_bits),
            "the index is EMPTY or outside the stack's bound"
        );
        let slot_link = link(index);
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // Relaxed: published by the Release CAS below.
            slot_link.store(self.index_of(head), Ordering::Relaxed);
            // Release (within SeqCst) publishes the slot's contents and link
            // to the popper; SeqCst for waiters (see the type docs, Design).
            match self.head.compare_exchange_weak(
                head,
                self.next(head, index),
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
        self.index_of(self.head.load(Ordering::Acquire)) == Self::EMPTY
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
            .field("top", &self.index_of(head))
            .field("tag", &(head >> self.index_bits))
            .finish()
    }
}

#[cfg(all(test, not(nanopath_loom)))]
mod tests {
    use super::TaggedIndexStack;
    use crate::sync::{AtomicU32, Ordering};

    /// The tag wraps within its bits and never spills into the index.
    #[test]
    fn the_tag_wraps_without_touching_the_index() {
        for slots in [1, 4, 1024, u32::MAX] {
            let stack = TaggedIndexStack::bounded(slots, 0);
            let mask = TaggedIndexStack::mask_of(stack.index_bits);
            // The largest tag with index 0 on top, then one CAS more.
            let last = !mask;
            stack.head.store(last, Ordering::Relaxed);
            let link = AtomicU32::new(TaggedIndexStack::EMPTY);
            assert_eq!(stack.pop(|_| &link), Some(0));
            let after = stack.head.load(Ordering::Relaxed);
            assert_eq!(after >> stack.index_bits, 0, "tag wrapped to 0");
            assert!(stack.is_empty());
            stack.push(slots - 1, |_| &link);
            assert_eq!(stack.head.load(Ordering::Relaxed) >> stack.index_bits, 1);
            assert_eq!(stack.pop(|_| &link), Some(slots - 1));
        }
    }
}
