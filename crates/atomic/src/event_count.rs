//! [`EventCount`]: park a thread until a condition that lock-free code makes
//! true, with no lock and no syscall on the notifying side while nobody
//! waits (`std` feature).
//! (See the type's documentation for the design.)

use crate::sync::{AtomicU64, Condvar, Mutex, Ordering, lock};
use core::fmt;
use core::task::Waker;
use std::collections::VecDeque;
use std::time::Instant;
use std::vec::Vec;

/// One registered waiter in the state word's low bits.
const WAITER: u64 = 1;
/// The epoch's unit in the state word's high half.
const EPOCH: u64 = 1 << 32;
/// The waiter count's bits (30: the two above them hold the fence mode).
const WAITERS: u64 = (1 << 30) - 1;
/// The fence mode's bits: which barrier pair orders registrations against
/// notifications (only ever other than `FULL` for an eventcount made by
/// [`EventCount::new_asymmetric`]).
const MODE: u64 = 3 << 30;
/// Notifiers issue [`fence::light`](crate::fence::light), waiters
/// [`fence::heavy`](crate::fence::heavy).
const LIGHT: u64 = 0;
/// Leaving `LIGHT`: notifiers already issue `SeqCst` fences, waiters still
/// the heavy side, until the switching thread's `membarrier` has returned.
const SWITCHING: u64 = 1 << 30;
/// `SeqCst` fences on both sides.
const FULL: u64 = 2 << 30;

/// A waiter's registration with the [`EventCount`] that
/// [`prepare_wait`](EventCount::prepare_wait) made it from: after the
/// re-check, [`wait`](Self::wait) or [`wait_until`](Self::wait_until) (the
/// condition is still false), or [`cancel`](Self::cancel) (it holds).
/// Dropping the key cancels too, so the registration cannot outlive it,
/// even when the re-check panics, and a key cannot be used with another
/// `EventCount`.
#[must_use = "call wait, wait_until or cancel after re-checking the condition"]
#[derive(Debug)]
pub struct WaitKey<'a> {
    /// The eventcount this waiter is registered with (counted in its
    /// waiters until the key is consumed or dropped).
    events: &'a EventCount,
    /// The epoch when the waiter registered.
    epoch: u32,
}

impl WaitKey<'_> {
    /// Withdraws the registration (the re-check found the condition true).
    /// The same as dropping the key.
    #[inline]
    pub fn cancel(self) {
        drop(self);
    }

    /// Sleeps until a notification that came after the
    /// [`prepare_wait`](EventCount::prepare_wait) that gave this key (at
    /// once if one already came). Then re-check the condition: a
    /// notification says the condition may have changed, and another
    /// thread may have taken what it announced.
    pub fn wait(self) {
        let events = self.events;
        let mut guard = lock(&events.lock);
        while events.epoch() == self.epoch {
            guard = events
                .cond
                .wait(guard)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        drop(guard);
        // Dropping `self` unregisters.
    }

    /// Like [`wait`](Self::wait), giving up at `deadline`; `None` waits
    /// with no deadline. Returns `true` if notified, `false` if the
    /// deadline passed first (at once for a deadline already past).
    pub fn wait_until(self, deadline: Option<Instant>) -> bool {
        let Some(deadline) = deadline else {
            self.wait();
            return true;
        };
        let events = self.events;
        let mut guard = lock(&events.lock);
        let notified = loop {
            if events.epoch() != self.epoch {
                break true;
            }
            let now = Instant::now();
            if now >= deadline {
                break false;
            }
            guard = events
                .cond
                .wait_timeout(guard, deadline - now)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        };
        drop(guard);
        notified
    }
}

impl Drop for WaitKey<'_> {
    #[inline]
    fn drop(&mut self) {
        self.events.unregister();
    }
}

