//! The zero-copy chunk API of the SPSC ring: a producer's reserved free
//! slots ([`WriteChunkUninit`]) and a consumer's borrowed ready items
//! ([`ReadChunk`]), each committed with one publication.

use super::{Consumer, Producer};
use crate::error::ChunkError;
use crate::unwind::drop_each;
use core::fmt;
use core::mem::MaybeUninit;
use core::{ptr, slice};

impl<T> Producer<T> {
    /// Reserves `n` free slots to be written in place and committed with
    /// one publication (zero-copy batch push).
    ///
    /// # Errors
    ///
    /// [`ChunkError::TooFewSlots`] if fewer than `n` slots are free.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u64>(8);
    /// let chunk = tx.write_chunk_uninit(4).unwrap();
    /// assert_eq!(chunk.fill_from_iter(10..), 4);
    /// assert_eq!(rx.pop(), Some(10));
    /// assert_eq!(rx.len(), 3);
    /// ```
    pub fn write_chunk_uninit(&mut self, n: usize) -> Result<WriteChunkUninit<'_, T>, ChunkError> {
        let available = self.reserve(n);
        if available < n {
            return Err(ChunkError::TooFewSlots {
                requested: n,
                available,
            });
        }
        Ok(WriteChunkUninit {
            producer: self,
            len: n,
        })
    }
}

impl<T: Default> Producer<T> {
    /// Reserves `n` free slots filled with `T::default()`, to be written
    /// through safe slices and committed with one publication: the safe
    /// form of [`write_chunk_uninit`](Self::write_chunk_uninit) (it costs
    /// the default writes).
    ///
    /// # Errors
    ///
    /// [`ChunkError::TooFewSlots`] if fewer than `n` slots are free.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u32>(4);
    /// let mut chunk = tx.write_chunk(3).unwrap();
    /// let (first, second) = chunk.as_mut_slices();
    /// for (i, slot) in first.iter_mut().chain(second).enumerate() {
    ///     *slot = i as u32 * 10;
    /// }
    /// chunk.commit(2); // the third slot's value is dropped, not sent
    /// assert_eq!((rx.pop(), rx.pop(), rx.pop()), (Some(0), Some(10), None));
    /// ```
    pub fn write_chunk(&mut self, n: usize) -> Result<WriteChunk<'_, T>, ChunkError> {
        let chunk = self.write_chunk_uninit(n)?;
        let producer = chunk.producer;
        let runs = producer.runs(n);
        let mut chunk = WriteChunk { producer, len: 0 };
        // `len` counts the slots written so far: if a `default()` panics,
        // the chunk's drop drops exactly those.
        for (run, run_len) in runs {
            for i in 0..run_len {
                // SAFETY: the `n` slots from ours are free and reserved
                // (see `WriteChunkUninit::as_mut_slices`); the runs cover
                // them in slice order, and each is written once.
                unsafe { run.add(i).write(T::default()) };
                chunk.len += 1;
            }
        }
        Ok(chunk)
    }
}

/// Free slots reserved by [`Producer::write_chunk`], each holding a value
/// (`T::default()` at first). [`commit`](Self::commit) publishes the first
/// `n` and drops the rest; dropping the chunk without a commit drops them
/// all. Nothing is visible to the consumer before the commit.
#[must_use = "nothing is published until the chunk is committed"]
pub struct WriteChunk<'a, T> {
    producer: &'a mut Producer<T>,
    /// Slots from the producer's next slot holding initialised values
    /// owned by this chunk.
    len: usize,
}

impl<T> WriteChunk<'_, T> {
    /// The reserved slots, as up to two slices (the second is empty unless
    /// the chunk wraps around the end of the buffer).
    pub fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        let [(first, first_len), (second, second_len)] = self.producer.runs(self.len);
        // SAFETY: the runs lie inside the buffer and are disjoint; the
        // slots hold initialised values this chunk owns, reachable only
        // through `self`, borrowed mutably here.
        unsafe {
            (
                slice::from_raw_parts_mut(first, first_len),
                slice::from_raw_parts_mut(second, second_len),
            )
        }
    }

    /// The number of reserved slots.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` for a chunk of zero slots.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Publishes the first `n` values (in slice order; `n` is capped at
    /// [`len`](Self::len)) with one publication and drops the others. If
    /// one of those drops panics, the rest are still dropped and the `n`
    /// are still published.
    pub fn commit(mut self, n: usize) {
        let n = n.min(self.len);
        let len = core::mem::replace(&mut self.len, 0);
        let producer = &mut *self.producer;
        producer.shared.track_writes(producer.slot, n);
        producer.publish(n);
        // The values past the committed ones are now at our new slot.
        drop_written(producer, len - n);
    }

    /// Publishes every reserved value.
    pub fn commit_all(self) {
        let n = self.len;
        self.commit(n);
    }
}

