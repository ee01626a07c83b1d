//! A bounded single-producer single-consumer ring buffer.
//!
//! # Algorithm
//!
//! Lamport's ring buffer (Lamport 1983, "Specifying concurrent program
//! modules"), with the refinements that make it fast on cache-coherent
//! machines:
//!
//! * the producer alone writes `tail`, the consumer alone writes `head`; each
//!   is in its own [`CachePadded`] so the two sides never write one line;
//! * each side keeps a private copy of the other's index and reloads it only
//!   when that copy says the queue is full (producer) or empty (consumer), so
//!   in steady state a push or pop touches the shared lines once per lap of
//!   the other side, not once per item (the "cached index" trick of
//!   FastForward, Giacomoni et al. 2008, and of rtrb);
//! * positions count items: `tail` is how many were ever pushed and `head`
//!   how many were ever popped, both wrapping at `usize::MAX` (their
//!   wrapping difference is the exact number of items, at most the
//!   capacity), so `head == tail` means empty and a difference of `capacity`
//!   means full, with every slot usable: capacity is exact, with no
//!   power-of-two rounding and no wasted slot;
//! * item `k` goes to slot `k mod capacity`, and each handle steps its own
//!   slot index along with its position (one compare per item, no
//!   division), so a push or pop costs a compare for full or empty, the
//!   slot access and one index store.
//!
//! Orderings: the producer writes a slot, then stores `tail` with
//! **Release**; the consumer loads `tail` with **Acquire** before reading the
//! slot (so the write happens-before the read). Symmetrically the consumer
//! stores `head` with **Release** after moving a value out, and the producer
//! loads `head` with **Acquire** before reusing that slot. Chunk commits
//! publish many slots with one such store.
//!
//! Progress: `push` and `pop` are wait-free (a bounded number of steps, no
//! retry loop).

mod chunks;

pub use chunks::{ReadChunk, ReadChunkIntoIter, WriteChunk, WriteChunkUninit};

use crate::error::{CapacityError, Full};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering, Shadow};
use crate::unwind::drop_each;
use alloc::boxed::Box;
use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit, align_of, size_of};
use core::ptr;
use nanopath_atomic::{Backoff, CachePadded};

/// How [`Producer::push_waiting`] and [`Consumer::pop_waiting`] wait for a
/// slot or an item. The ring itself never blocks (there is no one to wake
/// a sleeping thread); for parking, use the SPSC channel
/// (`channel::spsc`, with `std`).
///
/// ```
/// assert_eq!(nanopath_queue::spsc::Wait::default(), nanopath_queue::spsc::Wait::SpinThenYield);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Wait {
    /// Spin hints only, in growing runs, never giving the CPU up: for
    /// threads pinned to cores of their own.
    Spin,
    /// Spin briefly, then yield the time slice on every retry
    /// (`std::thread::yield_now`; spin hints without `std`): for threads
    /// that may share a core, where spinning starves the other side.
    #[default]
    SpinThenYield,
}

impl Wait {
    /// One pause between retries.
    #[inline]
    fn pause(self, backoff: &Backoff) {
        match self {
            Wait::Spin => backoff.spin(),
            Wait::SpinThenYield => backoff.snooze(),
        }
    }
}

/// A ring with room for exactly `capacity` items: its [`Producer`] and
/// [`Consumer`] handles.
///
/// # Panics
///
/// If `capacity` is 0 or too large (see [`try_ring`] for an error
/// instead), or if the allocation fails.
///
/// ```
/// let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u32>(3);
/// assert_eq!(tx.capacity(), 3);
/// tx.push(1).unwrap();
/// assert_eq!(rx.pop(), Some(1));
/// ```
#[track_caller]
pub fn ring<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    match try_ring(capacity) {
        Ok(pair) => pair,
        Err(e) => panic!("{e}"),
    }
}

