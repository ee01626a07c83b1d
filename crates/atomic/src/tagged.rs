//! ABA-safe tagged atomics: [`AtomicTaggedIndex`] and [`AtomicTaggedPtr`].
//! (See the type's documentation for the design.)

use crate::sync::{AtomicPtr, AtomicU64, Ordering};
use core::fmt;
use core::marker::PhantomData;

/// A 32-bit index with a 32-bit ABA tag, the value of an
/// [`AtomicTaggedIndex`].
///
/// ```
/// use nanopath_atomic::TaggedIndex;
/// let t = TaggedIndex::new(5, 0);
/// let u = t.next(9); // new index, tag bumped
/// assert_eq!((u.index(), u.tag()), (9, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TaggedIndex {
    index: u32,
    tag: u32,
}

impl TaggedIndex {
    /// An index with an explicit tag.
    ///
    /// ```
    /// let t = nanopath_atomic::TaggedIndex::new(1, 2);
    /// assert_eq!((t.index(), t.tag()), (1, 2));
    /// ```
    #[inline]
    pub const fn new(index: u32, tag: u32) -> Self {
        Self { index, tag }
    }

    /// The index.
    ///
    /// ```
    /// assert_eq!(nanopath_atomic::TaggedIndex::new(3, 0).index(), 3);
    /// ```
    #[inline]
    pub const fn index(self) -> u32 {
        self.index
    }

    /// The tag.
    ///
    /// ```
    /// assert_eq!(nanopath_atomic::TaggedIndex::new(3, 4).tag(), 4);
    /// ```
    #[inline]
    pub const fn tag(self) -> u32 {
        self.tag
    }

    /// The successor of `self` for a CAS: `index` with the tag bumped by one
    /// (wrapping).
    ///
    /// ```
    /// let t = nanopath_atomic::TaggedIndex::new(0, u32::MAX).next(1);
    /// assert_eq!((t.index(), t.tag()), (1, 0));
    /// ```
    #[inline]
    pub const fn next(self, index: u32) -> Self {
        Self {
            index,
            tag: self.tag.wrapping_add(1),
        }
    }

    #[inline]
    const fn pack(self) -> u64 {
        ((self.tag as u64) << 32) | self.index as u64
    }

    #[inline]
    const fn unpack(bits: u64) -> Self {
        Self {
            index: bits as u32,
            tag: (bits >> 32) as u32,
        }
    }
}

/// An atomic [`TaggedIndex`]: a 32-bit index and 32-bit tag in one `AtomicU64`.
///
/// # Examples
///
/// The head of an index free list (slot `i`'s successor in `next[i]`,
/// `u32::MAX` for none), popped with a tagged CAS:
///
/// ```
/// use core::sync::atomic::Ordering::{Acquire, Relaxed};
/// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
///
/// const NONE: u32 = u32::MAX;
/// let next = [1, 2, NONE];
/// let head = AtomicTaggedIndex::new(TaggedIndex::new(0, 0));
///
/// let pop = || loop {
///     let current = head.load(Acquire);
///     if current.index() == NONE {
///         return None;
///     }
///     let successor = next[current.index() as usize];
///     if head.compare_exchange(current, current.next(successor), Acquire, Relaxed).is_ok() {
///         return Some(current.index());
///     }
/// };
/// assert_eq!(pop(), Some(0));
/// assert_eq!(pop(), Some(1));
/// assert_eq!(head.load(Relaxed), TaggedIndex::new(2, 2));
/// ```
///
/// # Design
///
/// A lock-free free list or stack that CASes its head from `A` to `B` can be
/// fooled when, between its load and its CAS, `A` is popped, reused and
/// pushed back: the CAS succeeds against a head that *looks* unchanged (the
/// ABA problem). Pairing the head with a tag that every successful CAS bumps
/// makes the stale CAS fail.
///
/// * [`AtomicTaggedIndex`] packs a 32-bit slot index and a 32-bit tag into
///   one `AtomicU64`: ABA needs 2^32 successful CASes between one thread's
///   load and its CAS. Use it for index-based structures (pools, arenas).
/// * [`AtomicTaggedPtr<T>`] keeps the tag in the low bits that `T`'s
///   alignment leaves zero in every valid pointer (3 bits for an 8-aligned
///   `T`; 7 for a [`CachePadded`](crate::CachePadded) one). It never uses
///   "unused" high address bits: with 5-level paging, x86-64 user addresses
///   reach 57 bits, and tagging there corrupts pointers. Few tag bits wrap
///   quickly, so prefer over-aligned nodes, or an index, when ABA is likely.
///   Pointers keep their provenance (`map_addr`), so the code is clean under
///   Miri's strict-provenance checks.
pub struct AtomicTaggedIndex {
    /// `tag << 32 | index`.
    bits: AtomicU64,
}

