//! nanopath-queue head-to-head scenarios, shared by the criterion bench
//! (`benches/queue.rs`) and the A/B rounds binary (`src/bin/rounds.rs`). Every scenario moves u64 items; capacity
//! 1024 unless named otherwise. Times are per item (per round trip for the
//! ping-pong), measured from a barrier that releases every thread to the
//! moment the last item is received; every run checks that no item was lost
//! (order is checked where one consumer sees one producer).
//!
//! * `spsc_1p1c`: one producer thread, one consumer thread, one item at a
//!   time. nanopath `spsc` vs rtrb and ringbuf.
//! * `spsc_chunks_64`: the same traffic in chunks of 64 through the
//!   zero-copy chunk APIs. nanopath vs rtrb.
//! * `spsc_pingpong`: round-trip latency over two queues (lower is better).
//!   nanopath vs rtrb.
//! * `mpmc_1p1c`: bounded MPMC queues, nanopath `mpmc::Queue` vs
//!   crossbeam-queue's `ArrayQueue`, one producer thread and one consumer.
//! * `mpmc_2threads`: two threads on one queue, each pushing its own items
//!   and popping one item after every push (so both contend on both ends),
//!   as many busy threads as a 2-core machine has cores.
//! * `mpmc_2p2c_oversubscribed`: two producers and two consumers, four busy
//!   threads. On a machine with fewer than four cores this measures the
//!   scheduler as much as the queue (threads yield on failure there); it is
//!   kept as a robustness case, without a target.
//! * `mpmc_uncontended`: push then pop on one thread.
//! * `mpsc_2p1c`: two producers, one consumer. nanopath's unbounded and
//!   bounded MPSC queues vs crossbeam-queue's `SegQueue` and
//!   `std::sync::mpsc::channel` (`try_recv` polling).
//! * `channel_pingpong`: blocking round trips over two channels of 16 with
//!   the default waiting (spin, yield, park), nanopath `channel::spsc` vs
//!   crossbeam-channel: the latency side of the blocking layer.
//! * `channel_1p1c`: blocking `send`/`recv` on bounded channels, nanopath
//!   `channel::{spsc, mpsc, mpmc}` vs crossbeam-channel, flume (default
//!   features off) and `std::sync::mpsc::sync_channel`, all with their
//!   default waiting; also `channel::spsc` with `WaitStrategy::busy_spin()`
//!   (`nanopath_channel_spsc_busy_spin`: never parks, so no fence per
//!   operation; crossbeam-channel has no such mode).
//!
//! On failure (full or empty) a thread spins when every thread has a core
//! and yields when there are more threads than cores, the same for every
//! implementation in a scenario.

use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Capacity of every queue unless a scenario says otherwise.
pub const CAPACITY: usize = 1024;
/// Items per chunk in the chunk scenarios.
pub const CHUNK: usize = 64;

/// Runs `produce` on a second thread and `consume` here, both released by
/// one barrier; returns the consumer's time.
pub fn one_to_one(produce: impl FnOnce() + Send, consume: impl FnOnce()) -> Duration {
    let barrier = &Barrier::new(2);
    std::thread::scope(|s| {
        // `move`: the producer's state lives in the spawned thread's
        // closure, not in a stack frame next to the consumer's.
        s.spawn(move || {
            barrier.wait();
            produce();
        });
        barrier.wait();
        let start = Instant::now();
        consume();
        start.elapsed()
    })
}

