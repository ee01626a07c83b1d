//! # nanopath-queue
//!
//! Queues for the hot path (the SPSC ring wait-free; see each module for its
//! progress guarantee). `#![no_std]` + `alloc`.
//!
//! | module | pattern | status |
//! |---|---|---|
//! | [`spsc`] | one producer thread, one consumer thread: pipeline stages | available |
//! | [`mpmc`] | bounded, many producers and consumers: load balancing | available |
//! | [`mpsc`] | bounded and unbounded fan-in | available |
//! | [`channel`] | blocking channels with stats on top of the queues (`std`) | available |
//!
//! The rings are made by [`spsc::ring`], [`mpsc::bounded`],
//! [`mpsc::unbounded`] and [`mpmc::Queue::new`]; the word "channel" is
//! kept for the blocking channels built on them ([`channel::spsc()`] and
//! the others).
//!
//! ## Verification builds
//!
//! The `loom` feature and the `--cfg nanopath_loom` build it works with
//! exist to model-check this crate (the `tests/loom*.rs` models) and are
//! outside semver, as in crossbeam: there the atomics, locks and cells are
//! loom's, and [`mpsc::SEGMENT_SLOTS`] is 2 instead of 63 so that models
//! cross segment boundaries. Every other public item, [`mpsc::MAX_PRODUCERS`]
//! included, is the same in both builds.
//!
//! ```
//! let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u64>(1024);
//! std::thread::scope(|s| {
//!     s.spawn(move || {
//!         for i in 0..10_000 {
//!             while tx.push(i).is_err() {
//!                 std::hint::spin_loop();
//!             }
//!         }
//!     });
//!     let mut expected = 0;
//!     while expected < 10_000 {
//!         if let Some(v) = rx.pop() {
//!             assert_eq!(v, expected);
//!             expected += 1;
//!         }
//!     }
//! });
//! ```
#![cfg_attr(not(test), no_std)]

// The crate README's example runs as a doctest.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
pub mod channel;
mod error;
pub mod mpmc;
pub mod mpsc;
mod ring;
pub mod spsc;
mod unwind;

// The loom shim shared by every nanopath crate: atomics, `Arc`, locks and
// spin hints from `core`/`std` normally, from loom under `--cfg nanopath_loom`.
use nanopath_atomic::sync;

pub use error::{CapacityError, ChunkError, Full};
