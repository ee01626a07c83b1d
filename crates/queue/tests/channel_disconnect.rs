//! Disconnection by the receivers: the last receiver's drop drops every
//! queued item at once (the senders may live on), later sends fail and
//! return the value, and a send racing that drop either fails with its
//! value or has its value dropped with the rest, never kept until the
//! senders go and never dropped twice. Also panicking `Drop`s on every path
//! that drops or moves items: each item is dropped exactly once.

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, Receiver, SendTimeoutError, Sender, Spsc, TrySendError, WaitStrategy,
};
use nanopath_testkit::{Faults, Faulty};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

fn pair<F: Flavor>(capacity: usize) -> (Sender<Faulty, F>, Receiver<Faulty, F>) {
    channel::try_with::<Faulty, F>(capacity, WaitStrategy::default()).unwrap()
}

/// Queued items are dropped by the last receiver's drop, while the sender
/// still lives; every later kind of send fails with its value.
fn last_receiver_drops_queued_items<F: Flavor>() {
    let faults = Faults::new();
    let (tx, rx) = pair::<F>(8);
    for id in 0..5 {
        tx.send(faults.item(id)).unwrap();
    }
    assert_eq!(rx.recv().unwrap().id, 0);
    drop(rx);
    faults.assert_all_dropped_once(5);
    assert!(tx.is_disconnected());
    assert!(tx.is_empty());

    let back = tx.send(faults.item(5)).unwrap_err().into_inner();
    assert_eq!((back.id, faults.drops_of(5)), (5, 0));
    match tx.try_send(faults.item(6)) {
        Err(TrySendError::Disconnected(v)) => assert_eq!(v.id, 6),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    match tx.send_timeout(faults.item(7), Duration::from_secs(60)) {
        Err(SendTimeoutError::Disconnected(v)) => assert_eq!(v.id, 7),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    drop(back);
    faults.assert_all_dropped_once(8);
    assert_eq!(faults.total_drops(), 8);
    drop(tx);
    assert_eq!(faults.total_drops(), 8);
}

#[test]
fn last_receiver_drops_queued_items_spsc() {
    last_receiver_drops_queued_items::<Spsc>();
}

#[test]
fn last_receiver_drops_queued_items_mpsc() {
    last_receiver_drops_queued_items::<Mpsc>();
}

#[test]
fn last_receiver_drops_queued_items_mpmc() {
    last_receiver_drops_queued_items::<Mpmc>();
}

/// Only the last of several MPMC receivers drains; the others leave the
/// items to the receivers still there.
#[test]
fn only_the_last_mpmc_receiver_drops_queued_items() {
    let faults = Faults::new();
    let (tx, rx) = pair::<Mpmc>(4);
    let (rx2, rx3) = (rx.clone(), rx.clone());
    let tx2 = tx.clone();
    for id in 0..4 {
        tx.send(faults.item(id)).unwrap();
    }
    drop(rx);
    drop(rx2);
    assert_eq!(faults.total_drops(), 0);
    assert_eq!(rx3.len(), 4);
    drop(rx3);
    faults.assert_all_dropped_once(4);
    assert!(tx2.send(faults.item(4)).is_err());
    drop(tx);
    faults.assert_all_dropped_once(5);
}

/// Items left when the senders go first stay for the receiver, and go with
/// it.
fn senders_gone_first<F: Flavor>() {
    let faults = Faults::new();
    let (tx, rx) = pair::<F>(4);
    for id in 0..3 {
        tx.send(faults.item(id)).unwrap();
    }
    drop(tx);
    assert_eq!(faults.total_drops(), 0);
    assert_eq!(rx.recv().unwrap().id, 0);
    drop(rx);
    faults.assert_all_dropped_once(3);
}

#[test]
fn senders_gone_first_every_flavor() {
    senders_gone_first::<Spsc>();
    senders_gone_first::<Mpsc>();
    senders_gone_first::<Mpmc>();
}

/// Rounds of the racing tests: tiny under Miri, where each round explores
/// one interleaving per seed.
fn rounds() -> usize {
    if cfg!(miri) { 3 } else { 300 }
}

/// A sender thread sends `sends` items (the channel holds `capacity`, so
/// later sends block until the receiver goes) while the receiver is
/// dropped on this thread, after round-robin 0 to `capacity` items went in
/// (so the drop meets every stage of the sends). With the sender handle
/// still alive, every item must be either back with the sender (a failed
/// send) or dropped exactly once.
fn send_racing_receiver_drop<F: Flavor>(capacity: usize, sends: u32, wait: WaitStrategy)
where
    Sender<Faulty, F>: Sync,
{
    for round in 0..rounds() {
        let faults = Faults::new();
        let (tx, rx) = channel::try_with::<Faulty, F>(capacity, wait).unwrap();
        let before_drop = (round % (capacity + 1)) as u64;
        std::thread::scope(|s| {
            let sender = s.spawn(|| {
                let mut back = Vec::new();
                for id in 0..sends {
                    if let Err(e) = tx.send(faults.item(id)) {
                        back.push(e.into_inner());
                    }
                }
                back
            });
            while rx.stats().sent < before_drop {
                std::thread::yield_now();
            }
            drop(rx);
            let back = sender.join().unwrap();
            // `tx` is still alive here.
            for id in 0..sends {
                let returned = back.iter().any(|v| v.id == id);
                let expected = if returned { 0 } else { 1 };
                assert_eq!(
                    faults.drops_of(id),
                    expected,
                    "item {id}, returned: {returned}"
                );
            }
            drop(back);
            faults.assert_all_dropped_once(sends);
        });
        drop(tx);
        faults.assert_all_dropped_once(sends);
    }
}

/// `send_racing_receiver_drop` for the SPSC flavor, whose sender is not
/// `Sync`: it moves to the sending thread and comes back.
fn spsc_send_racing_receiver_drop(capacity: usize, sends: u32, wait: WaitStrategy) {
    for round in 0..rounds() {
        let faults = Faults::new();
        let (tx, rx) = channel::spsc_with::<Faulty>(capacity, wait);
        let before_drop = (round % (capacity + 1)) as u64;
        let sender = std::thread::spawn(move || {
            let mut back = Vec::new();
            for id in 0..sends {
                if let Err(e) = tx.send(faults.item(id)) {
                    back.push(e.into_inner());
                }
            }
            (tx, back)
        });
        while rx.stats().sent < before_drop {
            std::thread::yield_now();
        }
        drop(rx);
        let (tx, back) = sender.join().unwrap();
        for id in 0..sends {
            let returned = back.iter().any(|v| v.id == id);
            let expected = if returned { 0 } else { 1 };
            assert_eq!(
                faults.drops_of(id),
                expected,
                "item {id}, returned: {returned}"
            );
        }
        drop(back);
        faults.assert_all_dropped_once(sends);
        drop(tx);
        faults.assert_all_dropped_once(sends);
    }
}

#[test]
fn handoff_send_racing_last_receiver_drop_spsc() {
    spsc_send_racing_receiver_drop(2, 3, WaitStrategy::default());
    spsc_send_racing_receiver_drop(1, 2, WaitStrategy::park());
    spsc_send_racing_receiver_drop(1, 2, WaitStrategy::busy_spin());
}

#[test]
fn handoff_send_racing_last_receiver_drop_mpsc() {
    send_racing_receiver_drop::<Mpsc>(2, 3, WaitStrategy::default());
    send_racing_receiver_drop::<Mpsc>(1, 2, WaitStrategy::park());
    send_racing_receiver_drop::<Mpsc>(1, 2, WaitStrategy::busy_spin());
}

#[test]
fn handoff_send_racing_last_receiver_drop_mpmc() {
    send_racing_receiver_drop::<Mpmc>(2, 3, WaitStrategy::default());
    send_racing_receiver_drop::<Mpmc>(1, 2, WaitStrategy::park());
    send_racing_receiver_drop::<Mpmc>(1, 2, WaitStrategy::busy_spin());
}

/// Spins until `count` reaches `at` (a two-thread rendezvous per round).
fn meet(count: &std::sync::atomic::AtomicUsize, at: usize) {
    use std::sync::atomic::Ordering;
    // AcqRel/Acquire: orders each round's setup before both sides go.
    count.fetch_add(1, Ordering::AcqRel);
    while count.load(Ordering::Acquire) < at {
        std::hint::spin_loop();
    }
}

/// A `try_send` released at the same instant as the last receiver's drop,
/// over many fresh channels, with a few spins of skew varied per channel:
/// while the sender lives, every item that was sent must already be
/// dropped (by the drop's drain or by the sender's own). The loose
/// rendezvous of `send_racing_receiver_drop` rarely lands both sides
/// inside the store-buffer window that a missing store→load barrier
/// leaves; this one does, thousands of times.
fn try_send_aligned_with_receiver_drop(wait: WaitStrategy) {
    let channels = if cfg!(miri) { 4 } else { 4_000 };
    for batch in 0..if cfg!(miri) { 1 } else { 10 } {
        let faults = Faults::new();
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..channels)
            .map(|_| channel::spsc_with::<Faulty>(4, wait))
            .unzip();
        let count = std::sync::atomic::AtomicUsize::new(0);
        let (txs, sent) = std::thread::scope(|s| {
            let (faults, count) = (&faults, &count);
            let sender = s.spawn(move || {
                let mut sent = Vec::with_capacity(channels);
                for (i, tx) in txs.iter().enumerate() {
                    meet(count, 2 * (i + 1));
                    for _ in 0..(i * 7 + batch) % 13 {
                        std::hint::spin_loop();
                    }
                    sent.push(tx.try_send(faults.item(i as u32)).is_ok());
                }
                (txs, sent)
            });
            for (i, rx) in rxs.into_iter().enumerate() {
                meet(count, 2 * (i + 1));
                for _ in 0..(i * 3) % 17 {
                    std::hint::spin_loop();
                }
                drop(rx);
            }
            sender.join().unwrap()
        });
        // Every sender is still alive here.
        let lingering = (0..channels)
            .filter(|&i| sent[i] && faults.drops_of(i as u32) != 1)
            .count();
        assert_eq!(
            lingering, 0,
            "sent items still alive after the last receiver's drop"
        );
        drop(txs);
    }
}

#[test]
fn handoff_try_send_aligned_with_last_receiver_drop() {
    try_send_aligned_with_receiver_drop(WaitStrategy::default());
    try_send_aligned_with_receiver_drop(WaitStrategy::busy_spin());
}

/// Two senders and two receivers: both receivers are dropped on their own
/// threads while both senders send; nothing survives the receivers except
/// what came back to the senders.
#[test]
fn handoff_two_senders_racing_two_receiver_drops_mpmc() {
    for _ in 0..rounds() {
        let faults = Faults::new();
        let (tx, rx) = pair::<Mpmc>(2);
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let back = std::thread::scope(|s| {
            let senders: Vec<_> = [(&tx, 0), (&tx2, 10)]
                .into_iter()
                .map(|(tx, base)| {
                    s.spawn(move || {
                        let mut back = Vec::new();
                        for id in base..base + 2 {
                            if let Err(e) = tx.try_send(faults.item(id)) {
                                back.push(e.into_inner());
                            }
                        }
                        back
                    })
                })
                .collect();
            s.spawn(move || drop(rx2));
            drop(rx);
            senders
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        for id in [0, 1, 10, 11] {
            let returned = back.iter().any(|v| v.id == id);
            assert_eq!(faults.drops_of(id), u32::from(!returned), "item {id}");
        }
        drop(back);
        faults.assert_no_double_drop();
        assert_eq!(faults.total_drops(), 4);
        drop((tx, tx2));
        assert_eq!(faults.total_drops(), 4);
    }
}

/// `send_racing_receiver_drop` with the first drop armed to panic: it
/// happens in whichever drain runs, the receiver's drop or a racing send
/// (both are caught), and still every item is back with the sender or
/// dropped exactly once while the sender lives.
fn panicking_drop_in_a_racing_drain<F: Flavor>()
where
    Sender<Faulty, F>: Send + 'static,
{
    for round in 0..rounds() {
        let faults = Faults::new();
        let (tx, rx) = pair::<F>(2);
        let before_drop = (round % 3) as u64;
        faults.panic_on_drop(1);
        let sender = std::thread::spawn(move || {
            let mut back = Vec::new();
            for id in 0..3 {
                match catch_unwind(AssertUnwindSafe(|| tx.send(faults.item(id)))) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => back.push(e.into_inner()),
                    // The send went in; a drain it ran panicked.
                    Err(_) => {}
                }
            }
            (tx, back)
        });
        while rx.stats().sent < before_drop {
            std::thread::yield_now();
        }
        let _ = catch_unwind(AssertUnwindSafe(|| drop(rx)));
        let (tx, back) = sender.join().unwrap();
        // Disarmed: if no drain dropped anything, the returned items must
        // not panic here.
        faults.panic_on_drop(0);
        for id in 0..3 {
            let returned = back.iter().any(|v| v.id == id);
            assert_eq!(faults.drops_of(id), u32::from(!returned), "item {id}");
        }
        drop(back);
        faults.assert_all_dropped_once(3);
        drop(tx);
        faults.assert_all_dropped_once(3);
    }
}

#[test]
fn handoff_panicking_drop_in_a_racing_drain_every_flavor() {
    panicking_drop_in_a_racing_drain::<Spsc>();
    panicking_drop_in_a_racing_drain::<Mpsc>();
    panicking_drop_in_a_racing_drain::<Mpmc>();
}

/// The last receiver's drop, with the k-th queued item's `Drop` panicking:
/// the panic comes out of the receiver's drop, and every item is still
/// dropped exactly once, before the sender goes.
fn panicking_drop_while_receiver_drains<F: Flavor>() {
    for k in 1..=4 {
        let faults = Faults::new();
        let (tx, rx) = pair::<F>(4);
        for id in 0..4 {
            tx.send(faults.item(id)).unwrap();
        }
        faults.panic_on_drop(k);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(rx))).is_err());
        faults.assert_all_dropped_once(4);
        // The panic did not leave the channel connected.
        assert!(tx.send(faults.item(4)).is_err());
        drop(tx);
        faults.assert_all_dropped_once(5);
    }
}

