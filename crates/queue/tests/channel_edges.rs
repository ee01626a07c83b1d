//! Edge inputs for every channel flavor: capacities that pass the range
//! check but whose slots would not fit in memory, zero and `Duration::MAX`
//! timeouts, zero-sized items, capacity 1.

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, Receiver, RecvTimeoutError, SendTimeoutError, Sender, Spsc,
    TryRecvError, TrySendError, WaitStrategy,
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

/// `try_with` reports capacities too large for the allocation as errors:
/// it must neither panic nor abort.
fn huge_capacity_is_an_error<T, F: Flavor>(capacity: usize) {
    let result = std::panic::catch_unwind(|| {
        channel::try_with::<T, F>(capacity, WaitStrategy::default()).map(drop)
    });
    match result {
        Ok(Err(e)) => assert_eq!(e.requested, capacity),
        Ok(Ok(())) => panic!("capacity {capacity} accepted"),
        Err(_) => panic!("try_with panicked for capacity {capacity}"),
    }
}

#[test]
fn huge_capacities_are_errors_for_every_flavor() {
    // Past the range checks: errors already.
    huge_capacity_is_an_error::<u64, Spsc>(usize::MAX);
    huge_capacity_is_an_error::<u64, Mpsc>(usize::MAX / 4 + 1);
    huge_capacity_is_an_error::<u64, Mpmc>(usize::MAX / 4 + 1);
    // Inside the range checks, but the slots overflow `isize::MAX` bytes.
    huge_capacity_is_an_error::<u64, Spsc>(usize::MAX / 2);
    huge_capacity_is_an_error::<u64, Spsc>(usize::MAX / 8);
    huge_capacity_is_an_error::<[u8; 3], Spsc>(usize::MAX / 4);
    huge_capacity_is_an_error::<u64, Mpsc>(usize::MAX / 4);
    huge_capacity_is_an_error::<u64, Mpmc>(usize::MAX / 4);
    huge_capacity_is_an_error::<u8, Mpsc>(usize::MAX / 8);
    huge_capacity_is_an_error::<u8, Mpmc>(usize::MAX / 8);
}

#[test]
fn capacity_zero_is_an_error_for_every_flavor() {
    let wait = WaitStrategy::default();
    for e in [
        channel::try_with::<u8, Spsc>(0, wait)
            .map(drop)
            .unwrap_err(),
        channel::try_with::<u8, Mpsc>(0, wait)
            .map(drop)
            .unwrap_err(),
        channel::try_with::<u8, Mpmc>(0, wait)
            .map(drop)
            .unwrap_err(),
    ] {
        assert_eq!((e.requested, e.minimum), (0, 1));
    }
    assert!(std::panic::catch_unwind(|| channel::spsc::<u8>(0)).is_err());
    assert!(std::panic::catch_unwind(|| channel::mpsc::<u8>(0)).is_err());
    assert!(std::panic::catch_unwind(|| channel::mpmc::<u8>(0)).is_err());
}

fn pair<T, F: Flavor>(capacity: usize, wait: WaitStrategy) -> (Sender<T, F>, Receiver<T, F>) {
    channel::try_with::<T, F>(capacity, wait).unwrap()
}

/// Zero timeouts try once: they succeed when they can and time out
/// otherwise, without waiting and without panicking.
fn zero_timeouts_try_once<F: Flavor>() {
    for wait in STRATEGIES {
        let (tx, rx) = pair::<u8, F>(1, wait);
        assert_eq!(
            rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        );
        assert_eq!(tx.send_timeout(1, Duration::ZERO), Ok(()));
        assert_eq!(
            tx.send_timeout(2, Duration::ZERO),
            Err(SendTimeoutError::Timeout(2))
        );
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(1));
        drop(tx);
        assert_eq!(
            rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Disconnected)
        );
        let (tx, rx) = pair::<u8, F>(1, wait);
        drop(rx);
        assert_eq!(
            tx.send_timeout(3, Duration::ZERO),
            Err(SendTimeoutError::Disconnected(3))
        );
    }
}

#[test]
fn zero_timeouts_try_once_every_flavor() {
    zero_timeouts_try_once::<Spsc>();
    zero_timeouts_try_once::<Mpsc>();
    zero_timeouts_try_once::<Mpmc>();
}

