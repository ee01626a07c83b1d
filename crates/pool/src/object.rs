//! `ObjectPool<T>`: a fixed set of slots holding reusable objects, handed
//! out in place (never moved) and returned on drop.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::time::Duration;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

#[cfg(not(nanopath_loom))]
use nanopath_atomic::Backoff;
use nanopath_atomic::{EventCount, PerThread, TaggedIndexStack, ThreadCounter};

use crate::error::{CapacityError, MAX_CAPACITY, PoolStats, Timeout};
use crate::sync::{AtomicU32, AtomicU64, Ordering, UnsafeCell};

/// The end of a free list.
const NIL: u32 = TaggedIndexStack::EMPTY;

/// One slot.
///
/// Invariants: a slot is on at most one of the pool's two lists. On the
/// `idle` list its `value` is initialised and owned by the pool; on the
/// `vacant` list it is uninitialised; off both lists it belongs to exactly
/// one `Pooled`/`OwnedPooled` (initialised) or to the thread filling it.
/// `next` is the list link, meaningful only while the slot is on a list.
struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    next: AtomicU32,
}

/// Per-thread state, one padded cell per thread (a [`PerThread`] cell): an
/// idle slot set aside for the thread(s) mapped here, so a thread that
/// releases and re-acquires touches only its own cache line, and that
/// thread's traffic counters (the cell's owner bumps them with a plain load
/// and store).
struct LocalCache {
    /// `NIL` or the index of an idle slot (initialised, owned by the pool)
    /// that is on neither list. Whoever swaps it out owns it. Any thread may
    /// swap it out (threads sharing the cell, stealers), so owning the cell
    /// is a matter of speed, never of soundness.
    slot: AtomicU32,
    acquired: ThreadCounter,
    released: ThreadCounter,
}

impl LocalCache {
    fn new() -> Self {
        Self {
            slot: AtomicU32::new(NIL),
            acquired: ThreadCounter::new(),
            released: ThreadCounter::new(),
        }
    }
}

