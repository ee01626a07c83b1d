//! The [`Worker`] trait: what runs on each worker thread.

use crate::runtime::Context;
use core::hash::Hash;

/// A worker: the code one worker thread runs over messages, with the
/// state it owns. Nothing else touches the state while the runtime runs;
/// [`Runtime::shutdown`](crate::Runtime::shutdown) hands it back.
///
/// ```
/// use nanopath_shard::{Context, Runtime, Worker};
///
/// struct Sum;
/// impl Worker for Sum {
///     type Key = u64;
///     type State = u64;
///     type Message = u64;
///     fn handle(&mut self, _: &mut Context<'_, Self>, total: &mut u64, v: u64) {
///         *total += v;
///     }
/// }
///
/// let runtime = Runtime::<Sum>::builder().workers(2).build(|_| (Sum, 0)).unwrap();
/// let mut tx = runtime.handle().unwrap();
/// for v in 1..=100 {
///     tx.send(&v, v).unwrap();
/// }
/// let totals = runtime.shutdown().unwrap();
/// assert_eq!(totals.iter().sum::<u64>(), 5050);
/// ```
pub trait Worker: Send + Sized + 'static {
    /// What messages are routed by (see [`partition`](crate::partition)).
    type Key: Hash + ?Sized;
    /// The state the worker owns, returned by `shutdown`.
    type State: Send + 'static;
    /// The messages it handles.
    type Message: Send + 'static;

    /// Handles one message.
    fn handle(&mut self, ctx: &mut Context<'_, Self>, state: &mut Self::State, msg: Self::Message);

    /// Handles a batch taken from one queue at once (at most the builder's
    /// `batch` messages, oldest first). By default, `handle` for each in
    /// turn. An override must leave `batch` empty or not (the runtime
    /// clears it); taking its buffer (`mem::take`) costs an allocation on
    /// the next batch.
    fn handle_batch(
        &mut self,
        ctx: &mut Context<'_, Self>,
        state: &mut Self::State,
        batch: &mut Vec<Self::Message>,
    ) {
        for msg in batch.drain(..) {
            self.handle(ctx, state, msg);
        }
    }

    /// Runs after each round of batches that handled something.
    fn tick(&mut self, ctx: &mut Context<'_, Self>, state: &mut Self::State) {
        let _ = (ctx, state);
    }

    /// Runs once at shutdown, after every queue is drained.
    fn on_stop(&mut self, state: &mut Self::State) {
        let _ = state;
    }
}
