//! `cargo xtask soak [--seconds N]`: every structure under mixed load at
//! once for a bounded time (default 60 s), counting every item in and out,
//! every drop, and the heap's live and peak bytes.
//!
//! Workloads, all running together: the SPSC ring (one producer, one
//! consumer, FIFO checked), the MPMC queue (2 × 2, per-producer order
//! checked per consumer), a blocking MPSC channel (2 senders, 1 receiver),
//! an async MPMC channel between tokio tasks and a thread, the object pool
//! (3 threads, exclusive ownership checked), the buffer pool with
//! responses in flight, the frame encoder and streaming decoder, an
//! `RcuCell` with readers and a writer, and a Treiber stack and a
//! Michael-Scott queue on hazard pointers. Every item is an `Item` whose
//! creations and drops are counted.
//!
//! Fails (exit status 1) on any loss, duplicate, reordering, double
//! ownership, drop imbalance, or heap growth after warm-up: the heap's
//! live bytes after the first fifth of the run may not exceed the warm-up
//! high-water mark by more than a quarter plus 1 MiB, nor the last fifth's
//! high the second fifth's by more than an eighth plus 256 KiB. Also fails
//! if a workload moves no item for 30 s, and exits (status 1) if one does
//! not stop within 30 s of the end.

use bytes::{Bytes, BytesMut};
use nanopath_frame::{FrameDecoder, FrameEncoder, FrameFields};
use nanopath_pool::{BufferPool, ObjectPool};
use nanopath_queue::{channel, mpmc, spsc};
use nanopath_reclaim::hazard::Domain;
use nanopath_reclaim::{Hazard, MsQueue, RcuCell, TreiberStack};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to `System`, only counting sizes on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static MADE: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// A counted item: which producer made it and its sequence number there.
#[derive(Debug)]
struct Item {
    producer: u32,
    seq: u64,
}

impl Item {
    fn new(producer: u32, seq: u64) -> Item {
        MADE.fetch_add(1, Ordering::Relaxed);
        Item { producer, seq }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Per-workload tallies.
#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    received: AtomicU64,
}

impl Tally {
    fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

fn check(ok: bool, failures: &AtomicUsize, what: &str) {
    if !ok {
        failures.fetch_add(1, Ordering::Relaxed);
        eprintln!("soak: FAILED: {what}");
    }
}

fn main() {
    let mut seconds = 60u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    // Every fifth of the run holds heap samples (4 a second).
                    .filter(|&s| s >= 5)
                    .unwrap_or_else(|| {
                        eprintln!("soak: --seconds needs a number of at least 5");
                        std::process::exit(2)
                    })
            }
            other => {
                eprintln!("soak: unknown argument `{other}` (usage: soak [--seconds N])");
                std::process::exit(2);
            }
        }
    }
    let failed = run(Duration::from_secs(seconds));
    std::process::exit(i32::from(failed));
}

/// The longest a workload may go without moving an item, and how long the
/// workloads have to stop once told to.
const STALL: Duration = Duration::from_secs(30);

/// The RCU cell's place in the workload list (its "out" is read in `run`).
const RCU: usize = 7;

/// Set once every workload has stopped and the last reclamation ran (the
/// watchdog's all-clear).
static FINISHED: AtomicBool = AtomicBool::new(false);