/// A ring with room for exactly `capacity` items, or an error instead of
/// a panic.
///
/// # Errors
///
/// [`CapacityError`] if `capacity` is 0 (a ring that is always full and
/// always empty would only hide a mistake), or if `capacity > usize::MAX / 2` (slot arithmetic adds
/// a count of at most the capacity to an index below it), or if `capacity` items of `T` would not fit in
/// `isize::MAX` bytes; the error's `maximum` is the largest capacity
/// accepted for this `T` (`usize::MAX / 2` for zero-sized items, which
/// need no memory). Allocation failure for an accepted capacity still
/// aborts, as for `Vec`.
///
/// ```
/// let (tx, _rx) = nanopath_queue::spsc::try_ring::<u8>(16).unwrap();
/// assert_eq!(tx.capacity(), 16);
/// assert!(nanopath_queue::spsc::try_ring::<u8>(usize::MAX).is_err());
/// let err = nanopath_queue::spsc::try_ring::<u64>(usize::MAX / 2).unwrap_err();
/// assert_eq!(err.maximum, isize::MAX as usize / 8);
/// let (tx, _rx) = nanopath_queue::spsc::try_ring::<()>(usize::MAX / 2).unwrap();
/// assert_eq!(tx.free_slots(), usize::MAX / 2);
/// assert_eq!(nanopath_queue::spsc::try_ring::<u8>(0).unwrap_err().minimum, 1);
/// ```
pub fn try_ring<T>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    let maximum = max_capacity::<T>();
    if capacity == 0 || capacity > maximum || Layout::array::<T>(capacity).is_err() {
        return Err(CapacityError {
            requested: capacity,
            minimum: 1,
            maximum,
        });
    }
    // One allocation, not initialised slot by slot: O(1) for any capacity
    // of zero-sized items, one `memset`-free `malloc` otherwise.
    let slots = Box::<[UnsafeCell<MaybeUninit<T>>]>::new_uninit_slice(capacity);
    // SAFETY: an `UnsafeCell<MaybeUninit<T>>` is valid in any state,
    // including uninitialised, so the slice needs no initialisation.
    let slots = unsafe { slots.assume_init() };
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicUsize::new(0)),
        tail: CachePadded::new(AtomicUsize::new(0)),
        slots,
        #[cfg(nanopath_loom)]
        shadows: (0..capacity).map(|_| Shadow::default()).collect(),
        capacity,
        closed: AtomicBool::new(false),
        head_slot: AtomicUsize::new(0),
    });
    // Derived once the buffer is in its final place (the `Arc`), through
    // the slots' `UnsafeCell`s, so writing through it is allowed.
    let buf = shared.slots.as_ptr().cast::<T>().cast_mut();
    let producer = Producer {
        _align: [],
        shared: ManuallyDrop::new(shared.clone()),
        buf,
        capacity,
        tail: 0,
        slot: 0,
        cached_head: 0,
    };
    let consumer = Consumer {
        _align: [],
        shared: ManuallyDrop::new(shared),
        buf,
        capacity,
        head: 0,
        slot: 0,
        cached_tail: 0,
    };
    Ok((producer, consumer))
}

/// The largest capacity for items of `T`: `slot_after` adds a count of at
/// most the capacity to an index below it (`usize::MAX / 2`), and the buffer must fit in `isize::MAX` bytes.
pub(crate) const fn max_capacity<T>() -> usize {
    if size_of::<T>() == 0 {
        return usize::MAX / 2;
    }
    // `Layout::array`'s own limit.
    let fits = (isize::MAX as usize - (align_of::<T>() - 1)) / size_of::<T>();
    if fits < usize::MAX / 2 {
        fits
    } else {
        usize::MAX / 2
    }
}

/// State shared by the two handles; freed with the last one.
struct Shared<T> {
    /// The consumer's position: items popped so far, wrapping. Written only
    /// by the consumer (Release), after moving values out.
    head: CachePadded<AtomicUsize>,
    /// The producer's position: items pushed so far, wrapping; always
    /// `tail.wrapping_sub(head) <= capacity`. Written only by the producer
    /// (Release), after writing values.
    tail: CachePadded<AtomicUsize>,
    /// Holds an initialised `T` exactly in the `tail - head` (wrapping)
    /// slots from the consumer's slot index onwards, wrapping at
    /// `capacity`.
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// Loom access tracking, one per slot (loom builds only).
    #[cfg(nanopath_loom)]
    shadows: Box<[Shadow]>,
    /// Exact capacity, at most `usize::MAX / 2`.
    capacity: usize,
    /// Set with Release by the first handle to be dropped (after its last
    /// index store), read with Acquire by the other's `is_abandoned`: seeing
    /// it set, the survivor also sees every index store the dropped handle
    /// made, so a consumer that drains after it misses nothing.
    closed: AtomicBool,
    /// The consumer's slot index, stored (Relaxed) by its `drop` for ours:
    /// the slot of position `head`, where the items left inside start.
    /// `Arc`'s drop orders the store before our `drop`.
    head_slot: AtomicUsize,
}

/// Which way [`Shared::copy`] copies.
#[derive(Clone, Copy)]
enum Direction {
    /// From the caller's buffer into the ring's slots.
    IntoSlots,
    /// From the ring's slots into the caller's buffer.
    OutOfSlots,
}

/// The slot `n` slots after `slot` (`slot < capacity`, `n <= capacity`), wrapping at `capacity`, without overflow (the
/// capacity is at most `usize::MAX / 2`).
#[inline(always)]
fn slot_after(capacity: usize, slot: usize, n: usize) -> usize {
    let next = slot + n;
    if next >= capacity {
        next - capacity
    } else {
        next
    }
}

/// `slot_after(capacity, slot, 1)` for `capacity >= 1`: the one-item step
/// of `push` and `pop`, an increment and a compare.
#[inline(always)]
fn next_slot(capacity: usize, slot: usize) -> usize {
    let next = slot + 1;
    if next == capacity { 0 } else { next }
}

/// The (up to two) contiguous runs of `len` slots from slot index `start`
/// (`len <= capacity`) in the buffer of `capacity` slots at `base`, as
/// pointer and length: the first from `start` towards the end of the
/// buffer, the second from slot 0 (empty unless the slots wrap around the
/// end). The runs lie inside the buffer and are disjoint
/// (`second <= start`).
#[inline]
fn runs<T>(base: *mut T, capacity: usize, start: usize, len: usize) -> [(*mut T, usize); 2] {
    let first = len.min(capacity - start);
    // SAFETY: `start < capacity` (capacity is at least 1): inside the
    // allocation.
    let first_run = unsafe { base.add(start) };
    [(first_run, first), (base, len - first)]
}

/// Items from position `from` to position `to`: their wrapping difference
/// (exact, as at most `capacity` items lie between the two).
#[inline(always)]
fn distance(from: usize, to: usize) -> usize {
    to.wrapping_sub(from)
}

