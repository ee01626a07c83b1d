//! The datapath demo: one request pipeline in two builds over the same
//! workload, driven at a fixed offered rate (open loop) or as fast as it
//! answers (closed loop), in process or over loopback TCP. The binary is
//! `src/bin/datapath.rs`.
//!
//! * `workload`: the request stream, the work per request and the
//!   reference answers.
//! * `naive`: the competent first version.
//! * `nanopath`: the same pipeline on nanopath's crates.
//! * `drive`: the load generator, the latency histograms and the checks.
//! * `jitter`: how much of a core the machine itself takes away.
//! * `output`: the tables and charts.

pub mod drive;
pub mod jitter;
pub mod naive;
pub mod nanopath;
pub mod output;
pub mod workload;

use std::io::{self, IoSlice};

/// Where request bytes come from (a socket, or the stream in memory).
pub trait Source {
    /// Hands at most `max` bytes to `put`, in one call or none, and
    /// returns how many (0: nothing has arrived).
    fn read(&mut self, max: usize, put: &mut dyn FnMut(&[u8])) -> io::Result<usize>;
}

/// Where response frames go: the slices of one vectored write, holding
/// any number of whole frames.
pub trait Sink {
    /// Takes all of `bytes` (what a socket does not accept at once is kept
    /// and sent first next time).
    fn write(&mut self, bytes: &[IoSlice<'_>]) -> io::Result<()>;
}

/// What the workers counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Requests handled.
    pub requests: u64,
    /// Payload bytes handled.
    pub bytes: u64,
}

/// A build of the pipeline: an ingress stage on the calling thread,
/// workers on threads of their own, responses collected back on the
/// calling thread.
pub trait Pipeline {
    /// `naive` or `nanopath`.
    fn name(&self) -> &'static str;
    /// Reads once from `source` (at most `max` bytes) and hands every
    /// whole request to the workers. Returns the bytes read: 0 when
    /// nothing had arrived, or when the workers had no room (the requests
    /// already read wait, and no more is read).
    fn ingest(&mut self, source: &mut dyn Source, max: usize) -> Result<usize, String>;
    /// Hands every response ready now to `sink`; returns how many.
    fn drain(&mut self, sink: &mut dyn Sink) -> Result<usize, String>;
    /// Stops the workers (after the last response was drained).
    fn finish(self: Box<Self>) -> Result<Totals, String>;
}

/// Counts every allocation the process makes, for the allocations per
/// request figure: the `datapath` binary installs it as the global
/// allocator.
pub mod alloc_count {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// One counter per cache line, picked by the calling thread's stack
    /// address (threads' stacks are megabytes apart), so threads that
    /// allocate do not bounce one line between their cores: a shared
    /// counter would slow the build that allocates more.
    #[repr(align(128))]
    struct Shard(AtomicU64);

    const SHARDS: usize = 64;

    static ALLOCATIONS: [Shard; SHARDS] = [const { Shard(AtomicU64::new(0)) }; SHARDS];

    #[inline]
    fn count() {
        let probe = 0u8;
        let at = core::ptr::addr_of!(probe) as usize;
        // A statistic only: no ordering needed.
        ALLOCATIONS[(at >> 20) % SHARDS]
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    /// `System`, counting `alloc`, `alloc_zeroed` and `realloc` calls.
    #[derive(Debug)]
    pub struct CountingAlloc;

    // SAFETY: every call is forwarded to `System` unchanged; counting is a
    // relaxed atomic add with no allocation of its own.
    unsafe impl GlobalAlloc for CountingAlloc {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count();
            // SAFETY: the caller's contract is `System::alloc`'s.
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            count();
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count();
            // SAFETY: as for `alloc`; `ptr` came from this allocator,
            // which is `System`'s.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: as for `realloc`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// Allocations so far, all threads (0 unless [`CountingAlloc`] is the
    /// global allocator). Exact once the allocating threads are quiet.
    pub fn allocations() -> u64 {
        ALLOCATIONS
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Whether [`CountingAlloc`] is installed: an allocation moves the
    /// count.
    pub fn installed() -> bool {
        let before = allocations();
        drop(std::hint::black_box(Box::new(0u64)));
        allocations() != before
    }
}