impl<T> Drop for WriteChunk<'_, T> {
    fn drop(&mut self) {
        drop_written(self.producer, self.len);
    }
}

/// Drops the `n` unpublished values from the producer's next slot, each
/// once, even if one's `Drop` panics.
fn drop_written<T>(producer: &mut Producer<T>, n: usize) {
    if !core::mem::needs_drop::<T>() {
        return;
    }
    let [first, second] = producer.runs(n);
    let mut runs = [first, second].into_iter().flat_map(|(run, len)| {
        // SAFETY: `run..run + len` is inside the buffer (see `runs`).
        (0..len).map(move |i| unsafe { run.add(i) })
    });
    drop_each(|| match runs.next() {
        Some(slot) => {
            // SAFETY: the slot holds an unpublished initialised value that
            // nothing else owns; each is visited once.
            unsafe { ptr::drop_in_place(slot) };
            true
        }
        None => false,
    });
}

impl<T> Consumer<T> {
    /// Borrows `n` ready items in place, as up to two slices, to be consumed
    /// with one publication (zero-copy batch pop).
    ///
    /// # Errors
    ///
    /// [`ChunkError::TooFewSlots`] if fewer than `n` items are ready.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// let chunk = rx.read_chunk(3).unwrap();
    /// let (a, b) = chunk.as_slices();
    /// assert_eq!(a.iter().chain(b).sum::<i32>(), 6);
    /// chunk.commit_all();
    /// assert!(rx.is_empty());
    /// ```
    pub fn read_chunk(&mut self, n: usize) -> Result<ReadChunk<'_, T>, ChunkError> {
        let available = self.ready(n);
        if available < n {
            return Err(ChunkError::TooFewSlots {
                requested: n,
                available,
            });
        }
        self.shared.track_reads(self.slot, n);
        Ok(ReadChunk {
            consumer: self,
            len: n,
        })
    }
}

/// Free slots reserved by [`Producer::write_chunk_uninit`], written in place.
///
/// Nothing is visible to the consumer until a commit. Values written into
/// slots that are not committed are not dropped (they are forgotten, as with
/// `MaybeUninit`).
#[must_use = "nothing is published until the chunk is committed"]
pub struct WriteChunkUninit<'a, T> {
    producer: &'a mut Producer<T>,
    /// Reserved slots from the producer's next slot; all are free.
    len: usize,
}

