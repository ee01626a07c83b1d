//! The bounded ring under [`mpmc`](crate::mpmc) and the bounded
//! [`mpsc`](crate::mpsc) queue: per-slot sequence numbers ("stamps").
//!
//! # Algorithm
//!
//! Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue", 1024cores.net,
//! 2010): every slot carries a stamp that says whose turn it is, so a
//! producer and a consumer hand a slot over through that one word and never
//! read the other side's index on the fast path.
//!
//! Positions are `lap | index` with `index < capacity` and `lap` a multiple
//! of `one_lap = (capacity + 1).next_power_of_two()`, so the capacity is
//! exact (no power-of-two rounding) while the slot index is still a mask,
//! not a division. For the slot of position `p`:
//!
//! * `stamp == p`: free, the producer that claims `p` may write it;
//! * `stamp == p + 1`: written, the consumer that claims `p` may read it;
//! * after the read, `stamp = p + one_lap`: free for the next lap.
//!
//! A producer claims position `tail` by CAS-ing `tail` forward after seeing
//! the slot free; a consumer claims `head` the same way after seeing it
//! written (the single consumer of an MPSC queue claims with a plain store,
//! since nobody competes). Batch operations check several consecutive stamps
//! and claim them all with one CAS.
//!
//! Orderings: the stamp store after writing (or moving out) a value is
//! **Release**, and the stamp load before reading (or overwriting) it is
//! **Acquire**, so each hand-over of a slot is a happens-before edge. The
//! slot's stamp carries the data. The `head`/`tail` CASes arbitrate among
//! threads on the same side, and are **Release** (loads of the same index
//! **Acquire**) for the empty and full checks: a pop that has read `head`
//! then also sees every push made before each pop counted in that `head`,
//! so its `tail == head` test cannot see an old `tail` next to a newer
//! `head` and call a non-empty queue empty (and the same for pushes). They
//! are in fact **SeqCst** on success, for the blocking channels above: a
//! claim is then a `SeqCst` write of the very word (`tail` for a push,
//! `head` for a pop) that the other side's empty or full check reads, so a
//! channel can notify parked threads after it without a fence
//! (`EventCount::notify_one_after_seqcst`). On x86-64 every CAS is a locked
//! instruction anyway, so none of this costs anything over Relaxed; on
//! AArch64 a `SeqCst` CAS is `casal` where a Release one would be `casl`.
//!
//! Empty and full (after crossbeam's `ArrayQueue`): a pop that finds the
//! slot at `head` not yet written reloads `tail`, and reports empty only if
//! `tail == head`, that is, if no push had even claimed a slot at that
//! load; otherwise a producer is between its claim and its stamp store, and
//! the pop backs off and tries again. Symmetrically a push that finds the
//! slot at `tail` still taken reports full only if `head` is exactly one lap
//! behind (`capacity` items claimed and not yet claimed by a pop), and
//! otherwise waits for the pop that is moving the old value out. So "empty"
//! and "full" are each true at some instant during the call: a pop never
//! misses a completed push because an earlier slot is still being written.
//! A batch returns 0 under the same rule, but may stop early at a slot that
//! is still being handed over.
//!
//! Progress: a push or pop that finds its slot ready retries only when its
//! CAS lost to another thread that claimed the same position. A thread
//! stalled between its claim and its stamp store, however, holds up the
//! others: pops that reach its slot wait for it (spinning, then yielding
//! the time slice), and so do pushes a lap later. The queue is therefore
//! not lock-free in the strict sense, exactly like crossbeam's
//! `ArrayQueue`: the price of reporting empty and full only when true.

use crate::error::{CapacityError, Full};
use crate::sync::{AtomicUsize, Ordering, Shadow};
use crate::unwind::drop_each;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr;
use nanopath_atomic::{Backoff, CachePadded};

/// The pause before an empty or full check reads the other side's index
/// line (see `Ring::empty_at`): a hardware hint only, so not in loom
/// builds. There a spin hint is a yield, which would hand the CPU to the
/// other thread at every empty or full check: a model would never see a
/// check fail where the other side could still act, and a blocked channel
/// above the ring would never reach its park path. The waits around the
/// checks yield on their own (`Backoff::snooze`).
#[inline(always)]
fn pause_before_other_line() {
    #[cfg(not(nanopath_loom))]
    crate::sync::spin_loop();
}