/// An eventcount: lets a thread sleep until another thread makes a
/// lock-free condition true, with no lost wake-ups (see the
/// [design notes](#design) for the protocol and the argument).
///
/// ```
/// use nanopath_atomic::EventCount;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// let ready = AtomicBool::new(false);
/// let events = EventCount::new();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         ready.store(true, Ordering::Release);
///         events.notify_all();
///     });
///     while !ready.load(Ordering::Acquire) {
///         let key = events.prepare_wait();
///         if ready.load(Ordering::Acquire) {
///             key.cancel();
///             break;
///         }
///         key.wait();
///     }
/// });
/// assert!(ready.load(Ordering::Relaxed));
/// ```
///
/// # Design
///
/// The waiting side runs *prepare, re-check, wait*:
///
/// ```text
/// loop {
///     if let Some(x) = try_take() { return x }      // fast path, no waiter
///     let key = events.prepare_wait();              // register
///     if let Some(x) = try_take() {                 // re-check
///         key.cancel();                             // (or drop the key)
///         return x;
///     }
///     key.wait();                                   // sleep unless notified since prepare
/// }
/// ```
///
/// and the notifying side makes the condition true, then calls
/// [`notify_one`](EventCount::notify_one) or
/// [`notify_all`](EventCount::notify_all).
///
/// **No lost wake-up.** `prepare_wait` increments the waiter count and then
/// issues a store→load barrier; `notify_*` issues the matching barrier and
/// then loads the count. With [`new`](EventCount::new) both are `SeqCst`
/// fences, ordered one way or the other in the single total order of
/// `SeqCst` operations. With [`new_asymmetric`](EventCount::new_asymmetric)
/// the waiter's is [`fence::heavy`](crate::fence::heavy) and the notifier's
/// [`fence::light`](crate::fence::light): where `membarrier` is available
/// (Linux) the light side is only a compiler fence and the heavy side makes
/// every running thread execute a full barrier; elsewhere, and under Miri
/// and loom, both are `SeqCst` fences. Either way: if the notifier's load
/// comes after the waiter's barrier it sees the registration and wakes it;
/// if it comes before, the notifier's write that made the condition true
/// (before its barrier) is visible to the waiter's re-check (after its
/// barrier), so the waiter does not sleep. Between the re-check and
/// the sleep, a notification is not missed either: every notification that
/// sees a waiter bumps the *epoch* under the lock, `prepare_wait` returned
/// the epoch it saw, and `wait` sleeps only while the epoch is still that
/// one, checked under the same lock the condition variable releases
/// atomically as it sleeps.
///
/// **Notifying after a `SeqCst` write.** When the write that makes the
/// condition true is itself a `SeqCst` read-modify-write or store (a
/// `swap`, a CAS), the notifier may skip its fence:
/// [`notify_one_after_seqcst`](EventCount::notify_one_after_seqcst) and
/// [`notify_all_after_seqcst`](EventCount::notify_all_after_seqcst) load the
/// waiter count with `SeqCst` instead (the heavy side includes a `SeqCst`
/// fence). If that load reads a count from
/// before the waiter's registration, it precedes the waiter's fence in the
/// `SeqCst` order, and so does the condition write before it; a re-check
/// after that fence that read an older value of the condition would have
/// to precede the condition write in that order too, which it cannot. On
/// x86-64 this saves the `mfence` of every notification: the `SeqCst`
/// write is a locked instruction anyway, and a `SeqCst` load is a plain one.
/// The argument is per location: the waiter's re-check must read the very
/// atomic that the `SeqCst` write modified. A condition spread over several
/// locations (a `Release` store of data, then a `SeqCst` flag the waiter
/// does not read) needs the fenced [`notify_one`](EventCount::notify_one).
///
/// **Cost.** A notification with nobody registered is one fence and one
/// load of a line that only waiters and waking notifiers write (with
/// `new_asymmetric` and `membarrier`, a compiler fence and the load).
/// Registering is one atomic add and a fence (or the heavy side);
/// waking takes the lock and signals the condition variable.
///
/// **Switching the pair.** An asymmetric eventcount can move to `SeqCst`
/// fences on both sides and back while in use
/// ([`use_symmetric_fences`](EventCount::use_symmetric_fences),
/// [`use_asymmetric_fences`](EventCount::use_asymmetric_fences)): for a
/// waiter that parks often at times and rarely at others. The mode lives
/// in the state word, so a registration reads it atomically with
/// registering; a notifier reads it before its fence. Leaving the light
/// pair goes through `SWITCHING` (notifiers fence, waiters still pay the
/// heavy side) and one [`fence::heavy`](crate::fence::heavy) before the
/// mode becomes `FULL`: a notifier that read the light mode read it before
/// that `membarrier` made it execute a barrier, so its condition write,
/// earlier in its program order, is visible to every waiter whose
/// registration reads `FULL`. Returning to the light pair is a CAS that succeeds
/// only while nobody is registered, so no waiter that chose the `SeqCst`
/// fence is still relying on it when notifiers stop fencing.
///
/// **Tasks.** An async task registers with
/// [`register_waker`](EventCount::register_waker) instead of
/// `prepare_wait`: the waker goes into a list under the lock, the waiter
/// count goes up in the same critical section, and the same barrier
/// follows, so the same argument holds; the task then re-checks and
/// returns `Poll::Pending`. A notification that sees waiters takes, under
/// the lock, one registered waker (`notify_one`, oldest first) or every
/// one (`notify_all`) out of the list, counts them out, and wakes them
/// after releasing the lock; `notify_one` also signals one sleeping
/// thread, so with threads and tasks waiting on one eventcount a
/// notification may wake one of each. A task whose registration was
/// notified but which gives up (its future dropped) passes the
/// notification on ([`unregister_waker`](EventCount::unregister_waker)
/// says so). Wakers are stored once per registration (a task polled again
/// while still registered keeps its place), so the list's memory is
/// bounded by the most tasks waiting at once.
///
/// The epoch is 32 bits: a waiter sleeps through a notification only if
/// exactly a multiple of 2^32 notifications that saw waiters land between
/// its `prepare_wait` and its `wait` taking the lock; each of those takes
/// the lock, so that is minutes of unbroken waking while one waiter stalls
/// at one point, and the next notification wakes it even then. At most 2^30 - 1
/// threads and tasks may be registered at once.
pub struct EventCount {
    /// Low 30 bits: waiters registered (threads between `prepare_wait` and
    /// the end of their wait; tasks from `register_waker` until a
    /// notification takes their waker or they unregister). Bits 30-31: the fence mode
    /// (`LIGHT`, `SWITCHING`, `FULL`; always `FULL` unless `light_capable`).
    /// High 32 bits: the epoch, bumped under `lock` by every notification
    /// that saw a waiter.
    state: AtomicU64,
    /// Held to compare the epoch before sleeping and to bump it; it also
    /// guards the registered tasks' wakers.
    lock: Mutex<WakerList>,
    /// Where waiters sleep.
    cond: Condvar,
    /// Made by [`new_asymmetric`](Self::new_asymmetric): the mode bits of
    /// `state` say which barrier pair is in use. `false`: `SeqCst` fences
    /// on both sides, always (the notifier does not read the mode).
    light_capable: bool,
}

