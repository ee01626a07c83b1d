//! A Treiber stack (R. K. Treiber, "Systems Programming: Coping with
//! Parallelism", IBM RJ 5118, 1986), generic over the reclamation scheme.

use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr;

use crate::chain::{Linked, drop_chain};
use crate::scheme::{Epoch, Guard, Reclaim, Slot};
use crate::sync::{AtomicPtr, Ordering, Shadow};

/// A node. Invariant: `next` is written only before the node is published
/// by the push CAS; `value` is moved out once, by the pop whose CAS
/// unlinked the node, and never dropped in place by the node.
struct Node<T> {
    value: ManuallyDrop<T>,
    next: *mut Node<T>,
    /// Loom's view of reads and the free (zero-sized outside loom).
    shadow: Shadow,
}

// SAFETY: a node is handed to another thread only to be freed (retired) or
// popped; it owns a `T`, which is `Send` in every stack that creates one.
unsafe impl<T: Send> Send for Node<T> {}

impl<T> Linked for Node<T> {
    fn next(&self) -> *mut Self {
        self.next
    }

    unsafe fn drop_value(&mut self) {
        // SAFETY: the caller's contract: the value is there, dropped once.
        unsafe { ManuallyDrop::drop(&mut self.value) }
    }
}

/// A lock-free LIFO stack. `push` is a CAS loop on the head; `pop`
/// protects the head through the scheme `R`, so a popped node is never
/// freed (or reused, which rules out ABA on the head CAS) while another
/// thread still reads it.
///
/// ```
/// use nanopath_reclaim::{Hazard, TreiberStack};
///
/// let stack: TreiberStack<u32> = TreiberStack::new(); // epochs
/// stack.push(1);
/// stack.push(2);
/// assert_eq!(stack.pop(), Some(2));
///
/// let hp: TreiberStack<u32, Hazard> = TreiberStack::new(); // hazard pointers
/// hp.push(3);
/// assert_eq!(hp.pop(), Some(3));
/// assert_eq!(hp.pop(), None);
/// ```
pub struct TreiberStack<T, R: Reclaim = Epoch> {
    /// Top node, or null. Nodes reachable from it are owned by the stack.
    head: AtomicPtr<Node<T>>,
    reclaim: R,
    _owns: PhantomData<T>,
}

// SAFETY: values move between threads through the stack (T: Send); nodes
// are shared only through atomics and the scheme's protection.
unsafe impl<T: Send, R: Reclaim> Send for TreiberStack<T, R> {}
// SAFETY: as above; `&self` methods hand values out by move only.
unsafe impl<T: Send, R: Reclaim> Sync for TreiberStack<T, R> {}

impl<T, R: Reclaim> core::fmt::Debug for TreiberStack<T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Relaxed: a snapshot; nothing is read through the pointer.
        f.debug_struct("TreiberStack")
            .field("is_empty", &self.head.load(Ordering::Relaxed).is_null())
            .finish_non_exhaustive()
    }
}

impl<T: Send, R: Reclaim + Default> Default for TreiberStack<T, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send, R: Reclaim + Default> TreiberStack<T, R> {
    /// An empty stack on the scheme's default instance (the global hazard
    /// domain, or crossbeam-epoch's default collector).
    pub fn new() -> Self {
        Self::with_reclaim(R::default())
    }
}

impl<T: Send, R: Reclaim> TreiberStack<T, R> {
    /// An empty stack that protects and retires through `reclaim`.
    pub fn with_reclaim(reclaim: R) -> Self {
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
            reclaim,
            _owns: PhantomData,
        }
    }

    /// Pushes `value` on top. Lock-free; allocates one node.
    pub fn push(&self, value: T) {
        let node = Box::into_raw(Box::new(Node {
            value: ManuallyDrop::new(value),
            next: ptr::null_mut(),
            shadow: Shadow::default(),
        }));
        // The old head is protected even though push never dereferences
        // it: the pointer is stored in `node.next` and followed by later
        // pops, so it must still point to the object that was the head when
        // the CAS succeeded. Unprotected, that object could be popped, freed
        // and its address reused by a new head between the load and the
        // CAS (ABA): the bits would match, but `next` would carry the dead
        // object's provenance.
        let mut guard = self.reclaim.guard();
        loop {
            let head = guard.protect(Slot::A, &self.head);
            // SAFETY: `node` is not yet published; only we touch it.
            unsafe { (*node).next = head };
            // Release publishes the node's value and `next` to the pop that
            // loads it (Acquire in `protect`).
            if self
                .head
                .compare_exchange(head, node, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Pops the top value, or `None` if the stack is empty. Lock-free.
    pub fn pop(&self) -> Option<T> {
        let mut guard = self.reclaim.guard();
        loop {
            let head = guard.protect(Slot::A, &self.head);
            if head.is_null() {
                return None;
            }
            // SAFETY: `head` is protected: it cannot be freed while the
            // guard holds it; `next` is immutable after publication.
            let next = unsafe {
                (*head).shadow.read();
                (*head).next
            };
            // Relaxed: the node's contents were acquired by `protect`.
            if self
                .head
                .compare_exchange(head, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: our CAS unlinked `head`, so we alone move its
                // value out; the node never drops it. Owned (out of its
                // `ManuallyDrop`) before the retire: a retire may scan and
                // run other objects' destructors, and if one panics the
                // value is dropped while unwinding instead of leaked.
                let value = ManuallyDrop::into_inner(unsafe { ptr::read(&(*head).value) });
                // Done reading the node: our own scan may free it.
                guard.reset(Slot::A);
                // SAFETY: unlinked, boxed, retired once (by the unlinker).
                unsafe { guard.retire_box(head) };
                return Some(value);
            }
        }
    }

    /// Whether the stack was empty at the moment of the load.
    pub fn is_empty(&self) -> bool {
        // Relaxed: a snapshot; nothing is read through the pointer.
        self.head.load(Ordering::Relaxed).is_null()
    }

    /// The scheme this stack reclaims through.
    pub fn reclaim(&self) -> &R {
        &self.reclaim
    }
}

impl<T, R: Reclaim> Drop for TreiberStack<T, R> {
    fn drop(&mut self) {
        // `&mut self`: no operation is in flight; every node still linked is
        // owned by the stack and holds a value. Popped nodes were retired
        // and are the scheme's to free. Relaxed: nothing else accesses the
        // stack any more.
        let first = self.head.swap(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: linked nodes came from Box::into_raw, hold their value
        // (a pop moves it out only after unlinking the node) and are owned
        // by the stack alone.
        unsafe { drop_chain(first) };
    }
}