impl AtomicTaggedIndex {
    crate::const_fn! {
    /// A new atomic holding `value`.
    ///
    /// ```
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// let a = AtomicTaggedIndex::new(TaggedIndex::new(7, 1));
    /// assert_eq!(a.into_inner(), TaggedIndex::new(7, 1));
    /// ```
    #[inline]
    pub const fn new(value: TaggedIndex) -> Self {
        Self {
            bits: AtomicU64::new(value.pack()),
        }
    }
    }

    /// Loads the value.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// let a = AtomicTaggedIndex::new(TaggedIndex::new(1, 2));
    /// assert_eq!(a.load(Ordering::Relaxed).tag(), 2);
    /// ```
    #[inline]
    pub fn load(&self, order: Ordering) -> TaggedIndex {
        TaggedIndex::unpack(self.bits.load(order))
    }

    /// Stores `value`.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// let a = AtomicTaggedIndex::new(TaggedIndex::default());
    /// a.store(TaggedIndex::new(4, 4), Ordering::Release);
    /// assert_eq!(a.load(Ordering::Acquire), TaggedIndex::new(4, 4));
    /// ```
    #[inline]
    pub fn store(&self, value: TaggedIndex, order: Ordering) {
        self.bits.store(value.pack(), order);
    }

    /// Stores `value`, returning the previous value.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// let a = AtomicTaggedIndex::new(TaggedIndex::new(1, 0));
    /// assert_eq!(a.swap(TaggedIndex::new(2, 1), Ordering::AcqRel), TaggedIndex::new(1, 0));
    /// ```
    #[inline]
    pub fn swap(&self, value: TaggedIndex, order: Ordering) -> TaggedIndex {
        TaggedIndex::unpack(self.bits.swap(value.pack(), order))
    }

    /// Stores `new` if the value (index *and* tag) equals `current`.
    ///
    /// # Errors
    ///
    /// Returns the actual value when it differs from `current`.
    ///
    /// ```
    /// use core::sync::atomic::Ordering::{AcqRel, Acquire, Release};
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// let a = AtomicTaggedIndex::new(TaggedIndex::new(3, 0));
    /// let stale = a.load(Acquire);
    /// // Meanwhile someone pops 3 and pushes it back: same index, new tag.
    /// a.store(TaggedIndex::new(3, 2), Release);
    /// assert_eq!(a.compare_exchange(stale, stale.next(9), AcqRel, Acquire), Err(TaggedIndex::new(3, 2)));
    /// ```
    #[inline]
    pub fn compare_exchange(
        &self,
        current: TaggedIndex,
        new: TaggedIndex,
        success: Ordering,
        failure: Ordering,
    ) -> Result<TaggedIndex, TaggedIndex> {
        self.bits
            .compare_exchange(current.pack(), new.pack(), success, failure)
            .map(TaggedIndex::unpack)
            .map_err(TaggedIndex::unpack)
    }

    /// Like [`compare_exchange`](Self::compare_exchange) but may fail
    /// spuriously; cheaper in a retry loop on some platforms.
    ///
    /// # Errors
    ///
    /// Returns the actual value when it differs from `current`, or spuriously.
    ///
    /// ```
    /// use core::sync::atomic::Ordering::{AcqRel, Acquire};
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// let a = AtomicTaggedIndex::new(TaggedIndex::new(1, 1));
    /// let mut current = a.load(Acquire);
    /// while let Err(actual) = a.compare_exchange_weak(current, current.next(2), AcqRel, Acquire) {
    ///     current = actual;
    /// }
    /// assert_eq!(a.load(Acquire), TaggedIndex::new(2, 2));
    /// ```
    #[inline]
    pub fn compare_exchange_weak(
        &self,
        current: TaggedIndex,
        new: TaggedIndex,
        success: Ordering,
        failure: Ordering,
    ) -> Result<TaggedIndex, TaggedIndex> {
        self.bits
            .compare_exchange_weak(current.pack(), new.pack(), success, failure)
            .map(TaggedIndex::unpack)
            .map_err(TaggedIndex::unpack)
    }