type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;
type ResetHook<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// A lock-free pool of up to `capacity` reusable objects.
///
/// Objects live in the pool's slots and are lent in place: no move, no
/// allocation once warm. Two lock-free stacks of slot indices track the
/// slots: `idle` (holding an object, ready to lend) and `vacant` (empty).
/// Both are [`TaggedIndexStack`]s from nanopath-atomic: a tagged index
/// stack rather than a bitmap because a pop and a push are one CAS each
/// whatever the capacity, and the tag makes the CAS ABA-safe. The tag
/// takes every bit of the head the slot index does not need: 53 bits for
/// 1024 slots, 44 for a million, 32 only at the largest capacities. A
/// stale CAS succeeds only after exactly a multiple of 2^tag-bits pops and
/// pushes while one thread stalls between two instructions (2^44 at 5 ns
/// each: a stall of 24 hours).
///
/// In front of the idle stack sits a per-thread cache of one idle slot
/// (a [`PerThread`] cell: one padded line per thread slot id, sized to the
/// available parallelism, and as many shared by the threads beyond that): a release swaps its slot into the caller's cache (pushing
/// whatever was there onto the stack) and an acquire swaps the cache out
/// first, so a thread that takes and returns objects works on its own cache
/// line and two such threads do not contend. To one thread the cache is the
/// top of the stack (last returned, first lent). The caches are not
/// private: when the stack is empty an acquire takes a slot from any
/// thread's cache, so an idle object is never out of reach because the
/// thread that returned it went quiet. The price is one `xchg` per acquire
/// and per release, where a private cache could use plain loads and stores.
///
/// * [`try_acquire`](Self::try_acquire) lends an idle object or returns
///   `None`: it never calls the factory or the allocator.
/// * [`acquire`](Self::acquire) lends an idle object, or builds one with the
///   factory in a vacant slot, or, when every slot is lent, builds one on
///   the heap (dropped on return, since the pool is full).
/// * [`acquire_timeout`](Self::acquire_timeout) lends an idle object or
///   builds one in a vacant slot, and otherwise waits (spinning, then
///   parking) for a release.
///
/// A returned object passes through the reset hook, then becomes idle.
///
/// # Panics in user code
///
/// The pool never loses a slot to a panic. If the factory panics, the slot
/// it was to fill is vacant again (a waiter is woken to build there) and
/// the panic propagates to the caller. If the reset hook panics, the object
/// is dropped (exactly once), its slot becomes vacant, and the panic
/// propagates out of the drop of the `Pooled`; should the object's `Drop`
/// panic as well, that second panic propagates instead. The pool's
/// capacity is unchanged either way: the next acquire builds a new object
/// in the vacant slot.
///
/// If an idle object's `Drop` panics while the pool is dropped, the pool
/// still drops every other idle object, then resumes the first panic.
///
/// A `Pooled` (or the pool) dropped while its thread is already unwinding
/// from another panic does the same clean-up but swallows the reset hook's
/// (or the object's) panic, since a second panic escaping a destructor
/// would abort the process; the first panic goes on. A `Drop` of the object
/// that panics in that situation aborts, as any destructor panicking during
/// unwinding does.
///
/// ```
/// use nanopath_pool::ObjectPool;
///
/// let pool = ObjectPool::with_reset(2, || Vec::<u8>::with_capacity(4096), |v| v.clear());
/// {
///     let mut buf = pool.acquire();
///     buf.extend_from_slice(b"request");
///     assert_eq!(&buf[..], b"request");
/// } // back in the pool, cleared
/// let buf = pool.try_acquire().expect("an idle buffer");
/// assert!(buf.is_empty() && buf.capacity() >= 4096);
/// assert_eq!(pool.stats().created, 1);
/// ```
pub struct ObjectPool<T> {
    slots: Box<[Slot<T>]>,
    /// Per-thread caches of one idle slot each (checked before `idle`) and
    /// the acquire/release counters.
    caches: PerThread<LocalCache>,
    /// Slots holding an object, ready to lend (linked through `next`).
    idle: TaggedIndexStack,
    /// Slots holding nothing (linked through `next`).
    vacant: TaggedIndexStack,
    factory: Factory<T>,
    reset: Option<ResetHook<T>>,
    /// Threads parked in `acquire_timeout`, woken when a slot becomes idle
    /// or vacant (see `wake_waiter`).
    events: EventCount,
    /// Cold counters (a factory call, a wait, a timeout cost far more than
    /// a shared `fetch_add`): plain atomics, Relaxed.
    created: AtomicU64,
    waited: AtomicU64,
    timeouts: AtomicU64,
}

// SAFETY: objects move between threads through the pool (T: Send); a slot's
// object is touched by one owner at a time (see `Slot`).
unsafe impl<T: Send> Send for ObjectPool<T> {}
// SAFETY: as above; `&ObjectPool` only lends exclusive access to objects.
unsafe impl<T: Send> Sync for ObjectPool<T> {}

impl<T> fmt::Debug for ObjectPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPool")
            .field("capacity", &self.capacity())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<T> ObjectPool<T> {
    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// A snapshot of the counters (each exact; not taken atomically together).
    pub fn stats(&self) -> PoolStats {
        // Relaxed: each counter is exact once its writers happened-before
        // this call; nothing else is read through them.
        let sum = |f: fn(&LocalCache) -> &ThreadCounter| {
            self.caches
                .iter()
                .map(|c| f(c).get())
                .fold(0u64, u64::wrapping_add)
        };
        PoolStats {
            acquired: sum(|c| &c.acquired),
            released: sum(|c| &c.released),
            created: self.created.load(Ordering::Relaxed),
            waited: self.waited.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
        }
    }
}

impl<T: Send> ObjectPool<T> {
    /// A pool of at most `capacity` objects built by `factory` on demand
    /// (capacity is clamped to [`MAX_CAPACITY`]). Allocates the slot array
    /// once; builds nothing until asked.
    ///
    /// The slot array is allocated like a `Vec`'s (an allocation failure
    /// aborts); use [`try_new`](Self::try_new) for a capacity that comes
    /// from outside.
    pub fn new(capacity: usize, factory: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::build(capacity.min(MAX_CAPACITY), Box::new(factory), None)
    }

