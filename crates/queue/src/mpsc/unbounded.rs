//! The unbounded MPSC queue: linked segments, `fetch_add` slot reservation.
//!
//! # Algorithm
//!
//! Items live in segments of [`SEGMENT_SLOTS`] slots linked into a list.
//! The shared `tail` word is a pointer to the newest segment whose low bits
//! (segments are aligned to [`SEGMENT_ALIGN`] bytes) count the claims made
//! on it. A producer claims a slot with **one `fetch_byte_add(1)`** on that
//! word, which returns the segment *and* its slot number in one atomic step:
//!
//! * slot number `< SEGMENT_SLOTS`: the slot is ours; write the value, set
//!   the slot's `ready` flag (Release). No retry, no CAS: wait-free.
//! * otherwise the segment is full. The producer makes sure the next segment
//!   exists (one CAS on `next`; a loser frees its spare and uses the
//!   winner's), swings `tail` to it (a CAS loop that ends as soon as any
//!   thread has swung it, so it is bounded by the number of producers
//!   claiming at that moment), and claims again. Only this boundary path
//!   can repeat, and only if other producers fill a whole segment in
//!   between, so a push is wait-free except under that adversarial schedule,
//!   and lock-free always.
//!
//! The consumer owns a cursor (segment, slot); it reads a slot once its
//! `ready` flag is set (Acquire) and moves to `next` at a segment's end.
//!
//! # Reclamation
//!
//! A segment is recycled by whichever thread finishes with it last
//! (recycled: reset and kept as one of up to eight spare segments, which
//! the next overflows take instead of allocating, or freed when every spare
//! place is taken). The users are counted exactly:
//!
//! * a producer that claimed a slot (`claim < SEGMENT_SLOTS`) touches the
//!   segment for the last time in its `ready` store; the consumer reads
//!   every slot's `ready` (Acquire) before it leaves a segment, so these
//!   producers need no count at all and the fast path stays one
//!   `fetch_add`, one write, one store;
//! * every overflowing claim (`claim >= SEGMENT_SLOTS`) is a user until it
//!   has finished its overflow step, and the consumer is a user until it
//!   moves past the segment. Each subtracts one from `pending` when done.
//!
//! The number of overflowing claims is known once: the CAS that swings
//! `tail` away returns the final claim count `c`, and that thread adds
//! `c - SEGMENT_SLOTS + 1` (the overflowing claims plus the consumer) to
//! `pending`. `pending` starts at zero and every user subtracts before or
//! after that add, so it reaches zero exactly once, after the add and after
//! the last user; that thread recycles the segment. Until then any user can
//! dereference the segment: its own unsubtracted one keeps the count above
//! zero. Reuse cannot confuse the `tail` CAS (ABA): a thread comparing
//! against a segment's address is an unreleased user of it, so that segment
//! cannot be recycled meanwhile. The segment at `tail` is never swung away,
//! so it, and everything from the consumer's cursor on, is freed by the
//! last handle's drop. The loom models in `tests/loom_mpmc_mpsc.rs` check
//! the hand-over, reclamation and reuse with segments of two slots.
//!
//! The claim count must not carry into the address bits: at most
//! `SEGMENT_SLOTS + producers` claims reach one segment (a producer that
//! overflows does not claim the same segment again), so the number of live
//! producer handles is capped at [`MAX_PRODUCERS`] and producer handles are
//! `Send` but not `Sync` (each thread pushes through its own clone).

#[cfg(nanopath_loom)]
use crate::sync::Shadow;
use crate::sync::{Arc, AtomicBool, AtomicPtr, AtomicUsize, Ordering, fetch_byte_add};
use crate::unwind::drop_each;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr;
use nanopath_atomic::CachePadded;

/// Slots per segment. 63 eight-byte items and their flags fill a segment's
/// 1 KiB exactly. (Two in loom builds, so models cross segment boundaries;
/// see the crate docs on the `loom` feature.)
pub const SEGMENT_SLOTS: usize = if cfg!(nanopath_loom) {
    2
} else {
    NATIVE_SEGMENT_SLOTS
};