/// One slot: a stamp and a value that is initialised exactly when
/// `stamp == p + 1` for the slot's current position `p`.
struct Slot<T> {
    /// Whose turn it is (see the module docs).
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
    /// Loom access tracking (a zero-sized no-op otherwise).
    #[cfg(nanopath_loom)]
    shadow: Shadow,
}

impl<T> Slot<T> {
    #[inline(always)]
    fn shadow(&self) -> &Shadow {
        #[cfg(nanopath_loom)]
        return &self.shadow;
        #[cfg(not(nanopath_loom))]
        &Shadow::NONE
    }
}

/// A bounded ring of stamped slots.
pub(crate) struct Ring<T> {
    /// The next position to read. Every position before it has been claimed
    /// by a consumer.
    head: CachePadded<AtomicUsize>,
    /// The next position to write. Every position before it has been
    /// claimed by a producer; `tail` is at most one lap ahead of `head`.
    tail: CachePadded<AtomicUsize>,
    /// `capacity` slots; slot `i` starts with stamp `i` (free, lap 0).
    slots: Box<[Slot<T>]>,
    /// Exact capacity, `1..=Ring::<T>::max_capacity()`.
    capacity: usize,
    /// `(capacity + 1).next_power_of_two()`: the distance between a
    /// position and the same slot's position one lap later.
    one_lap: usize,
}

