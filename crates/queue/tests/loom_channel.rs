//! Loom models for the blocking channels: park/unpark with no lost wake-up
//! (loom reports a deadlock if a parked thread is never woken) and
//! disconnection that wakes parked threads and never loses a value. Every
//! model parks at once (`WaitStrategy::park`), the path that can lose a
//! wake-up.

#![cfg(nanopath_loom)]

use loom::thread;
use nanopath_queue::channel::{self, RecvError, WaitStrategy};

/// A receiver parks on an empty channel; the sender's item must wake it,
/// and the sender's drop must wake it again to report disconnection.
#[test]
fn parked_receiver_is_woken_by_send_and_by_disconnection() {
    loom::model(|| {
        let (tx, rx) = channel::spsc_with::<u32>(1, WaitStrategy::park());
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
        });
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(rx.recv(), Err(RecvError));
        sender.join().unwrap();
    });
}

/// A sender parks on a full channel; the receiver's pop must wake it.
#[test]
fn parked_sender_is_woken_by_recv() {
    loom::model(|| {
        let (tx, rx) = channel::mpsc_with::<u32>(1, WaitStrategy::park());
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        sender.join().unwrap();
    });
}

/// A sender blocked on a full channel when the receiver goes: the send
/// fails and hands its value back.
#[test]
fn disconnection_wakes_a_parked_sender_and_returns_its_value() {
    loom::model(|| {
        let (tx, rx) = channel::mpmc_with::<u32>(1, WaitStrategy::park());
        tx.send(1).unwrap();
        let sender = thread::spawn(move || tx.send(2));
        drop(rx);
        let result = sender.join().unwrap();
        assert_eq!(result.unwrap_err().into_inner(), 2);
    });
}
