//! The asymmetric fence pair as a store-buffering litmus test: each side
//! stores its flag, issues its barrier and loads the other's flag; at least
//! one of the two loads must see the other's store. Natively on Linux this
//! runs the `membarrier` protocol; under Miri (and where `membarrier` is
//! missing) the `SeqCst` fallback, whose weak-memory behaviour Miri explores.

use nanopath_atomic::fence;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn handoff_light_and_heavy_never_let_both_sides_miss() {
    let rounds = if cfg!(miri) { 8 } else { 2_000 };
    let start = Barrier::new(2);
    let flags: Vec<(AtomicBool, AtomicBool)> = (0..rounds)
        .map(|_| (AtomicBool::new(false), AtomicBool::new(false)))
        .collect();
    let (light_saw, heavy_saw) = std::thread::scope(|s| {
        let light = s.spawn(|| {
            let mut saw = Vec::with_capacity(rounds);
            for (a, b) in &flags {
                start.wait();
                a.store(true, Ordering::Relaxed);
                fence::light();
                saw.push(b.load(Ordering::Relaxed));
            }
            saw
        });
        let mut saw = Vec::with_capacity(rounds);
        for (a, b) in &flags {
            start.wait();
            b.store(true, Ordering::Relaxed);
            fence::heavy();
            saw.push(a.load(Ordering::Relaxed));
        }
        (light.join().unwrap(), saw)
    });
    for (round, (l, h)) in light_saw.iter().zip(&heavy_saw).enumerate() {
        assert!(
            *l || *h,
            "round {round}: both sides missed the other's store"
        );
    }
}

#[test]
fn the_protocol_is_decided_once() {
    let first = fence::is_asymmetric();
    let other = std::thread::spawn(fence::is_asymmetric).join().unwrap();
    assert_eq!(first, other);
    assert_eq!(fence::is_asymmetric(), first);
    if cfg!(miri) || !cfg!(target_os = "linux") {
        assert!(!first, "membarrier is only used natively on Linux");
    }
}
