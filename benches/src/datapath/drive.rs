//! The load generator and collector, on the ingress thread: it makes
//! request bytes available on schedule (open loop) or as answers come back
//! (closed loop), drives the pipeline, checks every response against the
//! reference, and records latencies in HDR histograms.
//!
//! Open loop: request `i` is due at `t0 + i / rate`, and its latency is
//! the time its response was collected minus that intended time, so a
//! stall that delays the requests behind it shows up in their latencies
//! (no coordinated omission). The uncorrected figure, measured from the
//! moment the request's last byte was actually sent (the start of the
//! read that handed it to the pipeline, or over TCP of the client's write
//! that sent it), is kept beside it.

use super::alloc_count::allocations;
use super::workload::{Response, Shape, key_of, payload_of, request_stream};
use super::{Pipeline, Sink, Source};
use hdrhistogram::Histogram;
use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How requests are offered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Load {
    /// A fixed rate, requests per second.
    Open(f64),
    /// At most this many requests in flight, each sent when one returns.
    Closed(u64),
}

/// One measured run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// How requests are offered.
    pub load: Load,
    /// Measured time, after the warm-up.
    pub duration: Duration,
    /// Time before measuring starts: requests due in it are handled and
    /// checked but not recorded.
    pub warmup: Duration,
    /// Feed the pipeline over a loopback TCP connection.
    pub tcp: bool,
}

/// The request stream and the answers it must get: `distinct` different
/// frames, request `i` being frame `i % distinct` (its sequence number),
/// so a run can be longer than the stream kept in memory.
#[derive(Debug)]
pub struct Workload {
    wire: Vec<u8>,
    /// Bytes per frame (every frame is the same size).
    frame_len: usize,
    distinct: u64,
    /// CRC and bytes above the threshold, per frame.
    expected: Vec<(u32, u32)>,
    /// Per frame: its key, and how many requests with that key come
    /// before it in the stream, itself included.
    key: Vec<u64>,
    prefix_seen: Vec<u64>,
    /// Requests per key in one pass over the stream.
    per_pass: Vec<u64>,
    /// The shape it was built from.
    pub shape: Shape,
}

impl Workload {
    /// Builds the stream for `shape` (its `requests` is the number of
    /// distinct frames) and the reference answers.
    pub fn new(shape: Shape) -> Workload {
        let wire = request_stream(&shape).to_vec();
        let distinct = shape.requests;
        let frame_len = wire.len() / distinct as usize;
        let mut payload = Vec::new();
        let mut per_pass = vec![0u64; shape.keys as usize];
        let mut expected = Vec::with_capacity(distinct as usize);
        let mut key = Vec::with_capacity(distinct as usize);
        let mut prefix_seen = Vec::with_capacity(distinct as usize);
        for i in 0..distinct {
            payload_of(&shape, i, &mut payload);
            let k = key_of(&shape, i);
            per_pass[k as usize] += 1;
            // The table-driven loop (checked against the bit-by-bit
            // reference in the tests), not the kernel under test.
            expected.push((
                super::naive::crc32c_table(&payload),
                payload
                    .iter()
                    .filter(|&&b| b > super::workload::THRESHOLD)
                    .count() as u32,
            ));
            key.push(k);
            prefix_seen.push(per_pass[k as usize]);
        }
        Workload {
            wire,
            frame_len,
            distinct,
            expected,
            key,
            prefix_seen,
            per_pass,
            shape,
        }
    }

    /// Bytes per request frame.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The response request `i` must get.
    fn expected(&self, i: u64) -> Response {
        let f = (i % self.distinct) as usize;
        let (crc, above) = self.expected[f];
        let passes = i / self.distinct;
        Response {
            sequence: f as u64,
            crc,
            above,
            seen: passes * self.per_pass[self.key[f] as usize] + self.prefix_seen[f],
        }
    }

    /// The stream bytes at global offset `at`, up to the end of one pass.
    fn bytes_at(&self, at: u64, max: u64) -> &[u8] {
        let pass_len = self.wire.len() as u64;
        let start = (at % pass_len) as usize;
        let end = (start as u64 + max.min(pass_len - start as u64)) as usize;
        &self.wire[start..end]
    }
}

