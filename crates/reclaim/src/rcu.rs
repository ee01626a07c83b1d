//! `RcuCell`: a read-mostly cell whose readers never lock.

use core::marker::PhantomData;
use core::ops::Deref;
use std::sync::Arc;

use crate::scheme::{Guard, Hazard, Reclaim, Slot};
use crate::sync::{AtomicPtr, Ordering};

/// A read-mostly value (configuration, routing tables) that writers replace
/// as a whole.
///
/// The cell holds an `Arc<T>` as a raw pointer. [`read`](Self::read)
/// protects the current pointer through the scheme `R` (a hazard pointer by
/// default, or an epoch pin) and derefs to it: no lock, no reference-count
/// traffic, and the writer never waits for readers. [`load_arc`](Self::load_arc)
/// bumps the count for a value that outlives the guard. Writers swap in a
/// new `Arc` and retire the old pointer; its reference is released once no
/// reader protects it.
///
/// Config hot-reload:
///
/// ```
/// use nanopath_reclaim::RcuCell;
/// use std::sync::Arc;
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Config {
///     max_connections: u32,
///     upstream: String,
/// }
///
/// let config: Arc<RcuCell<Config>> =
///     Arc::new(RcuCell::new(Config { max_connections: 100, upstream: "a:80".into() }));
///
/// // A request handler reads the current config without locking.
/// let handler = {
///     let config = Arc::clone(&config);
///     move || {
///         let c = config.read();
///         c.max_connections
///     }
/// };
/// assert_eq!(handler(), 100);
///
/// // The reload thread swaps in a new config; readers see it from now on.
/// let old = config.update(|c| Config { max_connections: c.max_connections * 2, ..c.clone() });
/// assert_eq!(old.max_connections, 100);
/// assert_eq!(handler(), 200);
/// assert_eq!(config.load_arc().upstream, "a:80");
/// ```
pub struct RcuCell<T, R: Reclaim = Hazard> {
    /// From `Arc::into_raw`; the cell owns one strong count on it. Never
    /// null.
    ptr: AtomicPtr<T>,
    reclaim: R,
    _owns: PhantomData<Arc<T>>,
}

// SAFETY: the cell hands out `&T` and `Arc<T>` to any thread, like an
// `Arc<T>`: it is Send and Sync when `T: Send + Sync`.
unsafe impl<T: Send + Sync, R: Reclaim> Send for RcuCell<T, R> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync, R: Reclaim> Sync for RcuCell<T, R> {}

impl<T: core::fmt::Debug + Send + Sync + 'static, R: Reclaim> core::fmt::Debug for RcuCell<T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RcuCell")
            .field("value", &&*self.read())
            .finish_non_exhaustive()
    }
}

/// A protected view of the value an [`RcuCell`] held when it was read.
/// It borrows the cell, so it cannot outlive the protection.
///
/// The guard is not `Send`: the protection belongs to the thread that
/// took it. To hold a value across an `.await` (a task may resume on
/// another thread), take [`RcuCell::load_arc`] instead, which costs a
/// reference-count update:
///
/// ```compile_fail
/// fn assert_send<S: Send>(_: S) {}
/// let cell = nanopath_reclaim::RcuCell::new(1u8);
/// assert_send(cell.read());
/// ```
///
/// ```
/// fn assert_send<S: Send>(_: S) {}
/// let cell = nanopath_reclaim::RcuCell::new(1u8);
/// assert_send(cell.load_arc());
/// ```
#[must_use = "dropping the guard releases the value's protection at once"]
pub struct RcuReadGuard<'a, T, R: Reclaim + 'a> {
    _guard: R::ReadGuard<'a>,
    /// Protected by `guard` for as long as this view lives; never null once
    /// `read` returns.
    value: *const T,
    _borrow: PhantomData<&'a T>,
}

impl<T, R: Reclaim> Deref for RcuReadGuard<'_, T, R> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `value` came from the cell (never null, from
        // `Arc::into_raw`) and `_guard` protects it while `self` lives.
        unsafe { &*self.value }
    }
}

impl<T: core::fmt::Debug, R: Reclaim> core::fmt::Debug for RcuReadGuard<'_, T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self, f)
    }
}

/// Releases the cell's strong count of a retired pointer.
///
/// # Safety
/// `p` came from `Arc::<T>::into_raw` and its count is released once.
unsafe fn release_arc<T>(p: *mut ()) {
    // SAFETY: the caller's contract.
    drop(unsafe { Arc::from_raw(p.cast_const().cast::<T>()) });
}

