//! Single-thread hot paths of every nanopath crate that has one (queues,
//! atomics, reclamation, pools, SIMD kernels, frame decoding) and of the
//! crates each is compared with, for counting instructions under valgrind's callgrind (host noise
//! does not move an instruction count). `cargo xtask bench --instructions`
//! drives it; by hand:
//!
//! ```text
//! instructions --list                 # one `path scenario implementation items` line per path
//! instructions PATH N                 # N iterations of PATH inside `measure`
//! valgrind --tool=callgrind --toggle-collect='*instructions::measure*' instructions PATH N
//! ```
//!
//! Only the calls inside `measure` are counted (the queue is built before
//! it), and the driver subtracts two runs of different lengths, so what is
//! left is the cost of one iteration divided by the items it moves.

use std::hint::black_box;

const CAPACITY: usize = 1024;
const CHUNK: usize = 64;

/// Runs `op` for iterations `0..n`; the one function callgrind collects.
#[inline(never)]
fn measure<F: FnMut(u64)>(n: u64, mut op: F) {
    for i in 0..n {
        op(black_box(i));
    }
}

/// One measured path: its name, the report scenario and implementation it
/// belongs to, items moved per iteration, and the run itself.
struct Path {
    name: &'static str,
    scenario: &'static str,
    implementation: &'static str,
    items: u64,
    run: fn(u64),
}