/// Reset segments kept for reuse instead of being freed.
const SPARE_SEGMENTS: usize = if cfg!(nanopath_loom) { 1 } else { 8 };

/// Segment alignment in bytes: the claim counter lives in the low bits of
/// the `tail` pointer. Must equal the `repr(align)` of `Segment`.
pub const SEGMENT_ALIGN: usize = 1024;

/// The most producer handles that may exist at once (see the module docs).
/// The same in loom builds, whose smaller segments would allow more.
pub const MAX_PRODUCERS: usize = SEGMENT_ALIGN - NATIVE_SEGMENT_SLOTS - 1;

/// [`SEGMENT_SLOTS`] outside loom.
const NATIVE_SEGMENT_SLOTS: usize = 63;

const CLAIM_MASK: usize = SEGMENT_ALIGN - 1;

// The claim counter must fit below the address bits.
const _: () = assert!(core::mem::align_of::<Segment<()>>() == SEGMENT_ALIGN);
const _: () = assert!(SEGMENT_SLOTS + MAX_PRODUCERS <= CLAIM_MASK);

struct Slot<T> {
    /// Set (Release) once `value` is written; never cleared (a segment is
    /// used once).
    ready: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
    #[cfg(nanopath_loom)]
    shadow: Shadow,
}

#[repr(C, align(1024))]
struct Segment<T> {
    slots: [Slot<T>; SEGMENT_SLOTS],
    /// The following segment, null until a producer overflows this one.
    next: AtomicPtr<Segment<T>>,
    /// Counted users (overflowing claims and the consumer) still to finish,
    /// minus the final count added when `tail` moves on (wrapping
    /// arithmetic; see the module docs). The thread that brings it to zero
    /// recycles the segment.
    pending: AtomicUsize,
}

impl<T> Segment<T> {
    /// A fresh, empty segment on the heap, built in place (no `T`-sized
    /// stack copies).
    fn allocate() -> *mut Segment<T> {
        let mut segment = Box::<Segment<T>>::new_uninit();
        let raw = segment.as_mut_ptr();
        // SAFETY: `raw` points to the uninitialised allocation; each field
        // is written exactly once through raw pointers, which is how
        // uninitialised memory must be written.
        unsafe {
            let slots = ptr::addr_of_mut!((*raw).slots).cast::<Slot<T>>();
            for i in 0..SEGMENT_SLOTS {
                slots.add(i).write(Slot {
                    ready: AtomicBool::new(false),
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                    #[cfg(nanopath_loom)]
                    shadow: Shadow::default(),
                });
            }
            ptr::addr_of_mut!((*raw).next).write(AtomicPtr::new(ptr::null_mut()));
            ptr::addr_of_mut!((*raw).pending).write(AtomicUsize::new(0));
        }
        // SAFETY: every field was initialised above.
        Box::into_raw(unsafe { segment.assume_init() })
    }

    /// A segment to fill: a spare if there is one, else a new one.
    fn take(spares: &Spares<T>) -> *mut Segment<T> {
        for spare in &spares.0 {
            // Acquire: pairs with the Release in `recycle`, so the reset is
            // visible.
            let segment = spare.swap(ptr::null_mut(), Ordering::Acquire);
            if !segment.is_null() {
                return segment;
            }
        }
        Segment::allocate()
    }