impl EventCount {
    crate::const_fn! {
        /// An eventcount with no waiters (`const`, so it can be a `static`).
        /// Registering and notifying each issue a `SeqCst` fence.
        pub const fn new() -> Self {
            Self {
                state: AtomicU64::new(FULL),
                lock: Mutex::new(WakerList::new()),
                cond: Condvar::new(),
                light_capable: false,
            }
        }
    }

    crate::const_fn! {
        /// An eventcount whose notifications issue no hardware fence: the
        /// waiter's registration pays instead, with
        /// [`fence::heavy`](crate::fence::heavy) (`membarrier` on Linux,
        /// which interrupts every CPU running a thread of the process; a
        /// `SeqCst` fence where it is unavailable). For an eventcount that
        /// is notified far more often than it is waited on: a waiter that
        /// parks often, or many threads registering at once (the kernel
        /// serialises `membarrier` calls), pays more than the fences saved.
        ///
        /// `notify_*` then orders nothing but the registration check: a
        /// caller that pairs some other store→load sequence with the
        /// notification (store, notify, load) needs
        /// [`fence::heavy`](crate::fence::heavy) on the rarer side of that
        /// pair itself.
        ///
        /// ```
        /// use nanopath_atomic::EventCount;
        /// let events = EventCount::new_asymmetric();
        /// assert!(events.is_asymmetric() && !EventCount::new().is_asymmetric());
        /// events.notify_one(); // nobody waits: a compiler fence and a load
        /// ```
        pub const fn new_asymmetric() -> Self {
            Self {
                state: AtomicU64::new(LIGHT),
                lock: Mutex::new(WakerList::new()),
                cond: Condvar::new(),
                light_capable: true,
            }
        }
    }