const PATHS: &[Path] = &[
    Path {
        name: "spsc_nanopath",
        scenario: "spsc push+pop",
        implementation: "nanopath_spsc",
        items: 1,
        run: spsc_nanopath,
    },
    Path {
        name: "spsc_rtrb",
        scenario: "spsc push+pop",
        implementation: "rtrb",
        items: 1,
        run: spsc_rtrb,
    },
    Path {
        name: "spsc_ringbuf",
        scenario: "spsc push+pop",
        implementation: "ringbuf",
        items: 1,
        run: spsc_ringbuf,
    },
    Path {
        name: "chunks_nanopath",
        scenario: "spsc chunks of 64, per item",
        implementation: "nanopath_spsc",
        items: CHUNK as u64,
        run: chunks_nanopath,
    },
    Path {
        name: "chunks_rtrb",
        scenario: "spsc chunks of 64, per item",
        implementation: "rtrb",
        items: CHUNK as u64,
        run: chunks_rtrb,
    },
    Path {
        name: "slice_nanopath",
        scenario: "spsc push_slice+pop_slice of 64, per item",
        implementation: "nanopath_spsc",
        items: CHUNK as u64,
        run: slice_nanopath,
    },
    Path {
        name: "mpmc_nanopath",
        scenario: "mpmc push+pop",
        implementation: "nanopath_mpmc",
        items: 1,
        run: mpmc_nanopath,
    },
    Path {
        name: "mpmc_arrayqueue",
        scenario: "mpmc push+pop",
        implementation: "crossbeam_arrayqueue",
        items: 1,
        run: mpmc_arrayqueue,
    },
    Path {
        name: "channel_spsc_nanopath",
        scenario: "channel try_send+try_recv",
        implementation: "nanopath_channel_spsc",
        items: 1,
        run: channel_spsc_nanopath,
    },
    Path {
        name: "channel_mpsc_nanopath",
        scenario: "channel try_send+try_recv",
        implementation: "nanopath_channel_mpsc",
        items: 1,
        run: channel_mpsc_nanopath,
    },
    Path {
        name: "channel_mpmc_nanopath",
        scenario: "channel try_send+try_recv",
        implementation: "nanopath_channel_mpmc",
        items: 1,
        run: channel_mpmc_nanopath,
    },
    Path {
        name: "channel_crossbeam",
        scenario: "channel try_send+try_recv",
        implementation: "crossbeam_channel",
        items: 1,
        run: channel_crossbeam,
    },
    Path {
        name: "channel_flume",
        scenario: "channel try_send+try_recv",
        implementation: "flume",
        items: 1,
        run: channel_flume,
    },
    Path {
        name: "channel_blocking_spsc_nanopath",
        scenario: "channel send+recv (nobody waits)",
        implementation: "nanopath_channel_spsc",
        items: 1,
        run: channel_blocking_spsc_nanopath,
    },
    Path {
        name: "channel_blocking_mpmc_nanopath",
        scenario: "channel send+recv (nobody waits)",
        implementation: "nanopath_channel_mpmc",
        items: 1,
        run: channel_blocking_mpmc_nanopath,
    },
    Path {
        name: "channel_blocking_crossbeam",
        scenario: "channel send+recv (nobody waits)",
        implementation: "crossbeam_channel",
        items: 1,
        run: channel_blocking_crossbeam,
    },
    Path {
        name: "counter_nanopath",
        scenario: "counter add, 1 thread",
        implementation: "nanopath_sharded",
        items: 1,
        run: counter_nanopath,
    },
    Path {
        name: "counter_atomic",
        scenario: "counter add, 1 thread",
        implementation: "shared_atomic",
        items: 1,
        run: counter_atomic,
    },
    Path {
        name: "spinlock_nanopath",
        scenario: "lock + increment + unlock, uncontended",
        implementation: "nanopath_spinlock",
        items: 1,
        run: spinlock_nanopath,
    },
    Path {
        name: "spinlock_std_mutex",
        scenario: "lock + increment + unlock, uncontended",
        implementation: "std_mutex",
        items: 1,
        run: spinlock_std_mutex,
    },
    Path {
        name: "spinlock_parking_lot",
        scenario: "lock + increment + unlock, uncontended",
        implementation: "parking_lot_mutex",
        items: 1,
        run: spinlock_parking_lot,
    },
    Path {
        name: "seqlock_nanopath",
        scenario: "64 B read, no writer",
        implementation: "nanopath_seqlock",
        items: 1,
        run: seqlock_nanopath,
    },
    Path {
        name: "seqlock_crate",
        scenario: "64 B read, no writer",
        implementation: "seqlock",
        items: 1,
        run: seqlock_crate,
    },
    Path {
        name: "seqlock_std_rwlock",
        scenario: "64 B read, no writer",
        implementation: "std_rwlock",
        items: 1,
        run: seqlock_std_rwlock,
    },
    Path {
        name: "protect_nanopath",
        scenario: "protected load",
        implementation: "nanopath_hazard",
        items: 1,
        run: protect_nanopath,
    },
    Path {
        name: "protect_haphazard",
        scenario: "protected load",
        implementation: "haphazard",
        items: 1,
        run: protect_haphazard,
    },
    Path {
        name: "protect_crossbeam_epoch",
        scenario: "protected load",
        implementation: "crossbeam_epoch",
        items: 1,
        run: protect_crossbeam_epoch,
    },
    Path {
        name: "treiber_hazard",
        scenario: "treiber push+pop, 1 thread",
        implementation: "nanopath_hazard",
        items: 1,
        run: treiber_hazard,
    },
    Path {
        name: "treiber_epoch",
        scenario: "treiber push+pop, 1 thread",
        implementation: "nanopath_epoch",
        items: 1,
        run: treiber_epoch,
    },
    Path {
        name: "rcu_nanopath",
        scenario: "rcu read of 64 B",
        implementation: "nanopath_rcu_hazard",
        items: 1,
        run: rcu_nanopath,
    },
    Path {
        name: "rcu_arc_swap",
        scenario: "rcu read of 64 B",
        implementation: "arc_swap",
        items: 1,
        run: rcu_arc_swap,
    },
    Path {
        name: "pool_nanopath",
        scenario: "pool acquire+release, 4 KiB object",
        implementation: "nanopath_pool",
        items: 1,
        run: pool_nanopath,
    },
    Path {
        name: "pool_lockfree_object_pool",
        scenario: "pool acquire+release, 4 KiB object",
        implementation: "lockfree_object_pool",
        items: 1,
        run: pool_lockfree_object_pool,
    },
    Path {
        name: "buffer_nanopath",
        scenario: "buffer acquire+write 64 B+freeze+drop",
        implementation: "nanopath_buffer_pool",
        items: 1,
        run: buffer_nanopath,
    },
    Path {
        name: "buffer_bytesmut",
        scenario: "buffer acquire+write 64 B+freeze+drop",
        implementation: "bytesmut_alloc",
        items: 1,
        run: buffer_bytesmut,
    },
    Path {
        name: "crc_nanopath",
        scenario: "crc32c of 1 KiB",
        implementation: "nanopath",
        items: 1,
        run: crc_nanopath,
    },
    Path {
        name: "crc_crc32c_crate",
        scenario: "crc32c of 1 KiB",
        implementation: "crc32c_crate",
        items: 1,
        run: crc_crc32c_crate,
    },
    Path {
        name: "crc_crc32fast",
        scenario: "crc32c of 1 KiB",
        implementation: "crc32fast",
        items: 1,
        run: crc_crc32fast,
    },
    Path {
        name: "find_nanopath",
        scenario: "find in 1 KiB, byte absent",
        implementation: "nanopath",
        items: 1,
        run: find_nanopath,
    },
    Path {
        name: "find_memchr",
        scenario: "find in 1 KiB, byte absent",
        implementation: "memchr",
        items: 1,
        run: find_memchr,
    },
    Path {
        name: "keep_above_nanopath",
        scenario: "keep_above over 1 KiB",
        implementation: "nanopath",
        items: 1,
        run: keep_above_nanopath,
    },
    Path {
        name: "keep_above_reference",
        scenario: "keep_above over 1 KiB",
        implementation: "reference",
        items: 1,
        run: keep_above_reference,
    },
    Path {
        name: "frame_nanopath",
        scenario: "frame decode, 64 B payload",
        implementation: "nanopath",
        items: 1,
        run: frame_nanopath,
    },
    Path {
        name: "frame_length_delimited",
        scenario: "frame decode, 64 B payload",
        implementation: "length_delimited",
        items: 1,
        run: frame_length_delimited,
    },
];