impl<T> WriteChunkUninit<'_, T> {
    /// The reserved slots, as up to two slices (the second is empty unless
    /// the chunk wraps around the end of the buffer).
    ///
    /// ```
    /// use core::mem::MaybeUninit;
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u32>(4);
    /// let mut chunk = tx.write_chunk_uninit(2).unwrap();
    /// let (first, second) = chunk.as_mut_slices();
    /// assert_eq!(first.len() + second.len(), 2);
    /// for (i, slot) in first.iter_mut().chain(second).enumerate() {
    ///     slot.write(i as u32 * 10);
    /// }
    /// // SAFETY: both slots were initialised above.
    /// unsafe { chunk.commit_all() };
    /// assert_eq!((rx.pop(), rx.pop()), (Some(0), Some(10)));
    /// ```
    pub fn as_mut_slices(&mut self) -> (&mut [MaybeUninit<T>], &mut [MaybeUninit<T>]) {
        let [(first, first_len), (second, second_len)] = self.producer.runs(self.len);
        // SAFETY: the runs lie inside the buffer and are disjoint (see
        // `runs`); the slots are free and reserved for us (see `push`), and
        // the slices borrow `self` mutably, so nothing else reaches them
        // meanwhile. `MaybeUninit<T>` has `T`'s layout.
        unsafe {
            (
                slice::from_raw_parts_mut(first.cast::<MaybeUninit<T>>(), first_len),
                slice::from_raw_parts_mut(second.cast::<MaybeUninit<T>>(), second_len),
            )
        }
    }

    /// The number of reserved slots.
    ///
    /// ```
    /// let (mut tx, _rx) = nanopath_queue::spsc::ring::<u8>(4);
    /// assert_eq!(tx.write_chunk_uninit(3).unwrap().len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` for a chunk of zero slots.
    ///
    /// ```
    /// let (mut tx, _rx) = nanopath_queue::spsc::ring::<u8>(4);
    /// assert!(tx.write_chunk_uninit(0).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Publishes the first `n` slots (in slice order); `n` is capped at
    /// [`len`](Self::len).
    ///
    /// # Safety
    ///
    /// The first `min(n, len)` slots, in the order of
    /// [`as_mut_slices`](Self::as_mut_slices) (first slice, then second),
    /// must have been initialised.
    pub unsafe fn commit(self, n: usize) {
        let n = n.min(self.len);
        self.producer.shared.track_writes(self.producer.slot, n);
        self.producer.publish(n);
    }

    /// Publishes every reserved slot.
    ///
    /// # Safety
    ///
    /// Every reserved slot must have been initialised.
    pub unsafe fn commit_all(self) {
        let n = self.len;
        // SAFETY: forwarded to the caller.
        unsafe { self.commit(n) };
    }

    /// Moves items from `iter` into the reserved slots until either runs out,
    /// then publishes them; returns how many. Safe: only written slots are
    /// committed. If the iterator panics, the items it yielded before are
    /// still published (as `Vec::extend` keeps them) and the panic goes on.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(4);
    /// let n = tx.write_chunk_uninit(4).unwrap().fill_from_iter(["a", "b"]);
    /// assert_eq!(n, 2);
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn fill_from_iter<I: IntoIterator<Item = T>>(self, iter: I) -> usize {
        /// Publishes the slots written so far, on return and on unwinding.
        #[must_use = "its drop publishes the written slots"]
        struct Publish<'a, T> {
            producer: &'a mut Producer<T>,
            /// Slots written, in slice order, from the producer's next slot.
            written: usize,
        }
        impl<T> Drop for Publish<'_, T> {
            fn drop(&mut self) {
                let n = self.written;
                self.producer.shared.track_writes(self.producer.slot, n);
                self.producer.publish(n);
            }
        }
        let mut iter = iter.into_iter();
        let len = self.len;
        let runs = self.producer.runs(len);
        let mut guard = Publish {
            producer: self.producer,
            written: 0,
        };
        // One loop per run (no per-item test of which run a slot is in).
        'fill: for (run, run_len) in runs {
            for i in 0..run_len {
                let Some(value) = iter.next() else {
                    break 'fill;
                };
                // SAFETY: the `len` slots from ours are free and reserved
                // for us (see `as_mut_slices`); the runs lie inside the
                // buffer and cover them in slice order (see `runs`), and
                // slot `i` of this run is written once.
                unsafe { run.add(i).write(value) };
                guard.written += 1;
            }
        }
        guard.written
    }
}

/// Ready items borrowed in place by [`Consumer::read_chunk`].
///
/// Nothing is consumed until a commit, or until
/// [`into_iter`](IntoIterator::into_iter) hands items out by value (each
/// one taken is consumed); dropping the chunk without either leaves every
/// item in the queue.
#[must_use = "nothing is consumed until the chunk is committed"]
pub struct ReadChunk<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// Ready items from the consumer's next slot.
    len: usize,
}

