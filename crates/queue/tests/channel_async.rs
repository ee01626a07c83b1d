//! The channels from async code: tasks on tokio's current-thread and
//! multi-thread runtimes, sync threads and tasks on one channel in both
//! directions, cancellation (a dropped future loses no item and passes its
//! wake-up on), disconnection waking tasks, `Stream` and `Sink`, and the
//! statistics. The `handoff_*` tests use a small thread-parking executor
//! instead of tokio, so Miri runs them over many seeds.

#![cfg(not(nanopath_loom))]

use futures_util::{SinkExt, StreamExt};
use nanopath_queue::channel::{
    self, Mpmc, Mpsc, RecvError, SendError, Spsc, TryRecvError, WaitStrategy,
};
use nanopath_testkit::Counted;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

fn items() -> u64 {
    if cfg!(miri) { 20 } else { 20_000 }
}

/// A waker that unparks the thread that made it.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `fut` on this thread, parking between polls. A lost wake-up hangs
/// (Miri reports it as a deadlock); natively a 30 s park without a wake-up
/// fails the test.
fn block_on<T>(fut: impl Future<Output = T>) -> T {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        let before = std::time::Instant::now();
        std::thread::park_timeout(Duration::from_secs(30));
        assert!(
            cfg!(miri) || before.elapsed() < Duration::from_secs(30),
            "no wake-up within 30 s"
        );
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Counting>, Waker) {
    let c = Arc::new(Counting::default());
    (c.clone(), Waker::from(c))
}

fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// The tests every flavor gets; `$tx_mut`/`$rx_mut` are `mut` where the
/// flavor's async methods take `&mut self`.
macro_rules! every_flavor {
    ($name:ident, $flavor:ty, $ctor:path, [$($tx_mut:tt)?], [$($rx_mut:tt)?]) => {
        mod $name {
            use super::*;

            fn make<T>(capacity: usize) -> (channel::Sender<T, $flavor>, channel::Receiver<T, $flavor>) {
                $ctor(capacity)
            }

            /// One producer task and one consumer task on one thread, with
            /// a capacity of 2: each waits for the other all the time
            /// (with blocking calls this deadlocks a current-thread
            /// runtime).
            #[test]
            #[cfg_attr(miri, ignore = "tokio under Miri is slow; see handoff_*")]
            fn producer_and_consumer_tasks_on_a_current_thread_runtime() {
                let ($($tx_mut)? tx, $($rx_mut)? rx) = make(2);
                let n = items();
                let got = current_thread().block_on(async move {
                    let producer = tokio::spawn(async move {
                        for i in 0..n {
                            tx.send_async(i).await.unwrap();
                        }
                    });
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv_async().await {
                        got.push(v);
                    }
                    producer.await.unwrap();
                    got
                });
                assert_eq!(got, (0..n).collect::<Vec<_>>());
            }

            /// The same across a multi-thread runtime's workers; the
            /// futures are `Send`, so the tasks can be spawned.
            #[test]
            #[cfg_attr(miri, ignore = "tokio under Miri is slow; see handoff_*")]
            fn tasks_on_a_multi_thread_runtime() {
                let ($($tx_mut)? tx, $($rx_mut)? rx) = make(4);
                let n = items();
                let (sum, count) = multi_thread().block_on(async move {
                    let producer = tokio::spawn(async move {
                        for i in 0..n {
                            tx.send_async(i).await.unwrap();
                        }
                    });
                    let consumer = tokio::spawn(async move {
                        let mut batch = Vec::with_capacity(16);
                        let (mut sum, mut count) = (0, 0);
                        while let Ok(k) = rx.recv_many_async(&mut batch, 16).await {
                            assert!((1..=16).contains(&k));
                            count += k as u64;
                            sum += batch.drain(..).sum::<u64>();
                        }
                        (sum, count)
                    });
                    producer.await.unwrap();
                    consumer.await.unwrap()
                });
                assert_eq!((sum, count), ((0..n).sum(), n));
            }

            /// A sync producer thread (parking as soon as the channel is
            /// full) feeds a task, then a task feeds a sync consumer thread.
            #[test]
            fn handoff_sync_thread_and_task_both_directions() {
                let n = items();
                let (tx, $($rx_mut)? rx) =
                    channel::try_with::<u64, $flavor>(1, WaitStrategy::park()).unwrap();
                let producer = std::thread::spawn(move || (0..n).for_each(|i| tx.send(i).unwrap()));
                let got = block_on(async {
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv_async().await {
                        got.push(v);
                    }
                    got
                });
                producer.join().unwrap();
                assert_eq!(got, (0..n).collect::<Vec<_>>());

                let ($($tx_mut)? tx, rx) =
                    channel::try_with::<u64, $flavor>(1, WaitStrategy::park()).unwrap();
                let consumer = std::thread::spawn(move || rx.iter().collect::<Vec<_>>());
                block_on(async {
                    for i in 0..n {
                        tx.send_async(i).await.unwrap();
                    }
                });
                drop(tx);
                assert_eq!(consumer.join().unwrap(), (0..n).collect::<Vec<_>>());
            }

            /// Tasks on both sides, each on its own thread.
            #[test]
            fn handoff_task_to_task_across_threads() {
                let n = items();
                let ($($tx_mut)? tx, $($rx_mut)? rx) = make(1);
                let producer = std::thread::spawn(move || {
                    block_on(async {
                        for i in 0..n {
                            tx.send_async(i).await.unwrap();
                        }
                    })
                });
                let sum = block_on(async {
                    let mut sum = 0;
                    while let Ok(v) = rx.recv_async().await {
                        sum += v;
                    }
                    sum
                });
                producer.join().unwrap();
                assert_eq!(sum, (0..n).sum::<u64>());
            }

            /// A `recv_async` dropped in a `select!` against a short
            /// timer loses nothing: every item arrives once, in order.
            #[test]
            #[cfg_attr(miri, ignore = "tokio under Miri is slow; see handoff_*")]
            fn recv_cancelled_by_a_timer_loses_nothing() {
                let ($($tx_mut)? tx, $($rx_mut)? rx) = make(2);
                let n = if cfg!(miri) { 10 } else { 500 };
                let (got, timeouts) = current_thread().block_on(async move {
                    let producer = tokio::spawn(async move {
                        for i in 0..n {
                            if i % 7 == 0 {
                                tokio::time::sleep(Duration::from_micros(300)).await;
                            }
                            tx.send_async(i).await.unwrap();
                        }
                    });
                    let (mut got, mut timeouts) = (Vec::new(), 0);
                    loop {
                        tokio::select! {
                            v = rx.recv_async() => match v {
                                Ok(v) => got.push(v),
                                Err(RecvError) => break,
                            },
                            () = tokio::time::sleep(Duration::from_micros(50)) => timeouts += 1,
                        }
                    }
                    producer.await.unwrap();
                    (got, timeouts)
                });
                assert_eq!(got, (0..n).collect::<Vec<_>>());
                // The timer fired at least once while the producer slept.
                assert!(timeouts > 0);
            }

            /// A send that cannot complete hands its value back with
            /// `cancel`, or drops it with the future; a sent one stays.
            #[test]
            fn cancelled_sends_return_or_drop_their_value() {
                let drops = Arc::new(AtomicUsize::new(0));
                let ($($tx_mut)? tx, $($rx_mut)? rx) = make(1);
                let (_, waker) = counting();
                let mut first = tx.send_async(Counted::new(1, &drops));
                assert!(poll_once(&mut first, &waker).is_ready());
                drop(first);
                let mut second = tx.send_async(Counted::new(2, &drops));
                assert!(poll_once(&mut second, &waker).is_pending());
                let back = second.cancel().expect("not sent");
                assert_eq!(back.value, 2);
                drop(back);
                assert_eq!(drops.load(Ordering::SeqCst), 1);
                let mut third = tx.send_async(Counted::new(3, &drops));
                assert!(poll_once(&mut third, &waker).is_pending());
                drop(third);
                assert_eq!(drops.load(Ordering::SeqCst), 2, "dropped with its future");
                let mut recv = rx.recv_async();
                match poll_once(&mut recv, &waker) {
                    Poll::Ready(Ok(v)) => assert_eq!(v.value, 1),
                    other => panic!("expected the sent item, got {:?}", other.map(|r| r.map(|v| v.value))),
                }
                drop(recv);
                drop(tx);
                assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
                assert_eq!(drops.load(Ordering::SeqCst), 3);
            }

            /// The last sender's drop wakes a pending receive, which then
            /// reports the disconnection; the last receiver's drop wakes a
            /// pending send, which hands its value back.
            #[test]
            fn disconnection_wakes_pending_tasks() {
                let (tx, $($rx_mut)? rx) = make::<u8>(1);
                let (count, waker) = counting();
                let mut recv = rx.recv_async();
                assert!(poll_once(&mut recv, &waker).is_pending());
                drop(tx);
                assert_eq!(count.0.load(Ordering::SeqCst), 1);
                assert_eq!(poll_once(&mut recv, &waker), Poll::Ready(Err(RecvError)));

                let ($($tx_mut)? tx, rx) = make::<u8>(1);
                tx.try_send(1).unwrap();
                let (count, waker) = counting();
                let mut send = tx.send_async(2);
                assert!(poll_once(&mut send, &waker).is_pending());
                drop(rx);
                assert_eq!(count.0.load(Ordering::SeqCst), 1);
                assert_eq!(poll_once(&mut send, &waker), Poll::Ready(Err(SendError(2))));
            }

            /// A future polled again with another waker wakes the newer
            /// one; a spurious poll re-registers nothing and returns
            /// pending; `empty_on_recv` counts one wait, not each poll.
            #[test]
            fn repolls_keep_one_registration_with_the_newest_waker() {
                let (tx, $($rx_mut)? rx) = make::<u8>(1);
                let (old_count, old) = counting();
                let (new_count, new) = counting();
                let mut recv = rx.recv_async();
                assert!(poll_once(&mut recv, &old).is_pending());
                assert!(poll_once(&mut recv, &old).is_pending());
                assert!(poll_once(&mut recv, &new).is_pending());
                tx.try_send(5).unwrap();
                assert_eq!(old_count.0.load(Ordering::SeqCst), 0);
                assert_eq!(new_count.0.load(Ordering::SeqCst), 1);
                assert_eq!(poll_once(&mut recv, &new), Poll::Ready(Ok(5)));
                drop(recv);
                assert_eq!(rx.stats().empty_on_recv, 1);
            }

            /// `Stream` and `Sink`: a stream forwarded into a sink of
            /// another channel, everything arriving in order; the stream
            /// ends at disconnection and stays ended.
            #[test]
            #[cfg_attr(miri, ignore = "tokio under Miri is slow; see handoff_*")]
            fn stream_forwards_into_sink() {
                let (tx_a, rx_a) = make::<u64>(2);
                let (tx_b, rx_b) = make::<u64>(2);
                let n = if cfg!(miri) { 10 } else { 1000 };
                let got = current_thread().block_on(async move {
                    let feed = tokio::spawn(async move {
                        let mut sink = tx_a.into_sink();
                        for i in 0..n {
                            sink.send(i).await.unwrap();
                        }
                        sink.close().await.unwrap();
                    });
                    let forward = tokio::spawn(async move {
                        let mut sink = tx_b.into_sink();
                        let mut stream = rx_a.into_stream().map(Ok);
                        sink.send_all(&mut stream).await.unwrap();
                    });
                    let mut out = rx_b.into_stream();
                    let mut got = Vec::new();
                    while let Some(v) = out.next().await {
                        got.push(v);
                    }
                    assert!(futures_util::stream::FusedStream::is_terminated(&out));
                    assert_eq!(out.next().await, None);
                    feed.await.unwrap();
                    forward.await.unwrap();
                    got
                });
                assert_eq!(got, (0..n).collect::<Vec<_>>());
            }

            /// A sink whose receiver is gone hands the held item back.
            #[test]
            fn sink_hands_back_its_item_when_disconnected() {
                let (tx, rx) = make::<u8>(1);
                let mut sink = tx.into_sink();
                let (_, waker) = counting();
                let mut cx = Context::from_waker(&waker);
                assert_eq!(sink.start_send_item(1), Ok(()));
                assert_eq!(sink.start_send_item(2), Ok(())); // held: full
                assert_eq!(sink.start_send_item(3), Err(SendError(3)), "one held at most");
                assert!(sink.poll_flush_item(&mut cx).is_pending());
                drop(rx);
                assert_eq!(sink.poll_flush_item(&mut cx), Poll::Ready(Err(SendError(2))));
                assert_eq!(sink.poll_flush_item(&mut cx), Poll::Ready(Ok(())));
                assert_eq!(sink.sender().unwrap().stats().full_on_send, 1);
            }
        }
    };
}

