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
//! * positions run over `0..2 * capacity`, so `head == tail` means empty and
//!   a distance of `capacity` means full, with every slot usable: capacity
//!   is exact, with no power-of-two rounding and no wasted slot.
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

pub use chunks::{ReadChunk, WriteChunkUninit};

use crate::error::{CapacityError, Full};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering, Shadow};
use crate::unwind::drop_each;
use alloc::boxed::Box;
use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::fmt;
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr;
use nanopath_atomic::CachePadded;

/// A ring with room for exactly `capacity` items: its [`Producer`] and
/// [`Consumer`] handles.
///
/// # Panics
///
/// If `capacity` is too large (see [`try_ring`] for an error
/// instead), or if the allocation fails.
///
/// ```
/// let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u32>(3);
/// assert_eq!(tx.capacity(), 3);
/// tx.push(1).unwrap();
/// assert_eq!(rx.pop(), Some(1));
/// ```
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
/// [`CapacityError`] if `capacity > usize::MAX / 2` (positions run over
/// `0..2 * capacity`), or if `capacity` items of `T` would not fit in
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
/// ```
pub fn try_ring<T>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    let maximum = max_capacity::<T>();
    if capacity > maximum || Layout::array::<T>(capacity).is_err() {
        return Err(CapacityError {
            requested: capacity,
            minimum: 0,
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
    });
    // Derived once the buffer is in its final place (the `Arc`), through
    // the slots' `UnsafeCell`s, so writing through it is allowed.
    let buf = shared.slots.as_ptr().cast::<T>().cast_mut();
    let producer = Producer {
        _align: [],
        shared: shared.clone(),
        buf,
        capacity,
        tail: 0,
        cached_head: 0,
    };
    let consumer = Consumer {
        _align: [],
        shared,
        buf,
        capacity,
        head: 0,
        cached_tail: 0,
    };
    Ok((producer, consumer))
}

/// The largest capacity for items of `T`: positions need a spare bit
/// (`usize::MAX / 2`), and the buffer must fit in `isize::MAX` bytes.
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
    /// The consumer's position: the next slot to read, in `0..2 * capacity`.
    /// Written only by the consumer (Release), after moving values out.
    head: CachePadded<AtomicUsize>,
    /// The producer's position: the next slot to write, in `0..2 * capacity`.
    /// Written only by the producer (Release), after writing values.
    tail: CachePadded<AtomicUsize>,
    /// `slots[p mod capacity]` holds an initialised `T` exactly for the
    /// positions `p` from `head` (inclusive) to `tail` (exclusive).
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
}

/// Which way [`Shared::copy`] copies.
#[derive(Clone, Copy)]
enum Direction {
    /// From the caller's buffer into the ring's slots.
    IntoSlots,
    /// From the ring's slots into the caller's buffer.
    OutOfSlots,
}

/// The slot index of position `pos` (`pos < 2 * capacity`).
#[inline(always)]
fn slot_index(capacity: usize, pos: usize) -> usize {
    if pos < capacity { pos } else { pos - capacity }
}

/// `pos + n` modulo `2 * capacity`, for `n <= capacity`, without overflow.
#[inline(always)]
fn advance(capacity: usize, pos: usize, n: usize) -> usize {
    let to_wrap = 2 * capacity - pos;
    if n >= to_wrap { n - to_wrap } else { pos + n }
}

/// `advance(capacity, pos, 1)` for `capacity >= 1`: the one-item step of
/// `push` and `pop`, a compare instead of the general wrap.
#[inline(always)]
fn step(capacity: usize, pos: usize) -> usize {
    let next = pos + 1;
    if next == 2 * capacity { 0 } else { next }
}

/// The (up to two) contiguous runs of slots for `len` positions from `pos`
/// (`len <= capacity`) in the buffer of `capacity` slots at `base`, as
/// pointer and length: the first from `pos`'s slot towards the end of the
/// buffer, the second from slot 0 (empty unless the positions wrap around
/// the end). The runs lie inside the buffer and are disjoint
/// (`second <= start`).
#[inline]
fn runs<T>(base: *mut T, capacity: usize, pos: usize, len: usize) -> [(*mut T, usize); 2] {
    let start = slot_index(capacity, pos);
    let first = len.min(capacity - start);
    // SAFETY: `start < capacity`, or 0 in a ring of capacity 0: inside the
    // allocation (or at its start).
    let first_run = unsafe { base.add(start) };
    [(first_run, first), (base, len - first)]
}

/// Items from position `from` to position `to` (at most `capacity`).
#[inline(always)]
fn distance(capacity: usize, from: usize, to: usize) -> usize {
    if to >= from {
        to - from
    } else {
        2 * capacity - (from - to)
    }
}

impl<T> Shared<T> {
    /// The slot index of position `pos` (`pos < 2 * capacity`).
    #[inline(always)]
    fn index(&self, pos: usize) -> usize {
        slot_index(self.capacity, pos)
    }