/// What one run measured.
#[derive(Debug)]
pub struct Measured {
    /// The build.
    pub build: &'static str,
    /// How it was loaded.
    pub load: Load,
    /// Over TCP.
    pub tcp: bool,
    /// Responses (to any request) collected during the measured part, per
    /// second of it.
    pub achieved: f64,
    /// Requests recorded.
    pub recorded: u64,
    /// Latency from the intended send time, nanoseconds.
    pub corrected: Histogram<u64>,
    /// Latency from the actual send time, nanoseconds.
    pub uncorrected: Histogram<u64>,
    /// Allocations over the measured part, per request.
    pub allocs_per_request: f64,
    /// Threads busy: the ingress thread and the workers.
    pub busy_threads: usize,
    /// Gaps over 50 µs between two turns of the ingress thread's loop
    /// while measuring: time the thread was not running (or a turn that
    /// long).
    pub stalls: super::jitter::Gaps,
    /// The offered rate could not be kept: requests waited for room
    /// (the in-flight cap) at some point, or fewer than 95% of the offered
    /// rate were answered.
    pub saturated: bool,
}

impl Measured {
    /// Responses per second per busy thread.
    pub fn per_core(&self) -> f64 {
        self.achieved / self.busy_threads as f64
    }
}

/// Per in-flight request slot.
#[derive(Clone, Copy, Default)]
struct Slot {
    intended_ns: u64,
    sent_ns: u64,
    sent: bool,
}

/// Gives up on a run that has not finished this long after its end.
const GRACE: Duration = Duration::from_secs(30);

/// Runs `plan` against `pipeline` on this thread.
pub fn run(
    pipeline: Box<dyn Pipeline>,
    workload: &Workload,
    plan: &Plan,
    workers: usize,
) -> Result<Measured, String> {
    if plan.tcp {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let client = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        let (server, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        for s in [&client, &server] {
            s.set_nonblocking(true).map_err(|e| e.to_string())?;
            s.set_nodelay(true).map_err(|e| e.to_string())?;
        }
        let mut transport = Tcp {
            client,
            server_in: TcpSource {
                server: server.try_clone().map_err(|e| e.to_string())?,
                scratch: vec![0; super::nanopath::READ_CHUNK],
            },
            server_out: TcpSink {
                server,
                backlog: Vec::with_capacity(1 << 20),
            },
            replies: Vec::with_capacity(1 << 20),
        };
        drive(pipeline, workload, plan, workers, &mut transport)
    } else {
        let mut transport = InProcess {
            replies: ReplyBuffer {
                bytes: Vec::with_capacity(1 << 20),
            },
        };
        drive(pipeline, workload, plan, workers, &mut transport)
    }
}

/// Moves request bytes to the pipeline and responses back.
trait Transport {
    /// Offers the pipeline the stream bytes `[from, to)`; returns how many
    /// it took.
    fn feed(
        &mut self,
        pipeline: &mut dyn Pipeline,
        workload: &Workload,
        from: u64,
        to: u64,
    ) -> Result<u64, String>;
    /// Drains the pipeline's responses, giving each response frame's bytes
    /// to `collect`.
    fn collect(
        &mut self,
        pipeline: &mut dyn Pipeline,
        collect: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String>;
}

/// The stream in memory: a read copies from it, as `recv` copies from the
/// kernel's buffer; responses are appended to a buffer, as `send` copies
/// them to the kernel's.
struct InProcess {
    replies: ReplyBuffer,
}

struct WireSource<'a> {
    workload: &'a Workload,
    at: u64,
    to: u64,
}

impl Source for WireSource<'_> {
    fn read(&mut self, max: usize, put: &mut dyn FnMut(&[u8])) -> io::Result<usize> {
        let bytes = self
            .workload
            .bytes_at(self.at, (self.to - self.at).min(max as u64));
        if !bytes.is_empty() {
            put(bytes);
        }
        self.at += bytes.len() as u64;
        Ok(bytes.len())
    }
}

