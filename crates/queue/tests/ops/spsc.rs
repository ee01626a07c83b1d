//! SPSC ring operation sequences checked against a `VecDeque` bounded at
//! the same capacity. One checker for the proptest (`tests/spsc.rs`), the
//! fuzz target (`fuzz/fuzz_targets/spsc_ops.rs`) and the fuzz regression
//! seeds (`fuzz_seeds_replay` in `tests/spsc.rs`); it panics on the first
//! disagreement.

use nanopath_queue::spsc;
use nanopath_queue::{ChunkError, Full};
use nanopath_testkit::arbitrary::{self, Unstructured};
use std::collections::VecDeque;

/// One operation on the ring (sizes are small so sequences wrap often).
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Push,
    Pop,
    Peek,
    PushSlice(usize),
    PopSlice(usize),
    /// `write_chunk_uninit(reserve)`, then `fill` items offered.
    WriteChunk {
        reserve: usize,
        fill: usize,
    },
    /// `write_chunk(reserve)` (defaults), then the first `set` overwritten
    /// and `commit` committed.
    WriteDefault {
        reserve: usize,
        set: usize,
        commit: usize,
    },
    /// `read_chunk(take)`, then `commit` committed.
    ReadChunk {
        take: usize,
        commit: usize,
    },
    /// `read_chunk(take)` handed out by value, `iterate` of them taken.
    ReadInto {
        take: usize,
        iterate: usize,
    },
    Len,
}

/// Largest size an operation asks for (above every capacity tried, so
/// requests that cannot fit are covered).
pub(crate) const MAX_SIZE: usize = 11;

impl Op {
    /// One operation from fuzz bytes.
    pub(crate) fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Op> {
        let size = |u: &mut Unstructured<'_>| u.int_in_range(0..=MAX_SIZE);
        let op = match u.int_in_range(0..=9u8)? {
            0 => Op::Push,
            1 => Op::Pop,
            2 => Op::Peek,
            3 => Op::PushSlice(size(u)?),
            4 => Op::PopSlice(size(u)?),
            5 => Op::WriteChunk {
                reserve: size(u)?,
                fill: size(u)?,
            },
            6 => Op::WriteDefault {
                reserve: size(u)?,
                set: size(u)?,
                commit: size(u)?,
            },
            7 => Op::ReadChunk {
                take: size(u)?,
                commit: size(u)?,
            },
            8 => Op::ReadInto {
                take: size(u)?,
                iterate: size(u)?,
            },
            _ => Op::Len,
        };
        Ok(op)
    }
}

/// A capacity (0 included: it must be refused) and up to 4096 operations
/// from fuzz bytes.
pub(crate) fn from_bytes(data: &[u8]) -> (usize, Vec<Op>) {
    let mut u = Unstructured::new(data);
    let capacity = u.int_in_range(0..=9).unwrap_or(0);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 4096 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    (capacity, ops)
}

