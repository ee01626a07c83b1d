//! Test helpers shared by nanopath's crates: sizes that shrink under Miri,
//! and a drop-counting value. A dev-dependency only; never published.

use proptest::test_runner::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Proptest settings: 256 cases natively, 8 under Miri (which also cannot
/// write regression files, since it isolates the file system).
///
/// ```
/// let config = nanopath_testkit::proptest_config();
/// assert_eq!(config.cases, if cfg!(miri) { 8 } else { 256 });
/// ```
pub fn proptest_config() -> Config {
    if cfg!(miri) {
        Config {
            cases: 8,
            failure_persistence: None,
            ..Config::default()
        }
    } else {
        Config {
            cases: 256,
            ..Config::default()
        }
    }
}

/// Iterations for multi-threaded stress tests: `native` natively, a small
/// fraction (at least 50) under Miri.
///
/// ```
/// let n = nanopath_testkit::stress_iters(1_000_000);
/// assert_eq!(n, if cfg!(miri) { 100 } else { 1_000_000 });
/// ```
pub fn stress_iters(native: usize) -> usize {
    if cfg!(miri) {
        (native / 10_000).max(50)
    } else {
        native
    }
}

/// A value whose drops are counted, to prove every item is dropped exactly
/// once.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let drops = Arc::new(AtomicUsize::new(0));
/// let item = nanopath_testkit::Counted::new(7, &drops);
/// assert_eq!(item.value, 7);
/// drop(item);
/// assert_eq!(drops.load(Ordering::Relaxed), 1);
/// ```
#[derive(Debug)]
pub struct Counted {
    /// The payload, for order and identity checks.
    pub value: u64,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    /// A value that adds one to `drops` when dropped.
    pub fn new(value: u64, drops: &Arc<AtomicUsize>) -> Self {
        Self {
            value,
            drops: drops.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// A global allocator that forwards to the system allocator and counts, per
/// thread, the allocations (and reallocations) the calling thread makes;
/// for tests that prove a path does not allocate. Install it in a test
/// binary with
/// `#[global_allocator] static A: CountingAllocator = CountingAllocator;`
/// and read [`thread_allocations`] around the code under test. Per-thread
/// counts keep other tests running in parallel out of the measurement.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

std::thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Allocations made so far by the calling thread through
/// [`CountingAllocator`] (0 if it is not the global allocator).
pub fn thread_allocations() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}

fn count_allocation() {
    // `try_with`: allocations during thread-local teardown go uncounted.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged; counting touches only a thread-local `Cell` whose
// initialiser does not allocate.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}