impl<T> Shared<T> {
    /// A pointer to slot `index`.
    #[inline(always)]
    fn slot(&self, index: usize) -> *mut T {
        debug_assert!(index < self.slots.len());
        // SAFETY: every slot index is below `capacity == slots.len()` (they
        // come from `next_slot` and `slot_after`).
        unsafe { self.slots.get_unchecked(index) }.get().cast()
    }

    /// The loom shadow of slot `index` (a shared no-op otherwise).
    #[inline(always)]
    fn shadow(&self, index: usize) -> &Shadow {
        #[cfg(nanopath_loom)]
        return &self.shadows[index];
        #[cfg(not(nanopath_loom))]
        {
            let _ = index;
            &Shadow::NONE
        }
    }

    /// Loom: records writes to the `n` slots from slot `start`. Compiles to
    /// nothing outside loom.
    #[inline(always)]
    fn track_writes(&self, start: usize, n: usize) {
        #[cfg(nanopath_loom)]
        for i in 0..n {
            self.shadow(slot_after(self.capacity, start, i)).write();
        }
        #[cfg(not(nanopath_loom))]
        let _ = (start, n);
    }

    /// Loom: records shared reads of the `n` slots from slot `start`.
    /// Compiles to nothing outside loom.
    #[inline(always)]
    fn track_reads(&self, start: usize, n: usize) {
        #[cfg(nanopath_loom)]
        for i in 0..n {
            self.shadow(slot_after(self.capacity, start, i)).read();
        }
        #[cfg(not(nanopath_loom))]
        let _ = (start, n);
    }

    /// The runs of `len` slots from slot `start` (see [`runs`]).
    #[inline]
    fn runs(&self, start: usize, len: usize) -> [(*mut T, usize); 2] {
        // A pointer derived from the whole buffer: the slots are
        // `UnsafeCell`s, so writing through it is allowed.
        runs(
            self.slots.as_ptr().cast::<T>().cast_mut(),
            self.capacity,
            start,
            len,
        )
    }

    /// Copies `n` items between the `n` slots from slot `start` and the
    /// contiguous buffer `buf`, in two parts where the slots wrap around
    /// the end of the ring: into the slots or out of them, as `direction`
    /// says. Moves nothing in the sense of ownership: the caller decides
    /// who owns the copied values.
    ///
    /// # Safety
    ///
    /// `n <= capacity`; `buf` is valid for `n` items (reads for
    /// [`Direction::IntoSlots`], writes for [`Direction::OutOfSlots`]) and does not
    /// overlap the ring's buffer; the slots are the caller's to write
    /// (free and reserved) or to read (published).
    #[inline]
    unsafe fn copy(&self, start: usize, buf: *mut T, n: usize, direction: Direction) {
        let mut done = 0;
        for (run, len) in self.runs(start, n) {
            // SAFETY: `done + len <= n`, inside `buf`; the run lies inside
            // the buffer (see `runs`); the two never overlap (caller's
            // contract).
            unsafe {
                let outside = buf.add(done);
                match direction {
                    Direction::IntoSlots => ptr::copy_nonoverlapping(outside, run, len),
                    Direction::OutOfSlots => ptr::copy_nonoverlapping(run, outside, len),
                }
            }
            done += len;
        }
    }
}

impl<T> Drop for Shared<T> {
    /// Drops the items still inside. If one's `Drop` panics, the others are
    /// still dropped (a second panic aborts, as for `Vec`).
    fn drop(&mut self) {
        // Last owner: both handles are gone, and `Arc`'s drop ordered their
        // final stores before this point, so Relaxed loads suffice.
        let mut left = distance(
            self.head.load(Ordering::Relaxed),
            self.tail.load(Ordering::Relaxed),
        );
        let mut index = self.head_slot.load(Ordering::Relaxed);
        drop_each(|| {
            if left == 0 {
                return false;
            }
            let slot = self.slot(index);
            // Step past the item first: a panic in its `Drop` must not make
            // us drop it again.
            left -= 1;
            index = next_slot(self.capacity, index);
            // SAFETY: the `left` slots from `index` hold initialised values
            // (struct invariant), nobody else can reach them any more, and
            // each is visited once.
            unsafe { ptr::drop_in_place(slot) };
            true
        });
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // Release: our `tail` stores happen-before the consumer's Acquire
        // load of the flag in `Consumer::is_abandoned`.
        self.shared.closed.store(true, Ordering::Release);
        release_shared(&mut self.shared);
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Our position may be ahead of the shared one (a leaked by-value
        // chunk iterator): `Shared::drop` must not drop what we moved out.
        // Release: as in `release`, for a producer still running.
        self.shared.head.store(self.head, Ordering::Release);
        // Relaxed: read by `Shared::drop`, after the `Arc` drop's ordering.
        self.shared.head_slot.store(self.slot, Ordering::Relaxed);
        // Release: pairs with the Acquire in `Producer::is_abandoned`.
        self.shared.closed.store(true, Ordering::Release);
        release_shared(&mut self.shared);
    }
}

/// Drops a handle's reference to the shared block, moved out first.
///
/// Dropping the `Arc` in place would hand its address, inside the handle,
/// to `Arc`'s out-of-line slow path. The compiler must then treat the
/// handle as escaped wherever the drop can run, including the unwind paths
/// of a caller's loop, and keeps the handle's positions in memory instead
/// of registers for the whole loop. Moved out, only the local copy's
/// address is taken.
#[inline(always)]
fn release_shared<T>(shared: &mut ManuallyDrop<Arc<Shared<T>>>) {
    // SAFETY: called once, from the handle's `drop`; the field is not used
    // again.
    drop(unsafe { ManuallyDrop::take(shared) });
}

/// A read-only view of a ring's two positions, for a third party (the SPSC
/// channel's statistics) that must not reach into either handle: it shares
/// the block the handles publish their positions in, and nothing else.
#[cfg(feature = "std")]
pub(crate) struct Positions<T> {
    shared: Arc<Shared<T>>,
}

#[cfg(feature = "std")]
impl<T> Positions<T> {
    /// Items pushed so far (wrapping): a snapshot.
    pub(crate) fn pushed(&self) -> usize {
        // Relaxed: a statistic; nothing is read through it.
        self.shared.tail.load(Ordering::Relaxed)
    }

