//! Loom models of the runtime's two hand-offs, with one sender and one
//! worker that parks at once (`WaitStrategy::park`):
//!
//! * the wake-up: a send to a parked (or parking) worker is handled, so no
//!   wake-up is lost (loom reports a deadlock if the worker sleeps on);
//! * the stop: a send racing `shutdown` is either handled by the final
//!   drain or comes back as `SendError::Stopped` with its message, never
//!   both and never neither.
//!
//! What loom does not cover: the busy-spinning runtime's asymmetric fence
//! (loom builds use plain `SeqCst` fences there), more than one sender or
//! worker, and pinning.

#![cfg(nanopath_loom)]

use nanopath_shard::{Context, Runtime, SendError, WaitStrategy, Worker};

/// Counts what it handles.
struct Count;

impl Worker for Count {
    type Key = ();
    type State = usize;
    type Message = usize;
    fn handle(&mut self, _: &mut Context<'_, Self>, n: &mut usize, _: usize) {
        *n += 1;
    }
}

fn runtime() -> Runtime<Count> {
    Runtime::<Count>::builder()
        .workers(1)
        .capacity(1)
        .wait_strategy(WaitStrategy::park())
        .build(|_| (Count, 0))
        .unwrap()
}

#[test]
fn a_send_to_a_parking_worker_wakes_it() {
    loom::model(|| {
        let runtime = runtime();
        let mut tx = runtime.handle().unwrap();
        tx.send_to(0, 1).unwrap();
        // Wait until the worker has it: a lost wake-up leaves the worker
        // asleep with the message queued, and this loop never ends (loom
        // reports the deadlock).
        while runtime.stats(0).unwrap().handled == 0 {
            loom::thread::yield_now();
        }
        assert_eq!(runtime.shutdown().unwrap(), [1]);
    });
}

#[test]
fn a_send_racing_shutdown_is_handled_or_handed_back() {
    loom::model(|| {
        let runtime = runtime();
        let mut tx = runtime.handle().unwrap();
        let sender = loom::thread::spawn(move || match tx.send_to(0, 7) {
            Ok(()) => 1,
            Err(SendError::Stopped(7)) => 0,
            Err(e) => panic!("unexpected {e:?}"),
        });
        let states = runtime.shutdown().unwrap();
        let sent = sender.join().unwrap();
        assert_eq!(
            states,
            [sent],
            "an Ok send is handled once, a Stopped one not at all"
        );
    });
}

/// Panics on message 0.
struct Fragile;

impl Worker for Fragile {
    type Key = ();
    type State = ();
    type Message = usize;
    fn handle(&mut self, _: &mut Context<'_, Self>, _: &mut (), msg: usize) {
        assert_ne!(msg, 0, "message 0");
    }
}

#[test]
fn a_send_racing_a_workers_death_is_counted_or_handed_back() {
    loom::model(|| {
        let runtime = Runtime::<Fragile>::builder()
            .workers(1)
            .capacity(2)
            .wait_strategy(WaitStrategy::park())
            .build(|_| (Fragile, ()))
            .unwrap();
        let mut tx = runtime.handle().unwrap();
        tx.send_to(0, 0).unwrap();
        // Races the worker's death in message 0.
        let second = tx.send_to(0, 1);
        let err = runtime.shutdown().unwrap_err();
        assert_eq!(err.panics.len(), 1);
        match second {
            // Never handled: counted with message 0.
            Ok(()) => assert_eq!(err.panics[0].undelivered, 2),
            Err(SendError::WorkerDead { worker: 0, message }) => {
                assert_eq!(message, 1, "its own message back");
                assert_eq!(err.panics[0].undelivered, 1);
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    });
}
