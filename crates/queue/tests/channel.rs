//! Channel behaviour: disconnection in both directions never loses a value,
//! timeouts fire, statistics count, every flavor and wait strategy moves
//! 10^6 items per producer with blocking `send`/`recv` (no loss, no
//! duplicate, FIFO per producer), and items left inside are dropped once,
//! by the last receiver's drop.

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, RecvError, RecvTimeoutError, SendTimeoutError, Spsc, TryRecvError,
    TrySendError, WaitStrategy,
};
use nanopath_testkit::Counted;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::busy_spin(),
    WaitStrategy::spin_yield_park(),
    WaitStrategy::park(),
];

#[test]
fn a_send_to_a_gone_receiver_returns_the_value() {
    let (tx, rx) = channel::mpsc::<String>(2);
    drop(rx);
    assert!(tx.is_disconnected());
    assert_eq!(tx.send("a".into()).unwrap_err().into_inner(), "a");
    assert!(matches!(tx.try_send("b".into()), Err(TrySendError::Disconnected(s)) if s == "b"));
    assert!(matches!(
        tx.send_timeout("c".into(), Duration::from_millis(1)),
        Err(SendTimeoutError::Disconnected(s)) if s == "c"
    ));
}

#[test]
fn receivers_drain_everything_before_seeing_disconnection() {
    let (tx, rx) = channel::mpmc(4);
    let rx2 = rx.clone();
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    drop(tx);
    assert!(rx.is_disconnected());
    let mut got = vec![rx.recv().unwrap(), rx2.recv().unwrap()];
    got.extend(rx.try_iter());
    assert_eq!(got, [0, 1, 2, 3]);
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx2.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn timeouts_fire_and_return_the_value() {
    for wait in STRATEGIES {
        let (tx, rx) = channel::spsc_with::<u8>(1, wait);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(2)),
            Err(RecvTimeoutError::Timeout)
        );
        tx.send(1).unwrap();
        assert_eq!(
            tx.send_timeout(2, Duration::from_millis(2)),
            Err(SendTimeoutError::Timeout(2))
        );
        assert_eq!(rx.recv_timeout(Duration::from_millis(2)), Ok(1));
    }
}

#[test]
fn a_parked_receiver_is_woken_by_a_send_and_by_disconnection() {
    for wait in STRATEGIES {
        let (tx, rx) = channel::mpsc_with::<u32>(1, wait);
        std::thread::scope(|s| {
            let receiver = s.spawn(move || (rx.recv(), rx.recv()));
            std::thread::sleep(Duration::from_millis(20));
            tx.send(5).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            drop(tx);
            assert_eq!(receiver.join().unwrap(), (Ok(5), Err(RecvError)));
        });
    }
}

#[test]
fn a_parked_sender_is_woken_by_a_recv_and_by_disconnection() {
    for wait in STRATEGIES {
        let (tx, rx) = channel::mpmc_with::<u32>(1, wait);
        tx.send(1).unwrap();
        std::thread::scope(|s| {
            let sender = s.spawn(|| (tx.send(2), tx.send(3)));
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(rx.recv(), Ok(1));
            // The freed slot must take `2` before the receiver goes.
            while rx.stats().sent < 2 {
                std::thread::yield_now();
            }
            drop(rx);
            let (first, second) = sender.join().unwrap();
            assert_eq!(first, Ok(()));
            // Disconnection wakes the parked `send(3)`. The last receiver's
            // drop drains the queue, which frees the slot it waits for, so
            // it either gets its value back or lands and is drained.
            if let Err(e) = second {
                assert_eq!(e.into_inner(), 3);
            }
            assert!(tx.send(4).is_err(), "disconnected from now on");
        });
    }
}