fn run(length: Duration) -> bool {
    let stop = AtomicBool::new(false);
    let failures = AtomicUsize::new(0);
    let names = [
        "spsc ring",
        "mpmc queue",
        "channel mpsc (blocking)",
        "channel mpmc (async)",
        "object pool",
        "buffer pool",
        "frames",
        "rcu cell",
        "treiber stack",
        "ms queue",
    ];
    let tallies: Vec<Tally> = names.iter().map(|_| Tally::default()).collect();
    let start = Instant::now();
    let warm_up = length / 5;
    let mut samples: Vec<(Duration, usize)> = Vec::new();
    println!(
        "soak: {} s, {} workloads at once",
        length.as_secs(),
        names.len()
    );
    std::thread::scope(|s| {
        let (stop, failures) = (&stop, &failures);
        let t = &tallies;
        s.spawn(move || spsc_ring(stop, failures, &t[0]));
        s.spawn(move || mpmc_queue(stop, failures, &t[1]));
        s.spawn(move || channel_blocking(stop, failures, &t[2]));
        s.spawn(move || channel_async(stop, failures, &t[3]));
        s.spawn(move || object_pool(stop, failures, &t[4]));
        s.spawn(move || buffer_pool(stop, failures, &t[5]));
        s.spawn(move || frames(stop, failures, &t[6]));
        s.spawn(move || rcu_cell(stop, failures, &t[RCU]));
        s.spawn(move || treiber_stack(stop, failures, &t[8]));
        s.spawn(move || ms_queue(stop, failures, &t[9]));
        // Progress: every workload moves at least one item per window.
        let mut moved: Vec<u64> = t.iter().map(|t| t.sent() + t.received()).collect();
        let mut window = Instant::now();
        while start.elapsed() < length {
            std::thread::sleep(Duration::from_millis(250));
            samples.push((start.elapsed(), LIVE.load(Ordering::Relaxed)));
            if window.elapsed() >= STALL {
                for ((name, tally), last) in names.iter().zip(t).zip(&mut moved) {
                    let now = tally.sent() + tally.received();
                    check(
                        now != *last,
                        failures,
                        &format!("{name}: no item moved in {} s", STALL.as_secs()),
                    );
                    *last = now;
                }
                window = Instant::now();
            }
        }
        stop.store(true, Ordering::Relaxed);
        // A workload stuck in a lost wake-up would keep this scope (and
        // the run) from ever ending: past the grace period, give up loudly.
        std::thread::Builder::new()
            .name("soak watchdog".into())
            .spawn(move || {
                let deadline = Instant::now() + STALL;
                while Instant::now() < deadline {
                    if FINISHED.load(Ordering::Acquire) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                eprintln!(
                    "soak: FAILED: a workload did not stop within {} s of the end",
                    STALL.as_secs()
                );
                std::process::exit(1);
            })
            .expect("spawn the watchdog");
    });
    // Retirements the exited threads handed to the global hazard domain.
    Domain::global().reclaim();
    FINISHED.store(true, Ordering::Release);
    // The RCU cell's values: every one dropped by now, the first included.
    tallies[RCU].received.store(
        RCU_DROPS.load(Ordering::Relaxed).saturating_sub(1),
        Ordering::Relaxed,
    );

    println!("{:<26} {:>14} {:>14}", "workload", "in", "out");
    for (name, tally) in names.iter().zip(&tallies) {
        println!("{name:<26} {:>14} {:>14}", tally.sent(), tally.received());
        check(
            tally.sent() == tally.received(),
            &failures,
            &format!("{name}: {} in, {} out", tally.sent(), tally.received()),
        );
        check(tally.sent() > 0, &failures, &format!("{name}: no traffic"));
    }
    let (made, dropped) = (
        MADE.load(Ordering::Relaxed),
        DROPPED.load(Ordering::Relaxed),
    );
    println!("items made {made}, dropped {dropped}");
    check(
        made == dropped,
        &failures,
        &format!("{made} items made, {dropped} dropped"),
    );
    let warm: usize = samples
        .iter()
        .filter(|(at, _)| *at <= warm_up)
        .map(|&(_, live)| live)
        .max()
        .unwrap_or(0);
    let after: usize = samples
        .iter()
        .filter(|(at, _)| *at > warm_up)
        .map(|&(_, live)| live)
        .max()
        .unwrap_or(0);
    let last = samples.last().map_or(0, |&(_, live)| live);
    let peak = PEAK.load(Ordering::Relaxed);
    println!(
        "heap: warm-up high {} KiB, after warm-up high {} KiB, at the end {} KiB, peak {} KiB, now {} KiB",
        warm / 1024,
        after / 1024,
        last / 1024,
        peak / 1024,
        LIVE.load(Ordering::Relaxed) / 1024
    );
    check(
        after <= warm + warm / 4 + (1 << 20),
        &failures,
        &format!("heap grew after warm-up: {warm} -> {after} bytes"),
    );
    // A slow leak stays under that bound for a while; the trend does not:
    // the last fifth's high may not pass the second fifth's by more than an
    // eighth plus 256 KiB (jitter from in-flight buffers and retire lists).
    let high_in = |from: u32, to: u32| -> usize {
        samples
            .iter()
            // The last window takes the samples after the end too.
            .filter(|(at, _)| *at > length * from / 5 && (to == 5 || *at <= length * to / 5))
            .map(|&(_, live)| live)
            .max()
            .unwrap_or(0)
    };
    let (second, fifth) = (high_in(1, 2), high_in(4, 5));
    println!(
        "heap trend: second fifth high {} KiB, last fifth high {} KiB",
        second / 1024,
        fifth / 1024
    );
    check(
        fifth <= second + second / 8 + (256 << 10),
        &failures,
        &format!("heap still growing: {second} -> {fifth} bytes from the second fifth to the last"),
    );
    if let Some(hwm) = resident_high_water() {
        println!("resident high-water mark (VmHWM): {hwm} KiB");
    }
    let failed = failures.load(Ordering::Relaxed);
    println!(
        "soak: {} ({failed} failures)",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    failed > 0
}

fn resident_high_water() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Spins briefly, then yields (2 cores, a dozen threads).
fn pause(round: &mut u32) {
    *round += 1;
    if *round < 16 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

fn spsc_ring(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let (mut tx, mut rx) = spsc::ring::<Item>(256);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut item = Item::new(0, seq);
                let mut round = 0;
                loop {
                    match tx.push(item) {
                        Ok(()) => break,
                        Err(full) => item = full.0,
                    }
                    if stop.load(Ordering::Relaxed) {
                        drop(item);
                        return;
                    }
                    pause(&mut round);
                }
                tally.sent.fetch_add(1, Ordering::Relaxed);
                seq += 1;
            }
        });
        let mut expected = 0;
        loop {
            match rx.pop() {
                Some(item) => {
                    check(item.seq == expected, failures, "spsc ring: out of order");
                    expected = item.seq + 1;
                    tally.received.fetch_add(1, Ordering::Relaxed);
                }
                None if rx.is_abandoned() && rx.is_empty() => break,
                None => std::thread::yield_now(),
            }
        }
    });
}

