//! `ObjectPool` operation sequences on one thread, checked against a model
//! of its free set: the ids of idle objects (the thread's one-slot cache
//! in front of a stack: last returned, first lent; prefilled objects go on
//! the stack, under the cache), the vacant slot count, and which objects are out (in a slot or on
//! the heap). One checker for the proptest (`tests/object_pool.rs`), the
//! fuzz target (`fuzz/fuzz_targets/pool_ops.rs`) and its regression seeds;
//! it panics on the first disagreement.

use nanopath_pool::{ObjectPool, PoolStats, Timeout};
use nanopath_testkit::arbitrary::{self, Unstructured};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Acquire,
    TryAcquire,
    /// `acquire_timeout(0)`: an idle object, or one built in a vacant slot.
    AcquireNow,
    Release(usize),
    Detach(usize),
    Prefill(usize),
    Stats,
}

impl Op {
    /// One operation from fuzz bytes.
    pub(crate) fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Op> {
        Ok(match u.int_in_range(0..=7u8)? {
            0 => Op::Acquire,
            1 => Op::TryAcquire,
            2 => Op::AcquireNow,
            3 | 4 => Op::Release(u.arbitrary()?),
            5 => Op::Detach(u.arbitrary()?),
            6 => Op::Prefill(u.int_in_range(0..=6)?),
            _ => Op::Stats,
        })
    }
}

/// A capacity (0 included) and up to 4096 operations from fuzz bytes.
pub(crate) fn from_bytes(data: &[u8]) -> (usize, Vec<Op>) {
    let mut u = Unstructured::new(data);
    let capacity = u.int_in_range(0..=5).unwrap_or(0);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 4096 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    (capacity, ops)
}

/// An object that counts its drops.
#[derive(Debug)]
struct Object {
    id: u64,
    drops: Arc<AtomicUsize>,
}

impl Drop for Object {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// The idle objects: this thread's cache, in front of the shared stack.
#[derive(Default)]
struct Idle {
    cache: Option<u64>,
    stack: Vec<u64>,
}

impl Idle {
    fn take(&mut self) -> Option<u64> {
        self.cache.take().or_else(|| self.stack.pop())
    }
    /// A release: into the cache, whatever was there onto the stack.
    fn give_back(&mut self, id: u64) {
        if let Some(old) = self.cache.replace(id) {
            self.stack.push(old);
        }
    }
}

/// Runs `ops` on a pool of `capacity` and on the model; panics where they
/// disagree. Every object is dropped exactly once by the end.
pub(crate) fn check(capacity: usize, ops: &[Op]) {
    let drops = Arc::new(AtomicUsize::new(0));
    let next_id = Arc::new(AtomicU64::new(0));
    let pool = {
        let (drops, next_id) = (Arc::clone(&drops), Arc::clone(&next_id));
        ObjectPool::try_new(capacity, move || Object {
            id: next_id.fetch_add(1, Ordering::Relaxed),
            drops: Arc::clone(&drops),
        })
        .expect("a small capacity")
    };
    let mut out = Vec::new();
    let mut idle = Idle::default();
    let mut vacant = capacity;
    let mut created = 0u64;
    // The pool's counters as the model keeps them (a detach is no release;
    // a zero timeout never waits).
    let (mut acquired, mut released, mut timeouts) = (0u64, 0u64, 0u64);
    // (id, in a slot) of each object out, index for index with `out`.
    let mut model_out: Vec<(u64, bool)> = Vec::new();
    // Objects the model says were dropped: heap objects returned to a full
    // pool, and detached objects (dropped here).
    let mut dropped = 0usize;
    for op in ops {
        match *op {
            Op::Acquire => {
                let got = pool.acquire();
                let expected = if let Some(id) = idle.take() {
                    (id, true)
                } else if vacant > 0 {
                    vacant -= 1;
                    created += 1;
                    (created - 1, true)
                } else {
                    created += 1;
                    (created - 1, false)
                };
                assert_eq!(got.id, expected.0);
                acquired += 1;
                out.push(got);
                model_out.push(expected);
            }
            Op::TryAcquire => match (pool.try_acquire(), idle.take()) {
                (Some(got), Some(id)) => {
                    assert_eq!(got.id, id);
                    acquired += 1;
                    out.push(got);
                    model_out.push((id, true));
                }
                (None, None) => {}
                (got, id) => panic!("pool {:?} vs model {id:?}", got.map(|g| g.id)),
            },
            Op::AcquireNow => {
                let got = pool.acquire_timeout(Duration::ZERO);
                let expected = if let Some(id) = idle.take() {
                    Some(id)
                } else if vacant > 0 {
                    vacant -= 1;
                    created += 1;
                    Some(created - 1)
                } else {
                    None
                };
                match (got, expected) {
                    (Ok(got), Some(id)) => {
                        assert_eq!(got.id, id);
                        acquired += 1;
                        out.push(got);
                        model_out.push((id, true));
                    }
                    (Err(Timeout), None) => timeouts += 1,
                    (got, id) => panic!("pool {:?} vs model {id:?}", got.map(|g| g.id)),
                }
            }
            Op::Release(i) if !out.is_empty() => {
                let i = i % out.len();
                drop(out.swap_remove(i));
                released += 1;
                let (id, in_slot) = model_out.swap_remove(i);
                if in_slot {
                    idle.give_back(id);
                } else if vacant > 0 {
                    // A heap object returned while a slot is vacant moves in.
                    vacant -= 1;
                    idle.give_back(id);
                } else {
                    dropped += 1;
                }
            }
            Op::Detach(i) if !out.is_empty() => {
                let i = i % out.len();
                let object = out.swap_remove(i).detach();
                let (id, in_slot) = model_out.swap_remove(i);
                assert_eq!(object.id, id);
                drop(object);
                dropped += 1;
                if in_slot {
                    vacant += 1;
                }
            }
            Op::Prefill(n) => {
                let built = n.min(vacant);
                assert_eq!(pool.prefill(n), built, "prefill({n})");
                for _ in 0..built {
                    vacant -= 1;
                    created += 1;
                    idle.stack.push(created - 1);
                }
            }
            Op::Stats => {
                let stats = pool.stats();
                assert_eq!(
                    stats,
                    PoolStats {
                        acquired,
                        released,
                        created,
                        waited: 0,
                        timeouts,
                    }
                );
                assert_eq!(pool.capacity(), capacity);
            }
            _ => {}
        }
        assert_eq!(drops.load(Ordering::Relaxed), dropped, "after {op:?}");
    }
    assert_eq!(
        pool.stats(),
        PoolStats {
            acquired,
            released,
            created,
            waited: 0,
            timeouts,
        }
    );
    let lent = out.len();
    drop(out);
    drop(pool);
    assert_eq!(
        drops.load(Ordering::Relaxed) as u64,
        created,
        "every object dropped once ({lent} were out)"
    );
}