    /// Resets an unshared, empty segment and keeps it as a spare, or frees
    /// it if every spare place is taken.
    ///
    /// # Safety
    ///
    /// Nobody else can reach `segment`, and it holds no value.
    unsafe fn recycle(segment: *mut Segment<T>, spares: &Spares<T>) {
        {
            // SAFETY: exclusive (caller's contract).
            let seg = unsafe { &*segment };
            // Relaxed: nobody else sees these until the Release below.
            for slot in &seg.slots {
                slot.ready.store(false, Ordering::Relaxed);
            }
            seg.next.store(ptr::null_mut(), Ordering::Relaxed);
            seg.pending.store(0, Ordering::Relaxed);
        }
        for spare in &spares.0 {
            // Release: publishes the reset to the `take` that gets it.
            if spare
                .compare_exchange(
                    ptr::null_mut(),
                    segment,
                    Ordering::Release,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                return;
            }
        }
        // SAFETY: still exclusive; `MaybeUninit` slots drop nothing.
        drop(unsafe { Box::from_raw(segment) });
    }

    /// One user is done with `segment`; recycles it if that was the last.
    ///
    /// # Safety
    ///
    /// The caller is one of the segment's counted users and has not
    /// released before; it must not touch the segment afterwards.
    unsafe fn release(segment: *mut Segment<T>, spares: &Spares<T>) {
        // AcqRel: Release orders our use of the segment before the
        // recycling; Acquire (in the thread that recycles) sees every other
        // user's.
        // SAFETY: our unreleased use keeps the segment alive.
        if unsafe { &(*segment).pending }.fetch_sub(1, Ordering::AcqRel) == 1 {
            // SAFETY: the count reached zero: every user is done, and only
            // this thread saw the transition. All values were read out by
            // the consumer (it is a user).
            unsafe { Segment::recycle(segment, spares) };
        }
    }
}

/// The consumer's position: the segment it reads and the next slot in it.
struct Cursor<T> {
    segment: *mut Segment<T>,
    slot: usize,
}

struct Shared<T> {
    /// The newest segment's address plus the claims made on it (low bits).
    tail: CachePadded<AtomicPtr<Segment<T>>>,
    /// Touched only by the consumer (through `&mut UnboundedConsumer`) and by
    /// the final drop.
    cursor: CachePadded<UnsafeCell<Cursor<T>>>,
    /// Live producer handles, at most `MAX_PRODUCERS`. Decremented with
    /// Release by each producer's drop and read with Acquire by
    /// `UnboundedConsumer::is_abandoned`.
    producers: AtomicUsize,
    /// Set with Release when the consumer is dropped; read with Acquire by
    /// `UnboundedProducer::is_abandoned`.
    consumer_gone: AtomicBool,
    /// Reset segments kept for reuse, so a queue in steady state (and one
    /// whose consumer lags by a few segments) allocates nothing.
    spares: Spares<T>,
}

/// Places for up to [`SPARE_SEGMENTS`] reset segments (null when empty).
/// Each place is handed over whole with `swap` / `compare_exchange`, so a
/// segment is owned by exactly one place or one thread at a time.
struct Spares<T>([AtomicPtr<Segment<T>>; SPARE_SEGMENTS]);

// SAFETY: values cross threads from producer to consumer (needs `T: Send`);
// segments are shared through atomics and the exact count above; the cursor
// is used by one thread at a time (the consumer handle is not `Clone` and
// needs `&mut`, and the drop has exclusive access).
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Drop for Shared<T> {
    /// Drops the items still inside and frees every segment. If an item's
    /// `Drop` panics, the other items are still dropped and the segments
    /// still freed (a second panic aborts, as for `Vec`).
    fn drop(&mut self) {
        // Spares first: they hold no value, so nothing here can panic.
        for spare in &self.spares.0 {
            // Relaxed: `&mut self`, the last `Arc`'s drop, synchronised.
            let spare = spare.load(Ordering::Relaxed);
            if !spare.is_null() {
                // SAFETY: spares are owned by the queue and hold no value.
                drop(unsafe { Box::from_raw(spare) });
            }
        }
        // Every handle is gone, so every push finished: each segment before
        // the cursor was freed by its last user, and the rest are ours.
        let cursor = self.cursor.get_mut();
        let mut segment = cursor.segment;
        let mut slot = cursor.slot;
        drop_each(|| {
            while !segment.is_null() {
                if slot == SEGMENT_SLOTS {
                    // Every value of this segment is dropped: free it.
                    // SAFETY: segments from the cursor on are still
                    // allocated (the consumer has not released them),
                    // nobody else can reach them, and each is freed once.
                    let seg = unsafe { Box::from_raw(segment) };
                    // Relaxed: exclusive access, as above.
                    segment = seg.next.load(Ordering::Relaxed);
                    slot = 0;
                    continue;
                }
                // SAFETY: `segment` is still allocated (see above).
                let cell = &unsafe { &*segment }.slots[slot];
                // Step past the slot before dropping its value, so a panic
                // in that `Drop` cannot make us drop it again.
                slot += 1;
                // Relaxed: exclusive access, as above.
                if cell.ready.load(Ordering::Relaxed) {
                    // SAFETY: `ready` means the value is initialised, and
                    // the consumer never read it (it is at or after the
                    // cursor); each slot is visited once.
                    unsafe { (*cell.value.get()).assume_init_drop() };
                    return true;
                }
            }
            false
        });
    }
}

