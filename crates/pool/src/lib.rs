//! # nanopath-pool
//!
//! Object pools for the hot path: once warm, lending and returning an
//! object never calls the allocator.
//!
//! * [`ObjectPool`]: a lock-free pool of reusable objects, lent in place
//!   through [`Pooled`] (borrowing the pool) or [`OwnedPooled`] (holding an
//!   `Arc` to it, `'static + Send`), with a reset hook, a timed wait, and
//!   [`PoolStats`].
//! * [`BufferPool`]: `BytesMut` buffers frozen into `Bytes` without a copy,
//!   whose memory is reused, not freed, once the last `Bytes` is dropped.
//!
//! The crate README has the sizing guide, a request-handler example and
//! the measured numbers.
//!
//! ```
//! use nanopath_pool::ObjectPool;
//! use std::sync::Arc;
//!
//! let pool = Arc::new(ObjectPool::new(4, || [0u8; 64]));
//! let mut obj = pool.acquire_owned();
//! std::thread::spawn(move || obj[0] = 1).join().unwrap();
//! assert_eq!(pool.stats().released, 1);
//! ```

// The crate README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

extern crate alloc;

mod buffer;
mod error;
mod object;
use nanopath_atomic::sync;

pub use buffer::{BufferPool, PooledBuf};
pub use error::{CapacityError, MAX_CAPACITY, PoolStats, Timeout};
pub use object::{ObjectPool, OwnedPooled, Pooled};
