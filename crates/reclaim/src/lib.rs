//! # nanopath-reclaim
//!
//! Safe memory reclamation for lock-free data structures, with two schemes
//! behind one trait:
//!
//! | scheme | module | reads cost | unfreed garbage | pick it for |
//! |---|---|---|---|---|
//! | [`Hazard`] | [`hazard`] | a store and a compiler fence (Linux; a `SeqCst` fence elsewhere) | bounded, even if a reader stalls | long-held references, bounded memory |
//! | [`Epoch`] | crossbeam-epoch | a pin (thread-local counter + fence) | unbounded while any thread stays pinned | cheapest batch frees |
//!
//! Data structures are written once against [`Reclaim`] and run on either:
//! [`TreiberStack`], [`MsQueue`], and the read-mostly [`RcuCell`].
//!
//! ```
//! use nanopath_reclaim::{Epoch, Hazard, MsQueue, TreiberStack};
//! use std::sync::Arc;
//!
//! let stack: Arc<TreiberStack<u64, Hazard>> = Arc::new(TreiberStack::new());
//! let queue: Arc<MsQueue<u64, Epoch>> = Arc::new(MsQueue::new());
//! std::thread::scope(|s| {
//!     for t in 0..2 {
//!         let (stack, queue) = (Arc::clone(&stack), Arc::clone(&queue));
//!         s.spawn(move || {
//!             for i in 0..1000 {
//!                 stack.push(t * 1000 + i);
//!                 queue.enqueue(t * 1000 + i);
//!             }
//!         });
//!     }
//! });
//! let mut popped = 0;
//! while stack.pop().is_some() {
//!     popped += 1;
//! }
//! assert_eq!(popped, 2000);
//! assert_eq!(std::iter::from_fn(|| queue.dequeue()).count(), 2000);
//! ```
//!
//! ## Requires `std`
//!
//! This crate is not `no_std` and has no `std` feature to turn off: hazard
//! domains keep retired objects behind a `std::sync::Mutex`, the global
//! domain caches slots and retirements in thread-locals, the asymmetric
//! fence calls `membarrier(2)` on Linux, and [`Epoch`] is
//! crossbeam-epoch's `std` collector.
//!
//! ## Loom builds are for model checking only
//!
//! The `loom` feature together with `--cfg nanopath_loom` builds the crate
//! against [loom](https://docs.rs/loom) for this repository's model tests
//! (`tests/loom*.rs`). That build is outside semver: use it to check code
//! built on this crate at your own risk. Its public items differ from the
//! normal build's:
//!
//! * [`AtomicPtr`] is `loom::sync::atomic::AtomicPtr`, so every API taking
//!   an atomic pointer takes loom's;
//! * there is no global domain (a `static` cannot hold loom atomics):
//!   [`Domain::global`](hazard::Domain::global),
//!   [`Hazard::global`], [`HazardPointer::new`](hazard::HazardPointer::new)
//!   and `HazardPointer`'s `Default` are absent, and `Hazard::default()` is
//!   a fresh local domain;
//! * [`Domain::new`](hazard::Domain::new) and
//!   [`Domain::with_scan_threshold`](hazard::Domain::with_scan_threshold)
//!   are `const fn` outside loom only (loom's atomics and locks have no
//!   `const` constructors).
//!
//! Every other public item is the same in both builds. The behaviour
//! differs too: a domain scans once a retire list reaches its base
//! threshold (not `max(base, 2 × hazard slots)`), the hazard-pointer
//! fences are the `SeqCst` fallback (loom cannot model `membarrier`), and
//! crossbeam-epoch's internals run unmodelled.

// The crate README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod chain;
/// The asymmetric fences of the hazard-pointer protocol (their home is
/// nanopath-atomic).
pub use nanopath_atomic::fence;
pub mod hazard;
mod queue;
mod rcu;
mod scheme;
mod stack;

use nanopath_atomic::sync;

pub use queue::MsQueue;
pub use rcu::{RcuCell, RcuReadGuard};
pub use scheme::{Epoch, EpochGuard, Guard, Hazard, HazardGuard, HazardReadGuard, Reclaim, Slot};
pub use stack::TreiberStack;
/// The atomic pointer type every API here takes (`core`'s; loom's under
/// `--cfg nanopath_loom`, see the crate docs).
pub use sync::AtomicPtr;