/// The claim limit was reached: [`MAX_PRODUCERS`] producer handles exist.
///
/// ```
/// let err = nanopath_queue::mpsc::TooManyProducers;
/// assert!(err.to_string().contains("producer handles"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TooManyProducers;

impl fmt::Display for TooManyProducers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at most {MAX_PRODUCERS} producer handles may exist at once"
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TooManyProducers {}

/// An unbounded MPSC queue: pushes never fail and allocate one segment of
/// [`SEGMENT_SLOTS`] slots every that many items.
///
/// ```
/// let (tx, mut rx) = nanopath_queue::mpsc::unbounded();
/// let handles: Vec<_> = (0..4u64)
///     .map(|p| {
///         let tx = tx.clone();
///         std::thread::spawn(move || (0..100).for_each(|i| tx.push(p * 1000 + i)))
///     })
///     .collect();
/// handles.into_iter().for_each(|h| h.join().unwrap());
/// let mut seen = 0;
/// while let Some(_) = rx.pop() {
///     seen += 1;
/// }
/// assert_eq!(seen, 400);
/// ```
pub fn unbounded<T>() -> (UnboundedProducer<T>, UnboundedConsumer<T>) {
    let first = Segment::<T>::allocate();
    let shared = Arc::new(Shared {
        tail: CachePadded::new(AtomicPtr::new(first)),
        cursor: CachePadded::new(UnsafeCell::new(Cursor {
            segment: first,
            slot: 0,
        })),
        producers: AtomicUsize::new(1),
        consumer_gone: AtomicBool::new(false),
        spares: Spares(core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut()))),
    });
    (
        UnboundedProducer {
            shared: shared.clone(),
            not_sync: PhantomData,
        },
        UnboundedConsumer { shared },
    )
}

/// A sending handle of an unbounded MPSC queue. `Send`, not `Sync`: clone
/// it for each producer thread.
pub struct UnboundedProducer<T> {
    shared: Arc<Shared<T>>,
    /// Not `Sync`: concurrent pushers are bounded by the handle count.
    not_sync: PhantomData<Cell<()>>,
}

/// The receiving handle of an unbounded MPSC queue.
pub struct UnboundedConsumer<T> {
    shared: Arc<Shared<T>>,
}