    /// Whether this eventcount uses the asymmetric fence pair (see
    /// [`new_asymmetric`](Self::new_asymmetric)): a snapshot, which can be
    /// stale by the time it returns if another thread may switch the mode
    /// ([`use_symmetric_fences`](Self::use_symmetric_fences)).
    #[inline]
    pub fn is_asymmetric(&self) -> bool {
        // Relaxed: a snapshot; the protocol reads the mode itself.
        self.light_capable && self.state.load(Ordering::Relaxed) & MODE == LIGHT
    }

    /// Moves an asymmetric eventcount to `SeqCst` fences on both sides:
    /// notifications pay a fence again, registrations no longer pay the
    /// heavy side. Costs one [`fence::heavy`](crate::fence::heavy) (`membarrier`)
    /// now; does nothing if the eventcount is not in the asymmetric mode
    /// (made by [`new`](Self::new), already switched, or being switched by
    /// another thread). See the [design notes](Self#design).
    ///
    /// ```
    /// use nanopath_atomic::EventCount;
    /// let events = EventCount::new_asymmetric();
    /// events.use_symmetric_fences();
    /// assert!(!events.is_asymmetric());
    /// assert!(events.use_asymmetric_fences()); // nobody registered
    /// assert!(events.is_asymmetric());
    /// ```
    pub fn use_symmetric_fences(&self) {
        if !self.light_capable {
            return;
        }
        // Relaxed: the CAS below decides.
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & MODE != LIGHT {
                return;
            }
            // Relaxed: the heavy fence below orders this store before
            // every notifier's later reads of the mode (design notes).
            match self.state.compare_exchange_weak(
                state,
                state | SWITCHING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        // Every running thread executes a barrier: a notifier that read
        // `LIGHT` read it before that, after its condition write.
        crate::fence::heavy();
        // Only this thread leaves `SWITCHING` (nobody else changes the mode
        // while it is set), so the mode bits are still ours. Release: a
        // registration that reads `FULL` (Acquire) comes after the barrier.
        self.state.fetch_xor(SWITCHING ^ FULL, Ordering::Release);
    }

    /// Moves an eventcount made by [`new_asymmetric`](Self::new_asymmetric)
    /// back to the asymmetric pair (a CAS). Succeeds only while nobody is
    /// registered; returns whether the eventcount is now asymmetric
    /// (always `false` for one made by [`new`](Self::new)).
    pub fn use_asymmetric_fences(&self) -> bool {
        if !self.light_capable {
            return false;
        }
        // Relaxed: the CAS decides; it needs no ordering of its own (a
        // notifier that reads `LIGHT` pairs with the heavy side of waiters
        // that register after it, and none is registered now).
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            match state & MODE {
                LIGHT => return true,
                FULL if state & WAITERS == 0 => {}
                _ => return false,
            }
            match self.state.compare_exchange_weak(
                state,
                state & !MODE | LIGHT,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
    }

    /// Registers the calling thread as about to wait. Re-check the
    /// condition after this call, then call the key's
    /// [`wait`](WaitKey::wait) or [`wait_until`](WaitKey::wait_until)
    /// (condition still false), or drop it ([`cancel`](WaitKey::cancel)).
    #[inline]
    pub fn prepare_wait(&self) -> WaitKey<'_> {
        // The add, then the fence that pairs with the fence in `notify_*`
        // (type docs, Design): the fences, not the add, order the
        // registration against the notifier's condition write. Acquire:
        // reading `FULL` comes after the `membarrier` of the switch to it
        // (its Release), which this waiter's plain fence relies on.
        let state = self.state.fetch_add(WAITER, Ordering::Acquire);
        if state & MODE != FULL {
            // The heavy side: a waiter is about to sleep, so it pays for the
            // barrier (`membarrier` on Linux; it includes a SeqCst fence,
            // for the `_after_seqcst` notifiers).
            crate::fence::heavy();
        } else {
            crate::sync::fence(Ordering::SeqCst);
        }
        WaitKey {
            events: self,
            epoch: (state >> 32) as u32,
        }
    }

    /// Wakes one sleeping waiter (and lets every registered waiter that has
    /// not gone to sleep yet return at once). Call after making the
    /// condition true. Without registered waiters: a fence and a load (see
    /// the type's Cost notes).
    #[inline]
    pub fn notify_one(&self) {
        if self.fenced_has_waiters() {
            self.wake(false);
        }
    }

    /// Wakes every waiter. Call after making the condition true. Without
    /// registered waiters: a fence and a load (see [`notify_one`](Self::notify_one)).
    #[inline]
    pub fn notify_all(&self) {
        if self.fenced_has_waiters() {
            self.wake(true);
        }
    }

    /// [`notify_one`](Self::notify_one) for a caller whose write that made
    /// the condition true was a `SeqCst` read-modify-write or store to the
    /// atomic the waiters re-check: no fence, a `SeqCst` load (see the
    /// [design notes](Self#design)).
    #[inline]
    pub fn notify_one_after_seqcst(&self) {
        if self.seqcst_has_waiters() {
            self.wake(false);
        }
    }

    /// [`notify_all`](Self::notify_all) for a caller whose write that made
    /// the condition true was a `SeqCst` read-modify-write or store.
    #[inline]
    pub fn notify_all_after_seqcst(&self) {
        if self.seqcst_has_waiters() {
            self.wake(true);
        }
    }

    /// Registers an async task's `waker` in `slot`, the task's own
    /// registration (kept in its future): the `poll` form of
    /// [`prepare_wait`](Self::prepare_wait). A notification that sees the
    /// registration takes the waker out and wakes it, once.
    ///
    /// [`Registration::New`]: the slot was empty, or its earlier
    /// registration was notified; re-check the condition now, as after
    /// `prepare_wait`, and return `Poll::Pending` only if it is still
    /// false. [`Registration::Kept`]: the slot's registration is still
    /// waiting (no notification took it since); its waker is replaced if
    /// it would not wake the same task, and the caller may return
    /// `Poll::Pending` without re-checking.
    ///
    /// When the task stops waiting (its condition held, or its future is
    /// dropped), call [`unregister_waker`](Self::unregister_waker).
    ///
    /// On an eventcount made by [`new_asymmetric`](Self::new_asymmetric) a
    /// new registration pays the heavy fence, as `prepare_wait` does.
    ///
    /// ```
    /// use nanopath_atomic::{EventCount, Registration, WakerSlot};
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (ready, events) = (AtomicBool::new(false), EventCount::new());
    /// let mut slot = WakerSlot::new();
    /// let mut poll = |cx: &mut Context<'_>| -> Poll<()> {
    ///     loop {
    ///         if ready.load(Ordering::Acquire) {
    ///             events.unregister_waker(&mut slot);
    ///             return Poll::Ready(());
    ///         }
    ///         if events.register_waker(&mut slot, cx.waker()) == Registration::Kept {
    ///             return Poll::Pending;
    ///         }
    ///         if !ready.load(Ordering::Acquire) {
    ///             return Poll::Pending;
    ///         }
    ///     }
    /// };
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(poll(&mut cx).is_pending());
    /// assert!(events.has_waiters());
    /// ready.store(true, Ordering::Release);
    /// events.notify_one(); // takes the waker out and wakes it
    /// assert!(!events.has_waiters());
    /// assert!(poll(&mut cx).is_ready());
    /// ```
    pub fn register_waker(&self, slot: &mut WakerSlot, waker: &Waker) -> Registration {
        // Cloning a waker runs the executor's code: never under our lock.
        // A slot without a registration needs the clone anyway; otherwise
        // look first (the waker is usually the same one).
        let mut spare = slot.entry.is_none().then(|| waker.clone());
        loop {
            let mut list = lock(&self.lock);
            if let Some(current) = slot.entry.and_then(|(index, id)| list.get_mut(index, id)) {
                if current.will_wake(waker) {
                    drop(list);
                    drop(spare);
                    return Registration::Kept;
                }
                let Some(new) = spare.take() else {
                    drop(list);
                    spare = Some(waker.clone());
                    continue;
                };
                let old = core::mem::replace(current, new);
                drop(list);
                // Dropped after the lock, as in `wake`.
                drop(old);
                return Registration::Kept;
            }
            let Some(new) = spare.take() else {
                drop(list);
                spare = Some(waker.clone());
                continue;
            };
            slot.entry = Some(list.insert(new));
            // Counted under the lock, so a notifier that sees the count
            // finds the waker when it takes the lock. Acquire: as in
            // `prepare_wait`.
            let state = self.state.fetch_add(WAITER, Ordering::Acquire);
            debug_assert!(state & WAITERS < WAITERS, "more than 2^30 - 1 waiters");
            drop(list);
            // The registration's barrier, as in `prepare_wait` (type docs,
            // Design): it orders the count above before the caller's
            // re-check.
            if state & MODE != FULL {
                crate::fence::heavy();
            } else {
                crate::sync::fence(Ordering::SeqCst);
            }
            return Registration::New;
        }
    }

    /// Withdraws `slot`'s registration, if it has one. Returns `true` if a
    /// notification took it since it was made: a task that gives up
    /// without acting on the condition (its future was dropped) should then
    /// pass the notification on with [`notify_one`](Self::notify_one), so
    /// that another waiter gets it.
    ///
    /// ```
    /// use nanopath_atomic::{EventCount, Registration, WakerSlot};
    /// use std::task::Waker;
    /// let events = EventCount::new();
    /// let mut slot = WakerSlot::default();
    /// assert_eq!(events.register_waker(&mut slot, Waker::noop()), Registration::New);
    /// assert_eq!(events.register_waker(&mut slot, Waker::noop()), Registration::Kept);
    /// assert!(!events.unregister_waker(&mut slot)); // nobody notified
    /// assert!(!events.has_waiters() && !slot.is_registered());
    /// let _ = events.register_waker(&mut slot, Waker::noop());
    /// events.notify_all();
    /// assert!(events.unregister_waker(&mut slot)); // notified
    /// ```
    pub fn unregister_waker(&self, slot: &mut WakerSlot) -> bool {
        let Some((index, id)) = slot.entry.take() else {
            return false;
        };
        let mut list = lock(&self.lock);
        let Some(waker) = list.remove(index, id) else {
            // A notification took it (and counted it out).
            return true;
        };
        self.unregister();
        drop(list);
        // Dropped after the lock, as in `wake`.
        drop(waker);
        false
    }

    /// Whether any thread or task is registered (a thread between
    /// `prepare_wait` and the end of its wait, a task between
    /// `register_waker` and the notification that takes it or its
    /// `unregister_waker`): a Relaxed snapshot, for statistics and tests.
    pub fn has_waiters(&self) -> bool {
        self.state.load(Ordering::Relaxed) & WAITERS != 0
    }

    /// The fence of the notifying side, then the waiter count.
    #[inline]
    fn fenced_has_waiters(&self) -> bool {
        // The mode must be read after the condition write in program order
        // (the argument rests on it, and a Relaxed load may otherwise move
        // above a Release store): the compiler fence keeps it there, and
        // costs nothing at run time.
        crate::sync::compiler_fence(Ordering::SeqCst);
        // Relaxed: if it reads `LIGHT`, a later switch's `membarrier`
        // orders the condition write for the waiters (type docs,
        // Switching the pair).
        if self.light_capable && self.state.load(Ordering::Relaxed) & MODE == LIGHT {
            // The light side: a compiler fence where `membarrier` is in use,
            // a SeqCst fence otherwise; pairs with `prepare_wait`'s heavy
            // side (type docs, Design).
            crate::fence::light();
        } else {
            // Pairs with the SeqCst fence in `prepare_wait`.
            crate::sync::fence(Ordering::SeqCst);
        }
        // Relaxed: ordered by the fence above.
        self.state.load(Ordering::Relaxed) & WAITERS != 0
    }

    /// The waiter count for a caller whose condition write was `SeqCst`.
    #[inline]
    fn seqcst_has_waiters(&self) -> bool {
        // Loom models SeqCst accesses as AcqRel, too weak for the argument
        // in the type docs (it reports a lost wake-up that the C++20
        // model rules out), so loom builds keep the fence: loom checks the
        // protocol, Miri's weak-memory runs check the fence-free form.
        #[cfg(nanopath_loom)]
        crate::sync::fence(Ordering::SeqCst);
        // SeqCst load: in the single order with the caller's SeqCst write
        // and the waiter's fence (type docs, Design).
        self.state.load(Ordering::SeqCst) & WAITERS != 0
    }

    #[cold]
    #[inline(never)]
    fn wake(&self, all: bool) {
        let mut list = lock(&self.lock);
        // Relaxed: the lock orders the bump against a waiter's epoch check.
        // Wrapping into the mode and count bits cannot happen: adding EPOCH
        // to the high half carries out of the word, not into the low half.
        self.state.fetch_add(EPOCH, Ordering::Relaxed);
        // Signalled under the lock: every thread asleep now checked the
        // epoch before this bump, so `notify_one` wakes one of them, never
        // a thread that registered after the bump and must sleep on.
        if all {
            self.cond.notify_all();
        } else {
            self.cond.notify_one();
        }
        if list.live == 0 {
            return;
        }
        // Registered tasks: wakers are taken out under the lock and woken
        // after it is released, so a waker's code (or its drop, which may
        // drop a task and the future in it, which unregisters here) never
        // runs under our lock.
        if !all {
            let waker = loop {
                match list.pop_front() {
                    Some(Some(waker)) => break Some(waker),
                    Some(None) => continue,
                    None => break None,
                }
            };
            if waker.is_some() {
                self.unregister();
            }
            drop(list);
            if let Some(waker) = waker {
                waker.wake();
            }
            return;
        }
        // Every task registered when the lock was taken, in batches; a
        // task that registers after our epoch bump re-checks after our
        // condition write (it takes the lock after us), so it may sleep.
        let mut budget = list.order.len();
        let mut panic = None;
        loop {
            let mut batch: [Option<Waker>; 8] = Default::default();
            let mut taken = 0;
            while taken < batch.len() && budget > 0 {
                budget -= 1;
                match list.pop_front() {
                    Some(Some(waker)) => {
                        batch[taken] = Some(waker);
                        taken += 1;
                        self.unregister();
                    }
                    Some(None) => {}
                    None => budget = 0,
                }
            }
            drop(list);
            // A waker that panics must not keep the others (already counted
            // out) from being woken: wake them all, then let the first
            // panic go on.
            for waker in batch.into_iter().flatten() {
                if let Err(p) =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()))
                {
                    panic.get_or_insert(p);
                }
            }
            if budget == 0 {
                if let Some(p) = panic {
                    std::panic::resume_unwind(p);
                }
                return;
            }
            list = lock(&self.lock);
        }
    }

    /// The current epoch (called with `lock` held when it matters).
    #[inline]
    fn epoch(&self) -> u32 {
        // Relaxed: bumps happen under the lock the caller holds.
        (self.state.load(Ordering::Relaxed) >> 32) as u32
    }

    #[inline]
    fn unregister(&self) {
        // Relaxed: a stale non-zero count only costs a notifier a spare
        // lock; a waiter always re-registers before it sleeps.
        let before = self.state.fetch_sub(WAITER, Ordering::Relaxed);
        debug_assert!(before & WAITERS != 0, "more unregistrations than waiters");
    }
}

