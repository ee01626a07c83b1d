//! The SPSC ring's by-value read chunks, safe write chunks, `peek(&self)`,
//! `is_full`, waiting push/pop and `io::Read`/`io::Write`: every drop path
//! (commits, early drops, leaked iterators, panicking `Default` and
//! `Drop`), and hand-offs between threads (`handoff_*`: Miri runs them over
//! many seeds).

#![cfg(not(nanopath_loom))]

use nanopath_queue::spsc::{self, Wait};
use nanopath_testkit::Counted;
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn counted(drops: &Arc<AtomicUsize>, values: std::ops::Range<u64>) -> Vec<Counted> {
    values.map(|v| Counted::new(v, drops)).collect()
}

#[test]
fn read_chunk_by_value_hands_out_each_item_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::ring(4);
    // Wrap around the end of the buffer first.
    for v in counted(&drops, 0..3) {
        tx.push(v).unwrap();
    }
    assert_eq!(rx.pop().unwrap().value, 0);
    for v in counted(&drops, 3..5) {
        tx.push(v).unwrap();
    }
    let mut iter = rx.read_chunk(4).unwrap().into_iter();
    assert_eq!(iter.len(), 4);
    let got: Vec<u64> = iter.by_ref().take(3).map(|c| c.value).collect();
    assert_eq!(got, [1, 2, 3]);
    drop(iter);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        4,
        "taken items were dropped by the caller"
    );
    assert_eq!(tx.free_slots(), 3, "the taken slots are handed back");
    assert_eq!(rx.pop().unwrap().value, 4, "the item not iterated stays");
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn a_leaked_by_value_iterator_never_repeats_an_item() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::ring(3);
    for v in counted(&drops, 0..3) {
        tx.push(v).unwrap();
    }
    let mut iter = rx.read_chunk(3).unwrap().into_iter();
    assert_eq!(iter.next().unwrap().value, 0);
    std::mem::forget(iter);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.pop().unwrap().value, 1);
    // The pop published the leaked iterator's slot too.
    assert_eq!(tx.free_slots(), 2);
    let mut iter = rx.read_chunk(1).unwrap().into_iter();
    assert_eq!(iter.next().unwrap().value, 2);
    std::mem::forget(iter);
    drop(rx); // the queue's drop must not drop item 2 again
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[test]
fn a_panic_while_iterating_a_chunk_loses_and_repeats_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::ring(4);
    for v in counted(&drops, 0..4) {
        tx.push(v).unwrap();
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for item in rx.read_chunk(4).unwrap() {
            assert!(item.value < 2, "stop at item 2");
        }
    }));
    assert!(r.is_err());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "items 0-2 were taken and dropped"
    );
    assert_eq!(rx.pop().unwrap().value, 3);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn write_chunk_commits_some_and_drops_the_rest() {
    #[derive(Default)]
    struct Tracked(Option<Counted>);
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::ring::<Tracked>(4);
    tx.push(Tracked::default()).unwrap();
    rx.pop().unwrap(); // the chunk below wraps
    let mut chunk = tx.write_chunk(4).unwrap();
    assert_eq!(chunk.len(), 4);
    let (a, b) = chunk.as_mut_slices();
    assert_eq!(a.len() + b.len(), 4);
    for (i, slot) in a.iter_mut().chain(b).enumerate() {
        assert!(slot.0.is_none(), "default-filled");
        *slot = Tracked(Some(Counted::new(i as u64, &drops)));
    }
    chunk.commit(2);
    assert_eq!(drops.load(Ordering::SeqCst), 2, "the uncommitted two");
    assert_eq!(rx.pop().unwrap().0.unwrap().value, 0);
    assert_eq!(rx.pop().unwrap().0.unwrap().value, 1);
    assert!(rx.pop().is_none());
    // Dropped without a commit: everything written is dropped, nothing sent.
    let mut chunk = tx.write_chunk(3).unwrap();
    chunk.as_mut_slices().0[0] = Tracked(Some(Counted::new(9, &drops)));
    drop(chunk);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    assert!(rx.pop().is_none());
    assert!(tx.write_chunk(5).is_err());
}

thread_local! {
    static DEFAULTS: Cell<u32> = const { Cell::new(0) };
}

/// A value whose third `Default::default()` panics.
struct FragileDefault(Arc<AtomicUsize>);

static FRAGILE_DROPS: std::sync::LazyLock<Arc<AtomicUsize>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicUsize::new(0)));

