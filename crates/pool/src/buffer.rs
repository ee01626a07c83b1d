//! `BufferPool`: fixed-capacity `BytesMut` buffers whose memory is reused
//! after the `Bytes` frozen from them are dropped.

use alloc::sync::Arc;
use core::fmt;
use core::ops::{Deref, DerefMut};

use bytes::{Bytes, BytesMut};

use crate::object::{ObjectPool, OwnedPooled, PoolStats};

/// A pool of `BytesMut` buffers of one capacity.
///
/// [`acquire`](Self::acquire) lends a writable, empty buffer;
/// [`PooledBuf::freeze`] splits the written bytes off as a `Bytes` (no copy)
/// and gives the buffer back. The `Bytes` and every clone or slice of it
/// share the buffer's memory through its reference count; once the last of
/// them is dropped, the next `acquire` of that buffer reclaims the whole
/// allocation in place (`BytesMut::try_reclaim`) instead of allocating.
/// The memory never goes back to the allocator while the pool keeps the
/// buffer, so a steady acquire → write → freeze → clone → drop cycle makes
/// no heap allocation (a test with a counting global allocator proves it).
///
/// If a buffer's `Bytes` are still alive when it comes up again, that
/// buffer gets a fresh allocation (counted in [`fresh_allocations`](Self::fresh_allocations))
/// and the old memory is freed when its last `Bytes` goes.
///
/// ```
/// use nanopath_pool::BufferPool;
///
/// let pool = BufferPool::new(16, 4096);
/// let mut buf = pool.acquire();
/// buf.extend_from_slice(b"GET / HTTP/1.1\r\n");
/// let frame = buf.freeze();
/// let header = frame.slice(0..3);
/// assert_eq!(&header[..], b"GET");
/// drop((frame, header)); // the memory is the pool's again
/// let again = pool.acquire();
/// assert!(again.is_empty() && again.capacity() >= 4096);
/// ```
pub struct BufferPool {
    pool: Arc<ObjectPool<BytesMut>>,
    buffer_size: usize,
    fresh: Arc<nanopath_atomic::ShardedCounter>,
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("buffers", &self.pool.capacity())
            .field("buffer_size", &self.buffer_size)
            .field("stats", &self.pool.stats())
            .finish()
    }
}

impl BufferPool {
    /// A pool keeping up to `buffers` buffers of `buffer_size` bytes each.
    /// Buffers are allocated on first use (or by [`prefill`](Self::prefill)).
    pub fn new(buffers: usize, buffer_size: usize) -> Self {
        let pool = ObjectPool::with_reset(
            buffers,
            move || BytesMut::with_capacity(buffer_size),
            BytesMut::clear,
        );
        Self {
            pool: Arc::new(pool),
            buffer_size,
            fresh: Arc::new(nanopath_atomic::ShardedCounter::new()),
        }
    }

    /// Allocates up to `count` buffers now; returns how many were built.
    pub fn prefill(&self, count: usize) -> usize {
        self.pool.prefill(count)
    }

    /// The capacity every lent buffer has at least.
    pub fn buffer_size(&self) -> usize {
        self.buffer_size
    }

    /// The underlying object pool's counters.
    pub fn stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// Buffers that had to be reallocated because `Bytes` frozen from them
    /// were still alive when they were lent again.
    pub fn fresh_allocations(&self) -> u64 {
        self.fresh.sum()
    }

    /// Lends an empty buffer with at least [`buffer_size`](Self::buffer_size)
    /// bytes of capacity (built if no buffer is idle; see
    /// [`ObjectPool::acquire`]).
    pub fn acquire(&self) -> PooledBuf {
        let mut buf = self.pool.acquire_owned();
        // Empty after the reset hook; reclaim the whole allocation if every
        // `Bytes` split from it is gone (no allocation either way).
        if !buf.try_reclaim(self.buffer_size) {
            // Still shared: leave that memory to its `Bytes`.
            *buf = BytesMut::with_capacity(self.buffer_size);
            self.fresh.incr();
        }
        PooledBuf { buf }
    }
}

/// A writable buffer lent by a [`BufferPool`]; derefs to `BytesMut`.
/// Dropping it (or freezing it) gives the buffer back.
pub struct PooledBuf {
    buf: OwnedPooled<BytesMut>,
}

impl PooledBuf {
    /// The written bytes as a `Bytes` sharing the buffer's memory (no
    /// copy); the buffer goes back to the pool and its memory is reused
    /// once this `Bytes` and all its clones and slices are dropped.
    pub fn freeze(mut self) -> Bytes {
        self.buf.split().freeze()
    }
}

impl Deref for PooledBuf {
    type Target = BytesMut;
    #[inline]
    fn deref(&self) -> &BytesMut {
        &self.buf
    }
}

impl DerefMut for PooledBuf {
    #[inline]
    fn deref_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }
}

impl fmt::Debug for PooledBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.buf.len())
            .field("capacity", &self.buf.capacity())
            .finish()
    }
}