fn mpmc_queue(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let queue = mpmc::Queue::<Item>::new(128);
    let producers_done = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for p in 0..2u32 {
            let (queue, producers_done) = (&queue, &producers_done);
            s.spawn(move || {
                let mut seq = 0;
                'run: while !stop.load(Ordering::Relaxed) {
                    let mut item = Item::new(p, seq);
                    let mut round = 0;
                    while let Err(full) = queue.push(item) {
                        item = full.0;
                        if stop.load(Ordering::Relaxed) {
                            break 'run;
                        }
                        pause(&mut round);
                    }
                    tally.sent.fetch_add(1, Ordering::Relaxed);
                    seq += 1;
                }
                producers_done.fetch_add(1, Ordering::Release);
            });
        }
        for _ in 0..2 {
            let (queue, producers_done) = (&queue, &producers_done);
            s.spawn(move || {
                let mut last = [None::<u64>; 2];
                loop {
                    match queue.pop() {
                        Some(item) => {
                            let seen = &mut last[item.producer as usize];
                            check(
                                seen.is_none_or(|l| l < item.seq),
                                failures,
                                "mpmc queue: a producer's items out of order",
                            );
                            *seen = Some(item.seq);
                            tally.received.fetch_add(1, Ordering::Relaxed);
                        }
                        None if producers_done.load(Ordering::Acquire) == 2 => {
                            if queue.is_empty() {
                                break;
                            }
                        }
                        None => std::thread::yield_now(),
                    }
                }
            });
        }
    });
}

fn channel_blocking(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let (tx, rx) = channel::mpsc::<Item>(64);
    std::thread::scope(|s| {
        for p in 0..2u32 {
            let tx = tx.clone();
            s.spawn(move || {
                let mut seq = 0;
                while !stop.load(Ordering::Relaxed) {
                    match tx.send_timeout(Item::new(p, seq), Duration::from_millis(50)) {
                        Ok(()) => {
                            tally.sent.fetch_add(1, Ordering::Relaxed);
                            seq += 1;
                        }
                        // Timed out: the value came back and is dropped
                        // here (counted), and the same seq is tried again.
                        Err(e) => drop(e),
                    }
                }
            });
        }
        drop(tx);
        let mut last = [None::<u64>; 2];
        while let Ok(item) = rx.recv() {
            let seen = &mut last[item.producer as usize];
            check(
                seen.map_or(item.seq == 0, |l| l + 1 == item.seq),
                failures,
                "channel mpsc: a sender's items lost, duplicated or reordered",
            );
            *seen = Some(item.seq);
            tally.received.fetch_add(1, Ordering::Relaxed);
        }
    });
}

fn channel_async(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let (tx, rx) = channel::mpmc::<Item>(64);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    std::thread::scope(|s| {
        // A sync thread feeds async tasks; the tasks answer nothing, they
        // count and check order per sender.
        s.spawn(move || {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                if tx
                    .send_timeout(Item::new(0, seq), Duration::from_millis(50))
                    .is_ok()
                {
                    tally.sent.fetch_add(1, Ordering::Relaxed);
                    seq += 1;
                }
            }
        });
        runtime.block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..2 {
                let rx = rx.clone();
                tasks.push(tokio::spawn(async move {
                    // One sender, two receivers: each sees increasing seqs.
                    let mut last = None::<u64>;
                    let mut in_order = true;
                    let mut received = 0u64;
                    while let Ok(item) = rx.recv_async().await {
                        in_order &= last.is_none_or(|l| l < item.seq);
                        last = Some(item.seq);
                        received += 1;
                    }
                    (received, in_order)
                }));
            }
            drop(rx);
            for task in tasks {
                match task.await {
                    Ok((received, in_order)) => {
                        tally.received.fetch_add(received, Ordering::Relaxed);
                        check(in_order, failures, "channel async: out of order");
                    }
                    Err(_) => check(false, failures, "channel async: a task panicked"),
                }
            }
        });
    });
}

