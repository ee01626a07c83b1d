//! The datapath demo's builds, driven the way the binary drives them:
//! every response is checked against the reference model inside
//! `drive::run`, so these runs fail on any wrong, lost or doubled answer.

use nanopath_bench::datapath::drive::{self, Load, Plan, Workload};
use nanopath_bench::datapath::naive::Naive;
use nanopath_bench::datapath::nanopath::Nanopath;
use nanopath_bench::datapath::workload::{Response, Shape};
use nanopath_bench::datapath::{Pipeline, Sink, Source, Totals};
use nanopath_shard::WaitStrategy;
use std::io::{self, IoSlice};
use std::sync::Mutex;
use std::time::Duration;

/// One run at a time: each keeps busy threads on every core.
static SERIAL: Mutex<()> = Mutex::new(());

fn workload() -> Workload {
    Workload::new(Shape {
        requests: 2048,
        payload: 300,
        keys: 37,
    })
}

fn nanopath() -> Box<dyn Pipeline> {
    Box::new(Nanopath::new(1, 300, 37, WaitStrategy::spin_yield_park()).unwrap())
}

fn naive() -> Box<dyn Pipeline> {
    Box::new(Naive::new(1, 300))
}

fn plan(load: Load, tcp: bool) -> Plan {
    Plan {
        load,
        duration: Duration::from_millis(300),
        warmup: Duration::from_millis(100),
        tcp,
    }
}

#[test]
fn both_builds_answer_every_request_correctly_in_process_and_over_tcp() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload();
    for tcp in [false, true] {
        // 20k/s for 0.4 s: 8000 requests, nearly four passes over the
        // 2048 distinct frames, so the per-key counts cross passes.
        for build in [nanopath as fn() -> Box<dyn Pipeline>, naive] {
            let m = drive::run(build(), &w, &plan(Load::Open(20_000.0), tcp), 1).unwrap();
            // Requests due from 0.1 s to 0.4 s.
            assert_eq!(m.recorded, 6000, "{}", m.build);
            assert_eq!(m.corrected.len(), m.recorded);
            assert_eq!(m.uncorrected.len(), m.recorded);
            // The corrected latency is never below the uncorrected one.
            assert!(m.corrected.value_at_quantile(0.5) >= m.uncorrected.value_at_quantile(0.5));
        }
        for build in [nanopath as fn() -> Box<dyn Pipeline>, naive] {
            let m = drive::run(build(), &w, &plan(Load::Closed(64), tcp), 1).unwrap();
            assert!(m.recorded > 0, "{}", m.build);
        }
    }
}

/// A source that hands out a fixed byte string once.
struct Bytes(Vec<u8>);

impl Source for Bytes {
    fn read(&mut self, max: usize, put: &mut dyn FnMut(&[u8])) -> io::Result<usize> {
        let n = self.0.len().min(max);
        if n > 0 {
            put(&self.0[..n]);
        }
        self.0.drain(..n);
        Ok(n)
    }
}

#[test]
fn corrupt_input_is_a_typed_error_and_nothing_panics() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut wire = nanopath_bench::datapath::workload::request_stream(&Shape {
        requests: 3,
        payload: 64,
        keys: 2,
    })
    .to_vec();
    // The second frame's payload: its checksum no longer matches.
    wire[26 + 64 + 26 + 10] ^= 0x40;
    let mut p = Nanopath::new(1, 64, 2, WaitStrategy::spin_yield_park()).unwrap();
    let err = p.ingest(&mut Bytes(wire.clone()), usize::MAX).unwrap_err();
    // `IngestError::Frame(FrameError::PayloadChecksum { .. })`, displayed.
    assert!(
        err.starts_with("bad frame: payload checksum mismatch"),
        "{err}"
    );
    let mut n = Naive::new(1, 64);
    let err = n.ingest(&mut Bytes(wire), usize::MAX).unwrap_err();
    assert!(err.contains("payload checksum mismatch"), "{err}");
    // The first frame was whole and good: both builds answered it.
    for mut p in [Box::new(p) as Box<dyn Pipeline>, Box::new(n)] {
        let mut got = Collect(Vec::new());
        for _ in 0..10_000 {
            p.drain(&mut got).unwrap();
            if !got.0.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let (frame, rest) = nanopath_frame::Frame::parse(&got.0).unwrap();
        assert!(rest.is_empty());
        assert_eq!(Response::from_bytes(frame.payload()).unwrap().sequence, 0);
        assert_eq!(
            p.finish().unwrap(),
            Totals {
                requests: 1,
                bytes: 64
            }
        );
    }
}