/// Defines `$chunks(n)` for one SPSC implementation: move `n` u64s from
/// a producer thread to the consumer in chunks of [`CHUNK`] through the
/// zero-copy chunk APIs, asserting order on every item (the two crates
/// spell these APIs the same way).
macro_rules! spsc_chunks {
    ($chunks:ident, $name:literal, new: $new:expr $(,)?) => {
        /// `n` items in chunks of [`CHUNK`], order checked; the consumer's time.
        pub fn $chunks(n: u64) -> Duration {
            let (mut tx, mut rx) = $new;
            one_to_one(
                move || {
                    let mut next = 0;
                    while next < n {
                        let want = CHUNK.min((n - next) as usize);
                        if let Ok(chunk) = tx.write_chunk_uninit(want) {
                            next += chunk.fill_from_iter(next..) as u64;
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                },
                || {
                    let mut expected = 0;
                    while expected < n {
                        let want = CHUNK.min((n - expected) as usize);
                        if let Ok(chunk) = rx.read_chunk(want) {
                            let (a, b) = chunk.as_slices();
                            for &v in a.iter().chain(b) {
                                assert_eq!(
                                    v, expected,
                                    concat!($name, " chunk lost or reordered an item")
                                );
                                expected += 1;
                            }
                            chunk.commit_all();
                        }
                    }
                },
            )
        }
    };
}

spsc_chunks!(nanopath_chunks, "nanopath spsc", new: nanopath_queue::spsc::ring::<u64>(CAPACITY));
spsc_chunks!(rtrb_chunks, "rtrb", new: rtrb::RingBuffer::<u64>::new(CAPACITY));

/// Spins or yields after a failed push or pop (see the module docs).
#[inline]
pub fn back_off(yield_now: bool) {
    if yield_now {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// Whether `threads` busy threads outnumber this machine's cores.
pub fn oversubscribed(threads: usize) -> bool {
    threads > std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One SPSC implementation's two halves, spelled the same way.
pub trait SpscPair: Send {
    /// The producing half.
    type Tx: Send;
    /// The consuming half.
    type Rx: Send;
    /// A queue of `capacity` items.
    fn new(capacity: usize) -> (Self::Tx, Self::Rx);
    /// One push; the value back when full.
    fn push(tx: &mut Self::Tx, v: u64) -> Result<(), u64>;
    /// One pop; `None` when empty.
    fn pop(rx: &mut Self::Rx) -> Option<u64>;
}

/// nanopath's `spsc::ring`.
#[derive(Debug)]
pub struct Nanopath;
/// rtrb's `RingBuffer`.
#[derive(Debug)]
pub struct Rtrb;
/// ringbuf's `HeapRb`.
#[derive(Debug)]
pub struct Ringbuf;

impl SpscPair for Nanopath {
    type Tx = nanopath_queue::spsc::Producer<u64>;
    type Rx = nanopath_queue::spsc::Consumer<u64>;
    fn new(capacity: usize) -> (Self::Tx, Self::Rx) {
        nanopath_queue::spsc::ring(capacity)
    }
    #[inline]
    fn push(tx: &mut Self::Tx, v: u64) -> Result<(), u64> {
        tx.push(v).map_err(|e| e.0)
    }
    #[inline]
    fn pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

impl SpscPair for Rtrb {
    type Tx = rtrb::Producer<u64>;
    type Rx = rtrb::Consumer<u64>;
    fn new(capacity: usize) -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(capacity)
    }
    #[inline]
    fn push(tx: &mut Self::Tx, v: u64) -> Result<(), u64> {
        tx.push(v).map_err(|rtrb::PushError::Full(v)| v)
    }
    #[inline]
    fn pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop().ok()
    }
}

impl SpscPair for Ringbuf {
    type Tx = ringbuf::HeapProd<u64>;
    type Rx = ringbuf::HeapCons<u64>;
    fn new(capacity: usize) -> (Self::Tx, Self::Rx) {
        use ringbuf::traits::Split;
        ringbuf::HeapRb::new(capacity).split()
    }
    #[inline]
    fn push(tx: &mut Self::Tx, v: u64) -> Result<(), u64> {
        use ringbuf::traits::Producer;
        tx.try_push(v)
    }
    #[inline]
    fn pop(rx: &mut Self::Rx) -> Option<u64> {
        use ringbuf::traits::Consumer;
        rx.try_pop()
    }
}

/// `n` items one at a time from a producer thread to the consumer, in
/// order.
pub fn spsc_items<Q: SpscPair>(n: u64) -> Duration {
    let (mut tx, mut rx) = Q::new(CAPACITY);
    one_to_one(
        move || {
            for i in 0..n {
                let mut v = i;
                while let Err(back) = Q::push(&mut tx, v) {
                    v = back;
                    std::hint::spin_loop();
                }
            }
        },
        || {
            let mut expected = 0;
            while expected < n {
                if let Some(v) = Q::pop(&mut rx) {
                    assert_eq!(v, expected, "lost or reordered an item");
                    expected += 1;
                }
            }
        },
    )
}

/// `n` round trips: this thread sends `i` over one queue, an echo thread
/// sends it back over another, and this thread waits for it.
pub fn spsc_pingpong<Q: SpscPair>(n: u64) -> Duration {
    let (mut ping_tx, mut ping_rx) = Q::new(CAPACITY);
    let (mut pong_tx, mut pong_rx) = Q::new(CAPACITY);
    one_to_one(
        move || {
            for _ in 0..n {
                let v = loop {
                    if let Some(v) = Q::pop(&mut ping_rx) {
                        break v;
                    }
                    std::hint::spin_loop();
                };
                assert!(Q::push(&mut pong_tx, v).is_ok(), "pong queue full");
            }
        },
        || {
            for i in 0..n {
                assert!(Q::push(&mut ping_tx, i).is_ok(), "ping queue full");
                let back = loop {
                    if let Some(v) = Q::pop(&mut pong_rx) {
                        break v;
                    }
                    std::hint::spin_loop();
                };
                assert_eq!(back, i, "ping-pong lost an item");
            }
        },
    )
}

/// Moves `per_producer` items from each producer closure to the consumer
/// closures (each called on its own thread); returns the time until the
/// last item is received and asserts that every item arrived exactly once
/// (by count and by sum).
pub fn transfer<P, C>(producers: Vec<P>, consumers: Vec<C>, per_producer: u64) -> Duration
where
    P: FnMut(u64) + Send,
    C: FnMut() -> Option<u64> + Send,
{
    let total = producers.len() as u64 * per_producer;
    let threads = producers.len() + consumers.len();
    let barrier = Barrier::new(threads + 1);
    let received = AtomicU64::new(0);
    let sum = AtomicU64::new(0);
    let yield_now = oversubscribed(threads);
    let elapsed = std::thread::scope(|s| {
        let mut starts = Vec::new();
        for (p, mut push) in producers.into_iter().enumerate() {
            let barrier = &barrier;
            starts.push(s.spawn(move || {
                barrier.wait();
                let start = Instant::now();
                let base = p as u64 * per_producer;
                for i in 0..per_producer {
                    push(base + i);
                }
                start
            }));
        }
        let done: Vec<_> = consumers
            .into_iter()
            .map(|mut pop| {
                let (barrier, received, sum) = (&barrier, &received, &sum);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let (mut count, mut local_sum) = (0u64, 0u64);
                    // Relaxed: a progress counter, flushed every 1024 items
                    // and whenever the queue looks empty.
                    let flush = |count: &mut u64, local_sum: &mut u64| {
                        if *count > 0 {
                            received.fetch_add(*count, Ordering::Relaxed);
                            sum.fetch_add(*local_sum, Ordering::Relaxed);
                            (*count, *local_sum) = (0, 0);
                        }
                    };
                    loop {
                        match pop() {
                            Some(v) => {
                                count += 1;
                                local_sum = local_sum.wrapping_add(v);
                                if count == 1024 {
                                    flush(&mut count, &mut local_sum);
                                }
                            }
                            None => {
                                flush(&mut count, &mut local_sum);
                                if received.load(Ordering::Relaxed) >= total {
                                    return (start, Instant::now());
                                }
                                back_off(yield_now);
                            }
                        }
                    }
                })
            })
            .collect();
        barrier.wait();
        // Timed by the worker threads themselves, from the first one's
        // start to the last consumer's end: this thread may be descheduled
        // at any point without the run looking shorter or longer.
        let (mut first, mut last) = (None::<Instant>, None::<Instant>);
        for h in done {
            let (start, end) = h.join().expect("consumer panicked");
            first = Some(first.map_or(start, |f| f.min(start)));
            last = Some(last.map_or(end, |l| l.max(end)));
        }
        for h in starts {
            let start = h.join().expect("producer panicked");
            first = Some(first.map_or(start, |f| f.min(start)));
        }
        match (first, last) {
            (Some(first), Some(last)) => last.duration_since(first),
            _ => Duration::ZERO,
        }
    });
    assert_eq!(
        received.load(Ordering::Relaxed),
        total,
        "lost or duplicated items"
    );
    let expected: u64 = (0..total).sum();
    assert_eq!(sum.load(Ordering::Relaxed), expected, "wrong items");
    elapsed
}

/// A producer closure that retries a `&`-method push until it succeeds.
macro_rules! pusher {
    ($q:expr, $yield_now:expr) => {{
        let q = $q;
        let yield_now = $yield_now;
        move |mut v: u64| {
            while let Err(back) = q.push(v) {
                v = back.into_inner();
                back_off(yield_now);
            }
        }
    }};
}

/// `ArrayQueue::push` returns the value directly; give it `into_inner`.
pub trait IntoInner {
    /// The rejected value.
    fn into_inner(self) -> u64;
}
impl IntoInner for u64 {
    fn into_inner(self) -> u64 {
        self
    }
}

/// `n` items through nanopath's `mpmc::Queue` by `producers` and `consumers` threads.
pub fn mpmc_transfer_nanopath(producers: usize, consumers: usize, n: u64) -> Duration {
    let q = nanopath_queue::mpmc::Queue::<u64>::new(CAPACITY);
    let y = oversubscribed(producers + consumers);
    transfer(
        (0..producers).map(|_| pusher!(&q, y)).collect(),
        (0..consumers).map(|_| || q.pop()).collect(),
        n / producers as u64,
    )
}

/// `n` items through crossbeam's `ArrayQueue` by `producers` and `consumers` threads.
pub fn mpmc_transfer_arrayqueue(producers: usize, consumers: usize, n: u64) -> Duration {
    let q = crossbeam_queue::ArrayQueue::<u64>::new(CAPACITY);
    let y = oversubscribed(producers + consumers);
    transfer(
        (0..producers).map(|_| pusher!(&q, y)).collect(),
        (0..consumers).map(|_| || q.pop()).collect(),
        n / producers as u64,
    )
}

/// Two threads on one queue, released together: each pushes
/// `per_thread` items of its own and pops one item after every push. A pop
/// always has an item to find (each thread has pushed at least as many as
/// it popped), so a failed pop only means a push in flight and is retried.
/// Returns the time until both finish; asserts that every item was popped
/// exactly once (by count and by sum).
pub fn push_pop_2threads(
    push: impl Fn(u64) -> bool + Sync,
    pop: impl Fn() -> Option<u64> + Sync,
    per_thread: u64,
) -> Duration {
    let barrier = Barrier::new(2);
    let (push, pop) = (&push, &pop);
    let run = |base: u64| {
        barrier.wait();
        let start = Instant::now();
        let (mut count, mut sum) = (0u64, 0u64);
        for i in 0..per_thread {
            while !push(base + i) {
                std::hint::spin_loop();
            }
            let v = loop {
                if let Some(v) = pop() {
                    break v;
                }
                std::hint::spin_loop();
            };
            count += 1;
            sum = sum.wrapping_add(v);
        }
        (start, Instant::now(), count, sum)
    };
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| run(per_thread));
        let mine = run(0);
        (mine, other.join().expect("second thread panicked"))
    });
    assert_eq!(a.2 + b.2, 2 * per_thread, "lost or duplicated items");
    let expected: u64 = (0..2 * per_thread).sum();
    assert_eq!(a.3.wrapping_add(b.3), expected, "wrong items");
    a.1.max(b.1).duration_since(a.0.min(b.0))
}