    /// Consumes the atomic and returns its value.
    ///
    /// ```
    /// use nanopath_atomic::{AtomicTaggedIndex, TaggedIndex};
    /// assert_eq!(AtomicTaggedIndex::new(TaggedIndex::new(0, 9)).into_inner().tag(), 9);
    /// ```
    #[inline]
    pub fn into_inner(self) -> TaggedIndex {
        // Not `AtomicU64::into_inner`: loom's atomics lack it.
        self.load(Ordering::Relaxed)
    }
}

impl Default for AtomicTaggedIndex {
    fn default() -> Self {
        Self::new(TaggedIndex::default())
    }
}

impl fmt::Debug for AtomicTaggedIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
    }
}

/// The error of [`TaggedPtr::new`]: the pointer's low bits, which hold the
/// tag, are not zero.
///
/// ```
/// use nanopath_atomic::{MisalignedPointer, TaggedPtr};
/// let bad = core::ptr::without_provenance_mut::<u32>(0x1002);
/// let err = TaggedPtr::new(bad, 0).unwrap_err();
/// assert_eq!(err, MisalignedPointer { addr: 0x1002, align: 4 });
/// assert_eq!(err.to_string(), "pointer 0x1002 is not aligned to 4 bytes, so it has no room for a tag");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MisalignedPointer {
    /// The pointer's address.
    pub addr: usize,
    /// The alignment it lacks.
    pub align: usize,
}

impl fmt::Display for MisalignedPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pointer {:#x} is not aligned to {} bytes, so it has no room for a tag",
            self.addr, self.align
        )
    }
}

impl core::error::Error for MisalignedPointer {}

/// A pointer to `T` with a tag of [`TAG_BITS`](Self::TAG_BITS) bits, the
/// value of an [`AtomicTaggedPtr`].
///
/// ```
/// use nanopath_atomic::TaggedPtr;
/// let node = Box::into_raw(Box::new(5u64));
/// let t = TaggedPtr::new(node, 3).unwrap();
/// assert_eq!((t.ptr(), t.tag()), (node, 3));
/// // SAFETY: `node` came from `Box::into_raw` above.
/// drop(unsafe { Box::from_raw(t.ptr()) });
/// ```
pub struct TaggedPtr<T> {
    /// Aligned to `align_of::<T>()` (low `TAG_BITS` bits zero).
    ptr: *mut T,
    /// In `0..=TAG_MASK`.
    tag: usize,
}

impl<T> TaggedPtr<T> {
    /// Bits available for the tag: `log2(align_of::<T>())`.
    ///
    /// ```
    /// assert_eq!(nanopath_atomic::TaggedPtr::<u64>::TAG_BITS, 3);
    /// assert_eq!(nanopath_atomic::TaggedPtr::<nanopath_atomic::CachePadded<u8>>::TAG_BITS, 7);
    /// ```
    pub const TAG_BITS: u32 = core::mem::align_of::<T>().trailing_zeros();
    /// `2^TAG_BITS - 1`: tags are taken modulo `TAG_MASK + 1`.
    pub const TAG_MASK: usize = core::mem::align_of::<T>() - 1;

    /// Pairs `ptr` with `tag`; the tag is taken modulo `TAG_MASK + 1` (tags are
    /// wrapping counters).
    ///
    /// # Errors
    ///
    /// [`MisalignedPointer`] if `ptr` is not aligned to `align_of::<T>()`.
    ///
    /// ```
    /// use nanopath_atomic::TaggedPtr;
    /// let mut x = 0u32;
    /// let t = TaggedPtr::new(&mut x, 5).unwrap();
    /// assert_eq!(t.tag(), 1); // 5 mod 4: a u32 leaves 2 tag bits
    /// let odd = (&mut x as *mut u32).cast::<u8>().wrapping_add(1).cast::<u32>();
    /// assert!(TaggedPtr::new(odd, 0).is_err());
    /// ```
    #[inline]
    pub fn new(ptr: *mut T, tag: usize) -> Result<Self, MisalignedPointer> {
        if ptr.addr() & Self::TAG_MASK != 0 {
            return Err(MisalignedPointer {
                addr: ptr.addr(),
                align: Self::TAG_MASK + 1,
            });
        }
        Ok(Self {
            ptr,
            tag: tag & Self::TAG_MASK,
        })
    }

    /// A null pointer with tag 0.
    ///
    /// ```
    /// assert!(nanopath_atomic::TaggedPtr::<u64>::null().ptr().is_null());
    /// ```
    #[inline]
    pub const fn null() -> Self {
        Self {
            ptr: core::ptr::null_mut(),
            tag: 0,
        }
    }