struct Collect(Vec<u8>);

impl Sink for Collect {
    fn write(&mut self, bytes: &[IoSlice<'_>]) -> io::Result<()> {
        for s in bytes {
            self.0.extend_from_slice(s);
        }
        Ok(())
    }
}

/// Wraps a build and answers request 100 with a count off by one, in a
/// well-formed frame.
struct OffByOne(Box<dyn Pipeline>);

impl Pipeline for OffByOne {
    fn name(&self) -> &'static str {
        "off-by-one"
    }
    fn ingest(&mut self, source: &mut dyn Source, max: usize) -> Result<usize, String> {
        self.0.ingest(source, max)
    }
    fn drain(&mut self, sink: &mut dyn Sink) -> Result<usize, String> {
        let mut inner = Collect(Vec::new());
        let n = self.0.drain(&mut inner)?;
        let mut rest = &inner.0[..];
        let mut out = bytes::BytesMut::new();
        while !rest.is_empty() {
            let (frame, tail) = nanopath_frame::Frame::parse(rest).unwrap();
            let mut r = Response::from_bytes(frame.payload()).unwrap();
            if r.sequence == 100 {
                r.seen += 1;
            }
            nanopath_frame::FrameEncoder::default()
                .encode(
                    nanopath_frame::FrameFields {
                        sequence: frame.sequence(),
                        flags: 0,
                    },
                    &r.to_bytes(),
                    &mut out,
                )
                .unwrap();
            rest = tail;
        }
        sink.write(&[IoSlice::new(&out)]).unwrap();
        Ok(n)
    }
    fn finish(self: Box<Self>) -> Result<Totals, String> {
        self.0.finish()
    }
}

#[test]
fn a_wrong_answer_fails_the_run() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload();
    let err = drive::run(
        Box::new(OffByOne(nanopath())),
        &w,
        &plan(Load::Open(20_000.0), false),
        1,
    )
    .unwrap_err();
    assert!(err.contains("wrong responses"), "{err}");
    assert!(err.contains("request 100:"), "{err}");
}

#[test]
fn payloads_smaller_than_the_reply_are_answered() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = Workload::new(Shape {
        requests: 1024,
        payload: 8,
        keys: 5,
    });
    let p = Box::new(Nanopath::new(1, 8, 5, WaitStrategy::spin_yield_park()).unwrap());
    let m = drive::run(p, &w, &plan(Load::Open(10_000.0), false), 1).unwrap();
    assert_eq!(m.recorded, 3000);
}

/// Wraps a build and hands it at most 7 bytes a read, so reads cut frames
/// everywhere, the end of a closed-loop run included.
struct SmallReads(Box<dyn Pipeline>);

impl Pipeline for SmallReads {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn ingest(&mut self, source: &mut dyn Source, max: usize) -> Result<usize, String> {
        self.0.ingest(source, max.min(7))
    }
    fn drain(&mut self, sink: &mut dyn Sink) -> Result<usize, String> {
        self.0.drain(sink)
    }
    fn finish(self: Box<Self>) -> Result<Totals, String> {
        self.0.finish()
    }
}

#[test]
fn reads_that_cut_frames_lose_nothing_and_a_closed_loop_run_ends() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload();
    for build in [nanopath as fn() -> Box<dyn Pipeline>, naive] {
        let m = drive::run(
            Box::new(SmallReads(build())),
            &w,
            &plan(Load::Closed(8), false),
            1,
        )
        .unwrap();
        assert!(m.recorded > 0, "{}", m.build);
        let m = drive::run(
            Box::new(SmallReads(build())),
            &w,
            &plan(Load::Open(5_000.0), false),
            1,
        )
        .unwrap();
        // Requests due from 0.1 s to 0.4 s at 5k/s.
        assert_eq!(m.recorded, 1500, "{}", m.build);
    }
}
