//! # nanopath-atomic
//!
//! The small concurrency building blocks the rest of nanopath (and your hot
//! path) stands on:
//!
//! | item | what it is for |
//! |---|---|
//! | [`CachePadded`] | keep a value alone in its cache line(s), per-architecture alignment |
//! | [`Backoff`] | spin / snooze / "time to park" for CAS loops and waits |
//! | [`ShardedCounter`] | a counter many threads bump without contention |
//! | [`RequestStats`] | lock-free request/error/byte statistics with snapshots |
//! | [`SpinLock`] | test-and-test-and-set lock for very short critical sections |
//! | [`SeqLock`] | readers never block writers, never see torn values, no data races |
//! | [`AtomicTaggedIndex`], [`AtomicTaggedPtr`] | ABA-safe CAS on indices and pointers |
//! | [`TaggedIndexStack`] | lock-free ABA-safe stack of slot indices (free lists) |
//! | [`PerThread`], [`ThreadCounter`] | one padded cell per thread; owner writes without lock prefix |
//! | `EventCount` (`std`) | park until a lock-free condition holds; no syscall when nobody waits |
//! | [`fence`] | store→load barriers whose cost the rare side pays (`membarrier` on Linux) |
//!
//! `#![no_std]` with `alloc`; the default `std` feature adds thread-local
//! shard selection, `available_parallelism`-sized constructors and
//! `yield_now` in [`Backoff::snooze`]. The items built on 64-bit atomics
//! (`ShardedCounter`, `PerThread`, `ThreadCounter`, `RequestStats`,
//! `SeqLock`, the tagged indices and pointers, `TaggedIndexStack`) exist
//! only where `cfg(target_has_atomic = "64")` holds; on a 32-bit
//! microcontroller (thumbv7em) the crate offers `CachePadded`, `Backoff`,
//! `SpinLock` and [`fence`].
//!
//! ## Verification
//!
//! Every atomic goes through the `sync` shim, which swaps in
//! [loom](https://docs.rs/loom) under `--cfg nanopath_loom`; the loom models
//! live in `tests/loom*.rs`. The `sync` module and everything built with
//! `--cfg nanopath_loom` (the `loom` feature) are for nanopath's own crates
//! and model checking, hidden from these docs and outside semver: under
//! loom, constructors stop being `const` and the atomics in signatures are
//! loom's. Tests run under Miri with
//! `-Zmiri-strict-provenance`. See `docs/verification.md` in the repository.
//!
//! ```
//! use nanopath_atomic::{CachePadded, SeqLock, ShardedCounter};
//!
//! let requests = CachePadded::new(ShardedCounter::new());
//! let config = SeqLock::new([0u64; 4]);
//! requests.incr();
//! config.write([1, 2, 3, 4]);
//! assert_eq!(requests.sum(), 1);
//! assert_eq!(config.read(), [1, 2, 3, 4]);
//! ```
#![cfg_attr(not(test), no_std)]

// The crate README's example runs as a doctest.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod backoff;
mod cache_padded;
#[cfg(feature = "std")]
mod event_count;
pub mod fence;
// What needs 64-bit atomics is there only where the target has them (a
// 32-bit microcontroller such as Cortex-M has 32-bit atomics only).
#[cfg(target_has_atomic = "64")]
mod index_stack;
#[cfg(target_has_atomic = "64")]
mod per_thread;
#[cfg(target_has_atomic = "64")]
mod seqlock;
#[cfg(target_has_atomic = "64")]
mod sharded_counter;
mod spinlock;
#[cfg(target_has_atomic = "64")]
mod stats;
#[doc(hidden)]
pub mod sync;
#[cfg(target_has_atomic = "64")]
mod tagged;

// One path per type: the crate root. The algorithm notes and memory-model
// arguments are in each module's source and on the types' docs.
pub use backoff::Backoff;
pub use cache_padded::CachePadded;
#[cfg(feature = "std")]
pub use event_count::{EventCount, Registration, WaitKey, WakerSlot};
#[cfg(target_has_atomic = "64")]
pub use index_stack::TaggedIndexStack;
#[cfg(target_has_atomic = "64")]
pub use per_thread::{PerThread, ThreadCounter, default_shards, thread_slot_id};
#[cfg(target_has_atomic = "64")]
pub use seqlock::SeqLock;
#[cfg(target_has_atomic = "64")]
pub use sharded_counter::ShardedCounter;
pub use spinlock::{SpinLock, SpinLockGuard};
#[cfg(target_has_atomic = "64")]
pub use stats::{RequestStats, StatsSnapshot};
#[cfg(target_has_atomic = "64")]
pub use tagged::{AtomicTaggedIndex, AtomicTaggedPtr, MisalignedPointer, TaggedIndex, TaggedPtr};

/// Re-exported so users can derive SeqLock payload bounds without naming a
/// second version of zerocopy.
pub use zerocopy;
