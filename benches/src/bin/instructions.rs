//! Single-thread hot paths of nanopath-queue and the crates it is compared
//! with, for counting instructions under valgrind's callgrind (host noise
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
