//! BufferPool: buffers and frozen responses crossing threads, accessors
//! called mid-traffic, and edge sizes.

use bytes::Bytes;
use nanopath_pool::BufferPool;
use nanopath_testkit::stress_iters;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

#[test]
fn handoff_frozen_responses_to_a_writer_thread() {
    // A handler thread freezes responses and sends them to a writer thread,
    // which drops them; each buffer is reused only after its response is
    // gone, so no response is ever overwritten.
    let n = if cfg!(miri) { 12 } else { 5_000 };
    let pool = BufferPool::new(4, 64);
    let (tx, rx) = mpsc::sync_channel::<(usize, Bytes)>(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            for (i, response) in rx {
                assert_eq!(&response[..], &[i as u8; 48][..], "response {i} intact");
            }
        });
        for i in 0..n {
            let mut buf = pool.acquire();
            assert!(buf.is_empty() && buf.capacity() >= 64);
            buf.extend_from_slice(&[i as u8; 48]);
            tx.send((i, buf.freeze())).unwrap();
        }
        drop(tx);
    });
    let s = pool.stats();
    assert_eq!((s.acquired, s.released), (n as u64, n as u64));
    assert!(s.created <= 4, "never more than the pool's buffers");
}

#[test]
fn handoff_buffers_written_on_another_thread() {
    let pool = BufferPool::new(2, 32);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        for t in 0..2u8 {
            let (pool, tx) = (&pool, tx.clone());
            s.spawn(move || {
                let mut buf = pool.acquire();
                buf.extend_from_slice(&[t; 8]);
                tx.send(buf).unwrap();
            });
        }
    });
    drop(tx);
    let mut got: Vec<_> = rx.iter().map(|b| b.freeze()).collect();
    got.sort();
    assert_eq!(got, [Bytes::from(vec![0; 8]), Bytes::from(vec![1; 8])]);
    assert_eq!(pool.stats().released, 2);
}

#[test]
fn both_ends_accessors_while_others_acquire_and_freeze() {
    let iters = stress_iters(20_000);
    let pool = BufferPool::new(3, 128);
    let finished = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..2usize {
            let (pool, finished) = (&pool, &finished);
            s.spawn(move || {
                let mut kept = Vec::with_capacity(2);
                for i in 0..iters {
                    let mut buf = pool.acquire();
                    buf.extend_from_slice(&[(t + i) as u8; 16]);
                    let b: &[u8] = &buf;
                    let c: &[u8] = &buf;
                    assert_eq!(b, c);
                    if i % 3 == 0 {
                        drop(buf);
                    } else {
                        kept.push(buf.freeze());
                        if kept.len() == 2 {
                            let first = kept.remove(0);
                            assert!(first.iter().all(|&x| x == first[0]), "intact");
                        }
                    }
                }
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }
        let mut last = pool.stats();
        loop {
            let workers_done = finished.load(Ordering::SeqCst) == 2;
            let now = pool.stats();
            assert!(now.acquired >= last.acquired && now.released >= last.released);
            assert!(now.created >= last.created);
            assert_eq!((pool.capacity(), pool.buffer_size()), (3, 128));
            let _ = pool.fresh_allocations();
            assert!(format!("{pool:?}").starts_with("BufferPool"));
            last = now;
            if workers_done {
                break;
            }
            std::thread::yield_now();
        }
    });
    let s = pool.stats();
    assert_eq!(s.acquired, 2 * iters as u64);
    assert_eq!(s.released, s.acquired);
}

#[test]
fn edge_sizes() {
    // No buffers: every acquire is a temporary buffer.
    let none = BufferPool::new(0, 16);
    assert_eq!(none.prefill(4), 0);
    let mut t = none.acquire();
    t.extend_from_slice(b"temporary");
    assert_eq!(&t.freeze()[..], b"temporary");
    assert_eq!(none.stats().created, 1);

    // One buffer.
    let one = BufferPool::new(1, 16);
    assert_eq!(one.prefill(4), 1);
    assert_eq!(one.prefill(4), 0, "already full");
    drop(one.acquire());
    assert_eq!(one.stats().created, 1);

    // Zero-byte buffers still work (and grow as written).
    let empty = BufferPool::new(2, 0);
    let mut e = empty.acquire();
    e.extend_from_slice(b"grown");
    assert_eq!(&e.freeze()[..], b"grown");
    let f = empty.acquire();
    assert!(f.is_empty());
    assert!(format!("{f:?}").starts_with("PooledBuf"));

    // Counts too large to allocate are refused.
    assert!(BufferPool::try_new(usize::MAX, 4096).is_err());
    assert!(BufferPool::try_new(nanopath_pool::MAX_CAPACITY + 1, 1).is_err());
    assert_eq!(BufferPool::try_new(5, 1).map(|p| p.capacity()), Ok(5));

    // A buffer size no `BytesMut` can hold is clamped, not a panic in every
    // later acquire.
    let huge = BufferPool::try_new(1, usize::MAX).expect("one slot");
    let shown = format!("{huge:?}");
    assert!(
        shown.contains(&format!("buffer_size: {}", isize::MAX)),
        "{shown}"
    );
}

/// `try_acquire` as back-pressure: a handler that only takes pooled
/// memory, with responses in flight on a writer thread and two handler
/// threads, never makes more than `capacity` buffers and never gets fresh
/// memory, and every response arrives intact.
#[test]
fn handoff_try_acquire_never_allocates_beyond_the_pool() {
    let per_thread = if cfg!(miri) { 10 } else { 3_000 };
    let pool = BufferPool::new(3, 64);
    let (tx, rx) = mpsc::sync_channel::<(u8, Bytes)>(1);
    std::thread::scope(|s| {
        s.spawn(|| {
            for (tag, response) in rx {
                assert_eq!(&response[..], &[tag; 40][..], "response intact");
            }
        });
        for t in 0..2u8 {
            let (pool, tx) = (&pool, tx.clone());
            s.spawn(move || {
                let mut sent = 0;
                while sent < per_thread {
                    let Some(mut buf) = pool.try_acquire() else {
                        std::thread::yield_now();
                        continue;
                    };
                    let tag = t * 100 + (sent % 100) as u8;
                    buf.extend_from_slice(&[tag; 40]);
                    tx.send((tag, buf.freeze())).unwrap();
                    sent += 1;
                }
            });
        }
        drop(tx);
    });
    let stats = pool.stats();
    assert!(stats.created <= 3, "{stats:?}");
    assert_eq!(pool.fresh_allocations(), 0);
    assert_eq!(stats.acquired, 2 * per_thread as u64);
}