    /// The pointer, tag bits cleared.
    ///
    /// ```
    /// assert!(nanopath_atomic::TaggedPtr::<u64>::null().ptr().is_null());
    /// ```
    #[inline]
    pub const fn ptr(self) -> *mut T {
        self.ptr
    }

    /// The tag.
    ///
    /// ```
    /// assert_eq!(nanopath_atomic::TaggedPtr::<u64>::null().tag(), 0);
    /// ```
    #[inline]
    pub const fn tag(self) -> usize {
        self.tag
    }

    /// The successor for a CAS: `ptr` with the tag bumped by one (wrapping).
    ///
    /// # Errors
    ///
    /// [`MisalignedPointer`] if `ptr` is not aligned to `align_of::<T>()`.
    ///
    /// ```
    /// use nanopath_atomic::TaggedPtr;
    /// let t = TaggedPtr::<u64>::null().next(core::ptr::null_mut()).unwrap();
    /// assert_eq!(t.tag(), 1);
    /// ```
    #[inline]
    pub fn next(self, ptr: *mut T) -> Result<Self, MisalignedPointer> {
        Self::new(ptr, self.tag.wrapping_add(1))
    }

    #[inline]
    fn pack(self) -> *mut T {
        // Keeps `ptr`'s provenance; only the (zero) low bits change.
        self.ptr.map_addr(|addr| addr | self.tag)
    }

    #[inline]
    fn unpack(packed: *mut T) -> Self {
        Self {
            ptr: packed.map_addr(|addr| addr & !Self::TAG_MASK),
            tag: packed.addr() & Self::TAG_MASK,
        }
    }
}

impl<T> Clone for TaggedPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TaggedPtr<T> {}

impl<T> PartialEq for TaggedPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr && self.tag == other.tag
    }
}

impl<T> Eq for TaggedPtr<T> {}

impl<T> fmt::Debug for TaggedPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaggedPtr")
            .field("ptr", &self.ptr)
            .field("tag", &self.tag)
            .finish()
    }
}

/// An atomic [`TaggedPtr<T>`]: pointer and tag in one `AtomicPtr`, the tag in
/// the alignment bits (see [`AtomicTaggedIndex`]'s design notes).
///
/// It does not own the pointee; freeing is the caller's business (pair it
/// with a reclamation scheme).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::Ordering::{AcqRel, Acquire, Release};
/// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
///
/// let a = Box::into_raw(Box::new(1u64));
/// let head = AtomicTaggedPtr::new(TaggedPtr::new(a, 0).unwrap());
/// let seen = head.load(Acquire);
/// // Meanwhile another thread pops `a` and pushes it back (tag 0 -> 1 -> 2):
/// head.store(seen.next(core::ptr::null_mut()).unwrap(), Release);
/// head.store(TaggedPtr::new(a, 2).unwrap(), Release);
/// // Same pointer, different tag: the stale CAS fails.
/// assert_eq!(head.load(Acquire).ptr(), seen.ptr());
/// assert!(head.compare_exchange(seen, seen.next(a).unwrap(), AcqRel, Acquire).is_err());
/// // SAFETY: `a` came from `Box::into_raw` and is freed once.
/// drop(unsafe { Box::from_raw(a) });
/// ```
pub struct AtomicTaggedPtr<T> {
    /// The pointer with the tag or-ed into its `TAG_BITS` low bits.
    packed: AtomicPtr<T>,
    _marker: PhantomData<*mut T>,
}

// SAFETY: the atomic holds a raw pointer it never dereferences; sharing or
// sending it is sharing an integer-like value, as for `AtomicPtr<T>`.
unsafe impl<T> Send for AtomicTaggedPtr<T> {}
// SAFETY: as above; every access goes through the atomic.
unsafe impl<T> Sync for AtomicTaggedPtr<T> {}

impl<T> AtomicTaggedPtr<T> {
    /// A new atomic holding `value`.
    ///
    /// ```
    /// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
    /// let a = AtomicTaggedPtr::<u64>::new(TaggedPtr::null());
    /// assert!(a.into_inner().ptr().is_null());
    /// ```
    pub fn new(value: TaggedPtr<T>) -> Self {
        Self {
            packed: AtomicPtr::new(value.pack()),
            _marker: PhantomData,
        }
    }