impl Default for EventCount {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EventCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(Ordering::Relaxed);
        f.debug_struct("EventCount")
            .field("waiters", &(state & WAITERS))
            .field("asymmetric", &self.is_asymmetric())
            .field("epoch", &(state >> 32))
            .finish()
    }
}

/// An async task's registration with an [`EventCount`], kept by the task's
/// future: see [`EventCount::register_waker`]. Empty when made, and again
/// after [`unregister_waker`](EventCount::unregister_waker). A slot belongs
/// to the one eventcount it was registered with.
///
/// Dropping a registered slot does not unregister it (it holds no
/// reference to the eventcount): the future that owns it calls
/// `unregister_waker` in its `Drop`. A registration left behind (a future
/// leaked with `mem::forget`) stays counted, and keeps its waker, until a
/// notification takes it; until then it is the oldest, so the next
/// `notify_one` goes to it instead of a live waiter (`notify_all` is not
/// affected). Leaking a waiting future can therefore delay another
/// waiter, as leaking a lock guard would.
#[derive(Debug, Default)]
pub struct WakerSlot {
    /// `(index, id)` of this slot's entry in the eventcount's list while
    /// registered; the entry is this registration's only while its id
    /// still matches (a notification may have taken it, and the index may
    /// have been reused since).
    entry: Option<(u32, u64)>,
}