    /// Items popped so far (wrapping): a snapshot. A `pushed` loaded after
    /// it is at least as large.
    pub(crate) fn popped(&self) -> usize {
        // Acquire: pairs with the consumer's Release store of `head`, made
        // after its Acquire load of a `tail` at least this far; so a
        // `pushed` loaded after this sees that `tail` or a later one.
        self.shared.head.load(Ordering::Acquire)
    }
}

#[cfg(feature = "std")]
impl<T> Producer<T> {
    /// A view of this ring's positions (see [`Positions`]).
    pub(crate) fn positions(&self) -> Positions<T> {
        Positions {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The sending half of an SPSC queue.
pub struct Producer<T> {
    /// Aligns (and so pads) the handle to a cache-line block: its indices
    /// change on every push and must not share a line with whatever the
    /// consumer touches, wherever the caller keeps the two handles.
    _align: [CachePadded<()>; 0],
    /// Dropped by hand, in `Drop` (see [`release_shared`]).
    shared: ManuallyDrop<Arc<Shared<T>>>,
    /// `shared.slots` as a pointer to the first slot, and `shared.capacity`:
    /// copies kept here so that a push reaches the slot without first
    /// loading them from the shared block (and reloading them after every
    /// slot write, which the compiler must assume may alias them).
    buf: *mut T,
    capacity: usize,
    /// Our position; always equal to `shared.tail` (we are its only writer).
    tail: usize,
    /// The slot of position `tail`: the next one to write, `< capacity`
    /// (capacity is at least 1).
    slot: usize,
    /// The consumer's `head` as last loaded; the real one is at or past it,
    /// so free slots are at least `capacity - distance(cached_head, tail)`.
    cached_head: usize,
}

/// The receiving half of an SPSC queue.
pub struct Consumer<T> {
    /// As for [`Producer`]: the handle gets a cache-line block of its own.
    _align: [CachePadded<()>; 0],
    /// Dropped by hand, in `Drop` (see [`release_shared`]).
    shared: ManuallyDrop<Arc<Shared<T>>>,
    /// As for [`Producer`]: copies of the slots' address and the capacity.
    buf: *mut T,
    capacity: usize,
    /// Our position: items taken out so far. Equal to `shared.head` (we
    /// are its only writer) except while a by-value chunk iterator runs,
    /// or after one was leaked, when it is ahead (those slots are moved
    /// out but not handed back yet): the next publication, or our drop,
    /// stores it. Never behind `shared.head`.
    head: usize,
    /// The slot of position `head`: the next one to read, `< capacity`
    /// (capacity is at least 1).
    slot: usize,
    /// The producer's `tail` as last loaded; the real one is at or past it,
    /// so at least `distance(head, cached_tail)` items are ready.
    cached_tail: usize,
}

// SAFETY: a `Producer` only moves `T`s into the buffer and the `Consumer`
// only moves them out, each from one thread at a time (`&mut self`); with
// `T: Send` handing either half to another thread is sound. `Shared` is
// reached only through these two handles.
unsafe impl<T: Send> Send for Producer<T> {}
// SAFETY: as for `Producer`.
unsafe impl<T: Send> Send for Consumer<T> {}

impl<T> Producer<T> {
    /// Free slots; reloads the consumer's `head` only if the cached copy
    /// shows fewer than `n`.
    #[inline]
    fn reserve(&mut self, n: usize) -> usize {
        let mut free = self.capacity - distance(self.cached_head, self.tail);
        if free < n {
            // Acquire pairs with the consumer's Release store of `head`: its
            // reads of the slots it freed happen-before our writes to them.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            free = self.capacity - distance(self.cached_head, self.tail);
        }
        free
    }

    /// A pointer to our next slot (`self.slot`).
    #[inline(always)]
    fn next_slot_ptr(&self) -> *mut T {
        // SAFETY: `slot < capacity`, inside the buffer `buf` points to (or
        // 0 in an empty buffer: the pointer itself).
        unsafe { self.buf.add(self.slot) }
    }

    /// The runs of the `len` slots from ours (see [`runs`]).
    #[inline]
    fn runs(&self, len: usize) -> [(*mut T, usize); 2] {
        runs(self.buf, self.capacity, self.slot, len)
    }

    /// Makes `n` written slots (`n <= capacity`) visible to the consumer.
    #[inline]
    fn publish(&mut self, n: usize) {
        let tail = self.tail.wrapping_add(n);
        // Release pairs with the consumer's Acquire load of `tail`: our slot
        // writes happen-before its reads.
        self.shared.tail.store(tail, Ordering::Release);
        // Our copies are updated after the store, so in a loop of pushes the
        // compiler may keep them in registers instead of writing the handle
        // every time.
        self.tail = tail;
        self.slot = slot_after(self.capacity, self.slot, n);
    }

    /// Appends `value`.
    ///
    /// # Errors
    ///
    /// [`Full`] with the value when the queue is full.
    ///
    /// ```
    /// let (mut tx, _rx) = nanopath_queue::spsc::ring(1);
    /// assert!(tx.push('a').is_ok());
    /// assert_eq!(tx.push('b'), Err(nanopath_queue::Full('b')));
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), Full<T>> {
        let tail = self.tail;
        // Full exactly when `capacity` items lie between the consumer's
        // position and ours.
        if distance(self.cached_head, tail) == self.capacity {
            // Acquire pairs with the consumer's Release store of `head`: its
            // reads of the slots it freed happen-before our writes to them.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            if distance(self.cached_head, tail) == self.capacity {
                return Err(Full(value));
            }
        }
        self.shared.shadow(self.slot).write();
        // SAFETY: fewer than `capacity` items are in the ring, so our slot
        // is free: the consumer has moved its previous value out (Acquire on
        // `head`) and will not read it until we publish, so we have
        // exclusive access.
        unsafe { self.next_slot_ptr().write(value) };
        let next = tail.wrapping_add(1);
        // Release pairs with the consumer's Acquire load of `tail`: the slot
        // write happens-before its read.
        self.shared.tail.store(next, Ordering::Release);
        self.tail = next;
        // `capacity >= 1`: the ring was not full.
        self.slot = next_slot(self.capacity, self.slot);
        Ok(())
    }

    /// Appends as many items of `items` as fit, in order, with one
    /// publication; returns how many.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(3);
    /// assert_eq!(tx.push_slice(&[1, 2, 3, 4]), 3);
    /// let mut out = [0; 4];
    /// assert_eq!(rx.pop_slice(&mut out), 3);
    /// assert_eq!(out, [1, 2, 3, 0]);
    /// ```
    pub fn push_slice(&mut self, items: &[T]) -> usize
    where
        T: Copy,
    {
        let n = self.reserve(items.len()).min(items.len());
        if n == 0 {
            return 0;
        }
        let shared = &*self.shared;
        shared.track_writes(self.slot, n);
        // SAFETY: the `n` slots from ours are free (see `push`); `items`
        // holds at least `n` values, is only read (`copy` reads `buf` when
        // copying into the slots), and cannot overlap our private buffer.
        unsafe {
            shared.copy(
                self.slot,
                items.as_ptr().cast_mut(),
                n,
                Direction::IntoSlots,
            );
        }
        self.publish(n);
        n
    }

    /// Free slots right now (a lower bound by the time it returns: the
    /// consumer may free more).
    ///
    /// ```
    /// let (mut tx, _rx) = nanopath_queue::spsc::ring(2);
    /// tx.push(0u8).unwrap();
    /// assert_eq!(tx.free_slots(), 1);
    /// ```
    pub fn free_slots(&self) -> usize {
        // Acquire: as in `reserve`.
        let head = self.shared.head.load(Ordering::Acquire);
        self.capacity - distance(head, self.tail)
    }

    /// `true` if no slot is free right now (a snapshot: the consumer may
    /// free one at any time).
    ///
    /// ```
    /// let (mut tx, _rx) = nanopath_queue::spsc::ring(1);
    /// assert!(!tx.is_full());
    /// tx.push(0u8).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.free_slots() == 0
    }