    /// A null pointer with tag 0.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// let a = nanopath_atomic::AtomicTaggedPtr::<u32>::null();
    /// assert!(a.load(Ordering::Relaxed).ptr().is_null());
    /// ```
    pub fn null() -> Self {
        Self::new(TaggedPtr::null())
    }

    /// Loads the value.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
    /// let a = AtomicTaggedPtr::<u64>::new(TaggedPtr::new(core::ptr::null_mut(), 6).unwrap());
    /// assert_eq!(a.load(Ordering::Acquire).tag(), 6);
    /// ```
    #[inline]
    pub fn load(&self, order: Ordering) -> TaggedPtr<T> {
        TaggedPtr::unpack(self.packed.load(order))
    }

    /// Stores `value`.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
    /// let a = AtomicTaggedPtr::<u64>::null();
    /// a.store(TaggedPtr::new(core::ptr::null_mut(), 1).unwrap(), Ordering::Release);
    /// assert_eq!(a.load(Ordering::Acquire).tag(), 1);
    /// ```
    #[inline]
    pub fn store(&self, value: TaggedPtr<T>, order: Ordering) {
        self.packed.store(value.pack(), order);
    }

    /// Stores `value`, returning the previous value.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
    /// let a = AtomicTaggedPtr::<u64>::null();
    /// let old = a.swap(TaggedPtr::new(core::ptr::null_mut(), 2).unwrap(), Ordering::AcqRel);
    /// assert_eq!(old, TaggedPtr::null());
    /// ```
    #[inline]
    pub fn swap(&self, value: TaggedPtr<T>, order: Ordering) -> TaggedPtr<T> {
        TaggedPtr::unpack(self.packed.swap(value.pack(), order))
    }

    /// Stores `new` if the value (pointer *and* tag) equals `current`.
    ///
    /// # Errors
    ///
    /// Returns the actual value when it differs from `current`.
    ///
    /// ```
    /// use core::sync::atomic::Ordering::{AcqRel, Acquire};
    /// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
    /// let a = AtomicTaggedPtr::<u64>::null();
    /// let cur = a.load(Acquire);
    /// assert!(a.compare_exchange(cur, cur.next(core::ptr::null_mut()).unwrap(), AcqRel, Acquire).is_ok());
    /// assert!(a.compare_exchange(cur, cur, AcqRel, Acquire).is_err()); // tag moved on
    /// ```
    #[inline]
    pub fn compare_exchange(
        &self,
        current: TaggedPtr<T>,
        new: TaggedPtr<T>,
        success: Ordering,
        failure: Ordering,
    ) -> Result<TaggedPtr<T>, TaggedPtr<T>> {
        self.packed
            .compare_exchange(current.pack(), new.pack(), success, failure)
            .map(TaggedPtr::unpack)
            .map_err(TaggedPtr::unpack)
    }

    /// Like [`compare_exchange`](Self::compare_exchange) but may fail
    /// spuriously.
    ///
    /// # Errors
    ///
    /// Returns the actual value when it differs from `current`, or spuriously.
    ///
    /// ```
    /// use core::sync::atomic::Ordering::{AcqRel, Acquire};
    /// use nanopath_atomic::{AtomicTaggedPtr, TaggedPtr};
    /// let a = AtomicTaggedPtr::<u64>::null();
    /// let mut cur = a.load(Acquire);
    /// while let Err(actual) = a.compare_exchange_weak(cur, cur.next(core::ptr::null_mut()).unwrap(), AcqRel, Acquire) {
    ///     cur = actual;
    /// }
    /// assert_eq!(a.load(Acquire).tag(), 1);
    /// ```
    #[inline]
    pub fn compare_exchange_weak(
        &self,
        current: TaggedPtr<T>,
        new: TaggedPtr<T>,
        success: Ordering,
        failure: Ordering,
    ) -> Result<TaggedPtr<T>, TaggedPtr<T>> {
        self.packed
            .compare_exchange_weak(current.pack(), new.pack(), success, failure)
            .map(TaggedPtr::unpack)
            .map_err(TaggedPtr::unpack)
    }

    /// Consumes the atomic and returns its value.
    ///
    /// ```
    /// let a = nanopath_atomic::AtomicTaggedPtr::<u64>::null();
    /// assert_eq!(a.into_inner().tag(), 0);
    /// ```
    #[inline]
    pub fn into_inner(self) -> TaggedPtr<T> {
        self.load(Ordering::Relaxed)
    }
}

impl<T> fmt::Debug for AtomicTaggedPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
    }
}