/// `mpmc_2threads` on nanopath's `mpmc::Queue`: `n` items in all.
pub fn mpmc_2threads_nanopath(n: u64) -> Duration {
    let q = nanopath_queue::mpmc::Queue::<u64>::new(CAPACITY);
    push_pop_2threads(|v| q.push(v).is_ok(), || q.pop(), n / 2)
}

/// `mpmc_2threads` on crossbeam's `ArrayQueue`: `n` items in all.
pub fn mpmc_2threads_arrayqueue(n: u64) -> Duration {
    let q = crossbeam_queue::ArrayQueue::<u64>::new(CAPACITY);
    push_pop_2threads(|v| q.push(v).is_ok(), || q.pop(), n / 2)
}

/// `mpsc_2p1c` on nanopath's unbounded MPSC queue.
pub fn mpsc_nanopath_unbounded(n: u64) -> Duration {
    let (tx, mut rx) = nanopath_queue::mpsc::unbounded::<u64>();
    let producers = vec![tx.clone(), tx];
    transfer(
        producers
            .into_iter()
            .map(|tx| move |v| tx.push(v))
            .collect(),
        vec![move || rx.pop()],
        n / 2,
    )
}

/// `mpsc_2p1c` on nanopath's bounded MPSC queue.
pub fn mpsc_nanopath_bounded(n: u64) -> Duration {
    let (tx, mut rx) = nanopath_queue::mpsc::bounded::<u64>(CAPACITY);
    let y = oversubscribed(3);
    transfer(
        [tx.clone(), tx]
            .into_iter()
            .map(|tx| pusher!(tx, y))
            .collect(),
        vec![move || rx.pop()],
        n / 2,
    )
}