impl WakerSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        WakerSlot { entry: None }
    }

    /// Whether the slot holds a registration that has not been withdrawn
    /// (it may have been notified since).
    pub fn is_registered(&self) -> bool {
        self.entry.is_some()
    }
}

/// What [`EventCount::register_waker`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Registration {
    /// A new registration: re-check the condition before returning
    /// `Poll::Pending`.
    New,
    /// The slot's registration is still waiting, with the waker given:
    /// `Poll::Pending` is safe without a re-check.
    Kept,
}

/// The wakers of the tasks registered with one eventcount, in
/// registration order (guarded by the eventcount's lock).
struct WakerList {
    /// The entries; one holds a waker exactly while its registration is
    /// live. Indices are reused through `free`, with a new id each time.
    slots: Vec<WakerEntry>,
    /// Indices of `slots` without a waker.
    free: Vec<u32>,
    /// Registrations, oldest first, as `(index, id)`; an entry whose slot
    /// no longer has that id (or has no waker) is stale and skipped. At
    /// most `2 * live + 32` entries after each insert (stale ones are
    /// compacted away), so the list never outgrows the most tasks ever
    /// registered at once.
    order: VecDeque<(u32, u64)>,
    /// Entries holding a waker.
    live: usize,
}

/// Registration ids, unique across every eventcount of the process (a
/// slot used with the wrong eventcount then matches nothing there). A
/// process-wide `static`, so not through the loom shim (loom atomics
/// cannot be statics); nothing is synchronised through it.
static NEXT_WAKER_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// One place in a [`WakerList`].
struct WakerEntry {
    /// The id of the registration that last used this place.
    id: u64,
    /// That registration's waker while it is live.
    waker: Option<Waker>,
}

