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
//!
//! `#![no_std]` with `alloc`; the default `std` feature adds thread-local
//! shard selection, `available_parallelism`-sized constructors and
//! `yield_now` in [`Backoff::snooze`].
//!
//! ## Verification
//!
//! Every atomic goes through the private `sync` shim, which swaps in
//! [loom](https://docs.rs/loom) under `--cfg nanopath_loom`; the loom models
//! live in `tests/loom.rs`. Tests run under Miri with
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

pub mod backoff;
pub mod cache_padded;
pub mod seqlock;
mod shard;
pub mod sharded_counter;
pub mod spinlock;
pub mod stats;
mod sync;
pub mod tagged;

// The modules are public for their documentation (algorithm notes, memory
// model arguments); the types are re-exported here, which is the API to use.
pub use backoff::Backoff;
pub use cache_padded::CachePadded;
pub use seqlock::SeqLock;
pub use shard::{default_shards, thread_slot_id};
pub use sharded_counter::ShardedCounter;
pub use spinlock::{SpinLock, SpinLockGuard};
pub use stats::{RequestStats, StatsSnapshot};
pub use tagged::{AtomicTaggedIndex, AtomicTaggedPtr, MisalignedPointer, TaggedIndex, TaggedPtr};

/// Re-exported so users can derive SeqLock payload bounds without naming a
/// second version of zerocopy.
pub use zerocopy;