    /// Like [`new`](Self::new), without clamping and without aborting.
    ///
    /// # Errors
    /// [`CapacityError`] if `capacity` is above [`MAX_CAPACITY`] or the
    /// slot array cannot be allocated.
    ///
    /// ```
    /// use nanopath_pool::ObjectPool;
    ///
    /// assert!(ObjectPool::try_new(usize::MAX, || 0u8).is_err());
    /// let pool = ObjectPool::try_new(8, || 0u8).expect("8 slots");
    /// assert_eq!(pool.capacity(), 8);
    /// ```
    pub fn try_new(
        capacity: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
    ) -> Result<Self, CapacityError> {
        Self::try_build(capacity, Box::new(factory), None)
    }

    /// Like [`with_reset`](Self::with_reset), without clamping and without
    /// aborting.
    ///
    /// # Errors
    /// As [`try_new`](Self::try_new).
    pub fn try_with_reset(
        capacity: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Result<Self, CapacityError> {
        Self::try_build(capacity, Box::new(factory), Some(Box::new(reset)))
    }

    /// Like [`new`](Self::new), with a hook that runs on every object as it
    /// comes back (clear a buffer, reset a parser).
    pub fn with_reset(
        capacity: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::build(
            capacity.min(MAX_CAPACITY),
            Box::new(factory),
            Some(Box::new(reset)),
        )
    }

    fn try_build(
        capacity: usize,
        factory: Factory<T>,
        reset: Option<ResetHook<T>>,
    ) -> Result<Self, CapacityError> {
        let error = CapacityError {
            requested: capacity,
        };
        if capacity > MAX_CAPACITY {
            return Err(error);
        }
        let mut slots = Vec::new();
        slots.try_reserve_exact(capacity).map_err(|_| error)?;
        Ok(Self::build_in(slots, capacity, factory, reset))
    }

    /// `capacity` is at most [`MAX_CAPACITY`].
    fn build(capacity: usize, factory: Factory<T>, reset: Option<ResetHook<T>>) -> Self {
        Self::build_in(Vec::with_capacity(capacity), capacity, factory, reset)
    }

    /// Builds the pool in `slots` (empty, with room for `capacity` slots;
    /// `capacity` at most [`MAX_CAPACITY`]).
    fn build_in(
        mut slots: Vec<Slot<T>>,
        capacity: usize,
        factory: Factory<T>,
        reset: Option<ResetHook<T>>,
    ) -> Self {
        slots.extend((0..capacity).map(|i| Slot {
            value: UnsafeCell::new(MaybeUninit::uninit()),
            // Every slot starts vacant, linked in index order.
            next: AtomicU32::new(if i + 1 < capacity { i as u32 + 1 } else { NIL }),
        }));
        // Fewest caches for an empty pool: a cache only ever holds a slot.
        let caches = if capacity == 0 {
            PerThread::with_shards(1, LocalCache::new)
        } else {
            PerThread::new(LocalCache::new)
        };
        Self {
            slots: slots.into_boxed_slice(),
            caches,
            // Bounded by the capacity: the fewer slots, the wider the ABA
            // tag (53 bits for 1024 slots; see TaggedIndexStack).
            idle: TaggedIndexStack::bounded(capacity as u32, NIL),
            vacant: TaggedIndexStack::bounded(capacity as u32, if capacity == 0 { NIL } else { 0 }),
            factory,
            reset,
            events: EventCount::new(),
            created: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
        }
    }

    /// Builds up to `count` objects with the factory into vacant slots
    /// (fewer once no slot is vacant), ready to lend; returns how many
    /// were built. Objects already idle are not counted.
    ///
    /// ```
    /// let pool = nanopath_pool::ObjectPool::new(3, || 0u8);
    /// assert_eq!(pool.prefill(2), 2);
    /// assert_eq!(pool.prefill(2), 1, "one slot was left");
    /// assert_eq!(pool.stats().created, 3);
    /// ```
    pub fn prefill(&self, count: usize) -> usize {
        let mut built = 0;
        while built < count {
            let Some(index) = self.vacant.pop(self.link()) else {
                break;
            };
            self.fill(index);
            self.idle.push(index, self.link());
            // A waiter may have parked while the factory ran.
            self.wake_waiter();
            built += 1;
        }
        built
    }

    /// Lends an idle object, or `None` if none is idle. Never calls the
    /// factory or the allocator. Lock-free.
    #[inline]
    pub fn try_acquire(&self) -> Option<Pooled<'_, T>> {
        let index = self.take_idle_counted()?;
        Some(Pooled {
            pool: self,
            object: Object::Slot(index),
        })
    }