/// Pooled objects dropped (by the pool when it goes, or when full).
static POOL_OBJECT_DROPS: AtomicU64 = AtomicU64::new(0);

/// An object of the pool: an ownership flag and a buffer, its drop counted.
struct PoolObject {
    owned: AtomicBool,
    data: Vec<u8>,
}

impl Drop for PoolObject {
    fn drop(&mut self) {
        POOL_OBJECT_DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// In: every lend the threads took. Out: every release the pool counted.
/// Apart from that, every object the factory built is dropped exactly once
/// when the pool goes.
fn object_pool(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let drops_before = POOL_OBJECT_DROPS.load(Ordering::Relaxed);
    // Fewer objects than threads: lends wait, and releases wake them.
    let pool = ObjectPool::new(2, || PoolObject {
        owned: AtomicBool::new(false),
        data: Vec::with_capacity(64),
    });
    std::thread::scope(|s| {
        for _ in 0..3 {
            let pool = &pool;
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // A lost wake-up shows as a timeout (checked below).
                    let Ok(mut object) = pool.acquire_timeout(Duration::from_secs(5)) else {
                        continue;
                    };
                    tally.sent.fetch_add(1, Ordering::Relaxed);
                    let owned = object
                        .owned
                        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok();
                    check(owned, failures, "object pool: an object lent twice");
                    object.data.clear();
                    object.data.extend_from_slice(b"in use");
                    object.owned.store(false, Ordering::Release);
                    drop(object);
                }
            });
        }
    });
    let stats = pool.stats();
    tally.received.fetch_add(stats.released, Ordering::Relaxed);
    check(
        stats.acquired == tally.sent(),
        failures,
        &format!(
            "object pool: {} lends counted by the pool, {} taken",
            stats.acquired,
            tally.sent()
        ),
    );
    // `acquire_timeout` lends only pooled objects: never more than 2 built.
    check(
        stats.created <= 2,
        failures,
        "object pool: built past its capacity",
    );
    check(
        stats.timeouts == 0,
        failures,
        &format!(
            "object pool: {} lends timed out after 5 s (of {} that waited)",
            stats.timeouts, stats.waited
        ),
    );
    println!(
        "object pool: {} of {} lends waited for a release",
        stats.waited, stats.acquired
    );
    drop(pool);
    let dropped = POOL_OBJECT_DROPS.load(Ordering::Relaxed) - drops_before;
    check(
        dropped == stats.created,
        failures,
        &format!(
            "object pool: {} objects built, {dropped} dropped",
            stats.created
        ),
    );
}

fn buffer_pool(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let pool = BufferPool::new(32, 4096);
    let mut in_flight: VecDeque<Bytes> = VecDeque::new();
    let mut warm_allocations = None;
    let start = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let mut buf = pool.acquire();
        bytes::BufMut::put_slice(&mut buf, b"a response, still in flight for a while");
        in_flight.push_back(buf.freeze());
        tally.sent.fetch_add(1, Ordering::Relaxed);
        // Up to 8 responses in flight at once, well below the capacity.
        if in_flight.len() > 8 {
            drop(in_flight.pop_front());
        }
        if warm_allocations.is_none() && start.elapsed() > Duration::from_secs(1) {
            warm_allocations = Some(pool.fresh_allocations());
        }
    }
    drop(in_flight);
    // Out: the buffers the pool saw come back (the last handle of each
    // frozen response returns it), by the pool's own count.
    let stats = pool.stats();
    tally.received.fetch_add(stats.released, Ordering::Relaxed);
    check(
        stats.acquired == tally.sent(),
        failures,
        &format!(
            "buffer pool: {} acquires counted by the pool, {} taken",
            stats.acquired,
            tally.sent()
        ),
    );
    if let Some(warm) = warm_allocations {
        check(
            pool.fresh_allocations() == warm,
            failures,
            &format!(
                "buffer pool: {} fresh allocations after warm-up",
                pool.fresh_allocations() - warm
            ),
        );
    }
}