impl<T: Send + Sync + 'static> RcuCell<T, Hazard> {
    /// A cell holding `value`, protected by hazard pointers of the global
    /// domain (the default scheme), so `RcuCell::new(v)` needs no type
    /// annotation. For another scheme, [`with_reclaim`](Self::with_reclaim).
    ///
    /// ```
    /// let cell = nanopath_reclaim::RcuCell::new(5u32);
    /// assert_eq!(*cell.read(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Self::from_arc_with(Arc::new(value), Hazard::default())
    }
}

impl<T: Send + Sync + 'static, R: Reclaim + Default> Default for RcuCell<T, R>
where
    T: Default,
{
    /// A cell holding `T::default()`, on the scheme's default instance.
    ///
    /// ```
    /// use nanopath_reclaim::{Epoch, RcuCell};
    /// let cell: RcuCell<Vec<u8>, Epoch> = RcuCell::default();
    /// assert!(cell.read().is_empty());
    /// ```
    fn default() -> Self {
        Self::from_arc_with(Arc::new(T::default()), R::default())
    }
}

impl<T: Send + Sync + 'static, R: Reclaim + Default> From<T> for RcuCell<T, R> {
    /// A cell holding `value`, on the scheme's default instance.
    ///
    /// ```
    /// use nanopath_reclaim::RcuCell;
    /// let cell: RcuCell<&str> = "v1".into();
    /// assert_eq!(*cell.read(), "v1");
    /// ```
    fn from(value: T) -> Self {
        Self::from_arc_with(Arc::new(value), R::default())
    }
}

impl<T: Send + Sync + 'static, R: Reclaim + Default> From<Arc<T>> for RcuCell<T, R> {
    /// A cell holding the value `value` points to (no copy; the cell owns
    /// one count of it).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use nanopath_reclaim::RcuCell;
    /// let shared = Arc::new(String::from("v1"));
    /// let cell: RcuCell<String> = Arc::clone(&shared).into();
    /// assert!(Arc::ptr_eq(&cell.load_arc(), &shared));
    /// ```
    fn from(value: Arc<T>) -> Self {
        Self::from_arc_with(value, R::default())
    }
}

