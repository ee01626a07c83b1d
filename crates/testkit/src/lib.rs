//! Test helpers shared by nanopath's crates: sizes that shrink under Miri,
//! a drop-counting value, a fault-injecting value whose `Drop`, `Clone` or
//! closure panics on the k-th call, and a counting allocator. A
//! dev-dependency of the nanopath crates, published so that their packaged
//! tests build; not an API for other crates (no stability promise).

/// The byte reader (`arbitrary::Unstructured`) that turns fuzz input into
/// operations: the operation-sequence checkers of the crates' tests take
/// their input through it, so a fuzz target and an ordinary test that
/// replays its findings read the same bytes the same way.
pub use arbitrary;

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

/// A fault plan shared by [`Faulty`] values: counts every drop and clone per
/// value id, and makes the k-th drop, the k-th clone or the k-th call of
/// [`Faults::tick`] (a stand-in for a user closure) panic. It lives for the
/// whole test binary (leaked), so a value dropped twice by a defect is
/// counted twice instead of corrupting the counters.
///
/// ```
/// use nanopath_testkit::Faults;
/// let faults = Faults::new();
/// faults.panic_on_drop(2);
/// let (a, b, c) = (faults.item(0), faults.item(1), faults.item(2));
/// drop(a);
/// assert!(std::panic::catch_unwind(move || drop(b)).is_err());
/// drop(c);
/// assert_eq!(faults.drops_of(1), 1); // a panicking drop still counts
/// faults.assert_all_dropped_once(3);
/// ```
#[derive(Debug)]
pub struct Faults {
    /// Drops per id (index = id), including drops that then panicked.
    drops: std::sync::Mutex<Vec<u32>>,
    /// Clones made so far.
    clones: AtomicUsize,
    /// Drops so far, over every id.
    total_drops: AtomicUsize,
    /// `tick` calls so far.
    ticks: AtomicUsize,
    /// The drop (1-based count over the plan's life) that panics; 0: none.
    panic_drop_at: AtomicUsize,
    /// The clone that panics; 0: none.
    panic_clone_at: AtomicUsize,
    /// The tick that panics; 0: none.
    panic_tick_at: AtomicUsize,
}

impl Faults {
    /// A new plan with no fault armed, leaked for the binary's lifetime.
    pub fn new() -> &'static Faults {
        // Kept reachable from a static, so Miri's leak check (which runs on
        // every test binary) does not report the plans.
        static PLANS: std::sync::Mutex<Vec<&'static Faults>> = std::sync::Mutex::new(Vec::new());
        let plan = Box::leak(Box::new(Faults {
            drops: std::sync::Mutex::new(Vec::new()),
            clones: AtomicUsize::new(0),
            total_drops: AtomicUsize::new(0),
            ticks: AtomicUsize::new(0),
            panic_drop_at: AtomicUsize::new(0),
            panic_clone_at: AtomicUsize::new(0),
            panic_tick_at: AtomicUsize::new(0),
        }));
        PLANS.lock().unwrap_or_else(|e| e.into_inner()).push(plan);
        plan
    }

    /// Arms the `k`-th drop from now (1 = the next one) to panic after it
    /// is counted; 0 disarms.
    pub fn panic_on_drop(&self, k: usize) {
        let at = if k == 0 {
            0
        } else {
            self.total_drops.load(Ordering::SeqCst) + k
        };
        self.panic_drop_at.store(at, Ordering::SeqCst);
    }

    /// Arms the `k`-th clone from now to panic (before it makes a copy);
    /// 0 disarms.
    pub fn panic_on_clone(&self, k: usize) {
        let at = if k == 0 {
            0
        } else {
            self.clones.load(Ordering::SeqCst) + k
        };
        self.panic_clone_at.store(at, Ordering::SeqCst);
    }

    /// Arms the `k`-th [`tick`](Self::tick) from now to panic; 0 disarms.
    pub fn panic_on_tick(&self, k: usize) {
        let at = if k == 0 {
            0
        } else {
            self.ticks.load(Ordering::SeqCst) + k
        };
        self.panic_tick_at.store(at, Ordering::SeqCst);
    }

    /// Call from inside a user closure (factory, reset hook, update
    /// function): panics when it is the armed call.
    pub fn tick(&self) {
        let n = self.ticks.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.panic_tick_at.load(Ordering::SeqCst) {
            panic!("nanopath-testkit: injected panic in call {n}");
        }
    }

    /// A value with id `id` tied to this plan.
    pub fn item(&'static self, id: u32) -> Faulty {
        let mut drops = self.drops.lock().unwrap_or_else(|e| e.into_inner());
        let index = id as usize;
        if drops.len() <= index {
            drops.resize(index + 1, 0);
        }
        Faulty { id, faults: self }
    }

    /// How many times the value `id` has been dropped.
    pub fn drops_of(&self, id: u32) -> u32 {
        let drops = self.drops.lock().unwrap_or_else(|e| e.into_inner());
        drops.get(id as usize).copied().unwrap_or(0)
    }

    /// Drops so far over every id.
    pub fn total_drops(&self) -> usize {
        self.total_drops.load(Ordering::SeqCst)
    }

    /// Clones so far.
    pub fn clones(&self) -> usize {
        self.clones.load(Ordering::SeqCst)
    }

    /// Panics unless no value was dropped more than once.
    pub fn assert_no_double_drop(&self) {
        let drops = self.drops.lock().unwrap_or_else(|e| e.into_inner());
        for (id, &n) in drops.iter().enumerate() {
            assert!(n <= 1, "value {id} dropped {n} times");
        }
    }

    /// Panics unless each of the ids `0..n` was dropped exactly once.
    pub fn assert_all_dropped_once(&self, n: u32) {
        for id in 0..n {
            assert_eq!(self.drops_of(id), 1, "value {id}: drop count");
        }
        self.assert_no_double_drop();
    }

    fn count_drop(&self, id: u32) {
        {
            let mut drops = self.drops.lock().unwrap_or_else(|e| e.into_inner());
            let index = id as usize;
            if drops.len() <= index {
                drops.resize(index + 1, 0);
            }
            drops[index] += 1;
        }
        let n = self.total_drops.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.panic_drop_at.load(Ordering::SeqCst) && !std::thread::panicking() {
            panic!("nanopath-testkit: injected panic in drop {n} (value {id})");
        }
    }
}

