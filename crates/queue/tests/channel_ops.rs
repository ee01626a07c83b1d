//! Channel operation sequences (every flavor, handles cloned and dropped
//! in any order) against a model, from proptest and from the `channel_ops`
//! fuzz target's regression seeds.

#![cfg(not(nanopath_loom))]

#[path = "ops/channel.rs"]
mod channel_ops;
use channel_ops::{Kind, Op};
use proptest::prelude::*;

fn op() -> impl Strategy<Value = Op> {
    let pick = || 0usize..8;
    prop_oneof![
        4 => pick().prop_map(Op::TrySend),
        1 => pick().prop_map(Op::SendNow),
        4 => pick().prop_map(Op::TryRecv),
        1 => pick().prop_map(Op::RecvNow),
        2 => (pick(), 0usize..13).prop_map(|(i, max)| Op::TryRecvBatch(i, max)),
        1 => pick().prop_map(Op::CloneSender),
        1 => pick().prop_map(Op::DropSender),
        1 => pick().prop_map(Op::CloneReceiver),
        1 => pick().prop_map(Op::DropReceiver),
        1 => Just(Op::Look),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Spsc), Just(Kind::Mpsc), Just(Kind::Mpmc)]
}

proptest! {
    #![proptest_config(nanopath_testkit::proptest_config())]

    #[test]
    #[cfg_attr(miri, ignore = "generating the values is slow interpreted; see the `_interpreted` test")]
    fn channels_match_the_model(
        kind in kind(),
        capacity in 0usize..7,
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 160 }),
    ) {
        channel_ops::check(kind, capacity, &ops);
    }
}

/// What the `channel_ops` fuzz target found or keeps as seeds, replayed.
#[test]
#[cfg_attr(miri, ignore = "reads files; Miri isolates the file system")]
fn fuzz_seeds_replay() {
    for (name, data) in nanopath_testkit::fuzz_seeds("channel_ops") {
        let (kind, capacity, ops) = channel_ops::from_bytes(&data);
        let run = std::panic::catch_unwind(|| channel_ops::check(kind, capacity, &ops));
        assert!(
            run.is_ok(),
            "seed {name}: {kind:?} capacity {capacity}, {ops:?}"
        );
    }
}

/// The checker of `channels_match_the_model` over deterministic inputs read
/// the way the `channel_ops` fuzz target reads its own (run under Miri in
/// its place).
#[test]
fn channels_match_the_model_interpreted() {
    for data in nanopath_testkit::pseudo_random_inputs(12, 160) {
        let (kind, capacity, ops) = channel_ops::from_bytes(&data);
        channel_ops::check(kind, capacity, &ops);
    }
}