    /// Appends `value`, waiting for a free slot as `wait` says.
    ///
    /// # Errors
    ///
    /// The value back when the ring is full and the [`Consumer`] is gone
    /// (no slot will ever free up). While there is room it is pushed as
    /// [`push`](Self::push) would, consumer or not; check
    /// [`is_abandoned`](Self::is_abandoned) first to stop sooner.
    ///
    /// ```
    /// use nanopath_queue::spsc::{self, Wait};
    /// let (mut tx, mut rx) = spsc::ring(2);
    /// let consumer = std::thread::spawn(move || {
    ///     let mut sum = 0;
    ///     while let Some(v) = rx.pop_waiting(Wait::SpinThenYield) {
    ///         sum += v;
    ///     }
    ///     sum
    /// });
    /// for i in 0..1000u64 {
    ///     tx.push_waiting(i, Wait::SpinThenYield).unwrap();
    /// }
    /// drop(tx);
    /// assert_eq!(consumer.join().unwrap(), (0..1000).sum());
    /// ```
    pub fn push_waiting(&mut self, value: T, wait: Wait) -> Result<(), T> {
        let backoff = Backoff::new();
        let mut value = value;
        loop {
            match self.push(value) {
                Ok(()) => return Ok(()),
                Err(Full(v)) if self.is_abandoned() => return Err(v),
                Err(Full(v)) => value = v,
            }
            wait.pause(&backoff);
        }
    }

