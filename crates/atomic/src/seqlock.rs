//! [`SeqLock`]: a sequence lock whose readers never block writers, never see
//! a torn value, and race with nothing in the Rust memory model.
//! (See the type's documentation for the design.)

use crate::backoff::Backoff;
use crate::sync::{AtomicU64, Ordering, fence};
use core::fmt;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// A sequence lock holding a `T`.
///
/// Reads are optimistic: a reader copies the value and retries if a writer
/// overlapped; it writes nothing shared, so readers scale and never delay a
/// writer. Writers are serialized among themselves.
///
/// # Examples
///
/// ```
/// use nanopath_atomic::SeqLock;
///
/// // [bid, ask] quotes: readers must never see a bid from one update
/// // paired with an ask from another.
/// let quote = SeqLock::new([100u64, 101]);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         for i in 0..1000u64 {
///             quote.write([100 + i, 101 + i]);
///         }
///     });
///     for _ in 0..1000 {
///         let [bid, ask] = quote.read();
///         assert_eq!(ask, bid + 1);
///     }
/// });
/// assert_eq!(quote.read(), [1099, 1100]);
/// ```
///
/// # Design
///
/// # The data-race problem, and how this lock avoids it
///
/// A seqlock (Lameter 2005; Linux `seqcount_t`) lets readers copy the value
/// optimistically and retry if a writer was active. The classic
/// implementation copies the value with plain or volatile reads while a
/// writer may be storing to it: a data race, which is undefined behaviour in
/// Rust's (C++20's) memory model regardless of the retry, and which Miri
/// rejects. Boehm, "Can Seqlocks Get Along With Programming Language Memory
/// Models?" (MSPC 2012) gives the sound version, used here:
///
/// * the payload is stored as **atomic words**, read and written with
///   `Relaxed` atomics (plain `mov`s on x86-64 and aarch64), so concurrent
///   access is a race in the algorithm's sense only, never a data race;
/// * the writer makes the sequence odd, issues a **Release fence**, stores the
///   words, then stores the next even sequence with **Release**;
/// * the reader loads the sequence with **Acquire**, loads the words, issues an
///   **Acquire fence**, and reloads the sequence (`Relaxed`). If a word it read
///   came from a writer's store, the writer's Release fence synchronizes with
///   the reader's Acquire fence, so the reload sees at least the odd value and
///   the copy is discarded.
///
/// A discarded copy may mix two writes, so constructing a `T` from it must be
/// harmless: `T` is bounded by zerocopy's [`FromBytes`] (every bit pattern is
/// valid), [`IntoBytes`] (no padding, so every byte is initialised and may be
/// loaded as part of a word) and [`Immutable`] (no interior mutability), and
/// `Copy` (no destructor to run twice).
///
/// Writers exclude each other by CAS-ing the sequence from even to odd, so any
/// number of threads may call [`SeqLock::write`]. A writer that panics inside
/// [`SeqLock::update`] releases the lock on unwind without having written.
///
/// # Storage layout
///
/// The value lives inline, in an 8-byte-aligned cell. Whole 8-byte words are
/// accessed as `AtomicU64`; a tail of fewer than 8 bytes as an `AtomicU32`,
/// `AtomicU16` and `AtomicU8` at naturally aligned offsets. The same offsets
/// and sizes are used by every access, so there are no mixed-size atomics.
/// Under loom the value is kept in a boxed array of loom `AtomicU64`s instead
/// (loom atomics cannot be overlaid on memory); the sequence protocol, which
/// is what the model checks, is the same code.
#[repr(C)] // `seq` first: it shares a cache line with the value's first bytes.
pub struct SeqLock<T> {
    /// Even: no writer inside, and `data` holds the value written by the
    /// writer that stored this number. Odd: a writer is between its CAS and
    /// its final store. Grows by 2 per completed write (wraps after 2^63
    /// writes; a reader would have to sleep through all of them to be fooled).
    seq: AtomicU64,
    /// The value, accessed only through relaxed atomic word operations.
    data: storage::Words<T>,
}