#[test]
fn stats_count_every_outcome() {
    let (tx, rx) = channel::mpsc::<u8>(2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    tx.try_send(2).unwrap();
    assert!(tx.try_send(3).is_err());
    assert_eq!(
        tx.send_timeout(3, Duration::from_millis(1)),
        Err(SendTimeoutError::Timeout(3))
    );
    let mut out = Vec::new();
    assert_eq!(rx.recv_batch(&mut out, 8), Ok(2));
    let s = tx.stats();
    assert_eq!(s.sent, 2);
    assert_eq!(s.received, 2);
    assert_eq!(s.full_on_send, 2);
    assert_eq!(s.empty_on_recv, 1);
    assert_eq!(s, rx.stats());
}

#[test]
fn zero_and_huge_capacities_are_errors_not_panics() {
    let wait = WaitStrategy::default();
    assert!(channel::try_with::<u8, Spsc>(0, wait).is_err());
    assert!(channel::try_with::<u8, Mpsc>(0, wait).is_err());
    assert!(channel::try_with::<u8, Mpmc>(usize::MAX, wait).is_err());
}

fn drops_left_inside<F: Flavor>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel::try_with::<Counted, F>(8, WaitStrategy::default()).unwrap();
    for i in 0..6 {
        tx.send(Counted::new(i, &drops)).unwrap();
    }
    assert_eq!(rx.recv().unwrap().value, 0);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    // The last receiver's drop drops the five items still queued, though
    // the sender lives on.
    drop(rx);
    assert_eq!(drops.load(Ordering::Relaxed), 6);
    // Refused sends drop their value when the error goes.
    drop(tx.send(Counted::new(9, &drops)));
    assert_eq!(drops.load(Ordering::Relaxed), 7);
    drop(tx);
    assert_eq!(drops.load(Ordering::Relaxed), 7);
}

#[test]
fn items_left_inside_are_dropped_exactly_once() {
    drops_left_inside::<Spsc>();
    drops_left_inside::<Mpsc>();
    drops_left_inside::<Mpmc>();
}

/// `producers` threads send `per_producer` tagged items each with blocking
/// `send`; `receivers` threads drain with `recv` / `recv_batch` until
/// disconnection. Checks no loss, no duplicate, FIFO per producer per
/// receiver, and the statistics.
fn blocking_stress<F: Flavor>(
    tx: channel::Sender<u64, F>,
    rx: Vec<channel::Receiver<u64, F>>,
    senders: Vec<channel::Sender<u64, F>>,
    per_producer: u64,
) where
    channel::Sender<u64, F>: Send,
    channel::Receiver<u64, F>: Send,
{
    let producers = senders.len() as u64 + 1;
    let total = producers * per_producer;
    let seen: Vec<AtomicUsize> = (0..total).map(|_| AtomicUsize::new(0)).collect();
    let stats_probe = rx[0].stats();
    assert_eq!(stats_probe.sent, 0);
    std::thread::scope(|s| {
        for (p, tx) in std::iter::once(tx).chain(senders).enumerate() {
            s.spawn(move || {
                for i in 0..per_producer {
                    tx.send(p as u64 * per_producer + i).unwrap();
                }
            });
        }
        let handles: Vec<_> = rx
            .into_iter()
            .enumerate()
            .map(|(r, rx)| {
                let seen = &seen;
                s.spawn(move || {
                    let mut last = vec![None::<u64>; producers as usize];
                    let mut batch = Vec::new();
                    loop {
                        batch.clear();
                        let got = if r % 2 == 0 {
                            rx.recv().map(|v| batch.push(v))
                        } else {
                            rx.recv_batch(&mut batch, 32).map(drop)
                        };
                        if got.is_err() {
                            break;
                        }
                        for &v in &batch {
                            let p = (v / per_producer) as usize;
                            assert!(last[p] < Some(v), "out of order");
                            last[p] = Some(v);
                            seen[v as usize].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    rx.stats()
                })
            })
            .collect();
        for h in handles {
            let stats = h.join().unwrap();
            assert_eq!(stats.sent, total);
            assert_eq!(stats.received, total);
        }
    });
    assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
}

fn per_producer() -> u64 {
    nanopath_testkit::stress_iters(1_000_000) as u64
}

#[test]
fn spsc_blocking_stress_every_strategy() {
    for wait in STRATEGIES {
        let (tx, rx) = channel::spsc_with(16, wait);
        blocking_stress(tx, vec![rx], Vec::new(), per_producer() / 3);
    }
    let (tx, rx) = channel::spsc(64);
    blocking_stress(tx, vec![rx], Vec::new(), per_producer());
}

#[test]
fn mpsc_blocking_stress_two_producers() {
    let (tx, rx) = channel::mpsc_with(16, WaitStrategy::park());
    let tx2 = tx.clone();
    blocking_stress(tx, vec![rx], vec![tx2], per_producer());
}

#[test]
fn mpmc_blocking_stress_two_producers_two_receivers() {
    let (tx, rx) = channel::mpmc(16);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    blocking_stress(tx, vec![rx, rx2], vec![tx2], per_producer());
}
