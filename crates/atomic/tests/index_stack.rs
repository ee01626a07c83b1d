//! `TaggedIndexStack`: a naive model (a `Vec` used as a stack) checked by
//! proptest, exclusive ownership under threads (stress, and Miri's weak
//! memory with many seeds through the `handoff_` tests), and edge inputs.

#![cfg(not(nanopath_loom))]

use nanopath_atomic::TaggedIndexStack;
use nanopath_atomic::sync::{AtomicBool, AtomicU32, Ordering};
use proptest::prelude::*;

const EMPTY: u32 = TaggedIndexStack::EMPTY;

/// `slots` slots, all on the stack: 0 on top, linked in index order.
struct Slots {
    stack: TaggedIndexStack,
    links: Vec<AtomicU32>,
    /// Set while a thread owns the slot.
    owned: Vec<AtomicBool>,
}

impl Slots {
    /// A stack with a 32-bit tag (any index may be pushed).
    fn new(slots: u32) -> Self {
        Self::with(slots, false)
    }

    /// `bounded`: the stack knows the bound, so its tag is wider.
    fn with(slots: u32, bounded: bool) -> Self {
        let top = if slots == 0 { EMPTY } else { 0 };
        Self {
            stack: if bounded {
                TaggedIndexStack::bounded(slots, top)
            } else {
                TaggedIndexStack::with_top(top)
            },
            links: (0..slots)
                .map(|i| AtomicU32::new(if i + 1 < slots { i + 1 } else { EMPTY }))
                .collect(),
            owned: (0..slots).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    fn pop(&self) -> Option<u32> {
        self.stack.pop(|i| &self.links[i as usize])
    }

    fn push(&self, index: u32) {
        self.stack.push(index, |i| &self.links[i as usize]);
    }

    fn drain_sorted(&self) -> Vec<u32> {
        let mut seen = Vec::new();
        while let Some(i) = self.pop() {
            seen.push(i);
        }
        seen.sort_unstable();
        seen
    }
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    /// Any sequence of pops and pushes of owned indices gives what a `Vec`
    /// stack gives.
    #[test]
    fn stack_matches_vec_model(
        slots in 0u32..8,
        bounded in any::<bool>(),
        ops in proptest::collection::vec(any::<(bool, u8)>(), 0..64),
    ) {
        let real = Slots::with(slots, bounded);
        let mut model: Vec<u32> = (0..slots).rev().collect(); // top at the end
        let mut held: Vec<u32> = Vec::new();
        for (pop, pick) in ops {
            if pop || held.is_empty() {
                let got = real.pop();
                prop_assert_eq!(got, model.pop());
                held.extend(got);
            } else {
                let index = held.swap_remove(pick as usize % held.len());
                real.push(index);
                model.push(index);
            }
            prop_assert_eq!(real.stack.is_empty(), model.is_empty());
        }
    }
}

#[test]
fn an_empty_stack_pops_nothing_and_a_pushed_index_comes_back() {
    let slots = Slots::new(0);
    assert!(slots.stack.is_empty());
    assert_eq!(slots.pop(), None);
    let one = Slots::new(1);
    assert_eq!(one.pop(), Some(0));
    assert_eq!(one.pop(), None);
    one.push(0);
    assert_eq!(one.pop(), Some(0));
    assert!(TaggedIndexStack::new().is_empty());
    assert!(TaggedIndexStack::default().is_empty());
    // The largest usable index works like any other.
    let links = [AtomicU32::new(0)];
    let big = TaggedIndexStack::new();
    big.push(EMPTY - 1, |_| &links[0]);
    assert_eq!(big.pop(|_| &links[0]), Some(EMPTY - 1));
    assert_eq!(big.pop(|_| &links[0]), None);
    // So does the largest index of a bounded stack, at every width.
    for slots in [1, 2, 3, 4, 5, 255, 256, 257, 1 << 20, u32::MAX] {
        let stack = TaggedIndexStack::bounded(slots, EMPTY);
        assert!(stack.is_empty());
        assert_eq!(stack.tag_bits(), 64 - (32 - slots.leading_zeros()));
        stack.push(slots - 1, |_| &links[0]);
        assert!(!stack.is_empty());
        assert_eq!(stack.pop(|_| &links[0]), Some(slots - 1));
        assert_eq!(stack.pop(|_| &links[0]), None);
        let full = TaggedIndexStack::bounded(slots, slots - 1);
        assert_eq!(full.pop(|_| &links[0]), Some(slots - 1));
    }
    assert_eq!(TaggedIndexStack::new().tag_bits(), 32);
    assert_eq!(TaggedIndexStack::bounded(0, EMPTY).tag_bits(), 64);
    assert!(TaggedIndexStack::bounded(0, EMPTY).is_empty());
}

#[test]
#[should_panic(expected = "below the bound")]
fn a_bounded_stack_rejects_a_top_outside_its_bound() {
    let _ = TaggedIndexStack::bounded(4, 4);
}

/// Threads pop a slot, own it exclusively (a flag flipped with CASes that
/// must not fail), and push it back: no slot is ever lent twice, and every
/// slot is on the stack exactly once at the end.
#[test]
fn handoff_stack_never_lends_a_slot_twice() {
    let slots = 4;
    let list = Slots::with(slots, true);
    let iters = nanopath_testkit::stress_iters(300_000);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let mut got = 0;
                while got < iters {
                    let Some(i) = list.pop() else {
                        std::thread::yield_now();
                        continue;
                    };
                    got += 1;
                    let flag = &list.owned[i as usize];
                    assert!(
                        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                            .is_ok(),
                        "slot {i} owned twice"
                    );
                    std::hint::spin_loop();
                    assert!(
                        flag.compare_exchange(true, false, Ordering::AcqRel, Ordering::Acquire)
                            .is_ok(),
                        "slot {i} lost its owner"
                    );
                    list.push(i);
                }
            });
        }
    });
    assert_eq!(list.drain_sorted(), (0..slots).collect::<Vec<_>>());
}