impl<T> UnboundedProducer<T> {
    /// Appends `value`. Wait-free on the fast path: one `fetch_add`, one
    /// write, one flag store.
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::unbounded();
    /// for i in 0..100 {
    ///     tx.push(i);
    /// }
    /// assert_eq!((0..100).map(|_| rx.pop().unwrap()).sum::<i32>(), 4950);
    /// ```
    pub fn push(&self, value: T) {
        let shared = &*self.shared;
        loop {
            // Acquire: pairs with the Release CAS that installed the segment
            // in `tail`, so its initialisation is visible to us.
            let word = fetch_byte_add(&shared.tail, 1, Ordering::Acquire);
            let segment = word.map_addr(|a| a & !CLAIM_MASK);
            let claim = word.addr() & CLAIM_MASK;
            // SAFETY: our claim keeps `segment` alive: a slot claim until
            // our `ready` store (the consumer cannot leave before it sees
            // it), an overflowing claim until our release (counted).
            let seg = unsafe { &*segment };
            if claim < SEGMENT_SLOTS {
                let slot = &seg.slots[claim];
                #[cfg(nanopath_loom)]
                slot.shadow.write();
                // SAFETY: the `fetch_add` gave this slot to us alone, and the
                // consumer reads it only after `ready`.
                unsafe { (*slot.value.get()).write(value) };
                // Release: the write happens-before the consumer's read.
                // This is our last access to the segment: the consumer
                // leaves it only after seeing every slot ready.
                slot.ready.store(true, Ordering::Release);
                return;
            }
            Self::install_next(shared, segment, seg);
            // SAFETY: our (overflowing) claim; done with the segment.
            unsafe { Segment::release(segment, &shared.spares) };
        }
    }

    /// The overflow step: make sure `segment.next` exists and `tail` points
    /// past `segment`.
    #[cold]
    fn install_next(shared: &Shared<T>, segment: *mut Segment<T>, seg: &Segment<T>) {
        // Acquire: the segment behind `next` is initialised.
        let mut next = seg.next.load(Ordering::Acquire);
        if next.is_null() {
            let fresh = Segment::take(&shared.spares);
            // AcqRel: Release publishes `fresh`'s initialisation; Acquire
            // (on failure) sees the winner's.
            match seg.next.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => next = fresh,
                Err(winner) => {
                    // SAFETY: `fresh` was never published and is empty.
                    unsafe { Segment::recycle(fresh, &shared.spares) };
                    next = winner;
                }
            }
        }
        let mut current = shared.tail.load(Ordering::Relaxed);
        while current.map_addr(|a| a & !CLAIM_MASK) == segment {
            // Release: producers that claim in `next` (Acquire) see it
            // initialised (we acquired it above). On success `current`
            // holds the final claim count: no claim can reach `segment` any
            // more.
            match shared.tail.compare_exchange_weak(
                current,
                next,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    let claims = current.addr() & CLAIM_MASK;
                    // The overflowing claims (ours included, so at least
                    // one) plus the consumer. Our own release is still to
                    // come, so this cannot be the last step. AcqRel: part of
                    // the count's RMW chain.
                    seg.pending
                        .fetch_add(claims - SEGMENT_SLOTS + 1, Ordering::AcqRel);
                    break;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// `true` once the [`UnboundedConsumer`] has been dropped: nothing
    /// pushed from now on will be read, and the items already inside are
    /// only freed when the last producer goes. A producer that keeps
    /// pushing should check this and stop, or the queue grows without
    /// bound.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::mpsc::unbounded::<u8>();
    /// assert!(!tx.is_abandoned());
    /// drop(rx);
    /// assert!(tx.is_abandoned());
    /// ```
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the consumer's Release on drop, so what the
        // consumer did before it went happens-before a `true` here.
        self.shared.consumer_gone.load(Ordering::Acquire)
    }

    /// Another handle, or [`TooManyProducers`] at the limit.
    ///
    /// # Errors
    ///
    /// [`TooManyProducers`] when [`MAX_PRODUCERS`] handles exist.
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::mpsc::unbounded::<u8>();
    /// assert!(tx.try_clone().is_ok());
    /// ```
    pub fn try_clone(&self) -> Result<Self, TooManyProducers> {
        // Relaxed: a counter; the handle's data is reached through `Arc`.
        let mut count = self.shared.producers.load(Ordering::Relaxed);
        loop {
            if count >= MAX_PRODUCERS {
                return Err(TooManyProducers);
            }
            match self.shared.producers.compare_exchange_weak(
                count,
                count + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Ok(UnboundedProducer {
                        shared: self.shared.clone(),
                        not_sync: PhantomData,
                    });
                }
                Err(actual) => count = actual,
            }
        }
    }
}