    /// Lends an idle object, or builds one: in a vacant slot if there is
    /// one, otherwise on the heap (that object is dropped when returned,
    /// since every slot is then occupied).
    #[inline]
    pub fn acquire(&self) -> Pooled<'_, T> {
        Pooled {
            pool: self,
            object: self.take_or_build(),
        }
    }

    /// Lends an idle object or builds one in a vacant slot; when every slot
    /// is lent, spins briefly and then parks until an object comes back or
    /// a slot becomes vacant (a release, a `detach`, a failed build), or
    /// `timeout` passes.
    ///
    /// `Duration::ZERO` looks once and never waits; a timeout too large to
    /// add to the current `Instant` (such as `Duration::MAX`) waits with no
    /// deadline.
    ///
    /// # Errors
    /// [`Timeout`] if no object came back in time.
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<Pooled<'_, T>, Timeout> {
        let index = self.wait_for_slot(timeout)?;
        self.count_acquired();
        Ok(Pooled {
            pool: self,
            object: Object::Slot(index),
        })
    }

    /// Like [`acquire`](Self::acquire), for a pool shared through an `Arc`:
    /// the object is `'static + Send` and can move to another thread.
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedPooled<T> {
        OwnedPooled {
            object: self.take_or_build(),
            pool: Arc::clone(self),
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), for a pool shared through an
    /// `Arc`.
    pub fn try_acquire_owned(self: &Arc<Self>) -> Option<OwnedPooled<T>> {
        let index = self.take_idle_counted()?;
        Some(OwnedPooled {
            object: Object::Slot(index),
            pool: Arc::clone(self),
        })
    }

    #[inline]
    fn take_or_build(&self) -> Object<T> {
        match self.take_idle_counted() {
            Some(index) => Object::Slot(index),
            None => self.build_counted(),
        }
    }

    /// `acquire` with nothing idle: build in a vacant slot or on the heap.
    /// Out of line so the hot path's frame does not hold a `T` (for a
    /// 4 KiB object, a stack probe on every call).
    #[cold]
    #[inline(never)]
    fn build_counted(&self) -> Object<T> {
        let object = if let Some(index) = self.vacant.pop(self.link()) {
            self.fill(index);
            Object::Slot(index)
        } else {
            let object = Object::Heap(Box::new((self.factory)()));
            self.created.fetch_add(1, Ordering::Relaxed);
            object
        };
        // Counted once built: a factory that panics lends nothing.
        self.count_acquired();
        object
    }

    /// Claims an idle slot (`Ok`) or a vacant one (`Err`, to be filled);
    /// no factory call, so it may run under `lock`.
    fn claim(&self) -> Option<Result<u32, u32>> {
        match self.take_idle() {
            Some(index) => Some(Ok(index)),
            None => self.vacant.pop(self.link()).map(Err),
        }
    }

    /// The slot of a [`claim`](Self::claim), filled if it was vacant.
    fn claimed(&self, claim: Result<u32, u32>) -> u32 {
        match claim {
            Ok(index) => index,
            Err(index) => {
                self.fill(index);
                index
            }
        }
    }

    fn wait_for_slot(&self, timeout: Duration) -> Result<u32, Timeout> {
        if let Some(claim) = self.claim() {
            return Ok(self.claimed(claim));
        }
        // No slot will ever free up in a pool of capacity 0: waiting (even
        // for `Duration::MAX`) would never end.
        if timeout.is_zero() || self.slots.is_empty() {
            self.timeouts.fetch_add(1, Ordering::Relaxed);
            return Err(Timeout);
        }
        // `None`: too far off to represent, so no deadline at all.
        let deadline = std::time::Instant::now().checked_add(timeout);
        self.waited.fetch_add(1, Ordering::Relaxed);
        // Spin, then yield, before parking. Not under loom: there every
        // snooze hands the other threads the CPU, so a model would never
        // reach the parking protocol it is there to check.
        #[cfg(not(nanopath_loom))]
        {
            let backoff = Backoff::new();
            while !backoff.is_completed() {
                backoff.snooze();
                if let Some(claim) = self.claim() {
                    return Ok(self.claimed(claim));
                }
            }
        }
        let claim = loop {
            // Register, re-check, park: whoever frees a slot either sees
            // our registration and wakes us, or we see what it freed (see
            // `wake_waiter`).
            let key = self.events.prepare_wait();
            if let Some(claim) = self.claim() {
                key.cancel();
                break claim;
            }
            if !key.wait_until(deadline) {
                // One last look before giving up.
                if let Some(claim) = self.claim() {
                    break claim;
                }
                self.timeouts.fetch_add(1, Ordering::Relaxed);
                return Err(Timeout);
            }
        };
        // The factory (for a vacant slot) runs outside any lock: it may be
        // slow, and if it panics, `fill` wakes the other waiters.
        Ok(self.claimed(claim))
    }

    /// The calling thread's cache, and whether the thread owns it (see
    /// [`PerThread::current`]).
    #[inline]
    fn local(&self) -> (&LocalCache, bool) {
        self.caches.current()
    }

    /// The slots' list links, for the idle and vacant stacks.
    #[inline]
    fn link<'a>(&'a self) -> impl Fn(u32) -> &'a AtomicU32 + 'a {
        |index| &self.slots[index as usize].next
    }

    fn count_acquired(&self) {
        let (cache, owner) = self.local();
        cache.acquired.add(1, owner);
    }

    /// [`take_idle`](Self::take_idle), counting the acquire when it
    /// succeeds; the hot path of every acquire.
    #[inline]
    fn take_idle_counted(&self) -> Option<u32> {
        let (cache, owner) = self.local();
        let index = take_cached(cache);
        let index = if index == NIL {
            self.take_shared()?
        } else {
            index
        };
        cache.acquired.add(1, owner);
        Some(index)
    }

    /// Takes an idle slot: the calling thread's cache, else the shared idle
    /// stack, else another thread's cache. `None` only if no slot was idle
    /// anywhere we looked.
    fn take_idle(&self) -> Option<u32> {
        let index = take_cached(self.local().0);
        if index == NIL {
            self.take_shared()
        } else {
            Some(index)
        }
    }

    /// The shared stack, else another thread's cache.
    #[inline(never)]
    fn take_shared(&self) -> Option<u32> {
        self.idle.pop(self.link()).or_else(|| self.steal())
    }

    /// Takes a slot from any thread's cache (the slow path of `take_idle`).
    #[cold]
    fn steal(&self) -> Option<u32> {
        self.caches.iter().find_map(|cache| {
            // Look before swapping so an empty pool's scan writes no shared
            // line. SeqCst like `take_idle`.
            if cache.slot.load(Ordering::SeqCst) == NIL {
                return None;
            }
            let index = cache.slot.swap(NIL, Ordering::SeqCst);
            (index != NIL).then_some(index)
        })
    }

    /// Makes slot `index` (owned by the caller, initialised) idle: it goes
    /// in the calling thread's cache, and whatever the cache held goes on
    /// the shared stack. To a single thread the cache is the top of one
    /// stack (last returned, first lent).
    #[inline]
    fn make_idle(&self, cache: &LocalCache, index: u32) {
        // Release publishes the object (and the reset hook's writes) to the
        // next owner; Acquire because we take ownership of the displaced
        // slot. SeqCst puts the release in the waiters' total order.
        let displaced = cache.slot.swap(index, Ordering::SeqCst);
        if displaced != NIL {
            self.idle.push(displaced, self.link());
        }
    }

    /// Builds an object with the factory into vacant slot `index` (owned by
    /// the caller). If the factory panics, the slot is vacant again and a
    /// waiter is woken to build there.
    fn fill(&self, index: u32) {
        /// Puts the slot back on the vacant list unless forgotten.
        struct Vacate<'a, T: Send> {
            pool: &'a ObjectPool<T>,
            index: u32,
        }
        impl<T: Send> Drop for Vacate<'_, T> {
            fn drop(&mut self) {
                self.pool.vacate(self.index);
            }
        }
        let vacate = Vacate { pool: self, index };
        let value = (self.factory)();
        core::mem::forget(vacate);
        self.created.fetch_add(1, Ordering::Relaxed);
        // SAFETY: we popped `index` off the vacant list, so we own the slot
        // and it is uninitialised.
        unsafe {
            self.slots[index as usize]
                .value
                .with_mut(|p| (*p).write(value));
        }
    }

    /// Resets the object in slot `index` (owned by the caller) and makes it
    /// idle, waking a waiter if there is one.
    ///
    /// If the reset hook panics, the object is dropped, the slot becomes
    /// vacant (waking a waiter), and the panic is resumed.
    fn give_back_slot(&self, index: u32) {
        if let Some(reset) = &self.reset {
            // SAFETY: the caller owns the slot and it is initialised; the
            // `&mut` lives only for the call, and nobody else can reach it.
            let object = unsafe { &mut *self.slot_ptr_mut(index) };
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| reset(object))) {
                // SAFETY: the caller owns the slot and it is initialised;
                // after the read it is uninitialised, and `vacate` hands it
                // on as such.
                let value = unsafe {
                    self.slots[index as usize]
                        .value
                        .with_mut(|p| (*p).assume_init_read())
                };
                self.count_released();
                self.vacate(index);
                // Not while unwinding: a panicking `Drop` propagates
                // instead of aborting the process.
                drop(value);
                resume_unless_unwinding(panic);
                return;
            }
        }
        let (cache, owner) = self.local();
        self.make_idle(cache, index);
        // Counted after the swap: a store still in the store buffer would
        // have to drain before the `xchg` could complete.
        cache.released.add(1, owner);
        self.wake_waiter();
    }

    #[cold]
    fn give_back_heap(&self, mut object: Box<T>) {
        let (cache, owner) = self.local();
        cache.released.add(1, owner);
        // Every slot was occupied when it was built; if a slot has become
        // vacant since (a `detach`), keep the object there.
        if let Some(index) = self.vacant.pop(self.link()) {
            if let Some(reset) = &self.reset
                && let Err(panic) = catch_unwind(AssertUnwindSafe(|| reset(&mut object)))
            {
                // The slot stays vacant; the object is dropped (not while
                // unwinding, so a panicking `Drop` propagates).
                self.vacate(index);
                drop(object);
                resume_unless_unwinding(panic);
                return;
            }
            // SAFETY: we own the vacant slot; it is uninitialised.
            unsafe {
                self.slots[index as usize]
                    .value
                    .with_mut(|p| (*p).write(*object));
            }
            self.make_idle(cache, index);
            self.wake_waiter();
        }
        // Otherwise the pool is full: `object` is dropped here.
    }

    /// Makes slot `index` (owned by the caller, uninitialised) vacant and
    /// wakes a waiter, which may build in it.
    fn vacate(&self, index: u32) {
        self.vacant.push(index, self.link());
        self.wake_waiter();
    }

    /// Counts one release by the calling thread.
    fn count_released(&self) {
        let (cache, owner) = self.local();
        cache.released.add(1, owner);
    }

    /// Wakes the parked waiters, if any, after a slot became idle or vacant.
    fn wake_waiter(&self) {
        // No lost wake-up: the write that freed the slot was a SeqCst RMW
        // (the swap into our cache in `make_idle`, or the SeqCst push CAS
        // on the idle or vacant stack), so the fence-free notification
        // applies: if its SeqCst load misses a waiter's registration, the
        // waiter's fence comes later in the SeqCst order and its re-check,
        // which looks at every cache and both stacks, sees the slot we
        // freed (or a later state, in which another thread owns it and
        // will free it in turn). No fence on the release path: a fence
        // measured a third of the release cost.
        self.events.notify_all_after_seqcst();
    }

    /// Moves the object out of slot `index` (owned by the caller) and makes
    /// the slot vacant.
    fn detach_slot(&self, index: u32) -> T {
        // SAFETY: the caller owns the slot and it is initialised; after the
        // read it is treated as uninitialised (pushed on the vacant list).
        let value = unsafe {
            self.slots[index as usize]
                .value
                .with_mut(|p| (*p).assume_init_read())
        };
        // A waiter may build in the vacant slot.
        self.vacate(index);
        value
    }

    /// The lent object's value.
    ///
    /// # Safety
    /// `object` was lent by this pool and is still out (its slot, if any,
    /// is owned by the caller).
    #[inline]
    unsafe fn get<'a>(&'a self, object: &'a Object<T>) -> &'a T {
        match object {
            // SAFETY: the caller owns the slot and it is initialised; the
            // borrow is tied to `&object`, so the only other accesses while
            // it lives are more shared ones (`slot_ptr` makes no `&mut`).
            Object::Slot(index) => unsafe { &*self.slot_ptr(*index) },
            Object::Heap(b) => b,
        }
    }

    /// [`get`](Self::get), mutably.
    ///
    /// # Safety
    /// As `get`; `&mut object` makes the access exclusive.
    #[inline]
    unsafe fn get_mut<'a>(&'a self, object: &'a mut Object<T>) -> &'a mut T {
        match object {
            // SAFETY: as in `get`, exclusive through `&mut object`.
            Object::Slot(index) => unsafe { &mut *self.slot_ptr_mut(*index) },
            Object::Heap(b) => b,
        }
    }

    /// Takes back a lent object (reset, then idle; or dropped if it lived
    /// on the heap and the pool is full).
    #[inline]
    fn give_back(&self, object: Object<T>) {
        match object {
            Object::Slot(index) => self.give_back_slot(index),
            Object::Heap(b) => self.give_back_heap(b),
        }
    }

    /// Takes a lent object out of the pool for good (its slot, if any,
    /// becomes vacant).
    fn detach_object(&self, object: Object<T>) -> T {
        match object {
            Object::Slot(index) => self.detach_slot(index),
            Object::Heap(b) => *b,
        }
    }

    /// A pointer for shared access to slot `index`'s object, made without
    /// a `&mut` (so two shared derefs of one `Pooled`, or of one `&Pooled`
    /// on two threads, never conflict).
    #[inline]
    fn slot_ptr(&self, index: u32) -> *const T {
        // Only the owner of the slot calls this (see `Pooled`), and it
        // writes through the pointer only via `T`'s interior mutability.
        // `MaybeUninit<T>` has `T`'s layout, so the cast is in bounds.
        self.slots[index as usize].value.with(|p| p.cast::<T>())
    }

    /// A pointer for exclusive access to slot `index`'s object.
    #[inline]
    fn slot_ptr_mut(&self, index: u32) -> *mut T {
        // Only the owner of the slot calls this, with exclusive access to
        // the object (`&mut Pooled`, or the slot off every list).
        // `MaybeUninit<T>` has `T`'s layout, so the cast is in bounds.
        self.slots[index as usize].value.with_mut(|p| p.cast::<T>())
    }
}

