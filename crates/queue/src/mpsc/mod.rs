//! Multi-producer single-consumer queues: fan-in.
//!
//! * [`bounded()`]: the stamped ring of [`mpmc`](crate::mpmc) (Vyukov's
//!   per-slot sequence numbers, exact capacity) whose one consumer never
//!   does a CAS: it owns `head`, so a pop is a stamp load, a move and two
//!   stores. Producers claim with a CAS on the shared tail and retry only
//!   when another producer won it. `pop` returns `None` only when the queue
//!   was empty at some instant during the call: it waits for a producer
//!   that has claimed the next slot but not finished writing it (so a
//!   producer suspended mid-push holds the consumer up), and `push` reports
//!   [`Full`](crate::Full) only when the queue really was full.
//! * [`unbounded()`]: linked segments whose producers reserve a slot with one
//!   `fetch_add` and never retry in a loop on the fast path (the
//!   reclamation argument is in the source, `src/mpsc/unbounded.rs`).
//!
//! Both drop exactly the items still inside when the last handle goes.

mod bounded;
mod unbounded;

pub use bounded::{Consumer, Producer, bounded, try_bounded};
pub use unbounded::{
    MAX_PRODUCERS, SEGMENT_ALIGN, SEGMENT_SLOTS, TooManyProducers, UnboundedConsumer,
    UnboundedProducer, unbounded,
};