/// Runs `ops` on a ring of `capacity` and on the model; panics where they
/// disagree. Capacity 0 must be refused with a typed error.
pub(crate) fn check(capacity: usize, ops: &[Op]) {
    let (mut tx, mut rx) = match spsc::try_ring::<u64>(capacity) {
        Ok(ring) => ring,
        Err(e) => {
            assert_eq!(capacity, 0, "refused a valid capacity: {e}");
            assert_eq!(e.minimum, 1);
            return;
        }
    };
    assert_ne!(capacity, 0, "capacity 0 accepted");
    let mut model = VecDeque::new();
    // Every value pushed is new, so loss, duplication and reordering show.
    let mut next = 1u64;
    for op in ops {
        match *op {
            Op::Push => {
                let r = tx.push(next);
                if model.len() < capacity {
                    assert_eq!(r, Ok(()));
                    model.push_back(next);
                } else {
                    assert_eq!(r, Err(Full(next)));
                }
                next += 1;
            }
            Op::Pop => assert_eq!(rx.pop(), model.pop_front()),
            Op::Peek => assert_eq!(rx.peek().copied(), model.front().copied()),
            Op::PushSlice(n) => {
                let items: Vec<u64> = (next..next + n as u64).collect();
                let pushed = tx.push_slice(&items);
                assert_eq!(pushed, n.min(capacity - model.len()));
                model.extend(&items[..pushed]);
                next += n as u64;
            }
            Op::PopSlice(n) => {
                let mut out = vec![0; n];
                let popped = rx.pop_slice(&mut out);
                assert_eq!(popped, n.min(model.len()));
                let expected: Vec<u64> = model.drain(..popped).collect();
                assert_eq!(&out[..popped], &expected[..]);
                assert!(
                    out[popped..].iter().all(|&v| v == 0),
                    "wrote past what it popped"
                );
            }
            Op::WriteChunk { reserve, fill } => {
                let free = capacity - model.len();
                match tx.write_chunk_uninit(reserve) {
                    Ok(chunk) => {
                        assert!(reserve <= free);
                        assert_eq!(chunk.len(), reserve);
                        let written = chunk.fill_from_iter(next..next + fill as u64);
                        assert_eq!(written, fill.min(reserve));
                        model.extend(next..next + written as u64);
                        next += fill as u64;
                    }
                    Err(e) => {
                        assert!(reserve > free);
                        assert_eq!(
                            e,
                            ChunkError::TooFewSlots {
                                requested: reserve,
                                available: free
                            }
                        );
                    }
                }
            }
            Op::WriteDefault {
                reserve,
                set,
                commit,
            } => {
                let free = capacity - model.len();
                match tx.write_chunk(reserve) {
                    Ok(mut chunk) => {
                        assert!(reserve <= free);
                        assert_eq!(chunk.len(), reserve);
                        let set = set.min(reserve);
                        let (a, b) = chunk.as_mut_slices();
                        assert!(a.iter().chain(b.iter()).all(|&v| v == 0), "defaults");
                        for (k, slot) in a.iter_mut().chain(b.iter_mut()).take(set).enumerate() {
                            *slot = next + k as u64;
                        }
                        chunk.commit(commit);
                        let committed = commit.min(reserve);
                        // Committed: the set values, then defaults.
                        model.extend(
                            (0..committed).map(|k| if k < set { next + k as u64 } else { 0 }),
                        );
                        next += set as u64;
                    }
                    Err(e) => {
                        assert!(reserve > free);
                        assert_eq!(
                            e,
                            ChunkError::TooFewSlots {
                                requested: reserve,
                                available: free
                            }
                        );
                    }
                }
            }
            Op::ReadChunk { take, commit } => match rx.read_chunk(take) {
                Ok(chunk) => {
                    assert!(take <= model.len());
                    let (a, b) = chunk.as_slices();
                    let seen: Vec<u64> = a.iter().chain(b).copied().collect();
                    let expected: Vec<u64> = model.iter().take(take).copied().collect();
                    assert_eq!(seen, expected);
                    chunk.commit(commit);
                    model.drain(..commit.min(take));
                }
                Err(e) => {
                    assert!(take > model.len());
                    assert_eq!(
                        e,
                        ChunkError::TooFewSlots {
                            requested: take,
                            available: model.len()
                        }
                    );
                }
            },
            Op::ReadInto { take, iterate } => match rx.read_chunk(take) {
                Ok(chunk) => {
                    assert!(take <= model.len());
                    let taken: Vec<u64> = chunk.into_iter().take(iterate).collect();
                    let expected: Vec<u64> = model.drain(..iterate.min(take)).collect();
                    assert_eq!(taken, expected);
                }
                Err(e) => {
                    assert!(take > model.len());
                    assert_eq!(
                        e,
                        ChunkError::TooFewSlots {
                            requested: take,
                            available: model.len()
                        }
                    );
                }
            },
            Op::Len => {
                assert_eq!(rx.len(), model.len());
                assert_eq!(tx.free_slots(), capacity - model.len());
                assert_eq!(rx.is_empty(), model.is_empty());
                assert_eq!(rx.is_full(), model.len() == capacity);
                assert_eq!(tx.is_full(), model.len() == capacity);
            }
        }
    }
    // What is left comes out in order.
    let rest: Vec<u64> = std::iter::from_fn(|| rx.pop()).collect();
    assert_eq!(rest, Vec::from(model));
}