/// Response bytes as they arrive (from the pipeline, or read from the
/// client socket), parsed into frames by [`parse_replies`].
struct ReplyBuffer {
    bytes: Vec<u8>,
}

impl Sink for ReplyBuffer {
    fn write(&mut self, bytes: &[IoSlice<'_>]) -> io::Result<()> {
        for s in bytes {
            self.bytes.extend_from_slice(s);
        }
        Ok(())
    }
}

/// Hands every whole frame in `replies` to `collect` and keeps the rest.
fn parse_replies(
    replies: &mut Vec<u8>,
    collect: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut at = 0;
    while replies.len() - at >= nanopath_frame::HEADER_LEN {
        let len = u32::from_be_bytes(replies[at + 6..at + 10].try_into().expect("4 bytes"));
        let total = nanopath_frame::HEADER_LEN + len as usize;
        if replies.len() - at < total {
            break;
        }
        collect(&replies[at..at + total])?;
        at += total;
    }
    replies.drain(..at);
    Ok(())
}

impl Transport for InProcess {
    fn feed(
        &mut self,
        pipeline: &mut dyn Pipeline,
        workload: &Workload,
        from: u64,
        to: u64,
    ) -> Result<u64, String> {
        let mut source = WireSource {
            workload,
            at: from,
            to,
        };
        pipeline.ingest(&mut source, super::nanopath::READ_CHUNK)?;
        Ok(source.at - from)
    }