impl<T> Drop for ObjectPool<T> {
    fn drop(&mut self) {
        // `&mut self`: nothing is lent (lenders borrow the pool or hold an
        // `Arc` to it). Idle slots (cached or stacked) hold objects; drop
        // them once each. A panicking `Drop` does not stop the others: the
        // first panic is resumed once every object is dropped.
        let mut panic = None;
        let mut drop_slot = |index: u32| {
            let slot = &self.slots[index as usize];
            // SAFETY: an idle slot (cached or stacked) is initialised and
            // owned by the pool; each is visited once, and never again
            // after this (the pool is going away).
            let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
                slot.value.with_mut(|p| (*p).assume_init_drop())
            }));
            if let Err(payload) = dropped {
                panic.get_or_insert(payload);
            }
        };
        for cache in self.caches.iter() {
            let index = cache.slot.load(Ordering::Relaxed);
            if index != NIL {
                drop_slot(index);
            }
        }
        while let Some(index) = self.idle.pop(|i| &self.slots[i as usize].next) {
            drop_slot(index);
        }
        if let Some(payload) = panic {
            resume_unless_unwinding(payload);
        }
    }
}

/// Resumes a panic caught from user code, unless the thread is already
/// unwinding (a `Pooled` or the pool dropped during another panic): a
/// second panic escaping a destructor would abort the process, so that one
/// is dropped and the first goes on.
fn resume_unless_unwinding(payload: Box<dyn core::any::Any + Send>) {
    if !std::thread::panicking() {
        resume_unwind(payload);
    }
}

