//! Blocked threads that park at once (`WaitStrategy::park`) on a channel of
//! capacity 1, so nearly every `send` and `recv` either parks or has to
//! wake a parked peer, in both directions and on every flavor. Named
//! `handoff_*`: Miri runs them over many seeds with its weak-memory
//! emulation, which is what checks the MPMC and MPSC flavors' fence-free
//! notifications (loom builds keep a fence there). A lost wake-up shows as
//! a hang (Miri reports the deadlock); a lost or duplicated item fails the
//! count and the sum.

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{self, WaitStrategy};
use std::thread;

fn per_sender() -> u64 {
    if cfg!(miri) { 6 } else { 20_000 }
}

/// Sums and counts what `recv` returns until every sender is gone.
fn drain(rx: impl Fn() -> Option<u64>) -> (u64, u64) {
    let (mut count, mut sum) = (0, 0);
    while let Some(v) = rx() {
        count += 1;
        sum += v;
    }
    (count, sum)
}

/// Sender `s` sends `s * n .. (s + 1) * n`; every item must arrive once.
fn check(senders: u64, got: &[(u64, u64)]) {
    let n = per_sender();
    let count: u64 = got.iter().map(|g| g.0).sum();
    let sum: u64 = got.iter().map(|g| g.1).sum();
    assert_eq!(count, senders * n, "lost or duplicated items");
    assert_eq!(sum, (0..senders * n).sum::<u64>(), "wrong items");
}

#[test]
fn handoff_parked_spsc_sender_and_receiver_wake_each_other() {
    let (tx, rx) = channel::spsc_with::<u64>(1, WaitStrategy::park());
    let n = per_sender();
    let sender = thread::spawn(move || (0..n).for_each(|v| tx.send(v).unwrap()));
    let got = drain(|| rx.recv().ok());
    sender.join().unwrap();
    check(1, &[got]);
}

#[test]
fn handoff_parked_mpsc_senders_and_receiver_wake_each_other() {
    let (tx, rx) = channel::mpsc_with::<u64>(1, WaitStrategy::park());
    let n = per_sender();
    let senders: Vec<_> = (0..2)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || (s * n..(s + 1) * n).for_each(|v| tx.send(v).unwrap()))
        })
        .collect();
    drop(tx);
    let got = drain(|| rx.recv().ok());
    senders.into_iter().for_each(|s| s.join().unwrap());
    check(2, &[got]);
}

#[test]
fn handoff_parked_mpmc_senders_and_receivers_wake_each_other() {
    let (tx, rx) = channel::mpmc_with::<u64>(1, WaitStrategy::park());
    let n = per_sender();
    let senders: Vec<_> = (0..2)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || (s * n..(s + 1) * n).for_each(|v| tx.send(v).unwrap()))
        })
        .collect();
    drop(tx);
    let other = {
        let rx = rx.clone();
        thread::spawn(move || drain(|| rx.recv().ok()))
    };
    let mine = drain(|| rx.recv().ok());
    senders.into_iter().for_each(|s| s.join().unwrap());
    check(2, &[mine, other.join().unwrap()]);
}
