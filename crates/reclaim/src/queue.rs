//! The Michael-Scott queue (M. M. Michael and M. L. Scott, "Simple, Fast,
//! and Practical Non-Blocking and Blocking Concurrent Queue Algorithms",
//! PODC 1996), in its hazard-pointer form (Michael 2004, figure 5),
//! generic over the reclamation scheme.

use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr;

use nanopath_atomic::CachePadded;

use crate::chain::{Linked, drop_chain};
use crate::scheme::{Epoch, Guard, Reclaim, Slot};
use crate::sync::{AtomicPtr, Ordering, Shadow};

/// A node. Invariant: the node `head` points to is the dummy, whose value
/// is uninitialised (moved out, or never written); every node after it
/// holds an initialised value. `next` goes from null to a node once.
struct Node<T> {
    value: MaybeUninit<T>,
    next: AtomicPtr<Node<T>>,
    /// Loom's view of reads and the free (zero-sized outside loom).
    shadow: Shadow,
}

impl<T> Linked for Node<T> {
    fn next(&self) -> *mut Self {
        // Relaxed: called with exclusive access to the queue (its drop).
        self.next.load(Ordering::Relaxed)
    }

    unsafe fn drop_value(&mut self) {
        // SAFETY: the caller's contract: the value is initialised (a node
        // after the dummy), dropped once.
        unsafe { self.value.assume_init_drop() }
    }
}

impl<T> Node<T> {
    fn boxed(value: MaybeUninit<T>) -> *mut Self {
        Box::into_raw(Box::new(Node {
            value,
            next: AtomicPtr::new(ptr::null_mut()),
            shadow: Shadow::default(),
        }))
    }
}

/// A lock-free unbounded FIFO queue. Enqueue links a node after the tail
/// with a CAS on the tail node's `next` and then swings `tail`; dequeue
/// swings `head` to the successor of the dummy node and takes its value.
/// Lagging tails are helped forward by whoever sees them. Head and tail
/// live on separate cache lines.
///
/// ```
/// use nanopath_reclaim::{Hazard, MsQueue};
///
/// let q: MsQueue<&str, Hazard> = MsQueue::new();
/// q.enqueue("a");
/// q.enqueue("b");
/// assert_eq!(q.dequeue(), Some("a"));
/// assert_eq!(q.dequeue(), Some("b"));
/// assert_eq!(q.dequeue(), None);
/// ```
pub struct MsQueue<T, R: Reclaim = Epoch> {
    /// The dummy node (never null).
    head: CachePadded<AtomicPtr<Node<T>>>,
    /// The last node or its predecessor (never null, never behind `head`).
    tail: CachePadded<AtomicPtr<Node<T>>>,
    reclaim: R,
    _owns: PhantomData<T>,
}

// SAFETY: values move between threads through the queue (T: Send); nodes
// are shared only through atomics and the scheme's protection.
unsafe impl<T: Send, R: Reclaim> Send for MsQueue<T, R> {}
// SAFETY: as above.
unsafe impl<T: Send, R: Reclaim> Sync for MsQueue<T, R> {}

impl<T, R: Reclaim> core::fmt::Debug for MsQueue<T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MsQueue").finish_non_exhaustive()
    }
}

impl<T: Send, R: Reclaim + Default> Default for MsQueue<T, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send, R: Reclaim + Default> MsQueue<T, R> {
    /// An empty queue on the scheme's default instance.
    pub fn new() -> Self {
        Self::with_reclaim(R::default())
    }
}

impl<T: Send, R: Reclaim> MsQueue<T, R> {
    /// An empty queue that protects and retires through `reclaim`.
    pub fn with_reclaim(reclaim: R) -> Self {
        let dummy = Node::boxed(MaybeUninit::uninit());
        Self {
            head: CachePadded::new(AtomicPtr::new(dummy)),
            tail: CachePadded::new(AtomicPtr::new(dummy)),
            reclaim,
            _owns: PhantomData,
        }
    }