/// `mpsc_2p1c` on crossbeam's `SegQueue`.
pub fn mpsc_segqueue(n: u64) -> Duration {
    let q = crossbeam_queue::SegQueue::<u64>::new();
    transfer(
        (0..2).map(|_| |v| q.push(v)).collect(),
        vec![|| q.pop()],
        n / 2,
    )
}

/// `mpsc_2p1c` on `std::sync::mpsc::channel`, `try_recv` polling.
pub fn mpsc_std(n: u64) -> Duration {
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let producers = vec![tx.clone(), tx];
    transfer(
        producers
            .into_iter()
            .map(|tx| move |v| tx.send(v).expect("receiver alive"))
            .collect(),
        vec![move || rx.try_recv().ok()],
        n / 2,
    )
}

/// Blocking 1P1C: the producer `send`s `n` items and drops its sender; the
/// consumer `recv`s until disconnection, checking order.
macro_rules! blocking_1p1c {
    ($name:ident, $new:expr, $recv:ident) => {
        /// `n` items by blocking `send`/`recv`, order checked; the consumer's time.
        pub fn $name(n: u64) -> Duration {
            let (tx, rx) = $new;
            one_to_one(
                move || {
                    for i in 0..n {
                        tx.send(i).expect("receiver alive");
                    }
                },
                || {
                    let mut expected = 0;
                    while let Ok(v) = rx.$recv() {
                        assert_eq!(v, expected, "lost or reordered an item");
                        expected += 1;
                    }
                    assert_eq!(expected, n, "lost items");
                },
            )
        }
    };
}