/// What a pusher wrote to a slot before the push is what the popper reads
/// (the Release/Acquire hand-over), in both directions: a producer fills
/// slots from a `free` stack into a `full` one, a consumer empties them back.
/// The slot data is plain memory, so Miri reports a data race if a hand-over
/// were not ordered.
#[test]
fn handoff_pushed_slot_contents_reach_the_popper() {
    struct Data(Vec<std::cell::UnsafeCell<u64>>);
    // SAFETY: a slot's data is touched only by the thread that popped it.
    unsafe impl Sync for Data {}
    let slots = 2u32;
    let links: Vec<AtomicU32> = (0..slots)
        .map(|i| AtomicU32::new(if i + 1 < slots { i + 1 } else { EMPTY }))
        .collect();
    let data = Data((0..slots).map(|_| std::cell::UnsafeCell::new(0)).collect());
    let free = TaggedIndexStack::with_top(0);
    let full = TaggedIndexStack::new();
    let link = |i: u32| &links[i as usize];
    let rounds = nanopath_testkit::stress_iters(100_000) as u64;
    let pop_wait = |stack: &TaggedIndexStack| loop {
        if let Some(i) = stack.pop(link) {
            return i;
        }
        std::thread::yield_now();
    };
    let data = &data;
    let received = std::thread::scope(|s| {
        s.spawn(|| {
            for round in 1..=rounds {
                let i = pop_wait(&free);
                // SAFETY: we popped `i`, so we own its data.
                let cell = unsafe { &mut *data.0[i as usize].get() };
                assert_eq!(*cell, 0, "the consumer's clear is visible");
                *cell = round;
                full.push(i, link);
            }
        });
        let consumer = s.spawn(|| {
            let mut sum = 0u64;
            for _ in 0..rounds {
                let i = pop_wait(&full);
                // SAFETY: we popped `i`, so we own its data.
                let cell = unsafe { &mut *data.0[i as usize].get() };
                assert_ne!(*cell, 0, "the producer's write is visible");
                sum += *cell;
                *cell = 0;
                free.push(i, link);
            }
            sum
        });
        consumer.join().unwrap()
    });
    assert_eq!(received, rounds * (rounds + 1) / 2);
}
