//! [`SpinLock`]: a test-and-test-and-set spin lock with [`Backoff`].
//! (See the type's documentation for the design.)

use crate::backoff::Backoff;
use crate::sync::{AtomicBool, Ordering, UnsafeCell};
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

/// A mutual-exclusion spin lock protecting a `T`.
///
/// # Examples
///
/// ```
/// use nanopath_atomic::SpinLock;
///
/// static TOTAL: SpinLock<u64> = SpinLock::new(0);
///
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..1000 {
///                 *TOTAL.lock() += 1;
///             }
///         });
///     }
/// });
/// assert_eq!(*TOTAL.lock(), 4000);
/// ```
///
/// Unlike `Mutex`, it does not poison: a thread that panics while holding
/// the guard releases the lock as the guard is dropped during unwinding,
/// and the next holder sees whatever the panicking one had written.
///
/// Like `Mutex`, it is `Sync` only for `T: Send`; an `Rc` cannot be shared
/// through it:
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<nanopath_atomic::SpinLock<std::rc::Rc<u8>>>();
/// ```
///
/// # Design
///
/// For critical sections of a few dozen nanoseconds on threads that are not
/// preempted (pinned cores), a spin lock beats a futex-based mutex: lock is
/// one CAS, unlock is one plain release store (a `Mutex` unlock is an atomic
/// swap, since it must learn whether a waiter needs a wake-up). Waiters spin
/// on a *load* (the "test" before the "test-and-set"), so they share the line
/// read-only instead of bouncing it with failed CASes, and back off
/// exponentially between attempts.
///
/// Do not use it where the holder can be descheduled for long: waiters burn
/// their time slice. `Backoff::snooze` yields after a few rounds, which bounds
/// the damage but does not remove it.
pub struct SpinLock<T> {
    /// `true` while a [`SpinLockGuard`] exists. Set by an Acquire CAS in
    /// `try_lock`/`lock`, cleared by a Release store in the guard's `drop`.
    locked: AtomicBool,
    /// Accessed only through a guard, i.e. only while `locked` is `true` and
    /// by the guard's owner.
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one thread at a time, so
// sharing a `SpinLock<T>` moves `T` between threads: `T: Send` suffices, as
// for `std::sync::Mutex`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: owning the lock is owning the `T`.
unsafe impl<T: Send> Send for SpinLock<T> {}

/// RAII access to a [`SpinLock`]'s value; unlocks when dropped.
///
/// Send when `T: Send` (a spin lock has no owner thread, unlike an OS mutex),
/// Sync when `T: Send + Sync`.
///
/// ```
/// let lock = nanopath_atomic::SpinLock::new(String::from("a"));
/// let mut guard = lock.lock();
/// guard.push('b'); // DerefMut
/// assert_eq!(guard.len(), 2); // Deref
/// drop(guard); // unlocks
/// assert!(!lock.is_locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct SpinLockGuard<'a, T> {
    /// The lock this guard holds; `lock.locked` is `true` for the guard's life.
    lock: &'a SpinLock<T>,
    /// Makes the guard's auto traits those of `&mut T`.
    _marker: PhantomData<&'a mut T>,
}

impl<T> SpinLock<T> {
    crate::const_fn! {
    /// An unlocked lock holding `value`.
    ///
    /// ```
    /// let lock = nanopath_atomic::SpinLock::new(5);
    /// assert_eq!(*lock.lock(), 5);
    /// ```
    #[inline]
    pub const fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// ```
    /// let lock = nanopath_atomic::SpinLock::new(());
    /// let guard = lock.try_lock().expect("free");
    /// assert!(lock.try_lock().is_none());
    /// drop(guard);
    /// assert!(lock.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        // Acquire on success pairs with the Release store in the previous
        // holder's guard drop, so its writes to `value` are visible to us.
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SpinLockGuard {
                lock: self,
                _marker: PhantomData,
            })
    }

    /// Takes the lock, spinning (with backoff) until it is free.
    ///
    /// ```
    /// let lock = nanopath_atomic::SpinLock::new(vec![1]);
    /// lock.lock().push(2);
    /// assert_eq!(*lock.lock(), [1, 2]);
    /// ```
    #[inline]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        if let Some(guard) = self.try_lock() {
            return guard;
        }
        self.lock_contended()
    }

    #[cold]
    fn lock_contended(&self) -> SpinLockGuard<'_, T> {
        let backoff = Backoff::new();
        loop {
            // Test: wait on a shared, read-only copy of the line. Relaxed: the
            // CAS below does the acquiring.
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
            // Test-and-set. Weak is fine: a spurious failure goes round again.
            // Acquire pairs with the guard's Release store, as in `try_lock`.
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return SpinLockGuard {
                    lock: self,
                    _marker: PhantomData,
                };
            }
            backoff.spin();
        }
    }

    /// `true` if some guard holds the lock right now (a racy hint).
    ///
    /// ```
    /// let lock = nanopath_atomic::SpinLock::new(0);
    /// let g = lock.lock();
    /// assert!(lock.is_locked());
    /// drop(g);
    /// assert!(!lock.is_locked());
    /// ```
    #[inline]
    pub fn is_locked(&self) -> bool {
        // Relaxed: a hint; it orders nothing.
        self.locked.load(Ordering::Relaxed)
    }

    /// Access through `&mut self`: no locking needed, the borrow is exclusive.
    ///
    /// ```
    /// let mut lock = nanopath_atomic::SpinLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard exists (a guard borrows `self`),
        // so this is the only access.
        self.value.with_mut(|p| unsafe { &mut *p })
    }

    /// Consumes the lock and returns the value.
    ///
    /// ```
    /// let lock = nanopath_atomic::SpinLock::new("v");
    /// assert_eq!(lock.into_inner(), "v");
    /// ```
    #[inline]
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SpinLock");
        match self.try_lock() {
            Some(guard) => d.field("value", &&*guard),
            None => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (`locked == true`, taken with
        // Acquire), so no other guard exists and nothing else touches `value`
        // until our `drop`; the reference cannot outlive `&self`.
        self.lock.value.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only
        // reference derived from this guard.
        self.lock.value.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Release pairs with the Acquire CAS of the next `lock`/`try_lock`,
        // publishing everything written through this guard.
        self.lock.locked.store(false, Ordering::Release);
    }
}

impl<T: fmt::Debug> fmt::Debug for SpinLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for SpinLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