    /// `pos + n` modulo `2 * capacity`, for `n <= capacity`.
    #[inline(always)]
    fn advance(&self, pos: usize, n: usize) -> usize {
        advance(self.capacity, pos, n)
    }

    /// A pointer to the slot of position `pos`.
    #[inline(always)]
    fn slot(&self, pos: usize) -> *mut T {
        let index = self.index(pos);
        debug_assert!(index < self.slots.len());
        // SAFETY: `pos < 2 * capacity` (every position is produced by
        // `advance`), so `index < capacity == slots.len()`.
        unsafe { self.slots.get_unchecked(index) }.get().cast()
    }

    /// The loom shadow of position `pos`'s slot (a shared no-op otherwise).
    #[inline(always)]
    fn shadow(&self, pos: usize) -> &Shadow {
        #[cfg(nanopath_loom)]
        return &self.shadows[self.index(pos)];
        #[cfg(not(nanopath_loom))]
        {
            let _ = pos;
            &Shadow::NONE
        }
    }

    /// Loom: records writes to the `n` slots from `pos`. Compiles to nothing
    /// outside loom.
    #[inline(always)]
    fn track_writes(&self, pos: usize, n: usize) {
        #[cfg(nanopath_loom)]
        for i in 0..n {
            self.shadow(self.advance(pos, i)).write();
        }
        #[cfg(not(nanopath_loom))]
        let _ = (pos, n);
    }

    /// Loom: records shared reads of the `n` slots from `pos`. Compiles to
    /// nothing outside loom.
    #[inline(always)]
    fn track_reads(&self, pos: usize, n: usize) {
        #[cfg(nanopath_loom)]
        for i in 0..n {
            self.shadow(self.advance(pos, i)).read();
        }
        #[cfg(not(nanopath_loom))]
        let _ = (pos, n);
    }

    /// The runs of slots for `len` positions from `pos` (see [`runs`]).
    #[inline]
    fn runs(&self, pos: usize, len: usize) -> [(*mut T, usize); 2] {
        // A pointer derived from the whole buffer: the slots are
        // `UnsafeCell`s, so writing through it is allowed.
        runs(
            self.slots.as_ptr().cast::<T>().cast_mut(),
            self.capacity,
            pos,
            len,
        )
    }

