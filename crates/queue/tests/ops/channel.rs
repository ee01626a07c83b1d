//! Channel operation sequences on one thread, checked against a model: a
//! `VecDeque` bounded at the capacity plus the live sender and receiver
//! counts. Every flavor; handles are cloned and dropped in any order, so
//! disconnection from either side (and the last receiver dropping what is
//! left) is part of the sequence. One checker for the proptest
//! (`tests/channel_ops.rs`), the fuzz target (`fuzz/fuzz_targets/
//! channel_ops.rs`) and the fuzz regression seeds; it panics on the first
//! disagreement.

use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, Receiver, RecvTimeoutError, SendTimeoutError, Sender, Spsc,
    TryRecvError, TrySendError, WaitStrategy,
};
use nanopath_testkit::arbitrary::{self, Unstructured};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Which channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Spsc,
    Mpsc,
    Mpmc,
}

/// One operation; `usize` fields pick a handle (modulo how many there are)
/// or give a batch size.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    TrySend(usize),
    /// `send_timeout(v, 0)`.
    SendNow(usize),
    TryRecv(usize),
    /// `recv_timeout(0)`.
    RecvNow(usize),
    TryRecvBatch(usize, usize),
    CloneSender(usize),
    DropSender(usize),
    CloneReceiver(usize),
    DropReceiver(usize),
    /// Every accessor of every live handle against the model.
    Look,
}

impl Op {
    /// One operation from fuzz bytes.
    pub(crate) fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Op> {
        let pick = |u: &mut Unstructured<'_>| u.int_in_range(0..=7usize);
        Ok(match u.int_in_range(0..=12u8)? {
            0 | 1 => Op::TrySend(pick(u)?),
            2 => Op::SendNow(pick(u)?),
            3 | 4 => Op::TryRecv(pick(u)?),
            5 => Op::RecvNow(pick(u)?),
            6 => Op::TryRecvBatch(pick(u)?, u.int_in_range(0..=12)?),
            7 => Op::CloneSender(pick(u)?),
            8 => Op::DropSender(pick(u)?),
            9 => Op::CloneReceiver(pick(u)?),
            10 => Op::DropReceiver(pick(u)?),
            _ => Op::Look,
        })
    }
}

/// A flavor, a capacity (0 included: it must be refused) and up to 4096
/// operations from fuzz bytes.
pub(crate) fn from_bytes(data: &[u8]) -> (Kind, usize, Vec<Op>) {
    let mut u = Unstructured::new(data);
    let kind = match u.int_in_range(0..=2u8).unwrap_or(0) {
        0 => Kind::Spsc,
        1 => Kind::Mpsc,
        _ => Kind::Mpmc,
    };
    let capacity = u.int_in_range(0..=6).unwrap_or(0);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 4096 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    (kind, capacity, ops)
}

/// Runs `ops` on a channel of `kind` and `capacity`; panics where it and
/// the model disagree.
pub(crate) fn check(kind: Kind, capacity: usize, ops: &[Op]) {
    match kind {
        Kind::Spsc => run::<Spsc>(capacity, ops, |_| None, |_| None),
        Kind::Mpsc => run::<Mpsc>(capacity, ops, |s| Some(s.clone()), |_| None),
        Kind::Mpmc => run::<Mpmc>(capacity, ops, |s| Some(s.clone()), |r| Some(r.clone())),
    }
}