fn spsc_nanopath(n: u64) {
    let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.push(i).is_ok());
        assert_eq!(rx.pop(), Some(i));
    });
}

fn spsc_rtrb(n: u64) {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    measure(n, |i| {
        assert!(tx.push(i).is_ok());
        assert_eq!(rx.pop().ok(), Some(i));
    });
}

fn spsc_ringbuf(n: u64) {
    use ringbuf::traits::{Consumer, Producer, Split};
    let (mut tx, mut rx) = ringbuf::HeapRb::<u64>::new(CAPACITY).split();
    measure(n, |i| {
        assert!(tx.try_push(i).is_ok());
        assert_eq!(rx.try_pop(), Some(i));
    });
}

/// Writes a chunk of [`CHUNK`] items `i*64..` and reads it back, checking
/// every item (the two crates spell these APIs the same way).
macro_rules! chunk_round {
    ($tx:expr, $rx:expr, $i:expr) => {{
        let first = $i * CHUNK as u64;
        let chunk = $tx
            .write_chunk_uninit(CHUNK)
            .ok()
            .expect("room for a chunk");
        assert_eq!(chunk.fill_from_iter(first..), CHUNK);
        let chunk = $rx.read_chunk(CHUNK).ok().expect("a chunk to read");
        let (a, b) = chunk.as_slices();
        let mut expected = first;
        for &v in a.iter().chain(b) {
            assert_eq!(v, expected);
            expected += 1;
        }
        chunk.commit_all();
    }};
}

fn chunks_nanopath(n: u64) {
    let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u64>(CAPACITY);
    measure(n, |i| chunk_round!(tx, rx, i));
}

fn chunks_rtrb(n: u64) {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    measure(n, |i| chunk_round!(tx, rx, i));
}

fn slice_nanopath(n: u64) {
    let (mut tx, mut rx) = nanopath_queue::spsc::ring::<u64>(CAPACITY);
    let mut items = [0u64; CHUNK];
    let mut out = [0u64; CHUNK];
    measure(n, |i| {
        items[0] = i;
        assert_eq!(tx.push_slice(&items), CHUNK);
        assert_eq!(rx.pop_slice(&mut out), CHUNK);
        assert_eq!(out[0], i);
    });
}