/// Swaps the cached slot out of `cache` (`NIL` if there was none).
#[inline]
fn take_cached(cache: &LocalCache) -> u32 {
    // Acquire pairs with the Release in `make_idle`'s swap: the releaser's
    // reset writes are visible once we own the slot. SeqCst (an `xchg`
    // either way on x86) for the waiter's re-check; see `wake_waiter`.
    cache.slot.swap(NIL, Ordering::SeqCst)
}

/// Where a lent object lives.
enum Object<T> {
    /// In a slot the lender owns (initialised).
    Slot(u32),
    /// On the heap: built when every slot was occupied.
    Heap(Box<T>),
}

/// An object borrowed from an [`ObjectPool`]; returned (reset, then idle)
/// when dropped.
#[must_use = "the object goes back to the pool as soon as it is dropped"]
pub struct Pooled<'a, T: Send> {
    pool: &'a ObjectPool<T>,
    object: Object<T>,
}

impl<T: Send> Pooled<'_, T> {
    /// Takes the object out of the pool for good; its slot becomes vacant
    /// (a later `acquire` builds a new object there).
    pub fn detach(self) -> T {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; `object` is moved
        // out once.
        let object = unsafe { core::ptr::read(&this.object) };
        this.pool.detach_object(object)
    }
}

impl<T: Send> Deref for Pooled<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `object` is lent by `pool` and out until we drop.
        unsafe { self.pool.get(&self.object) }
    }
}

