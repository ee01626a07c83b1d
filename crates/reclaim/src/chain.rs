//! Dropping the nodes a linked structure still owns when it is dropped
//! (the Treiber stack's and the Michael-Scott queue's walk).

/// A boxed node of a singly linked structure, whose value the node does
/// not drop itself (`ManuallyDrop` or `MaybeUninit`).
pub(crate) trait Linked: Sized {
    /// The successor, or null. Only called with exclusive access to the
    /// structure.
    fn next(&self) -> *mut Self;

    /// Drops the node's value in place.
    ///
    /// # Safety
    /// The node holds an initialised value, and it is dropped once.
    unsafe fn drop_value(&mut self);
}

/// Frees every node from `first` on and drops its value. The walk keeps
/// its place in a guard: if a value's `Drop` panics, the guard frees the
/// nodes after it and drops their values while unwinding (a second panic
/// aborts, as for `Vec`'s elements), so none is leaked and none dropped
/// twice.
///
/// # Safety
/// Every node from `first` on came from `Box::into_raw`, holds an
/// initialised value, and is owned by the caller alone (no other thread
/// can reach it, and nothing else frees it).
pub(crate) unsafe fn drop_chain<N: Linked>(first: *mut N) {
    /// The next node to free (null when done).
    struct Walk<N: Linked>(*mut N);
    impl<N: Linked> Walk<N> {
        fn drop_all(&mut self) {
            while !self.0.is_null() {
                // SAFETY: per `drop_chain`'s contract; each node is freed
                // once: the walk moves past a node before its value is
                // dropped.
                let mut node = unsafe { Box::from_raw(self.0) };
                self.0 = node.next();
                // SAFETY: the node still holds its value (contract); `node`
                // frees the node (not the value) even if this panics.
                unsafe { node.drop_value() };
            }
        }
    }
    impl<N: Linked> Drop for Walk<N> {
        fn drop(&mut self) {
            self.drop_all();
        }
    }
    let mut walk = Walk(first);
    walk.drop_all();
}