#[test]
fn panicking_drop_while_receiver_drains_spsc() {
    panicking_drop_while_receiver_drains::<Spsc>();
}

#[test]
fn panicking_drop_while_receiver_drains_mpsc() {
    panicking_drop_while_receiver_drains::<Mpsc>();
}

#[test]
fn panicking_drop_while_receiver_drains_mpmc() {
    panicking_drop_while_receiver_drains::<Mpmc>();
}

/// The same with the senders gone first: the receiver is then the last
/// handle, and its drop is the channel's.
fn panicking_drop_of_the_last_handle<F: Flavor>() {
    for k in 1..=3 {
        let faults = Faults::new();
        let (tx, rx) = pair::<F>(4);
        for id in 0..3 {
            tx.send(faults.item(id)).unwrap();
        }
        drop(tx);
        faults.panic_on_drop(k);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(rx))).is_err());
        faults.assert_all_dropped_once(3);
    }
}

#[test]
fn panicking_drop_of_the_last_handle_every_flavor() {
    panicking_drop_of_the_last_handle::<Spsc>();
    panicking_drop_of_the_last_handle::<Mpsc>();
    panicking_drop_of_the_last_handle::<Mpmc>();
}

/// An `IntoIter` dropped part-way: it owns the receiver, so it drains.
fn panicking_drop_of_a_partly_used_into_iter<F: Flavor>() {
    let faults = Faults::new();
    let (tx, rx) = pair::<F>(4);
    for id in 0..4 {
        tx.send(faults.item(id)).unwrap();
    }
    let mut iter = rx.into_iter();
    assert_eq!(iter.next().map(|v| v.id), Some(0));
    assert_eq!(faults.drops_of(0), 1);
    faults.panic_on_drop(2);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(iter))).is_err());
    faults.assert_all_dropped_once(4);
    drop(tx);
    faults.assert_all_dropped_once(4);
}

