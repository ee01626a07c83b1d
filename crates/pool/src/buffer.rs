//! `BufferPool`: fixed-capacity `BytesMut` buffers whose memory is reused
//! after the `Bytes` frozen from them are dropped.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::ops::{Deref, DerefMut};

use bytes::{Bytes, BytesMut};
use nanopath_atomic::{CachePadded, PerThread, ThreadCounter, default_shards};

use crate::error::{CapacityError, MAX_CAPACITY, PoolStats};
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering, UnsafeCell};

/// A pool of `BytesMut` buffers of one capacity.
///
/// [`acquire`](Self::acquire) lends a writable, empty buffer;
/// [`PooledBuf::freeze`] splits the written bytes off as a `Bytes` (no copy)
/// and gives the buffer back. The `Bytes` and every clone or slice of it
/// share the buffer's memory through its reference count; while any of
/// them lives, the buffer is *in flight*: it is idle in the pool, but its
/// memory cannot be written. Once the last of them is dropped, an `acquire`
/// that comes to that buffer reclaims the whole allocation in place
/// (`BytesMut::try_reclaim`) instead of allocating.
///
/// # When an acquire allocates
///
/// The pool lends its buffers in turn (each thread goes round them from
/// where it last stopped), skipping those that are lent or in flight, so
/// the buffer it comes to is the one that went back longest ago: with
/// responses released in the order they were made, that is the one whose
/// `Bytes` are gone. Buffers are built on first need, up to `buffers`
/// (or all at once by [`prefill`](Self::prefill)); each buffer's first
/// `freeze` also allocates the reference count its `Bytes` share.
///
/// * **Fewer than `buffers` lent or in flight** (counting the one being
///   acquired): once every buffer in use has been built and frozen once,
///   an acquire never allocates, whatever the order in which the `Bytes`
///   are dropped. Tests with a counting global allocator check it for
///   1 to 63 responses in flight in a pool of 64.
/// * **Every buffer lent or in flight:** if some buffer is idle but in
///   flight, it gets fresh memory (its old memory is freed with its last
///   `Bytes`; counted by [`fresh_allocations`](Self::fresh_allocations)),
///   so every such acquire allocates until responses are dropped. If every
///   buffer is being written (lent), the acquire returns a temporary
///   buffer, not kept by the pool (dropped when it comes back; counted in
///   [`stats`](Self::stats)`().created`). The pool never grows past
///   `buffers`.
///
/// An acquire looks at each buffer at most once (a bounded scan); with
/// fewer than `buffers` in use and responses released in the order they
/// were made, the first buffer it looks at is free.
///
/// ```
/// use nanopath_pool::BufferPool;
///
/// let pool = BufferPool::new(16, 4096);
/// let mut buf = pool.acquire();
/// buf.extend_from_slice(b"GET / HTTP/1.1\r\n");
/// let frame = buf.freeze();
/// let header = frame.slice(0..3);
/// assert_eq!(&header[..], b"GET");
/// drop((frame, header)); // the memory is the pool's again
/// let again = pool.acquire();
/// assert!(again.is_empty() && again.capacity() >= 4096);
/// assert_eq!(pool.stats().created, 1);
/// ```
pub struct BufferPool {
    shared: Arc<Shared>,
}

/// One buffer's place in the pool.
///
/// Invariant: while `lent` is false, `buf` belongs to the pool (`None`:
/// never built); while it is true, `buf` belongs to the one thread that set
/// it (a scanner looking at it, or the `PooledBuf` it went to).
struct Slot {
    lent: AtomicBool,
    buf: UnsafeCell<Option<BytesMut>>,
}

/// The state shared by a pool and its lent buffers.
struct Shared {
    /// `slots[..built]` may hold buffers; the rest are unused (and `None`).
    slots: Box<[CachePadded<Slot>]>,
    /// How many slots are in the rotation: at most `slots.len()`, never
    /// decreasing.
    built: CachePadded<AtomicUsize>,
    /// Per-thread state: where the thread's next acquire starts, and its
    /// traffic counters. A cell's owner moves its cursor with a plain load
    /// and store; threads sharing a cell use `fetch_add`.
    locals: PerThread<Local>,
    buffer_size: usize,
    /// Cold counters (each comes with an allocation): plain atomics.
    created: AtomicU64,
    fresh: AtomicU64,
}