    /// The queue's exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::spsc::ring::<u8>(5).0.capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// `true` once the [`Consumer`] has been dropped: nothing pushed from
    /// now on will be read.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::spsc::ring::<u8>(1);
    /// assert!(!tx.is_abandoned());
    /// drop(rx);
    /// assert!(tx.is_abandoned());
    /// ```
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the consumer's Release on drop. We are alive,
        // so a set flag means the consumer is the one gone.
        self.shared.closed.load(Ordering::Acquire)
    }
}

impl<T> Consumer<T> {
    /// Ready items; reloads the producer's `tail` only if the cached copy
    /// shows fewer than `n`.
    #[inline]
    fn ready(&mut self, n: usize) -> usize {
        let mut ready = distance(self.head, self.cached_tail);
        if ready < n {
            // Acquire pairs with the producer's Release store of `tail`: its
            // slot writes happen-before our reads.
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            ready = distance(self.head, self.cached_tail);
        }
        ready
    }

    /// A pointer to our next slot (`self.slot`).
    #[inline(always)]
    fn next_slot_ptr(&self) -> *mut T {
        // SAFETY: as in `Producer::next_slot_ptr`.
        unsafe { self.buf.add(self.slot) }
    }

    /// The runs of the `len` slots from ours (see [`runs`]).
    #[inline]
    fn runs(&self, len: usize) -> [(*mut T, usize); 2] {
        runs(self.buf, self.capacity, self.slot, len)
    }

    /// Moves our position past our next slot (moved out by the caller)
    /// without handing it back yet (see the `head` field).
    #[inline]
    fn advance_unpublished(&mut self) {
        self.head = self.head.wrapping_add(1);
        self.slot = next_slot(self.capacity, self.slot);
    }

    /// Hands every slot up to our position back to the producer.
    #[inline]
    fn publish_position(&mut self) {
        // Release: as in `release`.
        self.shared.head.store(self.head, Ordering::Release);
    }

    /// Hands `n` read slots (`n <= capacity`) back to the producer.
    #[inline]
    fn release(&mut self, n: usize) {
        let head = self.head.wrapping_add(n);
        // Release pairs with the producer's Acquire load of `head`: our moves
        // out of the slots happen-before its next writes to them.
        self.shared.head.store(head, Ordering::Release);
        // After the store, as in `Producer::publish`.
        self.head = head;
        self.slot = slot_after(self.capacity, self.slot, n);
    }