impl Default for FragileDefault {
    fn default() -> Self {
        let n = DEFAULTS.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        assert!(n != 3, "third default panics");
        FragileDefault(FRAGILE_DROPS.clone())
    }
}

impl Drop for FragileDefault {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_panicking_default_in_write_chunk_drops_what_it_made() {
    let (mut tx, mut rx) = spsc::ring::<FragileDefault>(4);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _chunk = tx.write_chunk(4);
    }));
    assert!(r.is_err());
    assert_eq!(
        FRAGILE_DROPS.load(Ordering::SeqCst),
        2,
        "the two made before the panic"
    );
    assert!(rx.pop().is_none());
    assert_eq!(tx.free_slots(), 4);
}

#[test]
fn peek_and_is_full_through_shared_references() {
    let (mut tx, mut rx) = spsc::ring(2);
    let (tx_ref, rx_ref) = (&tx, &rx);
    assert!(!tx_ref.is_full() && !rx_ref.is_full());
    assert_eq!(rx_ref.peek(), None);
    tx.push(1).unwrap();
    tx.push(2).unwrap();
    assert!(tx.is_full() && rx.is_full());
    let (a, b) = (rx.peek(), rx.peek()); // two shared borrows at once
    assert_eq!((a, b), (Some(&1), Some(&1)));
    assert_eq!(rx.pop(), Some(1));
    assert_eq!(rx.peek(), Some(&2));
}

#[test]
fn handoff_peek_while_the_producer_pushes() {
    let n = if cfg!(miri) { 30 } else { 10_000 };
    let (mut tx, mut rx) = spsc::ring::<u64>(2);
    let producer = std::thread::spawn(move || {
        for i in 0..n {
            tx.push_waiting(i, Wait::SpinThenYield).unwrap();
        }
    });
    let mut expected = 0;
    while expected < n {
        if let Some(&v) = rx.peek() {
            assert_eq!(v, expected);
            assert_eq!(rx.pop(), Some(v));
            expected += 1;
        } else {
            std::thread::yield_now();
        }
    }
    producer.join().unwrap();
}

#[test]
fn handoff_waiting_push_and_pop_on_a_ring_of_one() {
    let n = if cfg!(miri) { 30 } else { 100_000 };
    for wait in [Wait::SpinThenYield, Wait::Spin] {
        let (mut tx, mut rx) = spsc::ring::<u64>(1);
        let consumer = std::thread::spawn(move || {
            let mut sum = 0;
            let mut count = 0;
            while let Some(v) = rx.pop_waiting(wait) {
                sum += v;
                count += 1;
            }
            (count, sum)
        });
        for i in 0..n {
            tx.push_waiting(i, wait).unwrap();
        }
        drop(tx);
        assert_eq!(consumer.join().unwrap(), (n, (0..n).sum()));
    }
}

#[test]
fn waiting_push_returns_the_value_when_the_consumer_is_gone() {
    let (mut tx, rx) = spsc::ring(1);
    tx.push(1).unwrap();
    drop(rx);
    assert_eq!(tx.push_waiting(2, Wait::Spin), Err(2));
    let (tx, mut rx) = spsc::ring::<u8>(1);
    drop(tx);
    assert_eq!(rx.pop_waiting(Wait::Spin), None);
}

#[test]
fn handoff_bytes_through_io_read_and_write() {
    let data: Vec<u8> = (0..if cfg!(miri) { 300 } else { 100_000 })
        .map(|i: u32| (i * 7) as u8)
        .collect();
    let (mut tx, mut rx) = spsc::ring::<u8>(64);
    let expected = data.clone();
    let producer = std::thread::spawn(move || {
        let mut rest = &data[..];
        while !rest.is_empty() {
            match tx.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        }
        tx.flush().unwrap();
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 100];
    loop {
        match rx.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    }
    producer.join().unwrap();
    assert_eq!(got, expected);
}

#[test]
fn io_errors_say_why_nothing_moved() {
    let (mut tx, mut rx) = spsc::ring::<u8>(2);
    assert_eq!(tx.write(&[]).unwrap(), 0);
    assert_eq!(rx.read(&mut []).unwrap(), 0);
    assert_eq!(
        rx.read(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    tx.write_all(b"ab").unwrap();
    assert_eq!(tx.write(b"c").unwrap_err().kind(), ErrorKind::WouldBlock);
    let mut two = [0; 2];
    rx.read_exact(&mut two).unwrap();
    assert_eq!(&two, b"ab");
    drop(rx);
    assert_eq!(tx.write(b"c").unwrap_err().kind(), ErrorKind::BrokenPipe);
}