/// One thread's cell (see `Shared::locals`).
struct Local {
    /// The position in the rotation the next acquire starts from.
    cursor: AtomicUsize,
    acquired: ThreadCounter,
    released: ThreadCounter,
}

// SAFETY: a slot's buffer is touched only by the thread that set its `lent`
// flag (Acquire on set, Release on clear order the hand-overs), and
// `BytesMut` is `Send`.
unsafe impl Sync for Shared {}
// SAFETY: as above; every field is `Send` but the cells, which hold
// `BytesMut` (`Send`).
unsafe impl Send for Shared {}

/// Marks a temporary buffer in [`PooledBuf::slot`].
const TEMPORARY: usize = usize::MAX;

impl Clone for BufferPool {
    /// Another handle on the same pool (a reference count, no buffers):
    /// clones acquire from and release to the same buffers.
    ///
    /// ```
    /// let pool = nanopath_pool::BufferPool::new(4, 64);
    /// let other = pool.clone();
    /// drop(other.acquire());
    /// assert_eq!(pool.stats().created, 1);
    /// ```
    fn clone(&self) -> Self {
        BufferPool {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("buffers", &self.capacity())
            .field("buffer_size", &self.shared.buffer_size)
            .field("stats", &self.stats())
            .finish()
    }
}

impl BufferPool {
    /// A pool keeping up to `buffers` buffers of `buffer_size` bytes each
    /// (`buffers` clamped to [`MAX_CAPACITY`], `buffer_size` to
    /// `isize::MAX`, the most a `BytesMut` can hold). Buffers are allocated on
    /// first need (or by [`prefill`](Self::prefill)); the slot array is
    /// allocated now, like a `Vec`'s (an allocation failure aborts): use
    /// [`try_new`](Self::try_new) for a count that comes from outside.
    pub fn new(buffers: usize, buffer_size: usize) -> Self {
        Self::build(Vec::new(), buffers.min(MAX_CAPACITY), buffer_size)
    }

    /// Like [`new`](Self::new), without clamping the count and without
    /// aborting on the slot array (`buffer_size` is clamped as by `new`).
    ///
    /// # Errors
    /// [`CapacityError`] if `buffers` is above [`MAX_CAPACITY`] or the slot
    /// array cannot be allocated.
    ///
    /// ```
    /// use nanopath_pool::BufferPool;
    ///
    /// assert!(BufferPool::try_new(usize::MAX, 4096).is_err());
    /// assert!(BufferPool::try_new(64, 4096).is_ok());
    /// ```
    pub fn try_new(buffers: usize, buffer_size: usize) -> Result<Self, CapacityError> {
        let error = CapacityError { requested: buffers };
        if buffers > MAX_CAPACITY {
            return Err(error);
        }
        let mut slots = Vec::new();
        slots.try_reserve_exact(buffers).map_err(|_| error)?;
        Ok(Self::build(slots, buffers, buffer_size))
    }

    /// `buffers` is at most [`MAX_CAPACITY`]; `slots` is empty.
    fn build(mut slots: Vec<CachePadded<Slot>>, buffers: usize, buffer_size: usize) -> Self {
        slots.extend((0..buffers).map(|_| {
            CachePadded::new(Slot {
                lent: AtomicBool::new(false),
                buf: UnsafeCell::new(None),
            })
        }));
        let shards = if buffers == 0 { 1 } else { default_shards() };
        // Spread the threads' starting points over the pool, so threads
        // going round it at the same pace do not meet. `shards` is a power
        // of two at most 1024, so the cells number exactly `2 * shards`.
        let cells = 2 * shards;
        let mut j = 0;
        let locals = PerThread::with_shards(shards, || {
            let start = spread(j, cells, buffers);
            j += 1;
            Local {
                cursor: AtomicUsize::new(start),
                acquired: ThreadCounter::new(),
                released: ThreadCounter::new(),
            }
        });
        Self {
            shared: Arc::new(Shared {
                slots: slots.into_boxed_slice(),
                built: CachePadded::new(AtomicUsize::new(0)),
                locals,
                // A `BytesMut` holds at most `isize::MAX` bytes; a larger
                // request would panic in every acquire.
                buffer_size: buffer_size.min(isize::MAX as usize),
                created: AtomicU64::new(0),
                fresh: AtomicU64::new(0),
            }),
        }
    }

