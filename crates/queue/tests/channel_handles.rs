//! Every accessor of every channel handle, called while the other end is
//! busy in another thread, for every flavor. Under Miri this proves that no
//! accessor reaches state the other end owns (a handle's own state is
//! reachable only from that handle; what both ends read lives in the shared
//! block).

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, Receiver, RecvTimeoutError, Sender, Spsc, TryRecvError, TrySendError,
    WaitStrategy,
};
use std::time::Duration;

const CAPACITY: usize = 4;

fn items() -> u64 {
    if cfg!(miri) { 24 } else { 20_000 }
}

/// Calls every `Sender` accessor and checks what must hold for any snapshot.
fn poke_sender<F: Flavor>(tx: &Sender<u64, F>) {
    assert!(tx.len() <= CAPACITY);
    let _ = tx.is_empty();
    let _ = tx.is_full();
    assert_eq!(tx.capacity(), CAPACITY);
    assert!(!tx.is_disconnected());
    let stats = tx.stats();
    assert!(stats.sent <= items());
    let debug = format!("{tx:?}");
    assert!(debug.contains("capacity: 4"), "{debug}");
}

/// Calls every `Receiver` accessor (the non-consuming ones) and checks
/// what must hold for any snapshot.
fn poke_receiver<F: Flavor>(rx: &Receiver<u64, F>) {
    assert!(rx.len() <= CAPACITY);
    let _ = rx.is_empty();
    let _ = rx.is_full();
    assert_eq!(rx.capacity(), CAPACITY);
    let _ = rx.is_disconnected();
    let stats = rx.stats();
    assert!(stats.received <= items());
    let debug = format!("{rx:?}");
    assert!(debug.contains("capacity: 4"), "{debug}");
}

/// One sender sends `items()` values with every kind of send, poking its
/// accessors between sends; one receiver takes them with every kind of
/// receive, poking its accessors between receives. FIFO is checked for
/// the single-sender flavors (all of them here: one sender).
fn both_ends_busy<F: Flavor>()
where
    Sender<u64, F>: Send,
    Receiver<u64, F>: Send,
{
    let (tx, rx) = channel::try_with::<u64, F>(CAPACITY, WaitStrategy::default()).unwrap();
    let n = items();
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..n {
                poke_sender(&tx);
                match i % 3 {
                    0 => tx.send(i).unwrap(),
                    1 => {
                        let mut v = i;
                        loop {
                            match tx.try_send(v) {
                                Ok(()) => break,
                                Err(TrySendError::Full(back)) => {
                                    poke_sender(&tx);
                                    v = back;
                                    std::thread::yield_now();
                                }
                                Err(TrySendError::Disconnected(_)) => panic!("receiver gone"),
                                Err(e) => panic!("unexpected {e:?}"),
                            }
                        }
                    }
                    _ => tx.send_timeout(i, Duration::from_secs(60)).unwrap(),
                }
            }
        });
        s.spawn(move || {
            let mut next = 0;
            let mut batch = Vec::new();
            while next < n {
                poke_receiver(&rx);
                match next % 4 {
                    0 => {
                        assert_eq!(rx.recv(), Ok(next));
                        next += 1;
                    }
                    1 => match rx.try_recv() {
                        Ok(v) => {
                            assert_eq!(v, next);
                            next += 1;
                        }
                        Err(TryRecvError::Empty) => std::thread::yield_now(),
                        Err(TryRecvError::Disconnected) => panic!("sender gone early"),
                        Err(e) => panic!("unexpected {e:?}"),
                    },
                    2 => match rx.recv_timeout(Duration::from_secs(60)) {
                        Ok(v) => {
                            assert_eq!(v, next);
                            next += 1;
                        }
                        Err(RecvTimeoutError::Timeout) => panic!("no item within 60 s"),
                        Err(RecvTimeoutError::Disconnected) => panic!("sender gone early"),
                        Err(e) => panic!("unexpected {e:?}"),
                    },
                    _ => {
                        batch.clear();
                        let got = rx.recv_batch(&mut batch, 3).unwrap();
                        assert_eq!(got, batch.len());
                        for &v in &batch {
                            assert_eq!(v, next);
                            next += 1;
                        }
                        for v in rx.try_iter().take(2) {
                            assert_eq!(v, next);
                            next += 1;
                        }
                    }
                }
            }
            poke_receiver(&rx);
            // The sender is gone or going: what is left (nothing) ends the
            // blocking iterator.
            assert_eq!(rx.iter().count(), 0);
            assert!(rx.is_disconnected());
            assert!(rx.is_empty());
            let stats = rx.stats();
            assert_eq!((stats.sent, stats.received), (n, n));
        });
    });
}

#[test]
fn both_ends_busy_spsc() {
    both_ends_busy::<Spsc>();
}

#[test]
fn both_ends_busy_mpsc() {
    both_ends_busy::<Mpsc>();
}

#[test]
fn both_ends_busy_mpmc() {
    both_ends_busy::<Mpmc>();
}

/// The many-handle flavors: clones of the sender (and, for MPMC, of the
/// receiver) poke their accessors from a third thread while both ends run.
#[test]
fn both_ends_busy_with_clones_mpmc() {
    let (tx, rx) = channel::mpmc::<u64>(CAPACITY);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    let n = items();
    std::thread::scope(|s| {
        let (tx, rx) = (&tx, &rx);
        s.spawn(move || (0..n).for_each(|i| tx.send(i).unwrap()));
        s.spawn(move || {
            for _ in 0..n {
                rx.recv().unwrap();
            }
        });
        s.spawn(move || {
            for _ in 0..n / 4 {
                poke_sender(&tx2);
                poke_receiver(&rx2);
                std::thread::yield_now();
            }
        });
    });
}

#[test]
fn both_ends_busy_with_clones_mpsc() {
    let (tx, rx) = channel::mpsc::<u64>(CAPACITY);
    let tx2 = tx.clone();
    let n = items();
    std::thread::scope(|s| {
        let tx = &tx;
        s.spawn(move || (0..n).for_each(|i| tx.send(i).unwrap()));
        s.spawn(move || {
            for _ in 0..n / 4 {
                poke_sender(&tx2);
                std::thread::yield_now();
            }
        });
        for i in 0..n {
            poke_receiver(&rx);
            assert_eq!(rx.recv(), Ok(i));
        }
    });
}
