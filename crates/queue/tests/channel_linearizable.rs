//! `try_recv` reports `Empty` only when the channel was empty at some
//! instant during the call: never while a send that completed before the
//! call is still unreceived (even if an earlier slot is still being
//! written by a slower sender).

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{self, Flavor, Mpsc, Sender, TryRecvError, WaitStrategy};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, MutexGuard};

/// The tests here keep every thread busy; run one at a time, they finish
/// in seconds, while together on a small machine they would mostly wait
/// for each other's spinning threads.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn rounds() -> u64 {
    if cfg!(miri) { 30 } else { 1_000_000 }
}

/// Four threads each send one item and then take one with `try_recv` on one
/// capacity-4 MPMC channel. A thread's own send completed before its
/// `try_recv`, and every other thread takes at most what it sent, so at
/// least one item is in the channel: `try_recv` must never see it empty.
#[test]
fn linearizable_try_recv_after_own_send_mpmc() {
    let _serial = one_at_a_time();
    let (tx, rx) = channel::mpmc::<u64>(4);
    let n = rounds();
    let start = Barrier::new(4);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (tx, rx, start) = (tx.clone(), rx.clone(), &start);
            s.spawn(move || {
                start.wait();
                for i in 0..n {
                    tx.try_send(i).expect("at most four items are ever inside");
                    match rx.try_recv() {
                        Ok(_) => {}
                        Err(e) => panic!("round {i}: {e:?} right after our own send"),
                    }
                }
            });
        }
    });
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

/// Fan-in: each sender sends, then counts the send as completed; the one
/// receiver reads that count and then calls `try_recv`, which must not be
/// empty while more sends have completed than it has received. A violation
/// is reported after the receiver is dropped (which stops the senders), so
/// the test fails instead of hanging on senders blocked on a full channel.
fn fan_in<F: Flavor>(senders: usize, capacity: usize)
where
    Sender<u64, F>: Send + Clone,
{
    let _serial = one_at_a_time();
    let n = rounds();
    let completed = AtomicU64::new(0);
    let (tx, rx) = channel::try_with::<u64, F>(capacity, WaitStrategy::default()).unwrap();
    let total = senders as u64 * n;
    let violation = std::thread::scope(|s| {
        let completed = &completed;
        for _ in 0..senders {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..n {
                    if tx.send(i).is_err() {
                        return;
                    }
                    // SeqCst: the count is raised after the send returned,
                    // and read before `try_recv` starts.
                    completed.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        drop(tx);
        // Owned here: returning drops it, which ends blocked senders.
        let rx = rx;
        let mut received = 0;
        while received < total {
            let done = completed.load(Ordering::SeqCst);
            match rx.try_recv() {
                Ok(_) => received += 1,
                Err(TryRecvError::Empty) if done > received => {
                    return Some(done - received);
                }
                // Let the senders run.
                Err(TryRecvError::Empty) => std::thread::yield_now(),
                Err(TryRecvError::Disconnected) => panic!("disconnected early"),
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        None
    });
    assert_eq!(
        violation, None,
        "empty with this many completed sends unreceived"
    );
}

#[test]
fn linearizable_try_recv_fan_in_mpsc() {
    fan_in::<Mpsc>(4, 4);
}

#[test]
fn linearizable_try_recv_spsc() {
    let _serial = one_at_a_time();
    // One sender: `Sender<_, Spsc>` is not `Clone`, so it gets its own loop.
    let n = rounds();
    let completed = AtomicU64::new(0);
    let (tx, rx) = channel::spsc::<u64>(4);
    let violation = std::thread::scope(|s| {
        let completed = &completed;
        s.spawn(move || {
            for i in 0..n {
                if tx.send(i).is_err() {
                    return;
                }
                completed.fetch_add(1, Ordering::SeqCst);
            }
        });
        // Owned here: returning drops it, which ends a blocked sender.
        let rx = rx;
        let mut received = 0;
        while received < n {
            let done = completed.load(Ordering::SeqCst);
            match rx.try_recv() {
                Ok(v) => {
                    assert_eq!(v, received);
                    received += 1;
                }
                Err(TryRecvError::Empty) if done > received => return Some(done - received),
                // Let the senders run.
                Err(TryRecvError::Empty) => std::thread::yield_now(),
                Err(TryRecvError::Disconnected) => panic!("disconnected early"),
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        None
    });
    assert_eq!(
        violation, None,
        "empty with this many completed sends unreceived"
    );
}