impl WakerList {
    const fn new() -> Self {
        WakerList {
            slots: Vec::new(),
            free: Vec::new(),
            order: VecDeque::new(),
            live: 0,
        }
    }

    fn insert(&mut self, waker: Waker) -> (u32, u64) {
        // Relaxed: only uniqueness matters (2^64 ids never wrap).
        let id = NEXT_WAKER_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        let entry = WakerEntry {
            id,
            waker: Some(waker),
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = entry;
                index
            }
            None => {
                // At most 2^30 - 1 waiters are registered at once (the
                // state word's count), far below u32::MAX places.
                let index = self.slots.len() as u32;
                self.slots.push(entry);
                index
            }
        };
        self.live += 1;
        if self.order.len() >= 2 * self.live + 32 {
            let slots = &self.slots;
            self.order
                .retain(|&(i, id)| slots[i as usize].id == id && slots[i as usize].waker.is_some());
        }
        self.order.push_back((index, id));
        (index, id)
    }

    fn get_mut(&mut self, index: u32, id: u64) -> Option<&mut Waker> {
        self.slots
            .get_mut(index as usize)
            .filter(|e| e.id == id)
            .and_then(|e| e.waker.as_mut())
    }

    fn remove(&mut self, index: u32, id: u64) -> Option<Waker> {
        let entry = self.slots.get_mut(index as usize).filter(|e| e.id == id)?;
        let waker = entry.waker.take()?;
        self.free.push(index);
        self.live -= 1;
        Some(waker)
    }

    /// The oldest entry: `Some(Some(waker))` for a live registration (now
    /// removed), `Some(None)` for a stale one, `None` when there are none.
    fn pop_front(&mut self) -> Option<Option<Waker>> {
        let (index, id) = self.order.pop_front()?;
        Some(self.remove(index, id))
    }
}