    /// Copies `n` items between the `n` slots from position `pos` and the
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
    unsafe fn copy(&self, pos: usize, buf: *mut T, n: usize, direction: Direction) {
        let mut done = 0;
        for (run, len) in self.runs(pos, n) {
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
        // final index stores before this point, so Relaxed loads suffice.
        let mut pos = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        drop_each(|| {
            if pos == tail {
                return false;
            }
            let slot = self.slot(pos);
            // Step past the item first: a panic in its `Drop` must not make
            // us drop it again.
            pos = self.advance(pos, 1);
            // SAFETY: positions in `head..tail` hold initialised values
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
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Release: pairs with the Acquire in `Producer::is_abandoned`.
        self.shared.closed.store(true, Ordering::Release);
    }
}

/// The sending half of an SPSC queue.
pub struct Producer<T> {
    /// Aligns (and so pads) the handle to a cache-line block: its indices
    /// change on every push and must not share a line with whatever the
    /// consumer touches, wherever the caller keeps the two handles.
    _align: [CachePadded<()>; 0],
    shared: Arc<Shared<T>>,
    /// `shared.slots` as a pointer to the first slot, and `shared.capacity`:
    /// copies kept here so that a push reaches the slot without first
    /// loading them from the shared block (and reloading them after every
    /// slot write, which the compiler must assume may alias them).
    buf: *mut T,
    capacity: usize,
    /// Our position; always equal to `shared.tail` (we are its only writer).
    tail: usize,
    /// The consumer's `head` as last loaded; the real one is at or past it,
    /// so free slots are at least `capacity - distance(cached_head, tail)`.
    cached_head: usize,
}

/// The receiving half of an SPSC queue.
pub struct Consumer<T> {
    /// As for [`Producer`]: the handle gets a cache-line block of its own.
    _align: [CachePadded<()>; 0],
    shared: Arc<Shared<T>>,
    /// As for [`Producer`]: copies of the slots' address and the capacity.
    buf: *mut T,
    capacity: usize,
    /// Our position; always equal to `shared.head` (we are its only writer).
    head: usize,
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
        let mut free = self.capacity - distance(self.capacity, self.cached_head, self.tail);
        if free < n {
            // Acquire pairs with the consumer's Release store of `head`: its
            // reads of the slots it freed happen-before our writes to them.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            free = self.capacity - distance(self.capacity, self.cached_head, self.tail);
        }
        free
    }

    /// A pointer to the slot of position `pos` (`pos < 2 * capacity`).
    #[inline(always)]
    fn slot(&self, pos: usize) -> *mut T {
        // SAFETY: the index is below `capacity`, inside the buffer `buf`
        // points to (or 0 in an empty buffer: the pointer itself).
        unsafe { self.buf.add(slot_index(self.capacity, pos)) }
    }

    /// The runs of slots for `len` positions from `pos` (see [`runs`]).
    #[inline]
    fn runs(&self, pos: usize, len: usize) -> [(*mut T, usize); 2] {
        runs(self.buf, self.capacity, pos, len)
    }

    /// Makes `n` written slots visible to the consumer.
    #[inline]
    fn publish(&mut self, n: usize) {
        let tail = advance(self.capacity, self.tail, n);
        // Release pairs with the consumer's Acquire load of `tail`: our slot
        // writes happen-before its reads.
        self.shared.tail.store(tail, Ordering::Release);
        // Our copy is updated after the store, so in a loop of pushes the
        // compiler may keep it in a register instead of writing the handle
        // (which could share a line with the consumer's) every time.
        self.tail = tail;
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
        // position and ours (always, for capacity 0).
        if distance(self.capacity, self.cached_head, tail) == self.capacity {
            // Acquire pairs with the consumer's Release store of `head`: its
            // reads of the slots it freed happen-before our writes to them.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            if distance(self.capacity, self.cached_head, tail) == self.capacity {
                return Err(Full(value));
            }
        }
        self.shared.shadow(tail).write();
        // SAFETY: fewer than `capacity` items are in the ring, so the slot at
        // `tail` is free: the consumer has moved its previous value out
        // (Acquire on `head`) and will not read it until we publish, so we
        // have exclusive access.
        unsafe { self.slot(tail).write(value) };
        // `capacity >= 1`: the ring was not full.
        let next = step(self.capacity, tail);
        // Release pairs with the consumer's Acquire load of `tail`: the slot
        // write happens-before its read.
        self.shared.tail.store(next, Ordering::Release);
        self.tail = next;
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
        shared.track_writes(self.tail, n);
        // SAFETY: the `n` slots from `tail` are free (see `push`); `items`
        // holds at least `n` values, is only read (`copy` reads `buf` when
        // copying into the slots), and cannot overlap our private buffer.
        unsafe {
            shared.copy(
                self.tail,
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
        self.capacity - distance(self.capacity, head, self.tail)
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
        let mut ready = distance(self.capacity, self.head, self.cached_tail);
        if ready < n {
            // Acquire pairs with the producer's Release store of `tail`: its
            // slot writes happen-before our reads.
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            ready = distance(self.capacity, self.head, self.cached_tail);
        }
        ready
    }

    /// A pointer to the slot of position `pos` (`pos < 2 * capacity`).
    #[inline(always)]
    fn slot(&self, pos: usize) -> *mut T {
        // SAFETY: as in `Producer::slot`.
        unsafe { self.buf.add(slot_index(self.capacity, pos)) }
    }

    /// The runs of slots for `len` positions from `pos` (see [`runs`]).
    #[inline]
    fn runs(&self, pos: usize, len: usize) -> [(*mut T, usize); 2] {
        runs(self.buf, self.capacity, pos, len)
    }

    /// Hands `n` read slots back to the producer.
    #[inline]
    fn release(&mut self, n: usize) {
        let head = advance(self.capacity, self.head, n);
        // Release pairs with the producer's Acquire load of `head`: our moves
        // out of the slots happen-before its next writes to them.
        self.shared.head.store(head, Ordering::Release);
        // After the store, as in `Producer::publish`.
        self.head = head;
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
        self.shared.shadow(head).write();
        // SAFETY: the slot at `head` is published (Acquire on `tail`), so it
        // holds an initialised value that the producer will not touch until
        // we release it; we move it out exactly once.
        let value = unsafe { self.slot(head).read() };
        // `capacity >= 1`: the ring was not empty.
        let next = step(self.capacity, head);
        // Release pairs with the producer's Acquire load of `head`: our move
        // out of the slot happens-before its next write to it.
        self.shared.head.store(next, Ordering::Release);
        self.head = next;
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
    pub fn peek(&mut self) -> Option<&T> {
        if self.ready(1) == 0 {
            return None;
        }
        self.shared.shadow(self.head).read();
        // SAFETY: as in `pop`; the reference borrows `self` mutably, so no
        // `pop` can move the value out while it lives.
        Some(unsafe { &*self.slot(self.head) })
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
        shared.track_writes(self.head, n);
        // SAFETY: the `n` slots from `head` are published (see `pop`); `out`
        // is caller memory with room for `n`, disjoint from the ring.
        // `T: Copy`, so copying leaves nothing to drop.
        unsafe { shared.copy(self.head, out.as_mut_ptr(), n, Direction::OutOfSlots) };
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
        shared.track_writes(self.head, n);
        let len = out.len();
        // SAFETY: the `n` slots from `head` are published (see `pop`); `out`
        // has room for `n` more values after `reserve`, disjoint from the
        // ring. Each value is moved exactly once: the slots are released
        // below without being dropped, and `set_len` takes ownership.
        unsafe {
            let spare = out.as_mut_ptr().add(len);
            shared.copy(self.head, spare, n, Direction::OutOfSlots);
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
        distance(
            self.capacity,
            self.head,
            self.shared.tail.load(Ordering::Acquire),
        )
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