every_flavor!(spsc, Spsc, channel::spsc, [mut], [mut]);
every_flavor!(mpsc, Mpsc, channel::mpsc, [], [mut]);
every_flavor!(mpmc, Mpmc, channel::mpmc, [], []);

/// Every future and adapter can go to `tokio::spawn` on every flavor.
#[test]
fn futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let (mut tx, mut rx) = channel::spsc::<u8>(1);
    send(&tx.send_async(1));
    send(&rx.recv_async());
    let mut out = Vec::new();
    send(&rx.recv_many_async(&mut out, 1));
    let (tx2, mut rx2) = channel::mpsc::<u8>(1);
    send(&tx2.send_async(1));
    send(&rx2.recv_async());
    let (tx3, rx3) = channel::mpmc::<u8>(1);
    send(&tx3.send_async(1));
    send(&rx3.recv_async());
    send(&tx3.into_sink());
    send(&rx3.into_stream());
    send(&tx.into_sink());
    send(&rx.into_stream());
}

/// Many producer tasks and many consumer tasks share one MPMC channel
/// through `&self` (cloned handles and an `Arc`'d receiver).
#[test]
#[cfg_attr(miri, ignore = "tokio under Miri is slow; see handoff_*")]
fn many_tasks_share_an_mpmc_channel() {
    let (tx, rx) = channel::mpmc::<u64>(8);
    let rx = Arc::new(rx);
    let per = items() / 4;
    let total: u64 = multi_thread().block_on(async move {
        let producers: Vec<_> = (0..4)
            .map(|p| {
                let tx = tx.clone();
                tokio::spawn(async move {
                    for i in 0..per {
                        tx.send_async(p * per + i).await.unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                tokio::spawn(async move {
                    let mut sum = 0;
                    while let Ok(v) = rx.recv_async().await {
                        sum += v;
                    }
                    sum
                })
            })
            .collect();
        for p in producers {
            p.await.unwrap();
        }
        let mut total = 0;
        for c in consumers {
            total += c.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..4 * per).sum::<u64>());
}

/// Two tasks wait on one MPMC channel; the one woken for the single item
/// is dropped without taking it: its wake-up passes on, and the other
/// task takes the item.
#[test]
fn a_dropped_receive_passes_its_wake_up_on() {
    let (tx, rx) = channel::mpmc::<u8>(1);
    let (a_count, a) = counting();
    let (b_count, b) = counting();
    let mut first = rx.recv_async();
    let mut second = rx.recv_async();
    assert!(poll_once(&mut first, &a).is_pending());
    assert!(poll_once(&mut second, &b).is_pending());
    tx.try_send(9).unwrap();
    assert_eq!(
        a_count.0.load(Ordering::SeqCst),
        1,
        "the oldest waiter first"
    );
    assert_eq!(b_count.0.load(Ordering::SeqCst), 0);
    drop(first);
    assert_eq!(b_count.0.load(Ordering::SeqCst), 1, "passed on");
    assert_eq!(poll_once(&mut second, &b), Poll::Ready(Ok(9)));
}

/// The same for senders waiting for one freed slot.
#[test]
fn a_dropped_send_passes_its_wake_up_on() {
    let (tx, rx) = channel::mpmc::<u8>(1);
    tx.try_send(0).unwrap();
    let (a_count, a) = counting();
    let (b_count, b) = counting();
    let mut first = tx.send_async(1);
    let mut second = tx.send_async(2);
    assert!(poll_once(&mut first, &a).is_pending());
    assert!(poll_once(&mut second, &b).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(a_count.0.load(Ordering::SeqCst), 1);
    assert_eq!(first.cancel(), Some(1));
    assert_eq!(b_count.0.load(Ordering::SeqCst), 1, "passed on");
    assert_eq!(poll_once(&mut second, &b), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}

/// `recv_many_async` with `max` 0 completes at once; items already there
/// come out in one poll, up to `max`.
#[test]
fn recv_many_takes_what_is_ready_up_to_max() {
    let (tx, mut rx) = channel::spsc::<u32>(8);
    let (_, waker) = counting();
    let mut out = Vec::new();
    assert_eq!(
        poll_once(&mut rx.recv_many_async(&mut out, 0), &waker),
        Poll::Ready(Ok(0))
    );
    (0..5).for_each(|i| tx.try_send(i).unwrap());
    assert_eq!(
        poll_once(&mut rx.recv_many_async(&mut out, 3), &waker),
        Poll::Ready(Ok(3))
    );
    assert_eq!(
        poll_once(&mut rx.recv_many_async(&mut out, 3), &waker),
        Poll::Ready(Ok(2))
    );
    assert!(poll_once(&mut rx.recv_many_async(&mut out, 3), &waker).is_pending());
    drop(tx);
    assert_eq!(
        poll_once(&mut rx.recv_many_async(&mut out, 3), &waker),
        Poll::Ready(Err(RecvError))
    );
    assert_eq!(out, [0, 1, 2, 3, 4]);
    assert_eq!(rx.stats().received, 5);
}

/// A blocked thread and a pending task wait on one MPMC channel for items
/// sent one at a time: both get one.
#[test]
fn handoff_a_parked_thread_and_a_task_receive_together() {
    let (tx, rx) = channel::mpmc_with::<u64>(1, WaitStrategy::park());
    let rx2 = rx.clone();
    let thread = std::thread::spawn(move || rx2.recv());
    let task = std::thread::spawn(move || block_on(rx.recv_async()));
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let mut got = [
        thread.join().unwrap().unwrap(),
        task.join().unwrap().unwrap(),
    ];
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
}

/// `close` drops the sink's sender: with no other sender, the receiver's
/// stream ends, and the closed sink refuses items, handing them back.
#[test]
fn closing_a_sink_disconnects() {
    let (tx, rx) = channel::mpsc::<u8>(4);
    let (_, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut sink = tx.into_sink();
    assert_eq!(sink.start_send_item(1), Ok(()));
    assert_eq!(sink.poll_close_sender(&mut cx), Poll::Ready(Ok(())));
    assert!(sink.sender().is_none());
    assert_eq!(sink.start_send_item(2), Err(SendError(2)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn a_send_future_polled_after_completion_panics() {
    let (tx, _rx) = channel::mpmc::<u8>(1);
    let (_, waker) = counting();
    let mut send = tx.send_async(1);
    assert_eq!(poll_once(&mut send, &waker), Poll::Ready(Ok(())));
    let _ = poll_once(&mut send, &waker);
}

/// A waker that panics when woken (user code in the executor).
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker panics");
    }
}

/// A task whose waker panics is woken by the last receiver's drop: the
/// panic comes out of that drop, yet every other waiting task is still
/// woken and every item left in the channel is still dropped.
#[test]
fn a_panicking_waker_loses_no_wake_up_and_no_drain() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel::mpmc::<Counted>(1);
    tx.try_send(Counted::new(0, &drops)).unwrap();
    let bad = Waker::from(Arc::new(PanickingWaker));
    let (count, good) = counting();
    let mut first = tx.send_async(Counted::new(1, &drops));
    let mut second = tx.send_async(Counted::new(2, &drops));
    assert!(poll_once(&mut first, &bad).is_pending());
    assert!(poll_once(&mut second, &good).is_pending());
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rx)));
    assert!(dropped.is_err(), "the waker's panic comes out of the drop");
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "the other task is woken");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the item inside is dropped"
    );
    assert!(
        matches!(poll_once(&mut second, &good), Poll::Ready(Err(SendError(ref v))) if v.value == 2)
    );
    drop((first, second));
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}