    /// Appends `value`. Lock-free; allocates one node.
    pub fn enqueue(&self, value: T) {
        let node = Node::boxed(MaybeUninit::new(value));
        let mut guard = self.reclaim.guard();
        loop {
            let tail = guard.protect(Slot::A, &self.tail);
            // SAFETY: `tail` is protected and was current in `self.tail`;
            // a node is retired only after `head` passed it, and `head`
            // never passes `tail`, so it was not retired when validated.
            let tail_ref = unsafe { &*tail };
            tail_ref.shadow.read();
            // Acquire: a successor's contents (its `next`) are visible.
            let next = tail_ref.next.load(Ordering::Acquire);
            if next.is_null() {
                // Release publishes the node's value to the dequeuer that
                // loads this `next` with Acquire.
                if tail_ref
                    .next
                    .compare_exchange(next, node, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
                {
                    // Swing the tail; failure means someone helped already.
                    let _ = self.tail.compare_exchange(
                        tail,
                        node,
                        Ordering::Release,
                        Ordering::Relaxed,
                    );
                    return;
                }
            } else {
                // The tail lags: help it forward, then retry.
                let _ =
                    self.tail
                        .compare_exchange(tail, next, Ordering::Release, Ordering::Relaxed);
            }
        }
    }

    /// Removes the oldest value, or `None` if the queue is empty. Lock-free.
    pub fn dequeue(&self) -> Option<T> {
        let mut guard = self.reclaim.guard();
        loop {
            let head = guard.protect(Slot::A, &self.head);
            // SAFETY: `head` is protected and was current: not retired.
            let next = unsafe {
                (*head).shadow.read();
                (*head).next.load(Ordering::Acquire)
            };
            if next.is_null() {
                return None;
            }
            guard.announce(Slot::B, next);
            // `next` is retired only after `head` moved past it, which
            // needs `head` to move past `head` first: if `head` is still
            // current after the announcement, `next` is protected.
            if self.head.load(Ordering::Acquire) != head {
                continue;
            }
            // Acquire pairs with the Release CASes that swing the tail: the
            // links up to the node it names are visible.
            let tail = self.tail.load(Ordering::Acquire);
            if tail == head {
                // Never move `head` past `tail`: help the tail first.
                let _ =
                    self.tail
                        .compare_exchange(tail, next, Ordering::Release, Ordering::Relaxed);
                continue;
            }
            // Release on success: the next dequeuer loads `head` (Acquire)
            // and reads `next`'s fields, which its enqueuer published
            // through the previous node's link, not through `head`; we
            // acquired them (the `next` load above), and this Release
            // passes them on. (Relaxed here was a data race between the
            // enqueuer's initialisation of the node and that later reader,
            // found by ThreadSanitizer.) Free on x86-64 (`lock cmpxchg`).
            if self
                .head
                .compare_exchange(head, next, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: our CAS made `next` the dummy, so its value is ours
                // alone (the next dequeue reads its successor's); it is
                // protected in slot B, so it is still allocated.
                let value = unsafe {
                    (*next).shadow.read();
                    (*next).value.assume_init_read()
                };
                // Done with the old dummy: our own scan may free it.
                guard.reset(Slot::A);
                // SAFETY: `head` is unlinked (no longer reachable from
                // `self.head`, and `tail` is past it), boxed, retired once.
                // Its value is uninitialised/moved out, and `MaybeUninit`
                // never drops it.
                unsafe { guard.retire_box(head) };
                return Some(value);
            }
        }
    }

    /// Whether the queue was empty at the moment of the loads.
    pub fn is_empty(&self) -> bool {
        let mut guard = self.reclaim.guard();
        let head = guard.protect(Slot::A, &self.head);
        // SAFETY: protected and current, so not freed.
        unsafe { (*head).next.load(Ordering::Acquire).is_null() }
    }

    /// The scheme this queue reclaims through.
    pub fn reclaim(&self) -> &R {
        &self.reclaim
    }
}

impl<T, R: Reclaim> Drop for MsQueue<T, R> {
    fn drop(&mut self) {
        // `&mut self`: no operation is in flight. The first node is the
        // dummy (no value); every later node owns one. Relaxed: nothing
        // else accesses the queue any more.
        let dummy = self.head.swap(ptr::null_mut(), Ordering::Relaxed);
        if dummy.is_null() {
            return;
        }
        // SAFETY: the first node is the dummy, from Box::into_raw, freed
        // once here; it holds no value.
        let dummy = unsafe { Box::from_raw(dummy) };
        let first = dummy.next();
        drop(dummy);
        // SAFETY: the nodes after the dummy came from Box::into_raw, each
        // holds an initialised value, and the queue owns them alone.
        unsafe { drop_chain(first) };
    }
}