fn frames(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let encoder = FrameEncoder::default();
    let mut decoder = FrameDecoder::default();
    let mut wire = BytesMut::new();
    let mut inbox = BytesMut::new();
    let mut next_in = 0u64;
    let mut next_out = 0u64;
    let payload: Vec<u8> = (0..1500).map(|i| (i % 251) as u8).collect();
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..16 {
            let len = (next_in as usize * 37) % payload.len();
            let fields = FrameFields {
                sequence: next_in,
                flags: 0,
            };
            if encoder.encode(fields, &payload[..len], &mut wire).is_err() {
                check(false, failures, "frames: encode failed");
            }
            next_in += 1;
            tally.sent.fetch_add(1, Ordering::Relaxed);
        }
        // Deliver in odd-sized reads.
        while !wire.is_empty() {
            let n = wire.len().min(1 + (next_out as usize * 7919) % 3000);
            inbox.extend_from_slice(&wire.split_to(n));
            loop {
                match decoder.decode(&mut inbox) {
                    Ok(Some(frame)) => {
                        let len = (next_out as usize * 37) % payload.len();
                        check(
                            frame.sequence() == next_out && frame.payload()[..] == payload[..len],
                            failures,
                            "frames: a frame lost, reordered or corrupted",
                        );
                        next_out += 1;
                        tally.received.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        check(false, failures, &format!("frames: {e}"));
                        return;
                    }
                }
            }
        }
    }
}

/// Values dropped by the RCU cell's reclamation (its "out" count).
static RCU_DROPS: AtomicU64 = AtomicU64::new(0);

/// A value stored in the RCU cell, counted out when reclamation drops it.
struct RcuValue {
    seq: u64,
}

impl Drop for RcuValue {
    fn drop(&mut self) {
        RCU_DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// In: every value stored after the first. Out: every value the cell's
/// reclamation dropped but the first, counted by the value's `Drop` and
/// read (in `run`) once the cell is gone and the hazard domain has
/// reclaimed what readers held.
fn rcu_cell(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let cell = RcuCell::new(RcuValue { seq: 0 });
    std::thread::scope(|s| {
        for _ in 0..2 {
            let cell = &cell;
            s.spawn(move || {
                let mut last = 0;
                while !stop.load(Ordering::Relaxed) {
                    let seq = cell.read().seq;
                    check(seq >= last, failures, "rcu cell: a reader went backwards");
                    last = seq;
                    let held = cell.load_arc();
                    check(
                        held.seq >= last,
                        failures,
                        "rcu cell: load_arc went backwards",
                    );
                }
            });
        }
        let mut seq = 1;
        while !stop.load(Ordering::Relaxed) {
            cell.store(RcuValue { seq });
            tally.sent.fetch_add(1, Ordering::Relaxed);
            seq += 1;
            if seq % 64 == 0 {
                std::thread::yield_now();
            }
        }
    });
    drop(cell);
    // This thread retired every value; what it has not yet handed to the
    // global domain sits in its thread-local list, whose hand-over at
    // thread exit may come after the scope joining this thread has moved
    // on. Scan it here (the readers have exited, holding nothing).
    Domain::global().reclaim();
}

fn treiber_stack(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let stack = TreiberStack::<Item, Hazard>::with_reclaim(Hazard::global());
    std::thread::scope(|s| {
        for p in 0..2u32 {
            let stack = &stack;
            s.spawn(move || {
                let mut seq = 0;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..8 {
                        stack.push(Item::new(p, seq));
                        seq += 1;
                        tally.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    for _ in 0..8 {
                        if stack.pop().is_some() {
                            tally.received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    while stack.pop().is_some() {
        tally.received.fetch_add(1, Ordering::Relaxed);
    }
    check(
        stack.is_empty(),
        failures,
        "treiber stack: not empty after the drain",
    );
}

fn ms_queue(stop: &AtomicBool, failures: &AtomicUsize, tally: &Tally) {
    let queue = MsQueue::<Item, Hazard>::with_reclaim(Hazard::global());
    std::thread::scope(|s| {
        for p in 0..2u32 {
            let queue = &queue;
            s.spawn(move || {
                let mut seq = 0;
                let mut last = [None::<u64>; 2];
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..8 {
                        queue.enqueue(Item::new(p, seq));
                        seq += 1;
                        tally.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    for _ in 0..8 {
                        if let Some(item) = queue.dequeue() {
                            let seen = &mut last[item.producer as usize];
                            check(
                                seen.is_none_or(|l| l < item.seq),
                                failures,
                                "ms queue: a producer's items out of order",
                            );
                            *seen = Some(item.seq);
                            tally.received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    while queue.dequeue().is_some() {
        tally.received.fetch_add(1, Ordering::Relaxed);
    }
}