blocking_1p1c!(
    channel_nanopath_spsc,
    nanopath_queue::channel::spsc::<u64>(CAPACITY),
    recv
);
blocking_1p1c!(
    channel_nanopath_spsc_busy_spin,
    nanopath_queue::channel::spsc_with::<u64>(
        CAPACITY,
        nanopath_queue::channel::WaitStrategy::busy_spin()
    ),
    recv
);
blocking_1p1c!(
    channel_nanopath_mpsc,
    nanopath_queue::channel::mpsc::<u64>(CAPACITY),
    recv
);
blocking_1p1c!(
    channel_nanopath_mpmc,
    nanopath_queue::channel::mpmc::<u64>(CAPACITY),
    recv
);
blocking_1p1c!(
    channel_crossbeam,
    crossbeam_channel::bounded::<u64>(CAPACITY),
    recv
);
blocking_1p1c!(channel_flume, flume::bounded::<u64>(CAPACITY), recv);
blocking_1p1c!(
    channel_std,
    std::sync::mpsc::sync_channel::<u64>(CAPACITY),
    recv
);

/// Blocking round trips: this thread `send`s `i` over one channel, an echo
/// thread `recv`s it and sends it back over another, and this thread
/// `recv`s it; both use the channels' default waiting (spin, yield, park),
/// so a side that waits long enough parks and is woken.
macro_rules! blocking_pingpong {
    ($name:ident, $new:expr) => {
        /// `n` blocking round trips, each checked; this thread's time.
        pub fn $name(n: u64) -> Duration {
            let (ping_tx, ping_rx) = $new;
            let (pong_tx, pong_rx) = $new;
            one_to_one(
                move || {
                    while let Ok(v) = ping_rx.recv() {
                        if pong_tx.send(v).is_err() {
                            break;
                        }
                    }
                },
                move || {
                    for i in 0..n {
                        ping_tx.send(i).expect("echo alive");
                        assert_eq!(
                            pong_rx.recv().expect("echo alive"),
                            i,
                            "ping-pong lost an item"
                        );
                    }
                    // Dropping `ping_tx` here ends the echo thread.
                },
            )
        }
    };
}

blocking_pingpong!(
    channel_pingpong_nanopath_spsc,
    nanopath_queue::channel::spsc::<u64>(16)
);
blocking_pingpong!(
    channel_pingpong_crossbeam,
    crossbeam_channel::bounded::<u64>(16)
);

/// `n` push+pop pairs on one thread through nanopath's `mpmc::Queue`.
pub fn uncontended_nanopath(n: u64) -> Duration {
    let q = nanopath_queue::mpmc::Queue::<u64>::new(CAPACITY);
    let start = Instant::now();
    for i in 0..n {
        q.push(black_box(i)).expect("room");
        black_box(q.pop());
    }
    start.elapsed()
}

/// `n` push+pop pairs on one thread through crossbeam's `ArrayQueue`.
pub fn uncontended_arrayqueue(n: u64) -> Duration {
    let q = crossbeam_queue::ArrayQueue::<u64>::new(CAPACITY);
    let start = Instant::now();
    for i in 0..n {
        q.push(black_box(i)).expect("room");
        black_box(q.pop());
    }
    start.elapsed()
}