// SAFETY: values move in from one thread and out on another through the
// stamp hand-over (a happens-before edge per slot), and no `&T` is ever
// shared, so `T: Send` is all a ring needs to be used from many threads.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as for `Send`: all shared access goes through atomics, and each
// value cell is accessed by the one thread that claimed its position.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// The largest capacity a ring of `T` supports: positions need two
    /// spare bits (`usize::MAX / 4`), and the slots (a stamp and a `T`
    /// each) must fit in one allocation of at most `isize::MAX` bytes.
    pub(crate) const fn max_capacity() -> usize {
        // `Layout::array`'s own limit; a slot is never zero-sized (its
        // stamp is a `usize`).
        let fits = (isize::MAX as usize - (align_of::<Slot<T>>() - 1)) / size_of::<Slot<T>>();
        if fits < usize::MAX / 4 {
            fits
        } else {
            usize::MAX / 4
        }
    }

    /// A ring of exactly `capacity` slots (at least one). Allocation
    /// failure for an accepted capacity aborts, as for `Vec`.
    pub(crate) fn new(capacity: usize) -> Result<Self, CapacityError> {
        let maximum = Self::max_capacity();
        if capacity == 0 || capacity > maximum || Layout::array::<Slot<T>>(capacity).is_err() {
            return Err(CapacityError {
                requested: capacity,
                minimum: 1,
                maximum,
            });
        }
        let slots = (0..capacity)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
                #[cfg(nanopath_loom)]
                shadow: Shadow::default(),
            })
            .collect();
        Ok(Ring {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots,
            capacity,
            one_lap: (capacity + 1).next_power_of_two(),
        })
    }

    /// Exact capacity.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    #[inline(always)]
    fn slot(&self, pos: usize) -> &Slot<T> {
        let index = pos & (self.one_lap - 1);
        debug_assert!(index < self.capacity);
        // SAFETY: every position is `lap | index` with `index < capacity`
        // (built by `advance` from 0), and `slots.len() == capacity`.
        unsafe { self.slots.get_unchecked(index) }
    }

    /// The position `n` (at most `capacity`) after `pos`.
    #[inline(always)]
    fn advance(&self, pos: usize, n: usize) -> usize {
        let index = pos & (self.one_lap - 1);
        let lap = pos & !(self.one_lap - 1);
        if index + n < self.capacity {
            pos + n
        } else {
            lap.wrapping_add(self.one_lap) + (index + n - self.capacity)
        }
    }

    /// How far `stamp` is from `expected`: zero when equal, negative when
    /// the slot is a turn behind, positive when ahead (positions never drift
    /// more than a lap apart, so the wrapped difference is meaningful).
    #[inline(always)]
    fn turn(stamp: usize, expected: usize) -> isize {
        stamp.wrapping_sub(expected) as isize
    }

    /// How many of the `max` positions from `pos` have a stamp equal to
    /// `pos + offset` (`offset` 0: free, 1: written), stopping at the first
    /// that does not; also returns the position after the last one counted.
    #[inline]
    fn run(&self, pos: usize, offset: usize, max: usize) -> (usize, usize) {
        let mut n = 0;
        let mut end = pos;
        while n < max {
            // Acquire: pairs with the Release stamp store of the thread that
            // handed the slot over, as in `try_push` / `try_pop_shared`.
            if self.slot(end).stamp.load(Ordering::Acquire) != end.wrapping_add(offset) {
                break;
            }
            n += 1;
            end = self.advance(end, 1);
        }
        (n, end)
    }

    /// Writes `value` into the claimed position `pos` and hands it to the
    /// consumers.
    ///
    /// # Safety
    ///
    /// The caller claimed `pos` (moved `tail` past it) after seeing its slot
    /// free.
    #[inline(always)]
    unsafe fn write(&self, pos: usize, value: T) {
        // SAFETY: forwarded; `slot(pos)` is that position's slot.
        unsafe { Self::write_slot(self.slot(pos), pos, value) }
    }

    /// [`write`](Self::write) for a caller that already holds the slot of
    /// `pos` (the claim loop looked at its stamp): the slot is not looked
    /// up again after the claim, whose CAS makes the compiler reload the
    /// ring's fields that the lookup needs.
    ///
    /// # Safety
    ///
    /// As for `write`, and `slot` is `pos`'s slot.
    #[inline(always)]
    unsafe fn write_slot(slot: &Slot<T>, pos: usize, value: T) {
        slot.shadow().write();
        // SAFETY: the claim makes us the only thread touching this slot
        // until the stamp store below (caller's contract).
        unsafe { (*slot.value.get()).write(value) };
        // Release: the write above happens-before the consumer's read.
        slot.stamp.store(pos.wrapping_add(1), Ordering::Release);
    }

    /// Moves the value out of the claimed position `pos` and hands the slot
    /// back to the producers for the next lap.
    ///
    /// # Safety
    ///
    /// The caller claimed `pos` (moved `head` past it) after seeing its slot
    /// written.
    #[inline(always)]
    unsafe fn read(&self, pos: usize) -> T {
        // SAFETY: forwarded; `slot(pos)` is that position's slot.
        unsafe { self.read_slot(self.slot(pos), pos) }
    }

    /// [`read`](Self::read) for a caller that already holds the slot of
    /// `pos` (see [`write_slot`](Self::write_slot)).
    ///
    /// # Safety
    ///
    /// As for `read`, and `slot` is `pos`'s slot.
    #[inline(always)]
    unsafe fn read_slot(&self, slot: &Slot<T>, pos: usize) -> T {
        slot.shadow().write();
        // SAFETY: the slot holds an initialised value (stamp `pos + 1`, seen
        // with Acquire) and our claim gives us sole access to it.
        let value = unsafe { (*slot.value.get()).assume_init_read() };
        // Release: our move-out happens-before the next producer's write.
        slot.stamp
            .store(pos.wrapping_add(self.one_lap), Ordering::Release);
        value
    }

    /// Pushes `value`, or gives it back when the queue is full.
    #[inline]
    pub(crate) fn try_push(&self, value: T) -> Result<(), Full<T>> {
        let backoff = Backoff::new();
        // Acquire: pairs with the Release claims of earlier producers, for
        // `full_at` (see the module docs).
        let mut tail = self.tail.load(Ordering::Acquire);
        loop {
            let slot = self.slot(tail);
            // Acquire: pairs with the consumer's Release in `read`.
            let stamp = slot.stamp.load(Ordering::Acquire);
            let turn = Self::turn(stamp, tail);
            if turn == 0 {
                let next = self.advance(tail, 1);
                // The CAS decides which producer owns `tail`; the slot's
                // stamp already ordered the data. Release on success,
                // Acquire on failure: for `full_at`, as for the load above;
                // SeqCst on success for the channels' fence-free notify
                // (module docs).
                match self.tail.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::SeqCst,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        // SAFETY: we claimed `tail` after seeing its slot
                        // free.
                        unsafe { Self::write_slot(slot, tail, value) };
                        return Ok(());
                    }
                    Err(current) => {
                        // Lost to another producer: back off before the
                        // next attempt, so the two stop colliding on the
                        // `tail` line.
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if turn < 0 {
                // The slot still holds last lap's value: full, or a pop is
                // moving that value out right now.
                if self.full_at(tail) {
                    return Err(Full(value));
                }
                backoff.snooze();
                // Acquire: as above.
                tail = self.tail.load(Ordering::Acquire);
            } else {
                // Another producer claimed `tail` already. Acquire: as above.
                tail = self.tail.load(Ordering::Acquire);
            }
        }
    }

    /// `true` if the ring is full now: called by a push that saw the slot
    /// at its `tail` still taken, it tells a full ring from a pop that is
    /// still moving the old value out (see the module docs).
    #[inline]
    fn full_at(&self, tail: usize) -> bool {
        // Relaxed: `head` is only compared here, no data is read through
        // it. The caller read `tail` with Acquire, so every pop made before
        // a push counted in `tail` happened-before this load, which sees
        // it (and this thread's own pops). `head` is never more than a lap
        // behind `tail`, so exactly a lap means `capacity` claimed, unpopped
        // items.
        //
        // One pause first, as in `empty_at` for the consumers' line.
        pause_before_other_line();
        let head = self.head.load(Ordering::Relaxed);
        head.wrapping_add(self.one_lap) == tail
    }

    /// `true` if the ring is empty now: called by a pop that saw the slot
    /// at its `head` not yet written, it tells an empty ring from a push
    /// that is still writing (see the module docs).
    #[inline]
    fn empty_at(&self, head: usize) -> bool {
        // Relaxed: as in `full_at`, with the sides swapped (the caller read
        // `head` with Acquire, or is the only consumer); `tail` is never
        // behind `head`, so equal means nothing is claimed.
        //
        // One pause first: a consumer polling an empty ring reads the line
        // every producer's claim writes, and without a pause it takes that
        // line away at every poll, so each claim misses (a one-producer,
        // one-consumer transfer measured five times slower).
        pause_before_other_line();
        self.tail.load(Ordering::Relaxed) == head
    }

    /// Pushes the longest prefix of `items` that fits, claiming every slot
    /// with one CAS; removes what it pushed from `items` and returns how
    /// many (0 only if the ring was full). It may push fewer than fit when
    /// a slot on the way is still being emptied by a pop.
    pub(crate) fn push_batch(&self, items: &mut Vec<T>) -> usize {
        let want = items.len().min(self.capacity);
        if want == 0 {
            return 0;
        }
        let backoff = Backoff::new();
        // Acquire: as in `try_push`.
        let mut tail = self.tail.load(Ordering::Acquire);
        let (n, start) = loop {
            let (n, end) = self.run(tail, 0, want);
            if n == 0 {
                // Acquire: as in `try_push`.
                let stamp = self.slot(tail).stamp.load(Ordering::Acquire);
                if Self::turn(stamp, tail) < 0 {
                    if self.full_at(tail) {
                        return 0;
                    }
                    backoff.snooze();
                }
                // Acquire: as in `try_push`.
                tail = self.tail.load(Ordering::Acquire);
                continue;
            }
            // SeqCst / Acquire: as in `try_push`.
            match self
                .tail
                .compare_exchange_weak(tail, end, Ordering::SeqCst, Ordering::Acquire)
            {
                Ok(_) => break (n, tail),
                Err(current) => tail = current,
            }
        };
        let base = items.as_mut_ptr();
        let mut pos = start;
        for i in 0..n {
            // SAFETY: `i < n <= items.len()`; each value is read out exactly
            // once and the vector forgets them below.
            let value = unsafe { base.add(i).read() };
            // SAFETY: we claimed the `n` positions from `start`, all free.
            unsafe { self.write(pos, value) };
            pos = self.advance(pos, 1);
        }
        let rest = items.len() - n;
        // SAFETY: the first `n` values were moved out; shift the remaining
        // `rest` down (regions may overlap, so `copy`) and shrink the length
        // so the vector owns exactly the values it still holds.
        unsafe {
            ptr::copy(base.add(n), base, rest);
            items.set_len(rest);
        }
        n
    }

    /// Pops the oldest value when several consumers may compete.
    #[inline]
    pub(crate) fn try_pop_shared(&self) -> Option<T> {
        let backoff = Backoff::new();
        // Acquire: pairs with the Release claims of earlier consumers, for
        // `empty_at` (see the module docs).
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let slot = self.slot(head);
            // Acquire: pairs with the producer's Release in `write`.
            let stamp = slot.stamp.load(Ordering::Acquire);
            let turn = Self::turn(stamp, head.wrapping_add(1));
            if turn == 0 {
                let next = self.advance(head, 1);
                // The CAS decides which consumer owns `head`. Release on
                // success, Acquire on failure: for `empty_at`, as above;
                // SeqCst on success, as in `try_push`.
                match self.head.compare_exchange_weak(
                    head,
                    next,
                    Ordering::SeqCst,
                    Ordering::Acquire,
                ) {
                    // SAFETY: we claimed `head` after seeing its slot
                    // written.
                    Ok(_) => return Some(unsafe { self.read_slot(slot, head) }),
                    Err(current) => {
                        // Lost to another consumer: back off, as in
                        // `try_push`.
                        head = current;
                        backoff.spin();
                    }
                }
            } else if turn < 0 {
                // Not written for this lap yet: empty, or its producer is
                // between claim and publication.
                if self.empty_at(head) {
                    return None;
                }
                backoff.snooze();
                // Acquire: as above.
                head = self.head.load(Ordering::Acquire);
            } else {
                // Acquire: as above.
                head = self.head.load(Ordering::Acquire);
            }
        }
    }

    /// Moves up to `max` values into `out` (appended in FIFO order),
    /// claiming them with one CAS; returns how many (0 only if the ring was
    /// empty, or `max == 0`). Grows `out` by at most `min(max, capacity)`
    /// values.
    pub(crate) fn pop_batch_shared(&self, out: &mut Vec<T>, max: usize) -> usize {
        let want = max.min(self.capacity);
        if want == 0 {
            return 0;
        }
        // Reserve before claiming: once positions are claimed nothing may
        // fail before their values are moved out.
        out.reserve(want);
        let backoff = Backoff::new();
        // Acquire: as in `try_pop_shared`.
        let mut head = self.head.load(Ordering::Acquire);
        let (n, start) = loop {
            let (n, end) = self.run(head, 1, want);
            if n == 0 {
                // Acquire: as in `try_pop_shared`.
                let stamp = self.slot(head).stamp.load(Ordering::Acquire);
                if Self::turn(stamp, head.wrapping_add(1)) < 0 {
                    if self.empty_at(head) {
                        return 0;
                    }
                    backoff.snooze();
                }
                // Acquire: as in `try_pop_shared`.
                head = self.head.load(Ordering::Acquire);
                continue;
            }
            // SeqCst / Acquire: as in `try_pop_shared`.
            match self
                .head
                .compare_exchange_weak(head, end, Ordering::SeqCst, Ordering::Acquire)
            {
                Ok(_) => break (n, head),
                Err(current) => head = current,
            }
        };
        // SAFETY: we claimed the `n` positions from `start`, all written.
        unsafe { self.read_into(start, n, out) };
        n
    }

    /// Moves the values of the `n` claimed positions from `start` into
    /// `out`'s spare capacity.
    ///
    /// # Safety
    ///
    /// The caller claimed those positions after seeing them written, and
    /// `out` has room for `n` more values.
    unsafe fn read_into(&self, start: usize, n: usize, out: &mut Vec<T>) {
        debug_assert!(out.capacity() - out.len() >= n);
        let len = out.len();
        let base = out.as_mut_ptr();
        let mut pos = start;
        for i in 0..n {
            // SAFETY: claimed and written (caller's contract); the spare
            // capacity has room for `n` values, written before `set_len`.
            unsafe { base.add(len + i).write(self.read(pos)) };
            pos = self.advance(pos, 1);
        }
        // SAFETY: the `n` values above are initialised.
        unsafe { out.set_len(len + n) };
    }

    /// Pops the oldest value; the caller is the only consumer, so no CAS.
    ///
    /// # Safety
    ///
    /// No other thread pops from this ring, ever (the MPSC consumer).
    #[inline]
    pub(crate) unsafe fn try_pop_single(&self) -> Option<T> {
        // Relaxed: only this thread writes `head`.
        let head = self.head.load(Ordering::Relaxed);
        self.wait_written(head)?;
        // Release, like the shared pops' claims: a thread that loads this
        // `head` with Acquire (`len`, a push's full check) also sees the
        // `tail` that this pop read, so it never pairs a newer `head` with
        // an older `tail`. The stamp store in `read` is what hands the slot
        // back to producers. (A plain store on x86-64.)
        self.head.store(self.advance(head, 1), Ordering::Release);
        // SAFETY: `head` is written, and we are the only consumer.
        Some(unsafe { self.read(head) })
    }

    /// For the only consumer: waits until the slot at its `head` is written
    /// and returns `Some`, or returns `None` if the ring is empty (no push
    /// has claimed `head`).
    #[inline]
    fn wait_written(&self, head: usize) -> Option<()> {
        let backoff = Backoff::new();
        // Acquire: pairs with the producer's Release in `write`.
        while self.slot(head).stamp.load(Ordering::Acquire) != head.wrapping_add(1) {
            if self.empty_at(head) {
                return None;
            }
            // A producer claimed `head` and is still writing it.
            backoff.snooze();
        }
        Some(())
    }

    /// [`pop_batch_shared`](Self::pop_batch_shared) for the only consumer.
    ///
    /// # Safety
    ///
    /// As for [`try_pop_single`](Self::try_pop_single).
    pub(crate) unsafe fn pop_batch_single(&self, out: &mut Vec<T>, max: usize) -> usize {
        let want = max.min(self.capacity);
        if want == 0 {
            return 0;
        }
        out.reserve(want);
        // Relaxed: only this thread writes `head`.
        let head = self.head.load(Ordering::Relaxed);
        if self.wait_written(head).is_none() {
            return 0;
        }
        let (n, end) = self.run(head, 1, want);
        if n > 0 {
            // Release: as in `try_pop_single`.
            self.head.store(end, Ordering::Release);
            // SAFETY: the `n` positions from `head` are written and ours.
            unsafe { self.read_into(head, n, out) };
        }
        n
    }

    /// How many positions lie before `pos`: laps times capacity plus the
    /// index (exact until the position counter wraps: after about `2^64`
    /// slots on 64-bit targets, `2^32` on 32-bit ones, where the statistics
    /// built on it wrap too).
    #[cfg(feature = "std")]
    #[inline]
    fn count_before(&self, pos: usize) -> u64 {
        let laps = (pos / self.one_lap) as u64;
        laps.wrapping_mul(self.capacity as u64) + (pos & (self.one_lap - 1)) as u64
    }

    /// Pushes claimed so far (a counter for free: `tail` already is one);
    /// for the channel's statistics.
    #[cfg(feature = "std")]
    pub(crate) fn pushed(&self) -> u64 {
        // Relaxed: a statistic.
        self.count_before(self.tail.load(Ordering::Relaxed))
    }

    /// Pops claimed so far.
    #[cfg(feature = "std")]
    pub(crate) fn popped(&self) -> u64 {
        // Relaxed: a statistic.
        self.count_before(self.head.load(Ordering::Relaxed))
    }

    /// Values in the ring (claimed positions between `head` and `tail`).
    pub(crate) fn len(&self) -> usize {
        loop {
            // A consistent snapshot: `tail` unchanged around the `head` load.
            let tail = self.tail.load(Ordering::Acquire);
            let head = self.head.load(Ordering::Acquire);
            if self.tail.load(Ordering::Acquire) != tail {
                continue;
            }
            let mask = self.one_lap - 1;
            let (hi, ti) = (head & mask, tail & mask);
            return if hi < ti {
                ti - hi
            } else if hi > ti {
                self.capacity - hi + ti
            } else if head == tail {
                0
            } else {
                self.capacity
            };
        }
    }
}

impl<T> Drop for Ring<T> {
    /// Drops the values still inside. If one's `Drop` panics, the others
    /// are still dropped (a second panic aborts, as for `Vec`).
    fn drop(&mut self) {
        // Exclusive access: every handle is gone, so every claimed position
        // was completed and exactly `head..tail` hold values. Relaxed: the
        // `&mut self` (the last `Arc`'s drop) already synchronised.
        let mut pos = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        drop_each(|| {
            if pos == tail {
                return false;
            }
            let slot = self.slot(pos);
            // Step past the value before dropping it, so a panic in its
            // `Drop` cannot make us drop it again.
            pos = self.advance(pos, 1);
            // SAFETY: positions in `head..tail` hold initialised values,
            // nothing else can reach them, and each is visited once.
            unsafe { ptr::drop_in_place((*slot.value.get()).as_mut_ptr()) };
            true
        });
    }
}