impl<T> ReadChunk<'_, T> {
    /// The items, oldest first, as up to two slices.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(2);
    /// tx.push_slice(&[5, 6]);
    /// let chunk = rx.read_chunk(2).unwrap();
    /// assert_eq!(chunk.as_slices(), (&[5, 6][..], &[][..]));
    /// ```
    pub fn as_slices(&self) -> (&[T], &[T]) {
        let [(first, first_len), (second, second_len)] = self.consumer.runs(self.len);
        // SAFETY: the runs lie inside the buffer and hold published,
        // initialised items (see `Consumer::pop`) that the producer will not
        // touch until we release them, which needs `self` by value.
        unsafe {
            (
                slice::from_raw_parts(first.cast_const(), first_len),
                slice::from_raw_parts(second.cast_const(), second_len),
            )
        }
    }

    /// The number of items in the chunk.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(2);
    /// tx.push(1).unwrap();
    /// assert_eq!(rx.read_chunk(1).unwrap().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` for a chunk of zero items.
    ///
    /// ```
    /// let (_tx, mut rx) = nanopath_queue::spsc::ring::<u8>(2);
    /// assert!(rx.read_chunk(0).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Consumes (drops) the oldest `n` items of the chunk (capped at
    /// [`len`](Self::len)) and hands their slots back with one publication.
    /// If an item's `Drop` panics, the other items are still dropped and
    /// all `n` slots are handed back before the panic goes on.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(3);
    /// tx.push_slice(&[1, 2, 3]);
    /// rx.read_chunk(3).unwrap().commit(2);
    /// assert_eq!(rx.pop(), Some(3));
    /// ```
    pub fn commit(self, n: usize) {
        /// Hands the slots back, on return and on unwinding alike.
        #[must_use = "its drop hands the slots back"]
        struct Release<'a, T> {
            consumer: &'a mut Consumer<T>,
            /// Items from the consumer's next slot that are dropped (or being
            /// dropped).
            n: usize,
        }
        impl<T> Drop for Release<'_, T> {
            fn drop(&mut self) {
                self.consumer.release(self.n);
            }
        }
        let n = n.min(self.len);
        let start = self.consumer.slot;
        let guard = Release {
            consumer: self.consumer,
            n,
        };
        let shared = &*guard.consumer.shared;
        shared.track_writes(start, n);
        if !core::mem::needs_drop::<T>() {
            // Nothing to drop: `guard` hands the slots back.
            return;
        }
        let mut i = 0;
        // If an item's `Drop` panics, `drop_each` still drops the rest and
        // `guard` then releases all `n` slots: each item is dropped exactly
        // once and none is left behind to be popped again.
        drop_each(|| {
            if i == n {
                return false;
            }
            let index = super::slot_after(shared.capacity, start, i);
            i += 1;
            // SAFETY: the item in slot `index` is initialised and ours (see
            // `as_slices`); each of the `n` is visited once, and its slot
            // is released (by `guard`) only after this drop.
            unsafe { ptr::drop_in_place(shared.slot(index)) };
            true
        });
    }

    /// Consumes every item of the chunk.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(3);
    /// tx.push_slice(&[1, 2]);
    /// rx.read_chunk(2).unwrap().commit_all();
    /// assert!(rx.is_empty());
    /// ```
    pub fn commit_all(self) {
        let n = self.len;
        self.commit(n);
    }
}

impl<'a, T> IntoIterator for ReadChunk<'a, T> {
    type Item = T;
    type IntoIter = ReadChunkIntoIter<'a, T>;
    /// The chunk's items by value, oldest first. Each slot is handed back
    /// to the producer when the iterator is dropped (with one
    /// publication); items not iterated stay in the queue.
    ///
    /// ```
    /// let (mut tx, mut rx) = nanopath_queue::spsc::ring(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// let taken: Vec<i32> = rx.read_chunk(3).unwrap().into_iter().take(2).collect();
    /// assert_eq!(taken, [1, 2]);
    /// assert_eq!(rx.pop(), Some(3)); // not iterated: still there
    /// ```
    fn into_iter(self) -> ReadChunkIntoIter<'a, T> {
        ReadChunkIntoIter {
            consumer: self.consumer,
            left: self.len,
            taken: 0,
        }
    }
}

/// The by-value iterator of a [`ReadChunk`].
///
/// Each item taken advances the consumer's own position at once (so even
/// a leaked iterator never lets an item be read twice); the slots go back
/// to the producer in one publication when the iterator is dropped, or
/// with the consumer's next publication if it is leaked. Until then the
/// producer still counts them as occupied: after a leaked iterator,
/// [`Producer::is_full`] may say full while [`Consumer::is_full`] (which
/// knows what was taken) does not.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct ReadChunkIntoIter<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// Items of the chunk not taken yet, from the consumer's next slot.
    left: usize,
    /// Items taken and not handed back yet, just before the consumer's
    /// next slot.
    taken: usize,
}

impl<T> Iterator for ReadChunkIntoIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        let consumer = &mut *self.consumer;
        consumer.shared.shadow(consumer.slot).write();
        // SAFETY: the slot is one of the chunk's published items (see
        // `ReadChunk::as_slices`); the position moves past it right below,
        // so it is moved out exactly once.
        let value = unsafe { consumer.next_slot_ptr().read() };
        consumer.advance_unpublished();
        self.left -= 1;
        self.taken += 1;
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for ReadChunkIntoIter<'_, T> {}

impl<T> core::iter::FusedIterator for ReadChunkIntoIter<'_, T> {}

impl<T> Drop for ReadChunkIntoIter<'_, T> {
    fn drop(&mut self) {
        if self.taken > 0 {
            self.consumer.publish_position();
        }
    }
}

impl<T> fmt::Debug for ReadChunkIntoIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadChunkIntoIter")
            .field("left", &self.left)
            .finish()
    }
}

impl<T> fmt::Debug for WriteChunk<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteChunk")
            .field("len", &self.len)
            .finish()
    }
}

impl<T> fmt::Debug for WriteChunkUninit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteChunkUninit")
            .field("len", &self.len)
            .finish()
    }
}

impl<T> fmt::Debug for ReadChunk<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadChunk").field("len", &self.len).finish()
    }
}
