//! Operation sequences on the bounded MPMC and MPSC queues, checked
//! against a `VecDeque` bounded at the same capacity. One checker for the
//! proptests (`tests/mpmc_mpsc.rs`), the fuzz target
//! (`fuzz/fuzz_targets/mpmc_ops.rs`) and its regression seeds; it panics
//! on the first disagreement.

use nanopath_queue::{Full, mpmc, mpsc};
use nanopath_testkit::arbitrary::{self, Unstructured};
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Push,
    Pop,
    PushBatch(usize),
    PopBatch(usize),
    Len,
}

/// Largest batch asked for (above every capacity tried).
pub(crate) const MAX_BATCH: usize = 11;

impl Op {
    /// One operation from fuzz bytes.
    pub(crate) fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Op> {
        Ok(match u.int_in_range(0..=4u8)? {
            0 => Op::Push,
            1 => Op::Pop,
            2 => Op::PushBatch(u.int_in_range(0..=MAX_BATCH)?),
            3 => Op::PopBatch(u.int_in_range(0..=MAX_BATCH)?),
            _ => Op::Len,
        })
    }
}

/// Which queue.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Which {
    Mpmc,
    MpscBounded,
}

/// A queue, a capacity (0 included: it must be refused) and up to 4096
/// operations from fuzz bytes.
pub(crate) fn from_bytes(data: &[u8]) -> (Which, usize, Vec<Op>) {
    let mut u = Unstructured::new(data);
    let which = if u.arbitrary::<bool>().unwrap_or(false) {
        Which::MpscBounded
    } else {
        Which::Mpmc
    };
    let capacity = u.int_in_range(0..=9).unwrap_or(0);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 4096 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    (which, capacity, ops)
}

/// Builds the queue (capacity 0 must be a typed error) and checks `ops`.
pub(crate) fn check(which: Which, capacity: usize, ops: &[Op]) {
    match which {
        Which::Mpmc => match mpmc::Queue::try_new(capacity) {
            Ok(mut q) => check_against_model(&mut q, capacity, ops),
            Err(e) => assert_eq!(capacity, 0, "refused a valid capacity: {e}"),
        },
        Which::MpscBounded => match mpsc::try_bounded(capacity) {
            Ok(mut q) => check_against_model(&mut q, capacity, ops),
            Err(e) => assert_eq!(capacity, 0, "refused a valid capacity: {e}"),
        },
    }
}

/// The operations a bounded queue under test offers, so one model check
/// covers `mpmc::Queue` and `mpsc::bounded`.
pub(crate) trait Bounded {
    fn push(&mut self, v: u64) -> Result<(), Full<u64>>;
    fn pop(&mut self) -> Option<u64>;
    fn push_batch(&mut self, items: &mut Vec<u64>) -> usize;
    fn pop_batch(&mut self, out: &mut Vec<u64>, max: usize) -> usize;
    fn len(&self) -> usize;
}

impl Bounded for mpmc::Queue<u64> {
    fn push(&mut self, v: u64) -> Result<(), Full<u64>> {
        mpmc::Queue::push(self, v)
    }
    fn pop(&mut self) -> Option<u64> {
        mpmc::Queue::pop(self)
    }
    fn push_batch(&mut self, items: &mut Vec<u64>) -> usize {
        mpmc::Queue::push_batch(self, items)
    }
    fn pop_batch(&mut self, out: &mut Vec<u64>, max: usize) -> usize {
        mpmc::Queue::pop_batch(self, out, max)
    }
    fn len(&self) -> usize {
        mpmc::Queue::len(self)
    }
}

impl Bounded for (mpsc::Producer<u64>, mpsc::Consumer<u64>) {
    fn push(&mut self, v: u64) -> Result<(), Full<u64>> {
        self.0.push(v)
    }
    fn pop(&mut self) -> Option<u64> {
        self.1.pop()
    }
    fn push_batch(&mut self, items: &mut Vec<u64>) -> usize {
        self.0.push_batch(items)
    }
    fn pop_batch(&mut self, out: &mut Vec<u64>, max: usize) -> usize {
        self.1.pop_batch(out, max)
    }
    fn len(&self) -> usize {
        assert_eq!(self.0.len(), self.1.len());
        self.1.len()
    }
}

/// Runs `ops` on `q` (of `capacity`) and on the model; panics where they
/// disagree.
pub(crate) fn check_against_model(q: &mut impl Bounded, capacity: usize, ops: &[Op]) {
    let mut model = VecDeque::new();
    let mut next = 0u64;
    for op in ops {
        match *op {
            Op::Push => {
                let r = q.push(next);
                if model.len() < capacity {
                    assert_eq!(r, Ok(()));
                    model.push_back(next);
                } else {
                    assert_eq!(r, Err(Full(next)));
                }
                next += 1;
            }
            Op::Pop => assert_eq!(q.pop(), model.pop_front()),
            Op::PushBatch(n) => {
                let mut items: Vec<u64> = (next..next + n as u64).collect();
                let pushed = q.push_batch(&mut items);
                assert_eq!(pushed, n.min(capacity - model.len()));
                model.extend(next..next + pushed as u64);
                // What did not fit is still there, in order.
                let rest: Vec<u64> = (next + pushed as u64..next + n as u64).collect();
                assert_eq!(items, rest);
                next += n as u64;
            }
            Op::PopBatch(n) => {
                let mut out = vec![u64::MAX];
                let popped = q.pop_batch(&mut out, n);
                assert_eq!(popped, n.min(model.len()));
                let expected: Vec<u64> = std::iter::once(u64::MAX)
                    .chain(model.drain(..popped))
                    .collect();
                assert_eq!(out, expected);
            }
            Op::Len => assert_eq!(q.len(), model.len()),
        }
    }
    assert_eq!(q.len(), model.len());
    let rest: Vec<u64> = std::iter::from_fn(|| q.pop()).collect();
    assert_eq!(rest, Vec::from(model));
}
