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
//! Under loom (`--cfg nanopath_loom`) the hazard-pointer fences are the
//! `SeqCst` fallback (loom cannot model `membarrier`), there is no global
//! domain (each `Hazard::default()` is a fresh local domain), and
//! crossbeam-epoch's internals run unmodelled.
#![no_std]

// The crate README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

extern crate alloc;
extern crate std;

pub mod fence;
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
/// `--cfg nanopath_loom`).
pub use sync::AtomicPtr;