    /// Removes and returns the oldest item, or `None` if the queue is empty.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(2);
    /// assert_eq!(rx.pop(), None);
    /// tx.push("x").unwrap();
    /// assert_eq!(rx.pop(), Some("x"));
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        let head = self.head;
        // Empty exactly when the two positions are equal.
        if head == self.cached_tail {
            // Acquire pairs with the producer's Release store of `tail`: its
            // slot writes happen-before our reads.
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            if head == self.cached_tail {
                return None;
            }
        }
        self.shared.shadow(self.slot).write();
        // SAFETY: our slot is published (Acquire on `tail`), so it holds an
        // initialised value that the producer will not touch until we
        // release it; we move it out exactly once.
        let value = unsafe { self.next_slot_ptr().read() };
        let next = head.wrapping_add(1);
        // Release pairs with the producer's Acquire load of `head`: our move
        // out of the slot happens-before its next write to it.
        self.shared.head.store(next, Ordering::Release);
        self.head = next;
        // `capacity >= 1`: the ring was not empty.
        self.slot = next_slot(self.capacity, self.slot);
        Some(value)
    }

    /// The oldest item, without removing it.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(2);
    /// tx.push(7).unwrap();
    /// assert_eq!(rx.peek(), Some(&7));
    /// assert_eq!(rx.pop(), Some(7));
    /// assert_eq!(rx.peek(), None);
    /// ```
    pub fn peek(&self) -> Option<&T> {
        // Our cached copy of `tail` if it already shows an item, else a
        // fresh load (not cached: `&self`). Acquire: as in `ready`.
        if self.head == self.cached_tail && self.head == self.shared.tail.load(Ordering::Acquire) {
            return None;
        }
        self.shared.shadow(self.slot).read();
        // SAFETY: as in `pop`; the reference borrows `self`, so no `pop`
        // (which needs `&mut self`) can move the value out while it lives.
        Some(unsafe { &*self.next_slot_ptr() })
    }

    /// Moves up to `out.len()` items into `out`, oldest first, with one
    /// publication; returns how many.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(4);
    /// tx.push_slice(&[1u8, 2, 3]);
    /// let mut out = [0u8; 2];
    /// assert_eq!(rx.pop_slice(&mut out), 2);
    /// assert_eq!(out, [1, 2]);
    /// ```
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize
    where
        T: Copy,
    {
        let n = self.ready(out.len()).min(out.len());
        if n == 0 {
            return 0;
        }
        let shared = &*self.shared;
        shared.track_writes(self.slot, n);
        // SAFETY: the `n` slots from ours are published (see `pop`); `out`
        // is caller memory with room for `n`, disjoint from the ring.
        // `T: Copy`, so copying leaves nothing to drop.
        unsafe { shared.copy(self.slot, out.as_mut_ptr(), n, Direction::OutOfSlots) };
        self.release(n);
        n
    }

    /// Moves up to `max` items to the end of `out`, oldest first, with one
    /// publication; returns how many. `out` grows by at most
    /// `min(max, capacity)`.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// let mut out = vec![0];
    /// assert_eq!(rx.pop_batch(&mut out, 2), 2);
    /// assert_eq!(out, [0, 1, 2]);
    /// ```
    pub fn pop_batch(&mut self, out: &mut alloc::vec::Vec<T>, max: usize) -> usize {
        let want = max.min(self.capacity);
        let n = self.ready(want).min(want);
        if n == 0 {
            return 0;
        }
        out.reserve(n);
        let shared = &*self.shared;
        shared.track_writes(self.slot, n);
        let len = out.len();
        // SAFETY: the `n` slots from ours are published (see `pop`); `out`
        // has room for `n` more values after `reserve`, disjoint from the
        // ring. Each value is moved exactly once: the slots are released
        // below without being dropped, and `set_len` takes ownership.
        unsafe {
            let spare = out.as_mut_ptr().add(len);
            shared.copy(self.slot, spare, n, Direction::OutOfSlots);
            out.set_len(len + n);
        }
        self.release(n);
        n
    }

    /// Items ready right now (a lower bound by the time it returns: the
    /// producer may add more).
    ///
    /// ```
    /// let (mut tx, rx) = nanopath_queue::spsc::ring(2);
    /// tx.push(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        // Acquire: as in `ready`.
        distance(self.head, self.shared.tail.load(Ordering::Acquire))
    }

    /// Items this consumer knows are ready, from the producer's position
    /// as it last read it: no access to the producer's line (a lower bound
    /// of [`len`](Self::len), for statistics on a hot path: every read of
    /// that line costs the producer a cache miss on its next push).
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// assert_eq!(rx.known_len(), 0); // not read yet
    /// assert_eq!(rx.pop(), Some(1)); // reads the producer's position
    /// assert_eq!(rx.known_len(), 2);
    /// ```
    #[inline]
    pub fn known_len(&self) -> usize {
        distance(self.head, self.cached_tail)
    }

    /// `true` if no item is ready right now.
    ///
    /// ```
    /// let (_tx, rx) = nanopath_queue::spsc::ring::<u8>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` if every slot holds an item right now (a snapshot).
    ///
    /// ```
    /// let (mut tx, rx) = nanopath_queue::spsc::ring(1);
    /// tx.push(0u8).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity
    }

    /// Removes the oldest item, waiting for one as `wait` says; `None` once
    /// the queue is empty and the [`Producer`] is gone.
    ///
    /// See [`Producer::push_waiting`] for an example.
    pub fn pop_waiting(&mut self, wait: Wait) -> Option<T> {
        let backoff = Backoff::new();
        loop {
            if let Some(v) = self.pop() {
                return Some(v);
            }
            if self.is_abandoned() {
                // Every push happens-before that answer: one more look.
                return self.pop();
            }
            wait.pause(&backoff);
        }
    }

    /// The queue's exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::spsc::ring::<u8>(5).1.capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// `true` once the [`Producer`] has been dropped: after draining what is
    /// left, nothing more will arrive. Every push happens-before a call
    /// that returns `true`, so a drain after it sees every item.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(1);
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_abandoned());
    /// assert_eq!(rx.pop(), Some(1)); // nothing already sent is lost
    /// ```
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the producer's Release on drop, which came
        // after its last `tail` store: the `tail` loads of a drain after
        // this see every push.
        self.shared.closed.load(Ordering::Acquire)
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .field("free_slots", &self.free_slots())
            .finish()
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(all(test, not(nanopath_loom)))]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    /// A ring whose positions start at `start` instead of 0, as after
    /// `start` pushes and pops: positions are wrapping counters, so the
    /// ring must behave the same wherever they stand.
    fn ring_at<T>(capacity: usize, start: usize) -> (Producer<T>, Consumer<T>) {
        let (mut tx, mut rx) = ring(capacity);
        tx.shared.head.store(start, Ordering::Relaxed);
        tx.shared.tail.store(start, Ordering::Relaxed);
        (tx.tail, tx.cached_head) = (start, start);
        (rx.head, rx.cached_tail) = (start, start);
        (tx, rx)
    }

    /// Every operation across the `usize::MAX` → 0 wrap of the positions
    /// agrees with a `VecDeque` model, including chunks, slices and the
    /// items left inside at drop (each dropped exactly once).
    #[test]
    fn positions_wrap_past_usize_max() {
        // The numbers of the items alive: each item's `Drop` removes its
        // own, so a drop of the wrong slots (a wrong starting slot in the
        // ring's own drop) shows as a number removed twice or never.
        let live = Live::default();
        for capacity in [1usize, 2, 3, 5, 8] {
            for start in [usize::MAX - 1, usize::MAX - capacity, usize::MAX] {
                let (mut tx, mut rx) = ring_at::<Numbered>(capacity, start);
                let (mut stx, mut srx) = ring_at::<u64>(capacity, start);
                let mut model = VecDeque::new();
                let mut next = 0u64;
                // A fixed pseudo-random mix of operations (LCG).
                let mut seed = 0x2545_f491_u64 ^ (capacity as u64) << 32;
                for _ in 0..400 {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let n = ((seed >> 40) % 4) as usize;
                    match (seed >> 33) % 6 {
                        0 => {
                            let ok = tx.push(live.item(next)).is_ok();
                            assert_eq!(ok, model.len() < capacity);
                            assert_eq!(stx.push(next).is_ok(), ok);
                            if ok {
                                model.push_back(next);
                            }
                            next += 1;
                        }
                        1 => {
                            let got = rx.pop().map(|item| item.0);
                            assert_eq!(got, model.front().copied());
                            assert_eq!(srx.pop(), model.pop_front());
                        }
                        2 => {
                            let items: Vec<u64> = (next..next + n as u64).collect();
                            let free = capacity - model.len();
                            let written = match tx.write_chunk_uninit(n) {
                                Ok(chunk) => {
                                    chunk.fill_from_iter(items.iter().map(|&v| live.item(v)))
                                }
                                Err(_) => 0,
                            };
                            assert_eq!(written, if n <= free { n } else { 0 });
                            assert_eq!(stx.push_slice(&items[..written]), written);
                            model.extend(&items[..written]);
                            next += n as u64;
                        }
                        3 => {
                            let take = n.min(model.len());
                            let chunk = rx.read_chunk(take).unwrap();
                            let (a, b) = chunk.as_slices();
                            let seen: Vec<u64> = a.iter().chain(b).map(|item| item.0).collect();
                            let expected: Vec<u64> = model.iter().take(take).copied().collect();
                            assert_eq!(seen, expected);
                            chunk.commit_all();
                            let mut out = [u64::MAX; 4];
                            assert_eq!(srx.pop_slice(&mut out[..take]), take);
                            assert_eq!(&out[..take], &expected[..]);
                            model.drain(..take);
                        }
                        4 => {
                            assert_eq!(rx.peek().map(|item| item.0), model.front().copied());
                            assert_eq!(rx.len(), model.len());
                            assert_eq!(tx.free_slots(), capacity - model.len());
                            assert_eq!(srx.len(), model.len());
                        }
                        _ => {
                            let mut out = Vec::new();
                            let popped = srx.pop_batch(&mut out, n);
                            assert_eq!(popped, n.min(model.len()));
                            for _ in 0..popped {
                                assert_eq!(rx.pop().map(|item| item.0), model.pop_front());
                            }
                        }
                    }
                    assert!(
                        live.0.borrow().iter().eq(model.iter()),
                        "alive: the model's items"
                    );
                }
                // Leave one slot short of full: the ring's drop must start
                // at the consumer's slot, or it meets the moved-out one.
                while tx.push(live.item(next)).is_ok() {
                    model.push_back(next);
                    next += 1;
                }
                assert_eq!(rx.pop().map(|item| item.0), model.pop_front());
                // Whichever handle goes first, the items left inside are
                // dropped once, with the ring.
                if next.is_multiple_of(2) {
                    drop(tx);
                    drop(rx);
                } else {
                    drop(rx);
                    drop(tx);
                }
                assert!(
                    live.0.borrow().is_empty(),
                    "an item left inside was not dropped"
                );
            }
        }
    }

    /// The numbers of the [`Numbered`] items alive, in order.
    #[derive(Default)]
    struct Live(alloc::rc::Rc<core::cell::RefCell<alloc::collections::BTreeSet<u64>>>);

    impl Live {
        fn item(&self, n: u64) -> Numbered {
            assert!(self.0.borrow_mut().insert(n));
            Numbered(n, self.0.clone())
        }
    }

    /// An item that removes its number from [`Live`] when dropped.
    struct Numbered(
        u64,
        alloc::rc::Rc<core::cell::RefCell<alloc::collections::BTreeSet<u64>>>,
    );

    impl Drop for Numbered {
        fn drop(&mut self) {
            assert!(
                self.1.borrow_mut().remove(&self.0),
                "item {} dropped twice",
                self.0
            );
        }
    }
}