/// A value whose drops and clones are counted by its [`Faults`] plan, and
/// which panics when the plan says so. Clones share the id (so a clone and
/// its original are two drops of one id): give clones their own id with
/// [`Faults::item`] where a test needs exact counts.
#[derive(Debug)]
pub struct Faulty {
    /// The value's identity, for order and exactly-once checks.
    pub id: u32,
    faults: &'static Faults,
}

impl Clone for Faulty {
    fn clone(&self) -> Self {
        let n = self.faults.clones.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.faults.panic_clone_at.load(Ordering::SeqCst) {
            panic!("nanopath-testkit: injected panic in clone {n}");
        }
        Faulty {
            id: self.id,
            faults: self.faults,
        }
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        self.faults.count_drop(self.id);
    }
}

/// `count` deterministic pseudo-random inputs of `len` bytes each
/// (xorshift64*, input `i` seeded from `i`), for the operation-sequence
/// checkers that fuzz targets drive through `arbitrary::Unstructured`.
/// Under Miri they stand in for proptest: interpreted, generating
/// proptest's values costs several times the checks themselves.
///
/// ```
/// let inputs: Vec<Vec<u8>> = nanopath_testkit::pseudo_random_inputs(3, 16).collect();
/// assert_eq!(inputs.len(), 3);
/// assert!(inputs.iter().all(|i| i.len() == 16));
/// assert_ne!(inputs[0], inputs[1]);
/// let again: Vec<Vec<u8>> = nanopath_testkit::pseudo_random_inputs(3, 16).collect();
/// assert_eq!(inputs, again);
/// ```
pub fn pseudo_random_inputs(count: usize, len: usize) -> impl Iterator<Item = Vec<u8>> {
    (0..count as u64).map(move |i| {
        // Never zero: xorshift's one fixed point.
        let mut x = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (0..len)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
            })
            .collect()
    })
}

/// The regression seeds of fuzz target `target`: every file in the
/// repository's `fuzz/seeds/<target>/` (inputs the fuzzer found or that
/// reach its deeper paths), as (file name, bytes), sorted by name.
///
/// Empty outside the repository (this crate built from its package, where
/// `fuzz/` does not exist).
///
/// # Panics
/// In the repository, if the directory is missing or holds no file: a
/// replay test with nothing to replay must fail, not pass.
pub fn fuzz_seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    if !fuzz.join("Cargo.toml").is_file() {
        // Outside the repository (a crate built from its package): the
        // seeds are not shipped, so there is nothing to replay.
        return Vec::new();
    }
    let dir = fuzz.join("seeds").join(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("fuzz seeds {}: {e}", dir.display()));
    let mut seeds: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("fuzz seed {}: {e}", path.display()));
            (name, bytes)
        })
        .collect();
    assert!(!seeds.is_empty(), "no fuzz seeds in {}", dir.display());
    seeds.sort();
    seeds
}