fn mpmc_nanopath(n: u64) {
    let q = nanopath_queue::mpmc::Queue::<u64>::new(CAPACITY);
    measure(n, |i| {
        assert!(q.push(i).is_ok());
        assert_eq!(q.pop(), Some(i));
    });
}

fn mpmc_arrayqueue(n: u64) {
    let q = crossbeam_queue::ArrayQueue::<u64>::new(CAPACITY);
    measure(n, |i| {
        assert!(q.push(i).is_ok());
        assert_eq!(q.pop(), Some(i));
    });
}

fn channel_spsc_nanopath(n: u64) {
    let (tx, rx) = nanopath_queue::channel::spsc::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.try_send(i).is_ok());
        assert_eq!(rx.try_recv().ok(), Some(i));
    });
}

fn channel_mpsc_nanopath(n: u64) {
    let (tx, rx) = nanopath_queue::channel::mpsc::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.try_send(i).is_ok());
        assert_eq!(rx.try_recv().ok(), Some(i));
    });
}

fn channel_mpmc_nanopath(n: u64) {
    let (tx, rx) = nanopath_queue::channel::mpmc::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.try_send(i).is_ok());
        assert_eq!(rx.try_recv().ok(), Some(i));
    });
}

fn channel_crossbeam(n: u64) {
    let (tx, rx) = crossbeam_channel::bounded::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.try_send(i).is_ok());
        assert_eq!(rx.try_recv().ok(), Some(i));
    });
}

fn channel_flume(n: u64) {
    let (tx, rx) = flume::bounded::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.try_send(i).is_ok());
        assert_eq!(rx.try_recv().ok(), Some(i));
    });
}

fn channel_blocking_spsc_nanopath(n: u64) {
    let (tx, rx) = nanopath_queue::channel::spsc::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.send(i).is_ok());
        assert_eq!(rx.recv().ok(), Some(i));
    });
}

fn channel_blocking_mpmc_nanopath(n: u64) {
    let (tx, rx) = nanopath_queue::channel::mpmc::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.send(i).is_ok());
        assert_eq!(rx.recv().ok(), Some(i));
    });
}

fn channel_blocking_crossbeam(n: u64) {
    let (tx, rx) = crossbeam_channel::bounded::<u64>(CAPACITY);
    measure(n, |i| {
        assert!(tx.send(i).is_ok());
        assert_eq!(rx.recv().ok(), Some(i));
    });
}

fn counter_nanopath(n: u64) {
    let c = nanopath_atomic::ShardedCounter::new();
    measure(n, |i| c.add(i & 1));
    black_box(c.sum());
}

fn counter_atomic(n: u64) {
    let c = std::sync::atomic::AtomicU64::new(0);
    measure(n, |i| {
        c.fetch_add(i & 1, std::sync::atomic::Ordering::Relaxed);
    });
    black_box(c.into_inner());
}

fn spinlock_nanopath(n: u64) {
    let l = nanopath_atomic::SpinLock::new(0u64);
    measure(n, |i| *l.lock() += i);
    black_box(*l.lock());
}

fn spinlock_std_mutex(n: u64) {
    let l = std::sync::Mutex::new(0u64);
    measure(n, |i| *l.lock().expect("not poisoned") += i);
    black_box(*l.lock().expect("not poisoned"));
}

fn spinlock_parking_lot(n: u64) {
    let l = parking_lot::Mutex::new(0u64);
    measure(n, |i| *l.lock() += i);
    black_box(*l.lock());
}

fn seqlock_nanopath(n: u64) {
    let l = nanopath_atomic::SeqLock::new([7u64; 8]);
    measure(n, |_| assert_eq!(black_box(l.read())[7], 7));
}

fn seqlock_crate(n: u64) {
    let l = seqlock::SeqLock::new([7u64; 8]);
    measure(n, |_| assert_eq!(black_box(l.read())[7], 7));
}

fn seqlock_std_rwlock(n: u64) {
    let l = std::sync::RwLock::new([7u64; 8]);
    measure(n, |_| {
        assert_eq!(black_box(*l.read().expect("not poisoned"))[7], 7);
    });
}