/// An item whose drops are counted, so the last receiver's drain of what
/// is left is checked too.
#[derive(Debug)]
struct Item {
    value: u64,
    drops: Arc<AtomicUsize>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

type CloneTx<F> = fn(&Sender<Item, F>) -> Option<Sender<Item, F>>;
type CloneRx<F> = fn(&Receiver<Item, F>) -> Option<Receiver<Item, F>>;

fn run<F: Flavor>(capacity: usize, ops: &[Op], clone_tx: CloneTx<F>, clone_rx: CloneRx<F>) {
    let (tx, rx) = match channel::try_with::<Item, F>(capacity, WaitStrategy::default()) {
        Ok(pair) => pair,
        Err(e) => {
            assert_eq!(capacity, 0, "refused a valid capacity: {e}");
            return;
        }
    };
    assert_ne!(capacity, 0, "capacity 0 accepted");
    let drops = Arc::new(AtomicUsize::new(0));
    let mut senders = vec![tx];
    let mut receivers = vec![rx];
    let mut model: VecDeque<u64> = VecDeque::new();
    // Items the model says were dropped: received and dropped here, or
    // handed back by a failed send and dropped, or left inside when the
    // last receiver went.
    let mut dropped = 0usize;
    let mut next = 1u64;
    let item = |value: u64| Item {
        value,
        drops: Arc::clone(&drops),
    };
    for op in ops {
        match *op {
            Op::TrySend(i) | Op::SendNow(i) if !senders.is_empty() => {
                let tx = &senders[i % senders.len()];
                let now = matches!(op, Op::SendNow(_));
                let sent = if now {
                    tx.send_timeout(item(next), Duration::ZERO)
                        .map_err(|e| match e {
                            SendTimeoutError::Timeout(v) => TrySendError::Full(v),
                            SendTimeoutError::Disconnected(v) => TrySendError::Disconnected(v),
                            e => panic!("an error this checker does not know: {e:?}"),
                        })
                } else {
                    tx.try_send(item(next))
                };
                match sent {
                    Ok(()) => {
                        assert!(!receivers.is_empty(), "sent with no receiver");
                        assert!(model.len() < capacity, "sent into a full channel");
                        model.push_back(next);
                    }
                    Err(TrySendError::Full(v)) => {
                        assert!(
                            !receivers.is_empty() && model.len() == capacity,
                            "Full wrongly"
                        );
                        assert_eq!(v.value, next, "the value comes back");
                        drop(v);
                        dropped += 1;
                    }
                    Err(TrySendError::Disconnected(v)) => {
                        assert!(receivers.is_empty(), "Disconnected with a receiver");
                        assert_eq!(v.value, next, "the value comes back");
                        drop(v);
                        dropped += 1;
                    }
                    Err(e) => panic!("an error this checker does not know: {e:?}"),
                }
                next += 1;
            }
            Op::TryRecv(i) | Op::RecvNow(i) if !receivers.is_empty() => {
                let rx = &receivers[i % receivers.len()];
                let got = if matches!(op, Op::RecvNow(_)) {
                    rx.recv_timeout(Duration::ZERO).map_err(|e| match e {
                        RecvTimeoutError::Timeout => TryRecvError::Empty,
                        RecvTimeoutError::Disconnected => TryRecvError::Disconnected,
                        e => panic!("an error this checker does not know: {e:?}"),
                    })
                } else {
                    rx.try_recv()
                };
                match (got, model.pop_front()) {
                    (Ok(v), Some(want)) => {
                        assert_eq!(v.value, want);
                        drop(v);
                        dropped += 1;
                    }
                    (Err(TryRecvError::Empty), None) => assert!(!senders.is_empty()),
                    (Err(TryRecvError::Disconnected), None) => assert!(senders.is_empty()),
                    (got, want) => panic!("received {got:?}, model {want:?}"),
                }
            }
            Op::TryRecvBatch(i, max) if !receivers.is_empty() => {
                let rx = &receivers[i % receivers.len()];
                let mut out = Vec::new();
                let got = rx.try_recv_batch(&mut out, max);
                let n = max.min(model.len());
                let expected: Vec<u64> = model.drain(..n).collect();
                let values: Vec<u64> = out.iter().map(|v| v.value).collect();
                assert_eq!(values, expected);
                match got {
                    Ok(k) => {
                        assert_eq!(k, n);
                        assert!(n > 0 || max == 0, "Ok(0) for a batch of {max}");
                    }
                    Err(TryRecvError::Empty) => assert!(n == 0 && max > 0 && !senders.is_empty()),
                    Err(TryRecvError::Disconnected) => {
                        assert!(n == 0 && max > 0 && senders.is_empty());
                    }
                    Err(e) => panic!("an error this checker does not know: {e:?}"),
                }
                dropped += out.len();
            }
            Op::CloneSender(i) if !senders.is_empty() => {
                if let Some(s) = clone_tx(&senders[i % senders.len()]) {
                    senders.push(s);
                }
            }
            Op::DropSender(i) if !senders.is_empty() => {
                drop(senders.swap_remove(i % senders.len()));
            }
            Op::CloneReceiver(i) if !receivers.is_empty() => {
                if let Some(r) = clone_rx(&receivers[i % receivers.len()]) {
                    receivers.push(r);
                }
            }
            Op::DropReceiver(i) if !receivers.is_empty() => {
                drop(receivers.swap_remove(i % receivers.len()));
                if receivers.is_empty() {
                    // The last receiver drops what is left.
                    dropped += model.len();
                    model.clear();
                }
            }
            Op::Look => {
                for tx in &senders {
                    assert_eq!(tx.len(), model.len());
                    assert_eq!(tx.is_full(), model.len() == capacity);
                    assert_eq!(tx.capacity(), capacity);
                    assert_eq!(tx.is_disconnected(), receivers.is_empty());
                    assert_eq!(tx.sender_count(), senders.len());
                    assert_eq!(tx.receiver_count(), receivers.len());
                }
                for rx in &receivers {
                    assert_eq!(rx.len(), model.len());
                    assert_eq!(rx.is_empty(), model.is_empty());
                    assert_eq!(rx.is_disconnected(), senders.is_empty());
                    assert_eq!(rx.sender_count(), senders.len());
                    assert_eq!(rx.receiver_count(), receivers.len());
                }
            }
            // An operation on a side with no handle left.
            _ => {}
        }
        assert_eq!(drops.load(Ordering::Relaxed), dropped, "after {op:?}");
    }
    let left = if receivers.is_empty() { 0 } else { model.len() };
    drop(senders);
    drop(receivers);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        dropped + left,
        "every item dropped once"
    );
}
