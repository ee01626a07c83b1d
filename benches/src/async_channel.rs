//! Async channel head-to-head scenarios, shared by the criterion bench
//! (`benches/queue.rs`): u64 items, bounded 1024, on a tokio multi-thread
//! runtime with two workers (or a current-thread runtime where named).
//! Times are per item (per round trip for the ping-pong), from the spawn
//! of the tasks to the consumer's last item; every run checks order and
//! count.
//!
//! * `async_1p1c`: one producer task `send(..).await`, one consumer task
//!   `recv().await`. nanopath `channel::mpsc` and `channel::spsc` vs
//!   tokio::sync::mpsc, flume (async) and kanal (async).
//! * `async_1p1c_current_thread`: the same two tasks on one thread, where
//!   every wait is a task switch (the pattern that deadlocks on a blocking
//!   channel).
//! * `async_pingpong`: round trips over two channels of 1 between two
//!   tasks, the latency of an async wake-up.

use std::time::{Duration, Instant};

/// Capacity of the throughput scenarios.
pub const CAPACITY: usize = 1024;

fn runtime(multi: bool) -> tokio::runtime::Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a tokio runtime")
    } else {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    }
}

/// One scenario per channel: `$new` makes `(tx, rx)`, `$send` / `$recv`
/// are the awaited calls (a `recv` giving `Option<u64>`).
macro_rules! async_channel {
    ($one:ident, $pingpong:ident, $new:expr, |$tx:ident, $v:ident| $send:expr, |$rx:ident| $recv:expr) => {
        /// `n` items from one task to another; the time from spawning
        /// both to the last item received.
        pub fn $one(n: u64, multi: bool) -> Duration {
            let rt = runtime(multi);
            rt.block_on(async move {
                #[allow(unused_mut)]
                let (mut $tx, mut $rx) = $new(CAPACITY);
                let start = Instant::now();
                let producer = tokio::spawn(async move {
                    for $v in 0..n {
                        $send;
                    }
                });
                let consumer = tokio::spawn(async move {
                    let mut expected = 0;
                    while let Some(v) = $recv {
                        assert_eq!(v, expected, "lost or reordered an item");
                        expected += 1;
                    }
                    assert_eq!(expected, n, "lost items");
                });
                producer.await.expect("producer");
                consumer.await.expect("consumer");
                start.elapsed()
            })
        }

        /// `n` round trips between two tasks over two channels of 1.
        pub fn $pingpong(n: u64) -> Duration {
            let rt = runtime(true);
            rt.block_on(async move {
                #[allow(unused_mut)]
                let (mut $tx, mut back_rx) = $new(1);
                #[allow(unused_mut)]
                let (mut back_tx, mut $rx) = $new(1);
                let start = Instant::now();
                let echo = tokio::spawn(async move {
                    let mut tx = back_tx;
                    let mut rx = back_rx;
                    loop {
                        let got = {
                            let $rx = &mut rx;
                            $recv
                        };
                        let Some($v) = got else { break };
                        let $tx = &mut tx;
                        $send;
                    }
                });
                for $v in 0..n {
                    {
                        let $tx = &mut $tx;
                        $send;
                    }
                    let got = {
                        let $rx = &mut $rx;
                        $recv
                    };
                    assert_eq!(got, Some($v), "lost or reordered an item");
                }
                drop($tx);
                echo.await.expect("echo task");
                start.elapsed()
            })
        }
    };
}

async_channel!(
    one_nanopath_mpsc,
    pingpong_nanopath_mpsc,
    nanopath_queue::channel::mpsc::<u64>,
    |tx, v| tx.send_async(v).await.expect("receiver alive"),
    |rx| rx.recv_async().await.ok()
);
async_channel!(
    one_nanopath_spsc,
    pingpong_nanopath_spsc,
    nanopath_queue::channel::spsc::<u64>,
    |tx, v| tx.send_async(v).await.expect("receiver alive"),
    |rx| rx.recv_async().await.ok()
);
async_channel!(
    one_tokio_mpsc,
    pingpong_tokio_mpsc,
    tokio::sync::mpsc::channel::<u64>,
    |tx, v| tx.send(v).await.expect("receiver alive"),
    |rx| rx.recv().await
);
async_channel!(
    one_flume,
    pingpong_flume,
    flume::bounded::<u64>,
    |tx, v| tx.send_async(v).await.expect("receiver alive"),
    |rx| rx.recv_async().await.ok()
);
async_channel!(
    one_kanal,
    pingpong_kanal,
    kanal::bounded_async::<u64>,
    |tx, v| tx.send(v).await.expect("receiver alive"),
    |rx| rx.recv().await.ok()
);