fn protect_nanopath(n: u64) {
    let src = nanopath_reclaim::AtomicPtr::new(Box::into_raw(Box::new(42u64)));
    let mut hp = nanopath_reclaim::hazard::HazardPointer::new();
    measure(n, |_| {
        let p = hp.protect_ptr(&src);
        // SAFETY: the object is freed only after the loop.
        assert_eq!(unsafe { *p }, 42);
        hp.reset();
    });
    // SAFETY: nobody protects it any more.
    drop(unsafe { Box::from_raw(src.load(std::sync::atomic::Ordering::Relaxed)) });
}

fn protect_haphazard(n: u64) {
    let src: haphazard::AtomicPtr<u64> = haphazard::AtomicPtr::from(Box::new(42));
    let mut hp = haphazard::HazardPointer::new();
    measure(n, |_| {
        // SAFETY: only read through, never stored to.
        let raw = unsafe { src.as_std() };
        let (p, _) = hp.protect_ptr(raw).expect("not null");
        // SAFETY: never retired while the loop runs.
        assert_eq!(unsafe { *p.as_ptr() }, 42);
        hp.reset_protection();
    });
    // SAFETY: the last reader is gone.
    drop(unsafe { Box::from_raw(src.as_std().load(std::sync::atomic::Ordering::Relaxed)) });
}

fn protect_crossbeam_epoch(n: u64) {
    let src = crossbeam_epoch::Atomic::new(42u64);
    measure(n, |_| {
        let guard = crossbeam_epoch::pin();
        let p = src.load(std::sync::atomic::Ordering::Acquire, &guard);
        // SAFETY: never freed while the loop runs.
        assert_eq!(unsafe { *p.deref() }, 42);
    });
    // SAFETY: no reader left.
    drop(unsafe { src.into_owned() });
}

fn treiber_hazard(n: u64) {
    let s = nanopath_reclaim::TreiberStack::<u64, nanopath_reclaim::Hazard>::new();
    measure(n, |i| {
        s.push(i);
        assert_eq!(s.pop(), Some(i));
    });
}

fn treiber_epoch(n: u64) {
    let s = nanopath_reclaim::TreiberStack::<u64, nanopath_reclaim::Epoch>::new();
    measure(n, |i| {
        s.push(i);
        assert_eq!(s.pop(), Some(i));
    });
}

fn rcu_nanopath(n: u64) {
    let c = nanopath_reclaim::RcuCell::<[u64; 8], nanopath_reclaim::Hazard>::new([3; 8]);
    measure(n, |_| assert_eq!(c.read()[7], 3));
}

fn rcu_arc_swap(n: u64) {
    let c = arc_swap::ArcSwap::from_pointee([3u64; 8]);
    measure(n, |_| assert_eq!(c.load()[7], 3));
}

/// The pooled object of the pool scenario.
struct Obj([u8; 4096]);

fn pool_nanopath(n: u64) {
    let p = nanopath_pool::ObjectPool::new(64, || Obj([0; 4096]));
    p.prefill(64);
    measure(n, |i| {
        let mut o = p.acquire();
        o.0[0] = i as u8;
        black_box(&*o);
    });
}

fn pool_lockfree_object_pool(n: u64) {
    let p = lockfree_object_pool::LinearObjectPool::new(|| Obj([0; 4096]), |_| {});
    measure(n, |i| {
        let mut o = p.pull();
        o.0[0] = i as u8;
        black_box(&*o);
    });
}

fn buffer_nanopath(n: u64) {
    let p = nanopath_pool::BufferPool::new(16, 4096);
    let payload = [0xAB_u8; 64];
    measure(n, |_| {
        let mut b = p.acquire();
        b.extend_from_slice(&payload);
        assert_eq!(black_box(b.freeze()).len(), 64);
    });
}

fn buffer_bytesmut(n: u64) {
    let payload = [0xAB_u8; 64];
    measure(n, |_| {
        let mut b = bytes::BytesMut::with_capacity(4096);
        b.extend_from_slice(&payload);
        assert_eq!(black_box(b.freeze()).len(), 64);
    });
}

/// 1 KiB of bytes that never equal [`ABSENT`].
fn kib() -> Vec<u8> {
    (0..1024u32).map(|i| (i * 7 % 251) as u8).collect()
}

