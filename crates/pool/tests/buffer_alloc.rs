//! A steady acquire -> write -> freeze -> clone -> drop cycle on a warm
//! BufferPool makes no heap allocation: counted by a global allocator.

use bytes::Bytes;
use nanopath_pool::BufferPool;
use nanopath_testkit::{CountingAllocator, thread_allocations};
use std::collections::VecDeque;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    thread_allocations()
}

fn cycle(pool: &nanopath_pool::BufferPool, i: u8) {
    let mut buf = pool.acquire();
    buf.extend_from_slice(&[i; 1000]);
    let frozen = buf.freeze();
    let clone = frozen.clone();
    let slice = frozen.slice(10..20);
    assert_eq!(clone.len(), 1000);
    assert_eq!(&slice[..], &[i; 10]);
    drop((frozen, clone, slice));
}

#[test]
fn steady_state_cycles_do_not_allocate() {
    let pool = nanopath_pool::BufferPool::new(4, 4096);
    // Warm-up: builds the buffer, promotes it to shared (the one-time
    // header allocation), and touches thread-locals.
    for i in 0..3 {
        cycle(&pool, i);
    }
    let before = allocations();
    let n = if cfg!(miri) { 20 } else { 10_000 };
    for i in 0..n {
        cycle(&pool, i as u8);
    }
    assert_eq!(
        allocations() - before,
        0,
        "allocations in {n} steady-state cycles"
    );
    assert_eq!(pool.fresh_allocations(), 0);
    // Control: the counter does see allocations on this thread.
    let before = allocations();
    drop(std::hint::black_box(bytes::BytesMut::with_capacity(4096)).freeze());
    assert!(allocations() > before, "the counting allocator counts");
}

#[test]
fn a_buffer_still_shared_is_replaced_not_overwritten() {
    let pool = nanopath_pool::BufferPool::new(1, 64);
    let mut buf = pool.acquire();
    buf.extend_from_slice(b"keep me");
    let kept = buf.freeze();
    // The only buffer comes up again while `kept` still uses its memory.
    let mut next = pool.acquire();
    next.extend_from_slice(b"overwrite?");
    assert_eq!(&kept[..], b"keep me");
    assert_eq!(pool.fresh_allocations(), 1);
    drop(next);
    drop(kept);
}

/// One request: a response written into a pooled buffer and frozen; the
/// `k` most recent responses stay in flight (a FIFO, as a writer queue
/// drains), older ones are dropped.
fn respond(pool: &BufferPool, in_flight: &mut VecDeque<Bytes>, k: usize, i: usize) {
    let mut buf = pool.acquire();
    assert!(buf.is_empty() && buf.capacity() >= 4096);
    buf.extend_from_slice(&[i as u8; 100]);
    in_flight.push_back(buf.freeze());
    if in_flight.len() > k {
        let oldest = in_flight.pop_front().expect("k + 1 in flight");
        assert_eq!(oldest.len(), 100);
    }
}

#[test]
fn responses_in_flight_below_capacity_do_not_allocate() {
    let n = if cfg!(miri) { 40 } else { 10_000 };
    for k in [1, 2, 8, 32, 63] {
        if cfg!(miri) && k > 8 {
            continue;
        }
        let pool = BufferPool::new(64, 4096);
        assert_eq!(pool.prefill(64), 64);
        let mut in_flight = VecDeque::with_capacity(k + 1);
        // Warm-up: every buffer through a first freeze (the one-time
        // promotion of its memory to shared).
        for i in 0..3 * 64 {
            respond(&pool, &mut in_flight, k, i);
        }
        let before = allocations();
        for i in 0..n {
            respond(&pool, &mut in_flight, k, i);
        }
        assert_eq!(
            allocations() - before,
            0,
            "{k} responses in flight: allocations in {n} requests"
        );
        assert_eq!(pool.fresh_allocations(), 0, "{k} in flight");
        assert_eq!(pool.stats().created, 64, "{k} in flight");
    }
}

