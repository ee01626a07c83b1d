//! A shared-nothing worker runtime on nanopath's queues.
//!
//! Workers own their state; messages reach them over a full mesh of SPSC
//! rings (one per sender and worker, so no two senders write one line);
//! a [`Partitioner`](partition::Partitioner) routes a key to the worker
//! that owns it. Idle workers spin, then park, and are woken only when
//! they announced that they sleep. See [`runtime`] for the transport, the
//! wake-up protocol and how shutdown drains everything.
//!
//! ```
//! use nanopath_shard::{Context, Runtime, Worker};
//! use std::collections::HashMap;
//!
//! /// Counts events per key; each key lives on one worker.
//! struct Counter;
//! impl Worker for Counter {
//!     type Key = str;
//!     type State = HashMap<String, u64>;
//!     type Message = String;
//!     fn handle(&mut self, _: &mut Context<'_, Self>, counts: &mut Self::State, key: String) {
//!         *counts.entry(key).or_default() += 1;
//!     }
//! }
//!
//! let runtime = Runtime::<Counter>::builder()
//!     .workers(3)
//!     .build(|_| (Counter, HashMap::new()))
//!     .unwrap();
//! let mut tx = runtime.handle().unwrap();
//! for key in ["a", "b", "a", "c", "a"] {
//!     tx.send(key, key.to_owned()).unwrap();
//! }
//! let states = runtime.shutdown().unwrap();
//! // Every "a" went to the same worker.
//! let a: Vec<u64> = states.iter().filter_map(|s| s.get("a").copied()).collect();
//! assert_eq!(a, [3]);
//! ```

#![forbid(unsafe_code)]

// The crate README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod partition;
pub mod runtime;
mod stats;
mod worker;

pub use nanopath_queue::channel::WaitStrategy;
pub use runtime::{Builder, Context, Handle, Runtime, WakeFences};
pub use stats::WorkerStats;
pub use worker::Worker;

use core::fmt;

/// The CPUs this process may run on: its affinity mask and cgroup CPU
/// quota, as [`std::thread::available_parallelism`] reports them (1 if
/// unknown). The default worker count.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Why a send failed; every variant hands the message back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendError<M> {
    /// The worker's queue is full (`try_send` only): backpressure.
    Full(M),
    /// The runtime is shutting down (or shut down).
    Stopped(M),
    /// The worker panicked.
    WorkerDead {
        /// Its index.
        worker: usize,
        /// The message.
        message: M,
    },
    /// The worker index (given, or returned by the partitioner) is out of
    /// range.
    NoSuchWorker {
        /// The index.
        worker: usize,
        /// How many workers there are.
        workers: usize,
        /// The message.
        message: M,
    },
}

impl<M> SendError<M> {
    /// The message that was not sent.
    pub fn into_message(self) -> M {
        match self {
            SendError::Full(m) | SendError::Stopped(m) => m,
            SendError::WorkerDead { message, .. } | SendError::NoSuchWorker { message, .. } => {
                message
            }
        }
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("Full(..)"),
            SendError::Stopped(_) => f.write_str("Stopped(..)"),
            SendError::WorkerDead { worker, .. } => f
                .debug_struct("WorkerDead")
                .field("worker", worker)
                .finish_non_exhaustive(),
            SendError::NoSuchWorker {
                worker, workers, ..
            } => f
                .debug_struct("NoSuchWorker")
                .field("worker", worker)
                .field("workers", workers)
                .finish_non_exhaustive(),
        }
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("the worker's queue is full"),
            SendError::Stopped(_) => f.write_str("the runtime is shutting down"),
            SendError::WorkerDead { worker, .. } => write!(f, "worker {worker} panicked"),
            SendError::NoSuchWorker {
                worker, workers, ..
            } => {
                write!(f, "no worker {worker} (there are {workers})")
            }
        }
    }
}

impl<M> std::error::Error for SendError<M> {}

/// A configuration `build` refuses, or a resource it could not get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// Zero workers.
    NoWorkers,
    /// A queue capacity of 0.
    ZeroCapacity,
    /// A batch size of 0.
    ZeroBatch,
    /// Pinning asked for more workers than CPUs this process may use.
    TooManyPinned {
        /// Workers asked for.
        workers: usize,
        /// CPUs in the affinity mask.
        cpus: usize,
    },
    /// A ring of the asked capacity cannot be allocated for this message
    /// type.
    Capacity(nanopath_queue::CapacityError),
    /// A worker thread could not be spawned.
    Spawn(std::io::ErrorKind),
    /// A new handle on a runtime that is shutting down.
    Stopped,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoWorkers => f.write_str("a runtime needs at least one worker"),
            BuildError::ZeroCapacity => f.write_str("the queue capacity must be at least 1"),
            BuildError::ZeroBatch => f.write_str("the batch size must be at least 1"),
            BuildError::TooManyPinned { workers, cpus } => {
                write!(
                    f,
                    "{workers} pinned workers, but this process may run on {cpus} CPUs"
                )
            }
            BuildError::Capacity(e) => write!(f, "queue capacity: {e}"),
            BuildError::Spawn(kind) => write!(f, "spawning a worker thread failed: {kind}"),
            BuildError::Stopped => f.write_str("the runtime is shutting down"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A worker that could not be pinned to its CPU (it runs unpinned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinWarning {
    /// The worker.
    pub worker: usize,
    /// The CPU it was to run on.
    pub cpu: usize,
}

/// A worker that panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerPanic {
    /// Its index.
    pub worker: usize,
    /// The panic message.
    pub message: String,
    /// Messages it could no longer handle, all dropped: the batch it
    /// panicked in (in full: a batch is not known to be handled until
    /// `handle_batch` returns), what was left in its queues, and what was
    /// sent to it before the senders saw it dead.
    pub undelivered: usize,
}

/// [`Runtime::shutdown`] found panicked workers.
#[derive(Debug)]
pub struct ShutdownError<S> {
    /// Each panicked worker, by index.
    pub panics: Vec<WorkerPanic>,
    /// Every worker's final state, by index; `None` for those that
    /// panicked.
    pub states: Vec<Option<S>>,
}

impl<S> fmt::Display for ShutdownError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.panics.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "worker {} panicked: {}", p.worker, p.message)?;
        }
        Ok(())
    }
}

impl<S: fmt::Debug> std::error::Error for ShutdownError<S> {}
