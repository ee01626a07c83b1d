//! [`PerThread<T>`]: one padded cell per thread, for state a thread updates
//! on its own line (counters, statistics, a cache of one object), and
//! [`ThreadCounter`], the counter such a cell holds.
//! (See the type's documentation for the design.)

use crate::cache_padded::CachePadded;
use crate::sync::{AtomicU64, Ordering};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

/// Upper bound on the shard count of any sharded structure: constructors
/// clamp to it, so a caller's typo cannot make us allocate without bound.
pub(crate) const MAX_SHARDS: usize = 1024;

/// A shard count for `requested` shards: at least 1, at most [`MAX_SHARDS`],
/// rounded up to a power of two so that a shard is picked with a mask.
pub(crate) fn shard_count(requested: usize) -> usize {
    requested.clamp(1, MAX_SHARDS).next_power_of_two()
}

/// The default shard count: available parallelism rounded up to a power of
/// two (1 when it cannot be queried).
///
/// Computed once per process and cached: on Linux `available_parallelism`
/// reads the cgroup quota files on every call, and every sharded structure
/// asks for it when it is built.
#[cfg(feature = "std")]
pub(crate) fn default_shard_count() -> usize {
    // Not routed through the loom shim: a process-wide constant, not part of
    // an algorithm a loom model explores (std's `OnceLock` works under loom).
    static SHARDS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SHARDS.get_or_init(|| {
        #[cfg(test)]
        tests::COMPUTED.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        shard_count(std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// One cache-padded `T` per thread: see [Design](#design).
///
/// [`current`](Self::current) gives the calling thread its cell and says
/// whether the thread *owns* it (is its only writer); [`iter`](Self::iter)
/// visits every cell, for summing. What a cell holds, and how an owner
/// exploits owning it, is the caller's: a [`ThreadCounter`] takes a plain
/// load and store from its owner and a `fetch_add` from everyone else.
///
/// ```
/// use nanopath_atomic::{PerThread, ThreadCounter};
///
/// let hits = PerThread::with_shards(4, ThreadCounter::new);
/// std::thread::scope(|s| {
///     for _ in 0..3 {
///         s.spawn(|| {
///             let (cell, owner) = hits.current();
///             cell.add(10, owner);
///         });
///     }
/// });
/// let total: u64 = hits.iter().map(ThreadCounter::get).sum();
/// assert_eq!(total, 30);
/// assert_eq!(hits.shards(), 4);
/// ```
///
/// # Design
///
/// A `PerThread` with `shards` shards has `2 * shards` cells: cells
/// `0..shards` are *owned*, each written only by the live thread holding
/// that slot id (see [`thread_slot_id`]), so its owner may update it with a
/// plain load and store; cells `shards..2 * shards` are *shared* by the
/// threads without an owned cell (more threads than shards, no id left, no
/// `std`, loom), which update them with atomic read-modify-writes.
///
/// With `std`, each thread draws a slot id from a process-wide bitmap the
/// first time it asks (lowest free id first) and keeps it for life, so a
/// thread always hits the same cell and consecutive threads hit different
/// ones. Without `std` there are no thread-locals; the shared cell is chosen
/// from the address of a stack slot (threads have disjoint stacks, and a
/// thread's stack depth varies little), mixed so that neighbouring stacks
/// spread out.
pub struct PerThread<T> {
    /// Owned cells `0..shards`, then shared cells `shards..2 * shards`:
    /// `cells.len() == 2 * shards` always.
    cells: Box<[CachePadded<T>]>,
    /// A power of two in `1..=MAX_SHARDS`.
    shards: usize,
}

impl<T> PerThread<T> {
    /// Cells for [`default_shards`] shards, each made by `make`.
    pub fn new(make: impl FnMut() -> T) -> Self {
        Self::with_shards(default_shards(), make)
    }

    /// Cells for `shards` shards (rounded up to a power of two, at least 1,
    /// at most 1024, so a caller's typo cannot make us allocate without
    /// bound), each made by `make`.
    pub fn with_shards(shards: usize, mut make: impl FnMut() -> T) -> Self {
        let shards = shard_count(shards);
        let cells: Vec<_> = (0..2 * shards).map(|_| CachePadded::new(make())).collect();
        Self {
            cells: cells.into_boxed_slice(),
            shards,
        }
    }

    /// The shard count: the number of owned cells (there are as many
    /// shared ones).
    #[inline]
    pub fn shards(&self) -> usize {
        self.shards
    }

    /// The calling thread's cell, and whether the thread owns it (is the
    /// only live thread that [`current`](Self::current) gives this cell as
    /// an owned one). Several threads may hold the same cell at once
    /// (shared cells, and a previous owner's writes are already visible),
    /// so the cell is `&T`: interior mutability does the writing.
    #[inline]
    pub fn current(&self) -> (&T, bool) {
        let (index, owner) = current_cell(self.shards);
        debug_assert!(index < self.cells.len());
        // SAFETY: `current_cell(shards)` returns an index below
        // `2 * shards`, which is `cells.len()` (the fields' invariant). This
        // is every pool acquire's path; the bounds check cost an
        // instruction and a branch there.
        (unsafe { self.cells.get_unchecked(index) }, owner)
    }

    /// Every cell, owned and shared, for summing.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> {
        self.cells.iter().map(|c| &**c)
    }
}

impl<T: fmt::Debug> fmt::Debug for PerThread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerThread")
            .field("shards", &self.shards)
            .field("cells", &self.cells)
            .finish()
    }
}

/// A `u64` counter for a [`PerThread`] cell: the cell's owner adds with a
/// plain load and store (no lock-prefixed instruction), anyone else with
/// `fetch_add`.
///
/// Relaxed throughout: a counter publishes no other memory. The owner's
/// plain update loses nothing because only the owner writes an owned cell,
/// and slot ids pass from one thread to the next with Release/Acquire, so
/// the previous owner's last store happens-before the next owner's first
/// load. A sum taken after the writers were joined is exact.
///
/// ```
/// use nanopath_atomic::ThreadCounter;
///
/// let c = ThreadCounter::new();
/// c.add(2, true);
/// c.add(3, false);
/// assert_eq!(c.get(), 5);
/// ```
#[derive(Default)]
pub struct ThreadCounter {
    value: AtomicU64,
}

impl ThreadCounter {
    crate::const_fn! {
        /// A counter at 0.
        #[inline]
        pub const fn new() -> Self {
            Self {
                value: AtomicU64::new(0),
            }
        }
    }

    /// Adds `n` (wrapping). `owner` is what [`PerThread::current`] said
    /// about the cell holding this counter: `true` only for the owner.
    #[inline]
    pub fn add(&self, n: u64, owner: bool) {
        if owner {
            self.value.store(
                self.value.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            );
        } else {
            self.value.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The current value (Relaxed: exact once the writers happened-before).
    #[inline]
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for ThreadCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

/// Where the calling thread writes in a structure with `shards` owned cells
/// followed by `shards` shared cells (`shards` a power of two): the index,
/// and whether the thread has that cell to itself.
///
/// With `std`, each live thread holds a process-wide *slot id*, claimed on
/// first use from a bitmap (lowest free id first) and released when the
/// thread exits. Ids are unique among live threads, so the thread holding id
/// `i < shards` is the only writer of owned cell `i` and may update it with a
/// plain load and store: no lock-prefixed instruction. Threads whose id is
/// `>= shards` (more threads than shards), or that have no id (the 1024 ids
/// are taken, or thread-locals are being torn down), use a shared cell with
/// `fetch_add`. Without `std` (and under loom) every thread uses the shared
/// cells.
#[inline]
fn current_cell(shards: usize) -> (usize, bool) {
    match slot_id() {
        Some(id) if id < shards => (id, true),
        // Ids are unique among live threads, so they spread live threads
        // over the shared cells better than the ever-growing thread index.
        Some(id) => (shards + (id & (shards - 1)), false),
        None => (shards + (thread_index() & (shards - 1)), false),
    }
}

/// The calling thread's *slot id*: unique among live threads, the lowest
/// free id claimed on first use and released when the thread exits (the
/// ids behind [`PerThread`]'s owned cells).
///
/// For structures outside this crate that keep per-thread state in an
/// array of padded cells: the thread holding id `i < len` is the only live
/// thread with that id, so it may treat cell `i` as its own (a plain load
/// and store for a counter, as `ShardedCounter` does; the previous holder's
/// writes happen-before the next holder's reads, since an id is handed over
/// with Release/Acquire). `None` when all 1024 ids are taken, while
/// thread-locals are torn down, without `std`, and under loom: fall back to
/// shared state with atomic read-modify-writes.
///
/// ```
/// let id = nanopath_atomic::thread_slot_id();
/// assert_eq!(id, nanopath_atomic::thread_slot_id(), "a thread keeps its id");
/// let other = std::thread::spawn(nanopath_atomic::thread_slot_id).join().unwrap();
/// assert!(id.is_some() && other.is_some() && id != other);
/// ```
#[inline]
pub fn thread_slot_id() -> Option<usize> {
    slot_id()
}

/// The default shard count for per-thread arrays: available parallelism
/// rounded up to a power of two (1 without `std` or when it cannot be
/// queried), as used by [`PerThread::new`].
pub fn default_shards() -> usize {
    #[cfg(feature = "std")]
    return default_shard_count();
    #[cfg(not(feature = "std"))]
    return 1;
}

/// The calling thread's slot id, if it holds one.
#[cfg(all(feature = "std", not(nanopath_loom)))]
#[inline]
fn slot_id() -> Option<usize> {
    std::thread_local! {
        static SLOT: ids::SlotId = ids::SlotId::claim();
    }
    SLOT.try_with(|slot| slot.id).ok().flatten()
}

/// Without thread-locals (or under loom, whose threads share the OS
/// thread's thread-locals) nobody owns a cell.
#[cfg(not(all(feature = "std", not(nanopath_loom))))]
#[inline]
fn slot_id() -> Option<usize> {
    None
}

#[cfg(all(feature = "std", not(nanopath_loom)))]
mod ids {
    //! The process-wide slot-id bitmap. Not routed through the loom shim:
    //! loom atomics cannot live in statics, and loom builds never use it.

    use core::sync::atomic::{AtomicU64, Ordering};

    const WORDS: usize = super::MAX_SHARDS / 64;

    /// Bit `i` set: slot id `i` is held by a live thread.
    static BITMAP: [AtomicU64; WORDS] = [const { AtomicU64::new(0) }; WORDS];

    /// A thread's slot id; released when the thread's locals are destroyed.
    pub(super) struct SlotId {
        pub(super) id: Option<usize>,
    }

    impl SlotId {
        /// Claims the lowest free id, if any is free.
        pub(super) fn claim() -> Self {
            for (w, word) in BITMAP.iter().enumerate() {
                let mut current = word.load(Ordering::Relaxed);
                while current != u64::MAX {
                    let bit = (!current).trailing_zeros();
                    // Acquire pairs with the Release in `drop` of the id's
                    // previous holder: its stores to owned cells happen-before
                    // our first load of them.
                    match word.compare_exchange_weak(
                        current,
                        current | (1 << bit),
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            return Self {
                                id: Some(w * 64 + bit as usize),
                            };
                        }
                        Err(actual) => current = actual,
                    }
                }
            }
            Self { id: None }
        }
    }

    impl Drop for SlotId {
        fn drop(&mut self) {
            if let Some(id) = self.id {
                // Release pairs with the Acquire CAS in `claim`.
                BITMAP[id / 64].fetch_and(!(1 << (id % 64)), Ordering::Release);
            }
        }
    }
}

/// The calling thread's shard index, before masking.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn thread_index() -> usize {
    use core::cell::Cell;
    // Not routed through the loom shim on purpose: this is a `static` handing
    // out identities, not part of an algorithm a loom model explores, and
    // loom atomics cannot live in statics. Relaxed: only uniqueness matters.
    static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
    std::thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX
        .try_with(|slot| {
            let mut index = slot.get();
            if index == usize::MAX {
                index = NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                slot.set(index);
            }
            index
        })
        // During thread-local destruction: any shard is correct, 0 will do.
        .unwrap_or(0)
}

/// The calling thread's shard index, before masking (no `std`: stack address).
#[cfg(not(feature = "std"))]
#[inline]
pub(crate) fn thread_index() -> usize {
    let marker = 0u8;
    let addr = core::ptr::addr_of!(marker).addr();
    // Stacks are at least pages apart; drop the in-page bits, then mix.
    let x = (addr >> 12) as u64;
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many times [`default_shard_count`] computed its value.
    #[cfg(feature = "std")]
    pub(super) static COMPUTED: core::sync::atomic::AtomicUsize =
        core::sync::atomic::AtomicUsize::new(0);

    #[cfg(feature = "std")]
    #[test]
    fn the_default_shard_count_is_computed_once_per_process() {
        let first = default_shards();
        // Racing first calls from several threads still compute it once.
        let others: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(default_shards)).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let _cells = PerThread::new(ThreadCounter::new);
        assert!(others.iter().all(|&n| n == first));
        assert_eq!(default_shards(), first);
        assert!(first.is_power_of_two() && first <= MAX_SHARDS);
        assert_eq!(
            COMPUTED.load(core::sync::atomic::Ordering::Relaxed),
            1,
            "available_parallelism queried more than once"
        );
    }

    #[test]
    fn shard_counts_are_bounded_powers_of_two() {
        assert_eq!(shard_count(0), 1);
        assert_eq!(shard_count(1), 1);
        assert_eq!(shard_count(3), 4);
        assert_eq!(shard_count(64), 64);
        assert_eq!(shard_count(usize::MAX), MAX_SHARDS);
    }

    #[cfg(feature = "std")]
    #[test]
    fn live_threads_hold_distinct_slot_ids_and_ids_are_reused() {
        let mine = slot_id().expect("ids are free");
        assert_eq!(slot_id(), Some(mine));
        let barrier = std::sync::Barrier::new(2);
        let (a, b) = std::thread::scope(|s| {
            let h1 = s.spawn(|| {
                let id = slot_id();
                barrier.wait();
                id
            });
            let h2 = s.spawn(|| {
                let id = slot_id();
                barrier.wait();
                id
            });
            (h1.join().unwrap(), h2.join().unwrap())
        });
        assert!(a.is_some() && b.is_some());
        assert_ne!(a, b);
        assert_ne!(a, Some(mine));
        // Both threads exited; their ids are free again for a new thread,
        // which takes the lowest free one.
        let c = std::thread::spawn(slot_id).join().unwrap();
        assert!(c <= a.max(b), "id {c:?} not reused from {a:?}/{b:?}");
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_thread_keeps_its_index_and_threads_differ() {
        let mine = thread_index();
        assert_eq!(mine, thread_index());
        let other = std::thread::spawn(thread_index).join().unwrap();
        assert_ne!(mine, other);
    }
}