#[test]
fn panicking_drop_of_a_partly_used_into_iter_every_flavor() {
    panicking_drop_of_a_partly_used_into_iter::<Spsc>();
    panicking_drop_of_a_partly_used_into_iter::<Mpsc>();
    panicking_drop_of_a_partly_used_into_iter::<Mpmc>();
}

/// `recv_batch` moves items out; a panicking drop of a moved item (in the
/// caller's vector) leaves the rest of the channel alone.
fn panicking_drop_after_recv_batch<F: Flavor>() {
    let faults = Faults::new();
    let (tx, rx) = pair::<F>(8);
    for id in 0..6 {
        tx.send(faults.item(id)).unwrap();
    }
    let mut out = Vec::new();
    assert_eq!(rx.recv_batch(&mut out, 3), Ok(3));
    assert_eq!(out.iter().map(|v| v.id).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(faults.total_drops(), 0);
    faults.panic_on_drop(1);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(out))).is_err());
    faults.assert_all_dropped_once(3);
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.recv().unwrap().id, 3);
    drop(rx);
    faults.assert_all_dropped_once(6);
    drop(tx);
}

#[test]
fn panicking_drop_after_recv_batch_every_flavor() {
    panicking_drop_after_recv_batch::<Spsc>();
    panicking_drop_after_recv_batch::<Mpsc>();
    panicking_drop_after_recv_batch::<Mpmc>();
}