// SAFETY: a `SeqLock<T>` only ever hands out copies of `T` (which is `Copy`
// and has no interior mutability), and all shared access to the storage is
// atomic; sharing it across threads is as safe as sharing `T` by value.
unsafe impl<T: Send> Sync for SeqLock<T> {}

impl<T> SeqLock<T>
where
    T: FromBytes + IntoBytes + Immutable + Copy,
{
    /// A lock holding `value`.
    ///
    /// ```
    /// let lock = nanopath_atomic::SeqLock::new(3u32);
    /// assert_eq!(lock.read(), 3);
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            seq: AtomicU64::new(0),
            data: storage::Words::new(value),
        }
    }

    /// One read attempt: the value, or `None` if a writer was active or
    /// overlapped the copy.
    ///
    /// ```
    /// let lock = nanopath_atomic::SeqLock::new([1u8; 3]);
    /// assert_eq!(lock.try_read(), Some([1, 1, 1])); // no writer, so it succeeds
    /// ```
    #[inline]
    pub fn try_read(&self) -> Option<T> {
        // Acquire pairs with the writer's final Release store: if we see its
        // even number, we see the words it wrote.
        let before = self.seq.load(Ordering::Acquire);
        if before & 1 == 1 {
            return None;
        }
        let value = self.data.load();
        // Acquire fence pairs with the writer's Release fence after its CAS:
        // if any word above came from a writer that started after `before`,
        // the reload below sees that writer's odd number (or later).
        fence(Ordering::Acquire);
        // Relaxed: ordered after the word loads by the fence above.
        let after = self.seq.load(Ordering::Relaxed);
        (before == after).then_some(value)
    }

    /// Reads the value, retrying (with [`Backoff`]) while writers interfere.
    ///
    /// A reader can be delayed indefinitely by writers that never pause; it
    /// never delays them.
    ///
    /// ```
    /// let lock = nanopath_atomic::SeqLock::new([7u32, 8]);
    /// let pair: [u32; 2] = lock.read();
    /// assert_eq!(pair, [7, 8]);
    /// ```
    #[inline]
    pub fn read(&self) -> T {
        // The same protocol as `try_read`, written as one loop that returns
        // `T` directly: no `Option<T>` is materialised per attempt, which
        // keeps large values in registers and out of extra stack copies.
        let backoff = Backoff::new();
        loop {
            // Acquire: as in `try_read`.
            let before = self.seq.load(Ordering::Acquire);
            if before & 1 == 0 {
                let value = self.data.load();
                // Acquire fence: as in `try_read`.
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == before {
                    return value;
                }
            }
            backoff.snooze();
        }
    }

    /// Replaces the value.
    ///
    /// ```
    /// let lock = nanopath_atomic::SeqLock::new(0u64);
    /// lock.write(9);
    /// assert_eq!(lock.read(), 9);
    /// ```
    #[inline]
    pub fn write(&self, value: T) {
        let guard = self.lock_writer();
        self.data.store(&value);
        drop(guard);
    }

    /// Replaces the value with `f(current)` under the writer lock, so
    /// concurrent `update`s never lose each other's changes. Returns the value
    /// written. If `f` panics the value is left unchanged and the lock is
    /// released.
    ///
    /// ```
    /// let lock = nanopath_atomic::SeqLock::new([0u32, 0]);
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| {
    ///             for _ in 0..100 {
    ///                 lock.update(|[a, b]| [a + 1, b + 2]);
    ///             }
    ///         });
    ///     }
    /// });
    /// assert_eq!(lock.read(), [400, 800]);
    /// ```
    pub fn update(&self, f: impl FnOnce(T) -> T) -> T {
        let guard = self.lock_writer();
        // Holding the writer lock, no one else stores: a plain word copy is
        // current (our own Acquire CAS ordered the previous writer's stores).
        let next = f(self.data.load());
        self.data.store(&next);
        drop(guard);
        next
    }

    /// Consumes the lock and returns the value.
    ///
    /// ```
    /// assert_eq!(nanopath_atomic::SeqLock::new(5i16).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.load()
    }

    /// Takes the writer lock: the sequence goes from even to odd.
    #[inline]
    fn lock_writer(&self) -> WriteGuard<'_> {
        let backoff = Backoff::new();
        loop {
            // Relaxed: only a candidate for the CAS.
            let current = self.seq.load(Ordering::Relaxed);
            // Acquire on success pairs with the previous writer's Release
            // store, so its word stores happen-before ours (writers never
            // interleave their words).
            if current & 1 == 0
                && self
                    .seq
                    .compare_exchange_weak(
                        current,
                        current + 1,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
            {
                // Release fence pairs with readers' Acquire fence (see
                // `try_read`): it orders the odd sequence before the word
                // stores that follow.
                fence(Ordering::Release);
                return WriteGuard {
                    seq: &self.seq,
                    odd: current + 1,
                };
            }
            backoff.snooze();
        }
    }
}