impl<T: Send> DerefMut for Pooled<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`.
        unsafe { self.pool.get_mut(&mut self.object) }
    }
}

impl<T: Send> Drop for Pooled<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.pool
            .give_back(core::mem::replace(&mut self.object, Object::Slot(NIL)));
    }
}

impl<T: Send + fmt::Debug> fmt::Debug for Pooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// An object lent from a pool held in an `Arc`: `'static` and `Send`, so it
/// can be handed to another thread. Returned when dropped.
#[must_use = "the object goes back to the pool as soon as it is dropped"]
pub struct OwnedPooled<T: Send> {
    pool: Arc<ObjectPool<T>>,
    object: Object<T>,
}

// SAFETY: the object is exclusively ours (T: Send), the pool is Sync.
unsafe impl<T: Send> Send for OwnedPooled<T> {}
// SAFETY: `&OwnedPooled` only gives `&T`.
unsafe impl<T: Send + Sync> Sync for OwnedPooled<T> {}

impl<T: Send> OwnedPooled<T> {
    /// Takes the object out of the pool for good (see [`Pooled::detach`]).
    pub fn detach(self) -> T {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; each field is
        // moved out once.
        let (pool, object) =
            unsafe { (core::ptr::read(&this.pool), core::ptr::read(&this.object)) };
        pool.detach_object(object)
    }
}

impl<T: Send> Deref for OwnedPooled<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `object` is lent by `pool` and out until we drop.
        unsafe { self.pool.get(&self.object) }
    }
}

impl<T: Send> DerefMut for OwnedPooled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`.
        unsafe { self.pool.get_mut(&mut self.object) }
    }
}

impl<T: Send> Drop for OwnedPooled<T> {
    fn drop(&mut self) {
        self.pool
            .give_back(core::mem::replace(&mut self.object, Object::Slot(NIL)));
    }
}

impl<T: Send + fmt::Debug> fmt::Debug for OwnedPooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