    /// Allocates up to `count` more buffers now; returns how many were
    /// built.
    pub fn prefill(&self, count: usize) -> usize {
        let shared = &*self.shared;
        let mut made = 0;
        while made < count {
            let Some(index) = shared.grow() else {
                break;
            };
            if let Some(mut buf) = shared.lock(index) {
                if buf.is_none() {
                    buf = Some(BytesMut::with_capacity(shared.buffer_size));
                    shared.created.fetch_add(1, Ordering::Relaxed);
                    made += 1;
                }
                shared.unlock(index, buf);
            }
        }
        made
    }

    /// How many buffers the pool keeps at most.
    pub fn capacity(&self) -> usize {
        self.shared.slots.len()
    }

    /// The capacity every lent buffer has at least.
    pub fn buffer_size(&self) -> usize {
        self.shared.buffer_size
    }

    /// The pool's counters: `acquired` and `released` count lent and
    /// returned buffers, `created` the buffers built (kept or temporary);
    /// `waited` and `timeouts` are always 0 (an acquire never waits).
    pub fn stats(&self) -> PoolStats {
        let s = &*self.shared;
        let sum = |f: fn(&Local) -> &ThreadCounter| {
            s.locals
                .iter()
                .map(|l| f(l).get())
                .fold(0u64, u64::wrapping_add)
        };
        PoolStats {
            acquired: sum(|l| &l.acquired),
            released: sum(|l| &l.released),
            created: s.created.load(Ordering::Relaxed),
            waited: 0,
            timeouts: 0,
        }
    }

    /// Buffers that got fresh memory because every idle buffer was still
    /// in flight (its `Bytes` alive) when they were lent.
    pub fn fresh_allocations(&self) -> u64 {
        self.shared.fresh.load(Ordering::Relaxed)
    }

    /// Lends a buffer only from the pool's own memory: an idle buffer
    /// whose memory is free, or a new one while the pool is below
    /// capacity. `None` where [`acquire`](Self::acquire) would allocate
    /// beyond the pool (every buffer lent, or its memory still held by
    /// `Bytes` in flight): back-pressure instead of unbounded memory.
    ///
    /// ```
    /// use nanopath_pool::BufferPool;
    /// use bytes::BufMut;
    ///
    /// let pool = BufferPool::new(1, 64);
    /// let mut buf = pool.try_acquire().expect("one buffer");
    /// assert!(pool.try_acquire().is_none(), "lent");
    /// buf.put_slice(b"response");
    /// let in_flight = buf.freeze();
    /// assert!(pool.try_acquire().is_none(), "its memory is in flight");
    /// drop(in_flight);
    /// assert!(pool.try_acquire().is_some());
    /// assert_eq!(pool.fresh_allocations(), 0);
    /// ```
    pub fn try_acquire(&self) -> Option<PooledBuf> {
        let (slot, buf) = self.shared.take_within(false)?;
        Some(PooledBuf {
            shared: Arc::clone(&self.shared),
            slot,
            buf,
        })
    }

    /// Lends an empty buffer with at least [`buffer_size`](Self::buffer_size)
    /// bytes of capacity: the next idle buffer whose memory is free, else a
    /// new one while the pool is below capacity, else fresh memory (see
    /// the type's documentation).
    pub fn acquire(&self) -> PooledBuf {
        let shared = &*self.shared;
        let (slot, buf) = shared.take();
        PooledBuf {
            shared: Arc::clone(&self.shared),
            slot,
            buf,
        }
    }
}

/// Shard `j`'s starting point among `buffers` slots: `j * buffers / shards`.
fn spread(j: usize, shards: usize, buffers: usize) -> usize {
    // In u64: `j * buffers` may not fit a 32-bit usize; the quotient does.
    (j as u64 * buffers as u64 / shards as u64) as usize
}

impl Shared {
    /// Takes slot `index` if it is not lent, returning its buffer.
    #[inline]
    fn lock(&self, index: usize) -> Option<Option<BytesMut>> {
        let slot = &self.slots[index];
        // A look first: a scan past lent slots writes no shared line.
        // Acquire on success pairs with the Release in `unlock`: the last
        // owner's writes to the cell are visible before we read it.
        if slot.lent.load(Ordering::Relaxed)
            || slot
                .lent
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        // SAFETY: we set `lent`, so the cell is ours (see `Slot`).
        Some(unsafe { slot.buf.with_mut(|p| (*p).take()) })
    }

