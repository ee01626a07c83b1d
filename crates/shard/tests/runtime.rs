//! The runtime's promises: every message handled exactly once by the
//! worker its key maps to, per-key order, shutdown drains everything
//! (messages between workers included), panic isolation, backpressure,
//! broadcast, statistics that add up, typed build errors.

use nanopath_shard::partition::{HashPartitioner, JumpHashPartitioner, Partitioner};
use nanopath_shard::{BuildError, Context, Runtime, SendError, WaitStrategy, WakeFences, Worker};
use std::sync::{Arc, Barrier};
use std::thread;

fn per_sender() -> u64 {
    if cfg!(miri) { 40 } else { 20_000 }
}

/// Records `(key, seq)` pairs in arrival order.
struct Recorder;

impl Worker for Recorder {
    type Key = u64;
    type State = Vec<(u64, u64)>;
    type Message = (u64, u64);
    fn handle(&mut self, ctx: &mut Context<'_, Self>, seen: &mut Self::State, msg: (u64, u64)) {
        // Each message reaches the worker its key maps to.
        assert_eq!(
            HashPartitioner.partition(&msg.0, ctx.workers()),
            ctx.index()
        );
        seen.push(msg);
    }
}

#[test]
fn every_message_is_handled_once_by_its_keys_worker_in_order() {
    let workers = 3;
    let runtime = Runtime::<Recorder>::builder()
        .workers(workers)
        .capacity(16)
        .build(|_| (Recorder, Vec::new()))
        .unwrap();
    let senders = 3u64;
    let n = per_sender();
    let start = Arc::new(Barrier::new(senders as usize));
    let threads: Vec<_> = (0..senders)
        .map(|s| {
            let mut tx = runtime.handle().unwrap();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for seq in 0..n {
                    // Keys are per sender, so per-key order is this
                    // sender's order.
                    let key = s * 1000 + seq % 7;
                    tx.send(&key, (key, seq)).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let stats = runtime.total_stats();
    let states = runtime.shutdown().unwrap();
    let all: Vec<(u64, u64)> = states.iter().flatten().copied().collect();
    assert_eq!(all.len() as u64, senders * n, "every message once");
    for state in &states {
        let mut last = std::collections::HashMap::new();
        for &(key, seq) in state {
            if let Some(prev) = last.insert(key, seq) {
                assert!(seq > prev, "key {key}: {seq} after {prev}");
            }
        }
    }
    let mut seqs: Vec<(u64, u64)> = all.clone();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), all.len(), "no duplicates");
    assert!(stats.handled <= senders * n);
}

/// Forwards each message to the next worker until its hop count runs out;
/// counts what it ends.
struct Relay;

impl Worker for Relay {
    type Key = ();
    type State = u64;
    type Message = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, ended: &mut u64, hops: u32) {
        if hops == 0 {
            *ended += 1;
        } else {
            let next = (ctx.index() + 1) % ctx.workers();
            ctx.send_to(next, hops - 1).unwrap();
        }
    }
}

