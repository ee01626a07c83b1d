//! A steady acquire -> write -> freeze -> clone -> drop cycle on a warm
//! BufferPool makes no heap allocation: counted by a global allocator.

use nanopath_testkit::{CountingAllocator, thread_allocations};

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