    /// Puts `buf` back in slot `index` (locked by us) and unlocks it.
    #[inline]
    fn unlock(&self, index: usize, buf: Option<BytesMut>) {
        let slot = &self.slots[index];
        // SAFETY: we hold `lent`, so the cell is ours; it holds `None`
        // since `lock` took its contents, so nothing is dropped here.
        unsafe { slot.buf.with_mut(|p| *p = buf) };
        // Release publishes the cell's new contents to the next `lock`.
        slot.lent.store(false, Ordering::Release);
    }

    /// Adds one slot to the rotation, if the pool is below capacity;
    /// returns its index.
    fn grow(&self) -> Option<usize> {
        // Relaxed: `built` only says which slots to look at; the slots'
        // contents are handed over through their `lent` flags.
        let mut built = self.built.load(Ordering::Relaxed);
        loop {
            if built >= self.slots.len() {
                return None;
            }
            match self.built.compare_exchange_weak(
                built,
                built + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(built),
                Err(actual) => built = actual,
            }
        }
    }

    /// Finds a buffer to lend: its slot (or [`TEMPORARY`]) and an empty
    /// buffer of at least `buffer_size` bytes. Counts the acquire.
    fn take(&self) -> (usize, BytesMut) {
        match self.take_within(true) {
            Some(taken) => taken,
            // `take_within(true)` always finds or makes one.
            None => (TEMPORARY, BytesMut::with_capacity(self.buffer_size)),
        }
    }

    /// As `take`; with `overflow` false, `None` instead of memory beyond
    /// the pool's buffers (a temporary buffer, or fresh memory for a slot
    /// whose buffer is in flight).
    fn take_within(&self, overflow: bool) -> Option<(usize, BytesMut)> {
        let (local, owner) = self.locals.current();
        let cursor = &local.cursor;
        // Relaxed: the cursor is a hint; a stale or shared one only changes
        // where the scan starts.
        let position = if owner {
            cursor.load(Ordering::Relaxed)
        } else {
            cursor.fetch_add(1, Ordering::Relaxed)
        };
        // An idle slot whose memory is still in flight, kept (locked) in
        // case no better one turns up: at most one is held at a time.
        let mut fallback: Option<(usize, BytesMut)> = None;
        let found = loop {
            let built = self.built.load(Ordering::Relaxed);
            if let Some(found) = self.scan(position, built, &mut fallback) {
                break Some(found);
            }
            // Nothing free among the built slots: bring in a new one.
            let Some(index) = self.grow() else {
                break None;
            };
            match self.lock(index) {
                Some(None) => {
                    self.created.fetch_add(1, Ordering::Relaxed);
                    break Some((index, BytesMut::with_capacity(self.buffer_size)));
                }
                // Built meanwhile by a thread that then lent it on, or
                // taken by another scan: look again.
                Some(Some(buf)) => self.unlock(index, Some(buf)),
                None => {}
            }
        };
        let (index, buf) = match (found, fallback) {
            (Some(found), fallback) => {
                if let Some((index, buf)) = fallback {
                    self.unlock(index, Some(buf));
                }
                found
            }
            (None, Some((index, in_flight))) if !overflow => {
                // Back where it was: still idle, still in flight.
                self.unlock(index, Some(in_flight));
                return None;
            }
            (None, Some((index, in_flight))) => {
                // Every buffer is lent or in flight: the memory stays with
                // its `Bytes`, the slot gets fresh memory.
                drop(in_flight);
                self.fresh.fetch_add(1, Ordering::Relaxed);
                (index, BytesMut::with_capacity(self.buffer_size))
            }
            (None, None) if !overflow => return None,
            (None, None) => {
                // Every buffer is being written: a temporary one.
                self.created.fetch_add(1, Ordering::Relaxed);
                local.acquired.add(1, owner);
                return Some((TEMPORARY, BytesMut::with_capacity(self.buffer_size)));
            }
        };
        if owner {
            cursor.store(index + 1, Ordering::Relaxed);
        }
        local.acquired.add(1, owner);
        Some((index, buf))
    }