/// Bytes into the ring: writes as many as there are free slots.
/// `Ok(0)` only for an empty `buf`; a full ring is
/// [`WouldBlock`](std::io::ErrorKind::WouldBlock), and once the consumer
/// is gone every write is [`BrokenPipe`](std::io::ErrorKind::BrokenPipe).
///
/// ```
/// use std::io::{Read, Write};
/// let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u8>(4);
/// assert_eq!(tx.write(b"hello").unwrap(), 4);
/// assert_eq!(tx.write(b"o").unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
/// let mut out = [0; 8];
/// assert_eq!(rx.read(&mut out).unwrap(), 4);
/// assert_eq!(&out[..4], b"hell");
/// drop(tx);
/// assert_eq!(rx.read(&mut out).unwrap(), 0); // end of stream
/// ```
#[cfg(feature = "std")]
impl std::io::Write for Producer<u8> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Like a pipe without a reader: nothing written would be read.
        if self.is_abandoned() {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        match self.push_slice(buf) {
            0 => Err(std::io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Every write is published when it returns.
        Ok(())
    }
}

/// Bytes out of the ring: reads what is ready. `Ok(0)` for an empty
/// `buf` or at the end of the stream (empty, and the producer gone); an
/// empty ring whose producer lives is
/// [`WouldBlock`](std::io::ErrorKind::WouldBlock). See the example on the
/// `Write` impl for [`Producer`].
#[cfg(feature = "std")]
impl std::io::Read for Consumer<u8> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.pop_slice(buf) {
            // Every push happens-before `is_abandoned` returning `true`:
            // one more look before reporting the end.
            0 if self.is_abandoned() => Ok(self.pop_slice(buf)),
            0 => Err(std::io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}
