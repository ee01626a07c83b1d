//! Edge inputs for every constructor: capacity 0, 1, the largest accepted
//! and just past it, zero-sized items at huge capacities, and capacities
//! whose buffer would not fit in memory (an error, never a panic).

#![cfg(not(nanopath_loom))]

use nanopath_queue::{CapacityError, Full, mpmc, mpsc, spsc};
use std::mem::size_of;

/// The largest element count `Layout::array` accepts for elements of
/// `size` bytes aligned to `align`.
fn layout_limit(size: usize, align: usize) -> usize {
    (isize::MAX as usize - (align - 1)) / size
}

/// Capacity 0 is refused the same way by every queue and channel: a typed
/// error from the `try_` constructor, a panic from the plain one that
/// names the capacity (and, through `#[track_caller]`, the caller's line).
#[test]
fn capacity_zero_is_an_error_for_every_queue_and_channel() {
    use nanopath_queue::channel::{self, Mpmc, Mpsc, Spsc, WaitStrategy};
    let errors = [
        spsc::try_ring::<String>(0).err(),
        mpmc::Queue::<String>::try_new(0).err(),
        mpsc::try_bounded::<String>(0).err(),
        channel::try_with::<String, Spsc>(0, WaitStrategy::default()).err(),
        channel::try_with::<String, Mpsc>(0, WaitStrategy::default()).err(),
        channel::try_with::<String, Mpmc>(0, WaitStrategy::default()).err(),
    ];
    for err in errors {
        let err = err.expect("capacity 0 is refused");
        assert_eq!((err.requested, err.minimum), (0, 1));
        assert!(err.to_string().contains("capacity 0"), "{err}");
    }
    let panics: [fn(); 5] = [
        || drop(spsc::ring::<u8>(0)),
        || drop(mpmc::Queue::<u8>::new(0)),
        || drop(mpsc::bounded::<u8>(0)),
        || drop(channel::spsc::<u8>(0)),
        || drop(channel::mpmc_with::<u8>(0, WaitStrategy::park())),
    ];
    for make in panics {
        let message = std::panic::catch_unwind(make).expect_err("panics");
        let message = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("capacity 0"), "{message}");
    }
}

#[test]
fn spsc_capacity_one_wraps() {
    let (mut tx, mut rx) = spsc::ring(1);
    for i in 0..5 {
        tx.push(i).unwrap();
        assert_eq!(tx.push(99), Err(Full(99)));
        assert_eq!(rx.pop(), Some(i));
    }
}

#[test]
fn spsc_zero_sized_items_at_the_largest_capacity() {
    let max = usize::MAX / 2;
    let (mut tx, mut rx) = spsc::try_ring::<()>(max).unwrap();
    assert_eq!(tx.capacity(), max);
    assert_eq!(tx.free_slots(), max);
    for _ in 0..3 {
        tx.push(()).unwrap();
    }
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.pop_batch(&mut Vec::new(), usize::MAX), 3);
    assert_eq!(tx.free_slots(), max);
    let err = spsc::try_ring::<()>(max + 1).unwrap_err();
    assert_eq!((err.requested, err.minimum, err.maximum), (max + 1, 1, max));
}

#[test]
fn spsc_buffers_larger_than_memory_are_an_error_not_a_panic() {
    let limit = layout_limit(size_of::<u64>(), align_of::<u64>());
    for capacity in [limit + 1, usize::MAX / 4, usize::MAX / 2, usize::MAX] {
        let err = spsc::try_ring::<u64>(capacity).unwrap_err();
        assert_eq!(
            err,
            CapacityError {
                requested: capacity,
                minimum: 1,
                maximum: limit
            }
        );
        assert!(err.to_string().contains("outside the supported range"));
    }
    let err = spsc::try_ring::<[u8; 4096]>(usize::MAX / 2).unwrap_err();
    assert_eq!(err.maximum, layout_limit(4096, 1));
    // The panicking constructor panics with the same message.
    let panic = std::panic::catch_unwind(|| spsc::ring::<u64>(limit + 1)).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("outside the supported range"), "{message}");
}

/// A slot of the stamped ring is a `usize` stamp and the item.
fn ring_limit<T>() -> usize {
    #[allow(dead_code)] // only its layout matters
    struct Slot<T>(usize, std::mem::MaybeUninit<T>);
    layout_limit(size_of::<Slot<T>>(), align_of::<Slot<T>>()).min(usize::MAX / 4)
}

#[test]
fn ring_capacities_zero_one_and_too_large() {
    for capacity in [0, usize::MAX] {
        let err = mpmc::Queue::<u8>::try_new(capacity).unwrap_err();
        assert_eq!((err.requested, err.minimum), (capacity, 1));
        assert!(mpsc::try_bounded::<u8>(capacity).is_err());
    }
    // Accepted by the old range check, but the slots would not fit.
    for capacity in [ring_limit::<u64>() + 1, usize::MAX / 8, usize::MAX / 4] {
        let err = mpmc::Queue::<u64>::try_new(capacity).unwrap_err();
        assert_eq!(err.maximum, ring_limit::<u64>(), "capacity {capacity}");
        let err = mpsc::try_bounded::<u64>(capacity).unwrap_err();
        assert_eq!(err.maximum, ring_limit::<u64>());
        // Zero-sized items still need their stamps.
        assert!(mpmc::Queue::<()>::try_new(usize::MAX / 4).is_err());
    }
    assert_eq!(mpmc::Queue::<()>::try_new(1).unwrap().capacity(), 1);
    let q = mpmc::Queue::new(1);
    for i in 0..5 {
        q.push(i).unwrap();
        assert_eq!(q.push(99), Err(Full(99)));
        assert!(q.is_full());
        assert_eq!(q.pop(), Some(i));
        assert_eq!(q.pop(), None);
    }
    let (tx, mut rx) = mpsc::bounded(1);
    for i in 0..5 {
        tx.push(i).unwrap();
        assert_eq!(tx.push(99), Err(Full(99)));
        assert_eq!(rx.pop(), Some(i));
        assert_eq!(rx.pop(), None);
    }
}

#[test]
fn ring_zero_sized_items_at_a_large_capacity() {
    let capacity = if cfg!(miri) { 1 << 8 } else { 1 << 20 };
    let q = mpmc::Queue::<()>::new(capacity);
    let mut batch = vec![(); capacity + 3];
    assert_eq!(q.push_batch(&mut batch), capacity);
    assert_eq!(batch.len(), 3);
    assert!(q.is_full());
    assert_eq!(q.push(()), Err(Full(())));
    assert_eq!(q.pop_batch(&mut Vec::new(), usize::MAX), capacity);
    assert_eq!(q.pop(), None);
    let (tx, mut rx) = mpsc::bounded::<()>(capacity);
    tx.push(()).unwrap();
    assert_eq!(rx.pop_batch(&mut Vec::new(), usize::MAX), 1);
}

#[test]
fn unbounded_zero_sized_items() {
    let (tx, mut rx) = mpsc::unbounded::<()>();
    let n = 3 * mpsc::SEGMENT_SLOTS + 1;
    (0..n).for_each(|_| tx.push(()));
    assert_eq!(rx.pop_batch(&mut Vec::new(), usize::MAX), n);
    assert_eq!(rx.pop(), None);
}