#[test]
fn responses_in_flight_grow_a_lazy_pool_to_the_working_set() {
    // No prefill: the pool builds buffers as the working set needs them
    // (k in flight + 1 being written), then stops allocating.
    let k = 5;
    let pool = BufferPool::new(64, 4096);
    let mut in_flight = VecDeque::with_capacity(k + 1);
    for i in 0..3 * 64 {
        respond(&pool, &mut in_flight, k, i);
    }
    let built = pool.stats().created;
    assert!(
        built <= k as u64 + 1,
        "built {built} buffers for {k} in flight"
    );
    let before = allocations();
    for i in 0..if cfg!(miri) { 20 } else { 1000 } {
        respond(&pool, &mut in_flight, k, i);
    }
    assert_eq!(allocations() - before, 0);
    assert_eq!(pool.stats().created, built);
}

#[test]
fn responses_in_flight_at_capacity_get_fresh_memory() {
    // Every buffer's memory is still in flight when a request comes: the
    // pool gives one of them fresh memory (the old memory is freed with its
    // last `Bytes`), so each request allocates, and the pool never grows.
    let n = if cfg!(miri) { 10 } else { 1000 };
    let pool = BufferPool::new(4, 4096);
    assert_eq!(pool.prefill(4), 4);
    let mut in_flight = VecDeque::with_capacity(5);
    for i in 0..8 {
        respond(&pool, &mut in_flight, 4, i);
    }
    let (before, fresh_before) = (allocations(), pool.fresh_allocations());
    for i in 0..n {
        respond(&pool, &mut in_flight, 4, i);
    }
    assert_eq!(pool.fresh_allocations() - fresh_before, n as u64);
    // The fresh memory, and its promotion to shared on `freeze`.
    assert_eq!(allocations() - before, 2 * n as u64);
    assert_eq!(pool.stats().created, 4, "the pool keeps 4 buffers");
    // Once the responses are gone, the buffers are reused again.
    in_flight.clear();
    for i in 0..8 {
        respond(&pool, &mut in_flight, 0, i);
    }
    let before = allocations();
    for i in 0..n {
        respond(&pool, &mut in_flight, 2, i);
    }
    assert_eq!(allocations() - before, 0);
}

#[test]
fn every_buffer_lent_at_once_then_one_more() {
    // Above capacity with every buffer being written: a temporary buffer,
    // dropped when it comes back.
    let pool = BufferPool::new(2, 64);
    let a = pool.acquire();
    let b = pool.acquire();
    let mut c = pool.acquire();
    c.extend_from_slice(b"third");
    assert_eq!(&c[..], b"third");
    drop((a, b, c));
    let s = pool.stats();
    assert_eq!((s.acquired, s.released, s.created), (3, 3, 3));
    // The two pooled buffers are idle again; nothing else was kept.
    let again = (pool.acquire(), pool.acquire());
    assert_eq!(pool.stats().created, 3);
    drop(again);
}

#[test]
fn responses_released_in_any_order_below_capacity_do_not_allocate() {
    // k responses in flight, a pseudo-random one of them released per
    // request: the pool still finds a buffer whose memory is free.
    let n = if cfg!(miri) { 40 } else { 10_000 };
    for k in [1, 7, 31, 63] {
        if cfg!(miri) && k > 7 {
            continue;
        }
        let pool = BufferPool::new(64, 4096);
        assert_eq!(pool.prefill(64), 64);
        let mut in_flight: Vec<Bytes> = Vec::with_capacity(k + 1);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut request = |i: usize, in_flight: &mut Vec<Bytes>| {
            let mut buf = pool.acquire();
            buf.extend_from_slice(&[i as u8; 100]);
            in_flight.push(buf.freeze());
            if in_flight.len() > k {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let victim = (state % in_flight.len() as u64) as usize;
                drop(in_flight.swap_remove(victim));
            }
        };
        for i in 0..3 * 64 {
            request(i, &mut in_flight);
        }
        let before = allocations();
        for i in 0..n {
            request(i, &mut in_flight);
        }
        assert_eq!(allocations() - before, 0, "{k} in flight, any order");
        assert_eq!(pool.fresh_allocations(), 0);
    }
}