/// Holds the writer lock; dropping it (also on unwind) publishes the next
/// even sequence number.
struct WriteGuard<'a> {
    seq: &'a AtomicU64,
    /// The odd value this writer stored.
    odd: u64,
}

impl Drop for WriteGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release pairs with readers' initial Acquire load and the next
        // writer's Acquire CAS: our word stores happen-before both.
        self.seq.store(self.odd.wrapping_add(1), Ordering::Release);
    }
}

impl<T> Default for SeqLock<T>
where
    T: FromBytes + IntoBytes + Immutable + Copy + Default,
{
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> fmt::Debug for SeqLock<T>
where
    T: FromBytes + IntoBytes + Immutable + Copy + fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqLock")
            .field("value", &self.try_read())
            .finish()
    }
}

#[cfg(not(nanopath_loom))]
mod storage {
    //! Inline storage accessed as atomic words.

    use crate::sync::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};
    use core::cell::UnsafeCell;
    use core::mem::{MaybeUninit, size_of};
    use zerocopy::{FromBytes, Immutable, IntoBytes};

    /// `T`'s bytes, 8-byte aligned so that word `i` (offset `8 * i`) can be
    /// accessed as an `AtomicU64`, and the tail as `AtomicU32`/`U16`/`U8` at
    /// the naturally aligned offsets that follow the last whole word.
    ///
    /// Invariant: after `new` returns, the bytes of `value` are only accessed
    /// through those atomic views (or through `&mut self`/by value).
    #[repr(C, align(8))]
    pub(super) struct Words<T> {
        value: UnsafeCell<T>,
    }

    /// Calls `word(offset, width)` for each access unit of a `size`-byte
    /// value: whole 8-byte words, then at most one 4-, 2- and 1-byte unit.
    #[inline(always)]
    fn for_each_unit(size: usize, mut word: impl FnMut(usize, usize)) {
        let mut offset = 0;
        while offset + 8 <= size {
            word(offset, 8);
            offset += 8;
        }
        for width in [4, 2, 1] {
            if offset + width <= size {
                word(offset, width);
                offset += width;
            }
        }
    }

    impl<T: FromBytes + IntoBytes + Immutable + Copy> Words<T> {
        pub(super) fn new(value: T) -> Self {
            Self {
                value: UnsafeCell::new(value),
            }
        }

        /// Relaxed atomic copy of every byte.
        #[inline(always)]
        pub(super) fn load(&self) -> T {
            let src = self.value.get().cast::<u8>();
            let mut out = MaybeUninit::<T>::uninit();
            let dst = out.as_mut_ptr().cast::<u8>();
            for_each_unit(size_of::<T>(), |offset, width| {
                // SAFETY: (all arms) `offset + width <= size_of::<T>()`, so both
                // pointers stay inside their `T`. `src` is 8-aligned (the
                // `align(8)` repr) and `offset` is a multiple of `width`, so
                // the atomic view is aligned. Every access to these bytes
                // after `new` is atomic with this same offset and width
                // (struct invariant), and they are initialised because `T:
                // IntoBytes` has no padding. `dst` writes are unaligned-safe.
                unsafe {
                    let at = src.add(offset);
                    let to = dst.add(offset);
                    // Relaxed: ordering comes from the seqlock's fences.
                    match width {
                        8 => to.cast::<u64>().write_unaligned(
                            AtomicU64::from_ptr(at.cast()).load(Ordering::Relaxed),
                        ),
                        4 => to.cast::<u32>().write_unaligned(
                            AtomicU32::from_ptr(at.cast()).load(Ordering::Relaxed),
                        ),
                        2 => to.cast::<u16>().write_unaligned(
                            AtomicU16::from_ptr(at.cast()).load(Ordering::Relaxed),
                        ),
                        _ => to.write(AtomicU8::from_ptr(at).load(Ordering::Relaxed)),
                    }
                }
            });
            // SAFETY: every byte of `out` was written above (the units cover
            // `0..size_of::<T>()`), and any byte pattern is a valid `T`
            // (`T: FromBytes`).
            unsafe { out.assume_init() }
        }

        /// Relaxed atomic store of every byte of `value`.
        #[inline(always)]
        pub(super) fn store(&self, value: &T) {
            let src = value.as_bytes().as_ptr();
            let dst = self.value.get().cast::<u8>();
            for_each_unit(size_of::<T>(), |offset, width| {
                // SAFETY: as in `load`, with the roles swapped: `src` is a
                // fully initialised `T` (`IntoBytes`) read unaligned, `dst`
                // is accessed through aligned atomic views only.
                unsafe {
                    let from = src.add(offset);
                    let at = dst.add(offset);
                    // Relaxed: ordering comes from the seqlock's fences.
                    match width {
                        8 => AtomicU64::from_ptr(at.cast())
                            .store(from.cast::<u64>().read_unaligned(), Ordering::Relaxed),
                        4 => AtomicU32::from_ptr(at.cast())
                            .store(from.cast::<u32>().read_unaligned(), Ordering::Relaxed),
                        2 => AtomicU16::from_ptr(at.cast())
                            .store(from.cast::<u16>().read_unaligned(), Ordering::Relaxed),
                        _ => AtomicU8::from_ptr(at).store(from.read(), Ordering::Relaxed),
                    }
                }
            });
        }
    }
}