impl<T> Clone for UnboundedProducer<T> {
    /// # Panics
    ///
    /// When [`MAX_PRODUCERS`] handles exist; [`try_clone`] returns an error
    /// instead.
    ///
    /// [`try_clone`]: UnboundedProducer::try_clone
    #[track_caller]
    fn clone(&self) -> Self {
        match self.try_clone() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }
}

impl<T> Drop for UnboundedConsumer<T> {
    fn drop(&mut self) {
        // Release: pairs with the Acquire in `UnboundedProducer::is_abandoned`.
        self.shared.consumer_gone.store(true, Ordering::Release);
    }
}

impl<T> Drop for UnboundedProducer<T> {
    fn drop(&mut self) {
        // Release: pairs with the consumer's Acquire in `is_abandoned`, so
        // our pushes are visible once it sees zero.
        self.shared.producers.fetch_sub(1, Ordering::Release);
    }
}

// SAFETY: a producer only moves `T`s into the queue (`T: Send`); the
// `not_sync` marker keeps it from being shared, not from being sent.
unsafe impl<T: Send> Send for UnboundedProducer<T> {}

impl<T> UnboundedConsumer<T> {
    /// Removes the oldest item (per producer, items arrive in push order).
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::unbounded();
    /// tx.push("x");
    /// assert_eq!(rx.pop(), Some("x"));
    /// assert_eq!(rx.pop(), None);
    /// ```
    pub fn pop(&mut self) -> Option<T> {
        // SAFETY: `&mut self` on the only consumer handle: nobody else uses
        // the cursor until the final drop.
        let cursor = unsafe { &mut *self.shared.cursor.get() };
        if cursor.slot == SEGMENT_SLOTS {
            // SAFETY: the consumer is an unreleased user of its segment.
            let next = unsafe { &*cursor.segment }.next.load(Ordering::Acquire);
            if next.is_null() {
                return None;
            }
            let done = cursor.segment;
            cursor.segment = next;
            cursor.slot = 0;
            // SAFETY: we are the consumer, a counted user of `done`, leaving
            // it for good.
            unsafe { Segment::release(done, &self.shared.spares) };
        }
        // SAFETY: as above; `cursor.slot < SEGMENT_SLOTS`.
        let slot = &unsafe { &*cursor.segment }.slots[cursor.slot];
        // Acquire: pairs with the producer's Release of `ready`.
        if !slot.ready.load(Ordering::Acquire) {
            return None;
        }
        #[cfg(nanopath_loom)]
        slot.shadow.write();
        cursor.slot += 1;
        // SAFETY: `ready` says the value is initialised; the cursor moved
        // past it, so it is read exactly once.
        Some(unsafe { (*slot.value.get()).assume_init_read() })
    }

    /// Appends up to `max` of the oldest items to `out`; returns how many.
    /// `out` grows by at most `max`.
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::unbounded();
    /// (0..50).for_each(|i| tx.push(i));
    /// let mut out = Vec::new();
    /// assert_eq!(rx.pop_batch(&mut out, 40), 40);
    /// assert_eq!(out, (0..40).collect::<Vec<_>>());
    /// ```
    pub fn pop_batch(&mut self, out: &mut Vec<T>, max: usize) -> usize {
        let mut n = 0;
        while n < max {
            match self.pop() {
                Some(value) => out.push(value),
                None => break,
            }
            n += 1;
        }
        n
    }

    /// `true` once every producer handle is gone: nothing more will arrive
    /// after what is already inside.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::mpsc::unbounded::<u8>();
    /// drop(tx);
    /// assert!(rx.is_abandoned());
    /// ```
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the producers' Release on drop.
        self.shared.producers.load(Ordering::Acquire) == 0
    }
}

impl<T> fmt::Debug for UnboundedProducer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedProducer")
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedConsumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedConsumer")
            .finish_non_exhaustive()
    }
}