#[test]
fn shutdown_drains_every_queue_including_messages_between_workers() {
    let n = per_sender();
    // Rings that never fill: two workers that wait on each other's full
    // ring would wait forever (see `Context::send_to`).
    let runtime = Runtime::<Relay>::builder()
        .workers(2)
        .capacity(n as usize)
        .build(|_| (Relay, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    for i in 0..n {
        tx.send_to((i % 2) as usize, 5).unwrap();
    }
    // No waiting: shutdown itself must deliver whatever is still moving.
    let ended: u64 = runtime.shutdown().unwrap().iter().sum();
    assert_eq!(ended, n);
    assert!(matches!(tx.send_to(0, 1), Err(SendError::Stopped(1))));
}

/// Panics on message 13; counts the others.
struct Fragile;

impl Worker for Fragile {
    type Key = u64;
    type State = u64;
    type Message = u64;
    fn handle(&mut self, _: &mut Context<'_, Self>, count: &mut u64, msg: u64) {
        assert_ne!(msg, 13, "unlucky message");
        *count += 1;
    }
}

#[test]
fn a_panicking_worker_is_reported_and_the_others_drain() {
    let runtime = Runtime::<Fragile>::builder()
        .workers(2)
        .wait_strategy(WaitStrategy::park())
        .build(|_| (Fragile, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    tx.send_to(0, 13).unwrap();
    // Worker 0 dies; once it is seen dead, sends to it come back.
    let back = loop {
        match tx.send_to(0, 1) {
            Ok(()) => thread::yield_now(),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(
            back,
            SendError::WorkerDead {
                worker: 0,
                message: 1
            }
        ),
        "{back:?}"
    );
    for _ in 0..10 {
        tx.send_to(1, 2).unwrap();
    }
    let err = runtime.shutdown().unwrap_err();
    assert_eq!(err.panics.len(), 1);
    assert_eq!(err.panics[0].worker, 0);
    assert!(
        err.panics[0].message.contains("unlucky message"),
        "{}",
        err.panics[0].message
    );
    assert!(err.states[0].is_none());
    assert_eq!(err.states[1], Some(10));
    assert!(err.to_string().contains("worker 0 panicked"));
}

/// Blocks in `handle` until the test lets it go.
struct Gate;

impl Worker for Gate {
    type Key = ();
    type State = u64;
    type Message = Arc<Barrier>;
    fn handle(&mut self, _: &mut Context<'_, Self>, seen: &mut u64, gate: Arc<Barrier>) {
        gate.wait();
        *seen += 1;
    }
}

#[test]
fn try_send_on_a_full_queue_hands_the_message_back() {
    let runtime = Runtime::<Gate>::builder()
        .workers(1)
        .capacity(2)
        .batch(1)
        .build(|_| (Gate, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    let hold = Arc::new(Barrier::new(2));
    let pass = Arc::new(Barrier::new(1));
    // The worker takes the first and blocks in it; two more fill the ring.
    tx.send_to(0, Arc::clone(&hold)).unwrap();
    let mut queued = 0;
    while queued < 2 {
        match tx.try_send_to(0, Arc::clone(&pass)) {
            Ok(()) => queued += 1,
            Err(SendError::Full(_)) => thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    }
    // Now the ring holds two and the worker is inside the first: full.
    let mut full = None;
    for _ in 0..1000 {
        match tx.try_send_to(0, Arc::clone(&pass)) {
            Err(SendError::Full(m)) => {
                full = Some(m);
                break;
            }
            Ok(()) => queued += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let back = full.expect("a ring of 2 behind a blocked worker fills up");
    assert!(Arc::ptr_eq(&back, &pass), "the message itself comes back");
    assert!(runtime.stats(0).unwrap().full_events >= 1);
    hold.wait();
    let seen = runtime.shutdown().unwrap();
    assert_eq!(seen, [1 + queued]);
}

/// Counts messages.
struct Count;

impl Worker for Count {
    type Key = u64;
    type State = u64;
    type Message = u64;
    fn handle(&mut self, _: &mut Context<'_, Self>, n: &mut u64, _: u64) {
        *n += 1;
    }
}

#[test]
fn broadcast_reaches_every_worker_once_and_stats_add_up() {
    let runtime = Runtime::<Count>::builder()
        .workers(4)
        .partitioner(JumpHashPartitioner)
        .build(|_| (Count, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    for i in 0..100 {
        tx.send(&i, i).unwrap();
    }
    tx.broadcast(7).unwrap();
    // Wait until everything sent so far is handled, then read the stats.
    while runtime.total_stats().handled < 104 {
        thread::yield_now();
    }
    let total = runtime.total_stats();
    assert_eq!(total.received, 104);
    let per: Vec<_> = (0..4).map(|w| runtime.stats(w).unwrap()).collect();
    assert_eq!(per.iter().map(|s| s.handled).sum::<u64>(), 104);
    assert!(
        per.iter()
            .all(|s| s.batches >= 1 && s.batches <= s.received)
    );
    assert!(runtime.stats(4).is_none());
    let counts = runtime.shutdown().unwrap();
    assert_eq!(counts.iter().sum::<u64>(), 104);
    assert!(
        counts.iter().all(|&c| c >= 1),
        "broadcast reached every worker"
    );
}

#[test]
fn bad_configurations_are_typed_errors() {
    let err = |b: nanopath_shard::Builder<Count>| b.build(|_| (Count, 0)).unwrap_err();
    assert_eq!(err(Runtime::builder().workers(0)), BuildError::NoWorkers);
    assert_eq!(
        err(Runtime::builder().workers(1).capacity(0)),
        BuildError::ZeroCapacity
    );
    assert_eq!(
        err(Runtime::builder().workers(1).batch(0)),
        BuildError::ZeroBatch
    );
    let huge = err(Runtime::builder().workers(1).capacity(usize::MAX));
    assert!(matches!(huge, BuildError::Capacity(_)), "{huge:?}");
    if !cfg!(miri) {
        // The affinity mask, as the builder reads it.
        let cpus = core_affinity::get_core_ids().map_or(0, |ids| ids.len());
        let e = err(Runtime::builder().workers(cpus + 1).pin_workers(true));
        assert_eq!(
            e,
            BuildError::TooManyPinned {
                workers: cpus + 1,
                cpus
            }
        );
    }
}

#[test]
fn out_of_range_workers_hand_the_message_back() {
    let runtime = Runtime::<Count>::builder()
        .workers(2)
        .partitioner(|_: &u64, _: usize| 5)
        .build(|_| (Count, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    assert!(matches!(
        tx.send(&1, 9),
        Err(SendError::NoSuchWorker {
            worker: 5,
            workers: 2,
            message: 9
        })
    ));
    assert!(matches!(
        tx.send_to(2, 8),
        Err(SendError::NoSuchWorker {
            worker: 2,
            workers: 2,
            message: 8
        })
    ));
    assert_eq!(runtime.shutdown().unwrap(), [0, 0]);
}

#[test]
fn parked_workers_wake_for_every_send() {
    for (wait, fences) in [
        (WaitStrategy::park(), WakeFences::Asymmetric),
        (WaitStrategy::park(), WakeFences::Symmetric),
        (WaitStrategy::default(), WakeFences::Asymmetric),
        (WaitStrategy::default(), WakeFences::Symmetric),
        (WaitStrategy::busy_spin(), WakeFences::default()),
    ] {
        // Busy-spinning workers must not outnumber the cores, or the
        // sender waits for a time slice (this machine may have 2).
        let workers = if wait.park { 2 } else { 1 };
        // Capacity 2: senders park on full rings too, and the workers park
        // between most messages.
        let runtime = Runtime::<Count>::builder()
            .workers(workers)
            .capacity(2)
            .wait_strategy(wait)
            .wake_fences(fences)
            .build(|_| (Count, 0))
            .unwrap();
        let mut tx = runtime.handle().unwrap();
        let n = per_sender();
        for i in 0..n {
            tx.send(&i, i).unwrap();
        }
        while runtime.total_stats().handled < n {
            thread::yield_now();
        }
        assert_eq!(runtime.shutdown().unwrap().iter().sum::<u64>(), n);
    }
}

/// Waits until the runtime handled `n` messages; panics if that takes so
/// long that only a lost wake-up explains it (the messages would still be
/// handled by `shutdown`, which wakes everyone, so a lost wake-up must be
/// caught before it).
fn await_handled<W: Worker>(runtime: &Runtime<W>, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while runtime.total_stats().handled < n {
        assert!(
            std::time::Instant::now() < deadline,
            "lost wake-up: {} of {n} handled",
            runtime.total_stats().handled
        );
        thread::yield_now();
    }
}

/// The message that makes [`Gated`] wait for the next opening.
const GATE: u64 = u64::MAX;

/// Counts messages; at each [`GATE`] it waits until the gate was opened
/// once more, so a whole stream can be queued before it starts draining.
struct Gated(Arc<std::sync::atomic::AtomicU64>);

impl Worker for Gated {
    type Key = u64;
    type State = (u64, u64);
    type Message = u64;
    fn handle(&mut self, _: &mut Context<'_, Self>, (n, gates): &mut (u64, u64), msg: u64) {
        if msg == GATE {
            *gates += 1;
            while self.0.load(std::sync::atomic::Ordering::Acquire) < *gates {
                thread::yield_now();
            }
        }
        *n += 1;
    }
}

/// The default fences follow the load: a stream moves a worker to the
/// asymmetric pair, sends with pauses in between (a park after each) move
/// it back, twice over; no message waits for a wake-up that never comes,
/// in either mode or across the switches.
#[test]
fn adaptive_fences_follow_the_load_and_lose_no_wake_up() {
    // Under Miri the stream stays below the switching threshold: only the
    // switch to the symmetric pair runs.
    let (stream, sparse) = if cfg!(miri) { (20, 3) } else { (70_000, 50) };
    let gate = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let runtime = Runtime::<Gated>::builder()
        .workers(1)
        .capacity(1 << 17)
        .wait_strategy(WaitStrategy::park())
        .build(|_| (Gated(Arc::clone(&gate)), (0, 0)))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    let mut sent = 0;
    for _ in 0..2 {
        // The worker holds at the gate while the whole stream is queued,
        // then drains it without an empty round.
        tx.send(&0, GATE).unwrap();
        for i in 0..stream {
            tx.send(&i, i).unwrap();
        }
        sent += 1 + stream;
        gate.fetch_add(1, std::sync::atomic::Ordering::Release);
        await_handled(&runtime, sent);
        for i in 0..sparse {
            tx.send(&i, i).unwrap();
            sent += 1;
            await_handled(&runtime, sent);
        }
    }
    let stats = runtime.total_stats();
    assert!(stats.parks > 0, "the sparse sends found the worker parked");
    // To symmetric after the first sparse sends; then to asymmetric in the
    // second stream and back in the sparse sends after it (a first switch
    // to symmetric before the first stream is possible, not certain).
    let least = if cfg!(miri) { 1 } else { 3 };
    assert!(
        stats.fence_switches >= least,
        "{} fence switches",
        stats.fence_switches
    );
    assert_eq!(runtime.shutdown().unwrap(), [(sent, 2)]);
}

/// Blocks on its first message until told to die, then panics; ignores
/// the rest.
struct DiesOnCue(Arc<std::sync::atomic::AtomicBool>);

impl Worker for DiesOnCue {
    type Key = u64;
    type State = ();
    type Message = u64;
    fn handle(&mut self, _: &mut Context<'_, Self>, _: &mut (), msg: u64) {
        if msg == 0 {
            while !self.0.load(std::sync::atomic::Ordering::Acquire) {
                thread::yield_now();
            }
            panic!("told to die");
        }
    }
}

#[test]
fn a_send_racing_a_workers_death_gets_back_its_own_message() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let trials = if cfg!(miri) { 2 } else { 50 };
    for _ in 0..trials {
        let die = Arc::new(AtomicBool::new(false));
        let cue = Arc::clone(&die);
        let runtime = Runtime::<DiesOnCue>::builder()
            .workers(1)
            .capacity(1 << 12)
            .build(move |_| (DiesOnCue(Arc::clone(&cue)), ()))
            .unwrap();
        let mut tx = runtime.handle().unwrap();
        tx.send_to(0, 0).unwrap();
        // Queued behind the message the worker dies in: sent `Ok`, never
        // handled, counted as undelivered.
        for v in 1..=5 {
            tx.send_to(0, v).unwrap();
        }
        die.store(true, Ordering::Release);
        let mut v = 1000;
        let mut queued = 5;
        let back = loop {
            match tx.send_to(0, v) {
                Ok(()) => {
                    v += 1;
                    queued += 1;
                }
                Err(SendError::WorkerDead { worker: 0, message }) => break message,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(back, v, "the failed send hands back its own message");
        let err = runtime.shutdown().unwrap_err();
        // The message it died in, and every one sent `Ok` after it.
        assert_eq!(err.panics[0].undelivered, 1 + queued);
    }
}

/// Panics while building worker 1.
struct Flagged(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Flagged {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Worker for Flagged {
    type Key = ();
    type State = ();
    type Message = ();
    fn handle(&mut self, _: &mut Context<'_, Self>, _: &mut (), _: ()) {}
}

#[test]
fn a_panic_in_the_constructor_stops_the_workers_already_started() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dropped = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&dropped);
    let built = std::panic::catch_unwind(move || {
        Runtime::<Flagged>::builder()
            .workers(3)
            .build(|i| {
                assert!(i < 2, "no worker 2");
                (Flagged(Arc::clone(&flag)), ())
            })
            .map(drop)
    });
    assert!(built.is_err(), "the constructor's panic goes on");
    // Workers 0 and 1 were started, stopped and joined before the panic
    // went on: their workers are dropped by now.
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
}

/// Waits on a barrier for `Hold`, panics on `Boom`.
enum Step {
    Hold(Arc<Barrier>),
    Boom,
    Fine,
}

struct Stepper;

impl Worker for Stepper {
    type Key = ();
    type State = u64;
    type Message = Step;
    fn handle(&mut self, _: &mut Context<'_, Self>, fine: &mut u64, step: Step) {
        match step {
            Step::Hold(b) => {
                b.wait();
            }
            Step::Boom => panic!("boom"),
            Step::Fine => *fine += 1,
        }
    }
}

#[test]
fn undelivered_counts_the_whole_batch_that_panicked() {
    let runtime = Runtime::<Stepper>::builder()
        .workers(1)
        .build(|_| (Stepper, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    let hold = Arc::new(Barrier::new(2));
    tx.send_to(0, Step::Hold(Arc::clone(&hold))).unwrap();
    // Wait until the worker is inside `Hold`, so the next six are queued
    // together and taken as one batch.
    while runtime.stats(0).unwrap().received == 0 {
        thread::yield_now();
    }
    tx.send_to(0, Step::Boom).unwrap();
    for _ in 0..5 {
        tx.send_to(0, Step::Fine).unwrap();
    }
    hold.wait();
    let err = runtime.shutdown().unwrap_err();
    assert_eq!(err.panics[0].worker, 0);
    assert_eq!(err.panics[0].undelivered, 6, "Boom and the five behind it");
}

/// Bounces every message to the other worker for as long as the runtime
/// runs: without `is_stopping`, the final drain would never end.
struct Bounce;

impl Worker for Bounce {
    type Key = ();
    type State = u64;
    type Message = u64;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, seen: &mut u64, msg: u64) {
        *seen += 1;
        if !ctx.is_stopping() {
            let other = 1 - ctx.index();
            // Each side holds one message at a time: never full.
            ctx.try_send_to(other, msg).unwrap();
        }
    }
}

#[test]
fn workers_that_check_is_stopping_let_shutdown_finish() {
    let runtime = Runtime::<Bounce>::builder()
        .workers(2)
        .build(|_| (Bounce, 0))
        .unwrap();
    let mut tx = runtime.handle().unwrap();
    tx.send_to(0, 1).unwrap();
    while runtime.total_stats().handled < 10 {
        thread::yield_now();
    }
    let seen = runtime.shutdown().unwrap();
    assert!(seen.iter().sum::<u64>() >= 10);
}