    fn collect(
        &mut self,
        pipeline: &mut dyn Pipeline,
        collect: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        pipeline.drain(&mut self.replies)?;
        parse_replies(&mut self.replies.bytes, collect)
    }
}

/// Loopback TCP: the generator writes the stream to the client socket, the
/// pipeline reads the server socket and writes its responses back with
/// `write_vectored`, and the collector reads them from the client socket.
/// Every socket is non-blocking, so one thread runs both ends.
struct Tcp {
    client: TcpStream,
    server_in: TcpSource,
    server_out: TcpSink,
    /// Response bytes read by the client, not yet parsed.
    replies: Vec<u8>,
}

struct TcpSource {
    server: TcpStream,
    /// `recv` lands here and is handed on (one copy more than a read into
    /// the pipeline's own buffer, the same for both builds).
    scratch: Vec<u8>,
}

impl Source for TcpSource {
    fn read(&mut self, max: usize, put: &mut dyn FnMut(&[u8])) -> io::Result<usize> {
        let want = max.min(self.scratch.len());
        if want == 0 {
            return Ok(0);
        }
        match self.server.read(&mut self.scratch[..want]) {
            Ok(n) => {
                if n > 0 {
                    put(&self.scratch[..n]);
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }
}

struct TcpSink {
    server: TcpStream,
    /// What a short write left over, sent before anything newer.
    backlog: Vec<u8>,
}

impl TcpSink {
    fn flush_backlog(&mut self) -> io::Result<()> {
        while !self.backlog.is_empty() {
            match self.server.write(&self.backlog) {
                Ok(n) => {
                    self.backlog.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Sink for TcpSink {
    fn write(&mut self, frame: &[IoSlice<'_>]) -> io::Result<()> {
        self.flush_backlog()?;
        let total: usize = frame.iter().map(|s| s.len()).sum();
        let written = if self.backlog.is_empty() {
            match self.server.write_vectored(frame) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                Err(e) => return Err(e),
            }
        } else {
            0
        };
        if written < total {
            let mut skip = written;
            for s in frame {
                if skip >= s.len() {
                    skip -= s.len();
                    continue;
                }
                self.backlog.extend_from_slice(&s[skip..]);
                skip = 0;
            }
        }
        Ok(())
    }
}

impl Transport for Tcp {
    fn feed(
        &mut self,
        pipeline: &mut dyn Pipeline,
        workload: &Workload,
        from: u64,
        to: u64,
    ) -> Result<u64, String> {
        let mut sent = 0;
        if from < to {
            let bytes = workload.bytes_at(from, to - from);
            match self.client.write(bytes) {
                Ok(n) => sent = n as u64,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("client write: {e}")),
            }
        }
        pipeline.ingest(&mut self.server_in, super::nanopath::READ_CHUNK)?;
        Ok(sent)
    }

    fn collect(
        &mut self,
        pipeline: &mut dyn Pipeline,
        collect: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        pipeline.drain(&mut self.server_out)?;
        self.server_out
            .flush_backlog()
            .map_err(|e| format!("server write: {e}"))?;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.client.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.replies.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(format!("client read: {e}")),
            }
        }
        parse_replies(&mut self.replies, collect)
    }
}

/// The run itself (see the module docs).
fn drive(
    mut pipeline: Box<dyn Pipeline>,
    workload: &Workload,
    plan: &Plan,
    workers: usize,
    transport: &mut dyn Transport,
) -> Result<Measured, String> {
    let build = pipeline.name();
    if plan.duration.is_zero() {
        return Err(format!("{build}: a run needs a measured time above 0"));
    }
    let frame_len = workload.frame_len as u64;
    let distinct = workload.distinct;
    // Requests in flight span less than half the stream, so a response's
    // sequence number names one request.
    let span = distinct / 2;
    let mut slots = vec![Slot::default(); distinct as usize];
    let new_histogram =
        || Histogram::<u64>::new_with_bounds(1, 120_000_000_000, 3).expect("valid bounds");
    let mut corrected = new_histogram();
    let mut uncorrected = new_histogram();
    let warmup_ns = plan.warmup.as_nanos() as u64;
    let end_ns = warmup_ns + plan.duration.as_nanos() as u64;
    let (planned, first_measured) = match plan.load {
        Load::Open(rate) => (
            (end_ns as f64 * rate / 1e9) as u64,
            (warmup_ns as f64 * rate / 1e9) as u64,
        ),
        Load::Closed(_) => (u64::MAX, u64::MAX),
    };
    let ns_per_request = match plan.load {
        Load::Open(rate) => 1e9 / rate,
        Load::Closed(_) => 0.0,
    };
    let mut first_measured = first_measured;
    let mut sent_bytes = 0u64;
    let mut oldest = 0u64;
    let mut received = 0u64;
    let mut recorded = 0u64;
    let mut saturated = false;
    let mut wrong = 0u64;
    let mut first_error: Option<String> = None;
    let mut measure_start: Option<(u64, u64)> = None; // (ns, allocations)
    // Responses collected while the load was offered, after the warm-up.
    let mut in_window = 0u64;
    let mut stop_sending_at: Option<u64> = None;
    let t0 = Instant::now();
    let give_up_ns = end_ns + GRACE.as_nanos() as u64;
    let mut stalls = super::jitter::Gaps::default();
    let mut last_turn = 0u64;
    loop {
        let now = t0.elapsed().as_nanos() as u64;
        let gap = now - last_turn;
        last_turn = now;
        if measure_start.is_some() && gap > 50_000 {
            stalls.over_50us += 1;
            stalls.lost += Duration::from_nanos(gap);
            if gap > 1_000_000 {
                stalls.over_1ms += 1;
            }
            stalls.longest = stalls.longest.max(Duration::from_nanos(gap));
        }
        if now > give_up_ns {
            return Err(format!(
                "{build}: gave up {} s after the run's end with {} of {} responses",
                GRACE.as_secs(),
                received,
                sent_bytes / frame_len
            ));
        }
        // How many requests may have been sent by now.
        let mut allowed = match plan.load {
            Load::Open(_) => ((now as f64 / ns_per_request) as u64 + 1).min(planned),
            Load::Closed(window) => {
                if now >= end_ns {
                    // Up to the end of the frame a read may have cut.
                    *stop_sending_at.get_or_insert(sent_bytes.div_ceil(frame_len))
                } else {
                    received + window
                }
            }
        };
        if allowed > oldest + span {
            allowed = oldest + span;
            saturated = true;
        }
        if let Some(stop) = stop_sending_at {
            allowed = allowed.min(stop);
        }
        // Never below what was sent: a read may have cut a frame.
        let target = (allowed * frame_len).max(sent_bytes);
        // Called even with nothing new to offer: the pipeline may hold
        // requests its workers had no room for yet.
        let stamp = t0.elapsed().as_nanos() as u64;
        let n = transport.feed(&mut *pipeline, workload, sent_bytes, target)?;
        {
            // Requests whose last byte was handed over in this call, sent
            // at `stamp`.
            let done_before = sent_bytes / frame_len;
            sent_bytes += n;
            let done_after = sent_bytes / frame_len;
            for i in done_before..done_after {
                let intended = match plan.load {
                    Load::Open(_) => (i as f64 * ns_per_request) as u64,
                    Load::Closed(_) => stamp,
                };
                if matches!(plan.load, Load::Closed(_)) && stamp >= warmup_ns {
                    first_measured = first_measured.min(i);
                }
                if i == first_measured {
                    measure_start = Some((stamp, allocations()));
                }
                slots[(i % distinct) as usize] = Slot {
                    intended_ns: intended,
                    sent_ns: stamp,
                    sent: true,
                };
            }
        }
        let mut on_response = |bytes: &[u8]| -> Result<(), String> {
            let now = t0.elapsed().as_nanos() as u64;
            let (frame, _) = nanopath_frame::Frame::parse(bytes)
                .map_err(|e| format!("{build}: bad response frame: {e}"))?;
            let s = frame.sequence();
            if s >= distinct {
                return Err(format!("{build}: response to an unknown request {s}"));
            }
            let i = oldest + (s + distinct - oldest % distinct) % distinct;
            let slot = &mut slots[s as usize];
            if !slot.sent {
                return Err(format!("{build}: response to request {i}, not in flight"));
            }
            slot.sent = false;
            if frame.flags() != 0 {
                return Err(format!("{build}: the worker failed request {i}"));
            }
            let got = Response::from_bytes(frame.payload());
            if got != Some(workload.expected(i)) {
                wrong += 1;
                if first_error.is_none() {
                    first_error = Some(format!(
                        "{build}: request {i}: got {got:?}, expected {:?}",
                        workload.expected(i)
                    ));
                }
            }
            received += 1;
            if (warmup_ns..=end_ns).contains(&now) {
                in_window += 1;
            }
            if i >= first_measured {
                corrected.saturating_record(now.saturating_sub(slot.intended_ns).max(1));
                uncorrected.saturating_record(now.saturating_sub(slot.sent_ns).max(1));
                recorded += 1;
            }
            Ok(())
        };
        transport.collect(&mut *pipeline, &mut on_response)?;
        while oldest < sent_bytes / frame_len && !slots[(oldest % distinct) as usize].sent {
            oldest += 1;
        }
        let sent_requests = sent_bytes / frame_len;
        let all_sent = match plan.load {
            Load::Open(_) => sent_requests == planned,
            Load::Closed(_) => stop_sending_at.is_some_and(|s| sent_requests >= s),
        };
        if all_sent && received == sent_requests {
            break;
        }
    }
    let allocs_after = allocations();
    let totals = pipeline.finish()?;
    if let Some(e) = first_error {
        return Err(format!("{wrong} wrong responses; first: {e}"));
    }
    if totals.requests != received {
        return Err(format!(
            "{build}: the workers counted {} requests, the collector {received}",
            totals.requests
        ));
    }
    let (_, allocs_before) = measure_start.ok_or("nothing was measured")?;
    // The rate of answers while the load was offered: a build that keeps
    // up answers about the offered rate, one that cannot answers what it
    // can, whatever its backlog at the end.
    let achieved = in_window as f64 / plan.duration.as_secs_f64();
    // Falling 5% behind the offered rate is saturation too, long before
    // the in-flight cap.
    if let Load::Open(rate) = plan.load
        && achieved < 0.95 * rate
    {
        saturated = true;
    }
    Ok(Measured {
        build,
        load: plan.load,
        tcp: plan.tcp,
        achieved,
        recorded,
        corrected,
        uncorrected,
        allocs_per_request: (allocs_after - allocs_before) as f64 / recorded.max(1) as f64,
        busy_threads: 1 + workers,
        stalls,
        saturated,
    })
}
