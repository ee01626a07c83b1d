//! Dropping many items when one item's `Drop` may panic.

/// Calls `drop_next` until it returns `false`. Each call must first step
/// past one item and then drop it, so that a panicking `Drop` leaves the
/// position past the item it was dropping. If a call panics, the remaining
/// items are still dropped while the panic unwinds (a second panic then
/// aborts the process, as for `Vec`), so no item is leaked or dropped twice.
pub(crate) fn drop_each(drop_next: impl FnMut() -> bool) {
    /// Finishes the loop during unwinding.
    struct Rest<F: FnMut() -> bool>(F);
    impl<F: FnMut() -> bool> Drop for Rest<F> {
        fn drop(&mut self) {
            while (self.0)() {}
        }
    }
    let mut rest = Rest(drop_next);
    while (rest.0)() {}
    // On the normal path `rest` is dropped here and its loop ends at once.
}