    /// Looks at each of the first `built` slots once, from `position`
    /// round, for an idle buffer whose memory is free (reclaimed and
    /// returned, locked) or never built (built, returned, locked); keeps
    /// the first idle one still in flight in `fallback` (locked).
    #[inline]
    fn scan(
        &self,
        position: usize,
        built: usize,
        fallback: &mut Option<(usize, BytesMut)>,
    ) -> Option<(usize, BytesMut)> {
        if built == 0 {
            return None;
        }
        let mut index = position % built;
        for _ in 0..built {
            if fallback.as_ref().is_none_or(|(held, _)| *held != index)
                && let Some(contents) = self.lock(index)
            {
                match contents {
                    Some(mut buf) => {
                        // Empty already (cleared on return); takes the whole
                        // allocation back if every `Bytes` is gone.
                        if buf.try_reclaim(self.buffer_size) {
                            return Some((index, buf));
                        }
                        if fallback.is_none() {
                            *fallback = Some((index, buf));
                        } else {
                            self.unlock(index, Some(buf));
                        }
                    }
                    None => {
                        // In the rotation but not built yet (its builder
                        // lost the race to lock it): build it here.
                        self.created.fetch_add(1, Ordering::Relaxed);
                        return Some((index, BytesMut::with_capacity(self.buffer_size)));
                    }
                }
            }
            index += 1;
            if index == built {
                index = 0;
            }
        }
        None
    }
}

/// A writable buffer lent by a [`BufferPool`]; derefs to `BytesMut`, and
/// is itself a [`BufMut`](bytes::BufMut) and an `AsRef<[u8]>`, so it goes
/// where a `BytesMut` does. Dropping it (or freezing it) gives the buffer
/// back.
///
/// ```
/// use bytes::BufMut;
///
/// fn write_header(out: &mut impl BufMut) {
///     out.put_u32(0xDEAD_BEEF);
///     out.put_slice(b"!");
/// }
///
/// let pool = nanopath_pool::BufferPool::new(2, 64);
/// let mut buf = pool.acquire();
/// write_header(&mut buf);
/// assert_eq!(buf.as_ref(), &[0xDE, 0xAD, 0xBE, 0xEF, b'!']);
/// ```
#[must_use = "the buffer goes back to the pool as soon as it is dropped"]
pub struct PooledBuf {
    shared: Arc<Shared>,
    /// The slot the buffer goes back to (locked by us), or [`TEMPORARY`].
    slot: usize,
    buf: BytesMut,
}

impl PooledBuf {
    /// The written bytes as a `Bytes` sharing the buffer's memory (no
    /// copy); the buffer goes back to the pool, in flight until this
    /// `Bytes` and all its clones and slices are dropped, and its memory
    /// is reused after that.
    pub fn freeze(mut self) -> Bytes {
        self.buf.split().freeze()
    }
}

impl Deref for PooledBuf {
    type Target = BytesMut;
    #[inline]
    fn deref(&self) -> &BytesMut {
        &self.buf
    }
}

impl DerefMut for PooledBuf {
    #[inline]
    fn deref_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }
}

impl Drop for PooledBuf {
    fn drop(&mut self) {
        let mut buf = core::mem::take(&mut self.buf);
        let (local, owner) = self.shared.locals.current();
        local.released.add(1, owner);
        if self.slot != TEMPORARY {
            buf.clear();
            self.shared.unlock(self.slot, Some(buf));
        }
        // A temporary buffer is dropped here.
    }
}

impl AsRef<[u8]> for PooledBuf {
    /// The bytes written so far.
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl AsMut<[u8]> for PooledBuf {
    /// The bytes written so far, writable in place.
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

// SAFETY: every method forwards to the buffer's own `BytesMut`
// implementation, which upholds `BufMut`'s contract (`chunk_mut` returns
// writable spare capacity; `advance_mut` marks that many of those bytes
// initialized), and nothing else touches the buffer in between.
unsafe impl bytes::BufMut for PooledBuf {
    #[inline]
    fn remaining_mut(&self) -> usize {
        self.buf.remaining_mut()
    }

    #[inline]
    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller's contract is `BytesMut::advance_mut`'s: `cnt`
        // bytes of the chunk it was given are initialized.
        unsafe { self.buf.advance_mut(cnt) }
    }

    #[inline]
    fn chunk_mut(&mut self) -> &mut bytes::buf::UninitSlice {
        self.buf.chunk_mut()
    }

    #[inline]
    fn put_slice(&mut self, src: &[u8]) {
        self.buf.put_slice(src);
    }
}

impl fmt::Debug for PooledBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.buf.len())
            .field("capacity", &self.buf.capacity())
            .finish()
    }
}