/// Timeouts too long for an `Instant` (`Duration::MAX`) or merely huge
/// wait for as long as it takes: here until the other thread acts.
fn endless_timeouts_wait_for_the_other_side<F: Flavor>()
where
    Sender<u32, F>: Send,
    Receiver<u32, F>: Send,
{
    let long = [
        Duration::MAX,
        Duration::from_secs(u64::MAX),
        Duration::from_secs(i64::MAX as u64),
        Duration::from_secs(1 << 62),
        Duration::from_secs(1 << 40),
    ];
    for wait in STRATEGIES {
        for timeout in long {
            let (tx, rx) = pair::<u32, F>(1, wait);
            // Immediate successes.
            assert_eq!(tx.send_timeout(1, timeout), Ok(()));
            assert_eq!(rx.recv_timeout(timeout), Ok(1));
            std::thread::scope(|s| {
                // A receive that must wait for the other thread's send.
                let sender = s.spawn(move || {
                    std::thread::yield_now();
                    tx.send(2).unwrap();
                    // Fills the channel; the next send waits for a recv.
                    tx.send(3).unwrap();
                    tx.send_timeout(4, timeout)
                });
                assert_eq!(rx.recv_timeout(timeout), Ok(2));
                assert_eq!(rx.recv_timeout(timeout), Ok(3));
                assert_eq!(rx.recv_timeout(timeout), Ok(4));
                assert_eq!(sender.join().unwrap(), Ok(()));
                // The sender is gone: an endless wait ends at disconnection.
                assert_eq!(
                    rx.recv_timeout(timeout),
                    Err(RecvTimeoutError::Disconnected)
                );
            });
        }
    }
}

#[test]
fn endless_timeouts_wait_for_the_other_side_every_flavor() {
    endless_timeouts_wait_for_the_other_side::<Spsc>();
    endless_timeouts_wait_for_the_other_side::<Mpsc>();
    endless_timeouts_wait_for_the_other_side::<Mpmc>();
}

/// A parked sender with an endless timeout is woken by disconnection. The
/// last receiver's drop drains the queue, which frees the slot the sender
/// waits for, so the sender either gets its value back (`Disconnected`) or
/// its push lands and the drain drops it (`Ok`); either way it returns, and
/// both values are dropped exactly once.
#[test]
fn endless_send_timeout_ends_at_disconnection() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel::mpmc_with::<Counted>(1, WaitStrategy::park());
    tx.send(Counted::new(1, &drops)).unwrap();
    std::thread::scope(|s| {
        let sender = s.spawn(|| tx.send_timeout(Counted::new(2, &drops), Duration::MAX));
        std::thread::yield_now();
        drop(rx);
        match sender.join().unwrap() {
            Ok(()) => {}
            Err(SendTimeoutError::Disconnected(back)) => assert_eq!(back.value, 2),
            Err(SendTimeoutError::Timeout(_)) => panic!("an endless send timed out"),
            Err(e) => panic!("unexpected {e:?}"),
        }
    });
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    assert!(tx.send(Counted::new(3, &drops)).is_err(), "disconnected");
}

static ZST_DROPS: AtomicUsize = AtomicUsize::new(0);

/// A zero-sized item whose drops are counted.
struct Zst;