impl<T: Send + Sync + 'static, R: Reclaim> RcuCell<T, R> {
    /// A cell holding `value` that protects and retires through `reclaim`.
    ///
    /// ```
    /// use nanopath_reclaim::{Epoch, RcuCell};
    /// let cell = RcuCell::with_reclaim(1u64, Epoch);
    /// cell.store(2);
    /// assert_eq!(*cell.read(), 2);
    /// ```
    pub fn with_reclaim(value: T, reclaim: R) -> Self {
        Self::from_arc_with(Arc::new(value), reclaim)
    }

    /// A cell holding `value` that protects and retires through `reclaim`.
    pub fn from_arc_with(value: Arc<T>, reclaim: R) -> Self {
        Self {
            ptr: AtomicPtr::new(Arc::into_raw(value).cast_mut()),
            reclaim,
            _owns: PhantomData,
        }
    }

    /// The current value, protected while the guard lives. Never blocks,
    /// never locks, never touches the reference count.
    #[inline]
    pub fn read(&self) -> RcuReadGuard<'_, T, R> {
        let (guard, value) = self.reclaim.protect_one(&self.ptr);
        // `value` is never null, came from `Arc::into_raw`, and is protected
        // by `guard`, which the view keeps (and the view borrows `self`):
        // the cell's count is not released while the view lives. The pair
        // is two words, returned in registers (a larger guard moved through
        // memory cost a store-forwarding stall per read).
        RcuReadGuard {
            _guard: guard,
            value,
            _borrow: PhantomData,
        }
    }

    /// The current value as an `Arc` that outlives any guard.
    pub fn load_arc(&self) -> Arc<T> {
        let (_guard, p) = self.reclaim.protect_one(&self.ptr);
        // SAFETY: `p` is protected, so the cell's strong count on it is
        // still held; adding one and adopting it is sound.
        unsafe {
            Arc::increment_strong_count(p.cast_const());
            Arc::from_raw(p.cast_const())
        }
    }

    /// Replaces the value; the old one is released once no reader holds it.
    pub fn store(&self, value: T) {
        let new = Arc::into_raw(Arc::new(value)).cast_mut();
        // AcqRel as in `swap_arc`.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        // Retired without touching its reference count: readers may still
        // be reading that cache line (the count sits next to the value), and
        // a count update would take it away from them.
        let mut guard = self.reclaim.guard();
        // SAFETY: `old` is unlinked (swapped out), retired once, and
        // releasing an `Arc<T>` count is sound on any thread (T: Send +
        // Sync + 'static).
        unsafe { guard.retire_with(old.cast(), release_arc::<T>) };
    }

    /// Replaces the value with the one `value` points to (no copy); the
    /// old one is released once no reader holds it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use nanopath_reclaim::RcuCell;
    /// let cell = RcuCell::new(String::from("a"));
    /// let next = Arc::new(String::from("b"));
    /// cell.store_arc(Arc::clone(&next));
    /// assert!(Arc::ptr_eq(&cell.load_arc(), &next));
    /// ```
    pub fn store_arc(&self, value: Arc<T>) {
        drop(self.swap_arc(value));
    }

    /// Replaces the value and returns the previous one.
    pub fn swap(&self, value: T) -> Arc<T> {
        self.swap_arc(Arc::new(value))
    }

    /// Replaces the value with `value` and returns the previous one.
    pub fn swap_arc(&self, value: Arc<T>) -> Arc<T> {
        let new = Arc::into_raw(value).cast_mut();
        // AcqRel: Release publishes the new value to readers' Acquire
        // loads; Acquire lets us read the old value we return.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        self.retire_returning(old)
    }

    /// Replaces the value with `f(current)` in a CAS loop (`f` may run more
    /// than once when writers race) and returns the value it replaced.
    pub fn update(&self, mut f: impl FnMut(&T) -> T) -> Arc<T> {
        let mut guard = self.reclaim.guard();
        loop {
            let current = guard.protect(Slot::A, &self.ptr);
            // SAFETY: protected, never null, from `Arc::into_raw`.
            let next = Arc::into_raw(Arc::new(f(unsafe { &*current }))).cast_mut();
            match self
                .ptr
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(old) => {
                    drop(guard);
                    return self.retire_returning(old);
                }
                Err(_) => {
                    // SAFETY: `next` was never published; we own its count.
                    drop(unsafe { Arc::from_raw(next.cast_const()) });
                }
            }
        }
    }

    /// Replaces the value with `new` only if the cell still holds
    /// `current` (the same allocation, as `Arc::ptr_eq` compares): arc-swap's
    /// `compare_and_swap`. `Ok` with the value replaced (that is,
    /// `current`), or `Err` handing `new` back when another writer got
    /// there first.
    ///
    /// Comparing pointers is exact here: `current` keeps its allocation
    /// alive, so no other value can have been given its address meanwhile
    /// (no ABA).
    ///
    /// ```
    /// use nanopath_reclaim::RcuCell;
    /// use std::sync::Arc;
    ///
    /// let cell = RcuCell::new(1);
    /// let seen = cell.load_arc();
    /// assert!(cell.compare_and_swap(&seen, Arc::new(2)).is_ok());
    /// // `seen` is stale now: the swap is refused and `3` comes back.
    /// assert_eq!(*cell.compare_and_swap(&seen, Arc::new(3)).unwrap_err(), 3);
    /// assert_eq!(*cell.read(), 2);
    /// ```
    ///
    /// # Errors
    ///
    /// `new`, when the cell no longer holds `current`.
    pub fn compare_and_swap(&self, current: &Arc<T>, new: Arc<T>) -> Result<Arc<T>, Arc<T>> {
        let expected = Arc::as_ptr(current).cast_mut();
        let new = Arc::into_raw(new).cast_mut();
        // AcqRel on success as in `swap_arc`; Relaxed on failure: nothing
        // is read through the value found.
        match self
            .ptr
            .compare_exchange(expected, new, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(old) => Ok(self.retire_returning(old)),
            // SAFETY: `new` was never published; we still own its count.
            Err(_) => Err(unsafe { Arc::from_raw(new.cast_const()) }),
        }
    }

    /// Hands the caller a new strong count on `old` and retires the cell's.
    fn retire_returning(&self, old: *mut T) -> Arc<T> {
        // SAFETY: the cell still owns a count on `old` (retired below, not
        // yet released), so it is alive and we may add one.
        let returned = unsafe {
            Arc::increment_strong_count(old.cast_const());
            Arc::from_raw(old.cast_const())
        };
        let mut guard = self.reclaim.guard();
        // SAFETY: `old` is unlinked (swapped out), retired once, and
        // releasing an `Arc<T>` count is sound on any thread (T: Send +
        // Sync + 'static).
        unsafe { guard.retire_with(old.cast(), release_arc::<T>) };
        returned
    }
}

impl<T, R: Reclaim> Drop for RcuCell<T, R> {
    fn drop(&mut self) {
        // `&mut self`: no read guard borrows the cell; release its count.
        // Relaxed: no other thread accesses the cell any more.
        let p = self.ptr.load(Ordering::Relaxed);
        // SAFETY: from `Arc::into_raw`; the cell's count is released once.
        drop(unsafe { Arc::from_raw(p.cast_const()) });
    }
}