const ABSENT: u8 = 0xFF;

fn crc_nanopath(n: u64) {
    let d = kib();
    let want = crc32c::crc32c(&d);
    measure(n, |_| {
        assert_eq!(nanopath_simd::crc32c(black_box(&d)), want)
    });
}

fn crc_crc32c_crate(n: u64) {
    let d = kib();
    let want = nanopath_simd::crc32c(&d);
    measure(n, |_| assert_eq!(crc32c::crc32c(black_box(&d)), want));
}

fn crc_crc32fast(n: u64) {
    let d = kib();
    let want = crc32fast::hash(&d);
    measure(n, |_| assert_eq!(crc32fast::hash(black_box(&d)), want));
}

fn find_nanopath(n: u64) {
    let d = kib();
    measure(n, |_| {
        assert_eq!(nanopath_simd::search::find(black_box(&d), ABSENT), None)
    });
}

fn find_memchr(n: u64) {
    let d = kib();
    measure(n, |_| {
        assert_eq!(memchr::memchr(ABSENT, black_box(&d)), None)
    });
}

fn keep_above_nanopath(n: u64) {
    let d = kib();
    let mut out = vec![0u8; d.len()];
    measure(n, |_| {
        nanopath_simd::threshold::keep_above(black_box(&d), 200, &mut out).expect("same lengths");
        black_box(&out);
    });
}

fn keep_above_reference(n: u64) {
    let d = kib();
    let mut out = vec![0u8; d.len()];
    measure(n, |_| {
        nanopath_simd::reference::keep_above(black_box(&d), 200, &mut out);
        black_box(&out);
    });
}

/// `n` frames of 64-byte payloads, ours and tokio-util's.
fn frames(n: u64) -> (bytes::BytesMut, bytes::BytesMut) {
    use tokio_util::codec::Encoder as _;
    let mut ours = bytes::BytesMut::new();
    let mut theirs = bytes::BytesMut::new();
    let mut codec = tokio_util::codec::LengthDelimitedCodec::new();
    for i in 0..n {
        let p = [i as u8; 64];
        nanopath_frame::FrameEncoder::default()
            .encode(
                nanopath_frame::FrameFields {
                    sequence: i,
                    flags: 0,
                },
                &p,
                &mut ours,
            )
            .expect("64 bytes fit");
        codec
            .encode(bytes::Bytes::copy_from_slice(&p), &mut theirs)
            .expect("64 bytes fit");
    }
    (ours, theirs)
}

fn frame_nanopath(n: u64) {
    let (mut wire, _) = frames(n);
    let mut dec = nanopath_frame::FrameDecoder::default();
    measure(n, |i| {
        let f = dec
            .decode(&mut wire)
            .expect("valid")
            .expect("a whole frame");
        assert_eq!(f.payload()[0], i as u8);
    });
}

fn frame_length_delimited(n: u64) {
    use tokio_util::codec::Decoder as _;
    let (_, mut wire) = frames(n);
    let mut codec = tokio_util::codec::LengthDelimitedCodec::new();
    measure(n, |i| {
        let f = codec
            .decode(&mut wire)
            .expect("valid")
            .expect("a whole frame");
        assert_eq!(f[0], i as u8);
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [list] if list == "--list" => {
            for p in PATHS {
                println!(
                    "{}\t{}\t{}\t{}",
                    p.name, p.scenario, p.implementation, p.items
                );
            }
        }
        [name, n] => {
            let Some(path) = PATHS.iter().find(|p| p.name == name) else {
                eprintln!("unknown path `{name}`; `--list` shows them");
                std::process::exit(2);
            };
            let Ok(n) = n.parse() else {
                eprintln!("bad iteration count `{n}`");
                std::process::exit(2);
            };
            (path.run)(n);
        }
        _ => {
            eprintln!("usage: instructions --list | instructions PATH ITERATIONS");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_runs_and_names_are_unique() {
        for (i, p) in PATHS.iter().enumerate() {
            (p.run)(100);
            assert!(p.items > 0);
            assert!(
                PATHS[..i].iter().all(|q| q.name != p.name),
                "duplicate path {}",
                p.name
            );
        }
    }
}