impl Drop for Zst {
    fn drop(&mut self) {
        ZST_DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Zero-sized items: capacity is still exact, counts and drops are right.
fn zero_sized_items<F: Flavor>()
where
    Sender<Zst, F>: Send,
{
    let before = ZST_DROPS.load(Ordering::Relaxed);
    let (tx, rx) = pair::<Zst, F>(3, WaitStrategy::default());
    for _ in 0..3 {
        tx.try_send(Zst)
            .unwrap_or_else(|_| panic!("room for three"));
    }
    assert!(matches!(tx.try_send(Zst), Err(TrySendError::Full(Zst))));
    assert_eq!((tx.len(), rx.len(), rx.capacity()), (3, 3, 3));
    let drops = || ZST_DROPS.load(Ordering::Relaxed) - before;
    assert_eq!(drops(), 1); // the refused one
    drop(rx.recv().unwrap());
    assert_eq!(drops(), 2);
    let mut out = Vec::new();
    assert_eq!(rx.recv_batch(&mut out, 8), Ok(2));
    drop(out);
    assert_eq!(drops(), 4);
    assert_eq!(rx.try_recv().map(drop), Err(TryRecvError::Empty));
    // Many laps of a zero-sized ring, across threads.
    let n = if cfg!(miri) { 20 } else { 10_000 };
    std::thread::scope(|s| {
        let tx = tx;
        s.spawn(move || (0..n).for_each(|_| tx.send(Zst).unwrap_or_else(|_| panic!())));
        assert_eq!(rx.iter().count(), n);
    });
    assert_eq!(drops(), 4 + n);
    let stats = rx.stats();
    assert_eq!((stats.sent, stats.received), (3 + n as u64, 3 + n as u64));
    // Queued zero-sized items go with the receiver.
    let (tx, rx) = pair::<Zst, F>(2, WaitStrategy::default());
    tx.send(Zst).unwrap_or_else(|_| panic!());
    tx.send(Zst).unwrap_or_else(|_| panic!());
    let before_drop = drops();
    drop(rx);
    assert_eq!(drops(), before_drop + 2);
    drop(tx);
}

// One test for the three flavors: they share the drop counter.
#[test]
fn zero_sized_items_every_flavor() {
    zero_sized_items::<Spsc>();
    zero_sized_items::<Mpsc>();
    zero_sized_items::<Mpmc>();
}

/// Capacity 1: one item at a time, in order, between two threads with
/// every wait strategy.
fn capacity_one<F: Flavor>()
where
    Sender<u64, F>: Send,
{
    for wait in STRATEGIES {
        let (tx, rx) = pair::<u64, F>(1, wait);
        assert_eq!(tx.capacity(), 1);
        tx.try_send(0).unwrap();
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
        assert_eq!((tx.len(), rx.len()), (1, 1));
        assert_eq!(rx.try_recv(), Ok(0));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let n = if cfg!(miri) { 20 } else { 300 };
        std::thread::scope(|s| {
            let tx = tx;
            s.spawn(move || (1..=n).for_each(|i| tx.send(i).unwrap()));
            for i in 1..=n {
                assert!(rx.len() <= 1);
                assert_eq!(rx.recv(), Ok(i));
            }
        });
        assert_eq!(rx.recv(), Err(channel::RecvError));
        let stats = rx.stats();
        assert_eq!((stats.sent, stats.received), (n + 1, n + 1));
    }
}

#[test]
fn capacity_one_every_flavor() {
    capacity_one::<Spsc>();
    capacity_one::<Mpsc>();
    capacity_one::<Mpmc>();
}

/// `recv_batch` with `max` 0 takes nothing and does not wait; with a huge
/// `max` it grows the vector by at most what was ready.
fn recv_batch_bounds<F: Flavor>() {
    let (tx, rx) = pair::<u8, F>(4, WaitStrategy::default());
    let mut out = Vec::new();
    assert_eq!(rx.recv_batch(&mut out, 0), Ok(0));
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.recv_batch(&mut out, usize::MAX), Ok(2));
    assert_eq!(out, [1, 2]);
    assert!(out.capacity() < 1024);
    drop(tx);
    assert_eq!(rx.recv_batch(&mut out, 0), Ok(0));
    assert_eq!(rx.recv_batch(&mut out, 1), Err(channel::RecvError));
}

#[test]
fn recv_batch_bounds_every_flavor() {
    recv_batch_bounds::<Spsc>();
    recv_batch_bounds::<Mpsc>();
    recv_batch_bounds::<Mpmc>();
}

/// Deadlines already past try once, like zero timeouts; the non-blocking
/// drain takes what is ready, honours `max` (0 included), and reports
/// emptiness and disconnection like `try_recv`; the handle counts follow
/// clones and drops.
fn deadlines_drains_and_counts<F: Flavor>() {
    for wait in STRATEGIES {
        let (tx, rx) = pair::<u32, F>(4, wait);
        let past = std::time::Instant::now();
        assert_eq!(rx.recv_deadline(past), Err(RecvTimeoutError::Timeout));
        for i in 0..4 {
            assert_eq!(tx.send_deadline(i, past), Ok(()));
        }
        assert_eq!(tx.send_deadline(9, past), Err(SendTimeoutError::Timeout(9)));
        let mut out = Vec::new();
        assert_eq!(rx.try_recv_batch(&mut out, 0), Ok(0));
        assert_eq!(rx.try_recv_batch(&mut out, 3), Ok(3));
        assert_eq!(rx.try_recv_batch(&mut out, 3), Ok(1));
        assert_eq!(out, [0, 1, 2, 3]);
        assert_eq!(rx.try_recv_batch(&mut out, 3), Err(TryRecvError::Empty));
        assert_eq!((tx.sender_count(), tx.receiver_count()), (1, 1));
        drop(tx);
        assert_eq!(rx.sender_count(), 0);
        assert_eq!(
            rx.try_recv_batch(&mut out, 3),
            Err(TryRecvError::Disconnected)
        );
        assert_eq!(out.len(), 4, "nothing lost, nothing added");
    }
}

#[test]
fn deadlines_drains_and_counts_every_flavor() {
    deadlines_drains_and_counts::<Spsc>();
    deadlines_drains_and_counts::<Mpsc>();
    deadlines_drains_and_counts::<Mpmc>();
}