/// A failed send hands the value back; dropping that error (whose value
/// panics) drops the value once, and the channel is unaffected.
fn panicking_drop_of_a_returned_value<F: Flavor>() {
    let faults = Faults::new();
    let (tx, rx) = pair::<F>(1);
    tx.send(faults.item(0)).unwrap();
    faults.panic_on_drop(1);
    let full = tx.try_send(faults.item(1));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(full))).is_err());
    assert_eq!(faults.drops_of(1), 1);
    faults.panic_on_drop(1);
    let timeout = tx.send_timeout(faults.item(2), Duration::ZERO);
    assert!(matches!(timeout, Err(SendTimeoutError::Timeout(_))));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(timeout))).is_err());
    assert_eq!(faults.drops_of(2), 1);
    assert_eq!(rx.recv().unwrap().id, 0);
    drop(rx);
    faults.panic_on_drop(1);
    let gone = tx.send(faults.item(3));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(gone))).is_err());
    faults.assert_all_dropped_once(4);
    drop(tx);
    faults.assert_all_dropped_once(4);
}

#[test]
fn panicking_drop_of_a_returned_value_every_flavor() {
    panicking_drop_of_a_returned_value::<Spsc>();
    panicking_drop_of_a_returned_value::<Mpsc>();
    panicking_drop_of_a_returned_value::<Mpmc>();
}