#[cfg(nanopath_loom)]
mod storage {
    //! Loom build: the value's bytes in a boxed array of loom `AtomicU64`s.

    use crate::sync::{AtomicU64, Ordering};
    use alloc::boxed::Box;
    use alloc::vec::Vec;
    use core::marker::PhantomData;
    use core::mem::size_of;
    use zerocopy::{FromBytes, Immutable, IntoBytes};

    pub(super) struct Words<T> {
        /// `ceil(size_of::<T>() / 8)` words; bytes past the value are zero.
        words: Box<[AtomicU64]>,
        _value: PhantomData<T>,
    }

    impl<T: FromBytes + IntoBytes + Immutable + Copy> Words<T> {
        pub(super) fn new(value: T) -> Self {
            let words: Vec<_> = (0..size_of::<T>().div_ceil(8))
                .map(|_| AtomicU64::new(0))
                .collect();
            let this = Self {
                words: words.into_boxed_slice(),
                _value: PhantomData,
            };
            this.store(&value);
            this
        }

        pub(super) fn load(&self) -> T {
            let mut out = T::new_zeroed();
            let bytes = out.as_mut_bytes();
            for (chunk, word) in bytes.chunks_mut(8).zip(self.words.iter()) {
                let w = word.load(Ordering::Relaxed).to_ne_bytes();
                chunk.copy_from_slice(&w[..chunk.len()]);
            }
            out
        }

        pub(super) fn store(&self, value: &T) {
            for (chunk, word) in value.as_bytes().chunks(8).zip(self.words.iter()) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                word.store(u64::from_ne_bytes(w), Ordering::Relaxed);
            }
        }
    }
}
