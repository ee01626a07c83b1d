//! The nanopath build: request frames are decoded in place from pooled
//! buffers (nanopath-pool's `BufferPool`, nanopath-frame's `FrameDecoder`,
//! each payload a `Bytes` view of the buffer it arrived in),
//! nanopath-shard workers own the per-key state, replies come back on one
//! SPSC ring per worker, checksums and the threshold filter are
//! nanopath-simd's kernels, and the counters are nanopath-atomic's
//! `RequestStats`. Nothing is allocated per request once the pool's
//! buffers, the rings and the key table are warm.

use super::workload::{Response, THRESHOLD, key_in};
use super::{Pipeline, Sink, Source, Totals};
use nanopath_atomic::{Backoff, RequestStats};
use nanopath_frame::{Config, Frame, FrameDecoder, FrameEncoder, FrameFields, HEADER_LEN};
use nanopath_pool::{BufferPool, PooledBuf};
use nanopath_queue::spsc;
use nanopath_shard::{Context, Handle, Runtime, SendError, WaitStrategy, Worker};
use std::collections::HashMap;
use std::io::IoSlice;
use std::sync::Arc;

/// One request: the decoded frame, its payload sharing the pooled buffer.
#[derive(Debug)]
pub struct Request {
    frame: Frame,
    key: u64,
}

/// One reply frame, header and payload apart, for one `write_vectored`.
struct Reply {
    header: [u8; HEADER_LEN],
    body: [u8; Response::LEN],
}

#[derive(Default)]
struct KeyState {
    seen: u64,
    last_crc: u32,
}

/// The per-worker request handler.
struct Handler {
    replies: spsc::Producer<Reply>,
    encoder: FrameEncoder,
    stats: Arc<RequestStats>,
    /// The threshold filter's output, reused.
    filtered: Vec<u8>,
}

impl Worker for Handler {
    type Key = u64;
    type State = HashMap<u64, KeyState>;
    type Message = Request;

    fn handle(&mut self, _: &mut Context<'_, Self>, state: &mut Self::State, req: Request) {
        let payload = req.frame.payload();
        let sequence = req.frame.sequence();
        let crc = nanopath_simd::crc32c(payload);
        // The filter's output buffer holds the largest payload the decoder
        // lets through, so the lengths match and the kernel cannot fail;
        // if it did, the request is answered with the error flag.
        let Some(out) = self.filtered.get_mut(..payload.len()) else {
            return self.reply(sequence, Response::default(), true, payload.len());
        };
        let above = match nanopath_simd::threshold::keep_above(payload, THRESHOLD, out) {
            Ok(()) => (payload.len() - nanopath_simd::search::count(out, 0)) as u32,
            Err(_) => return self.reply(sequence, Response::default(), true, payload.len()),
        };
        let entry = state.entry(req.key).or_default();
        entry.seen += 1;
        entry.last_crc = crc;
        let response = Response {
            sequence,
            crc,
            above,
            seen: entry.seen,
        };
        let len = payload.len();
        // The request's buffer is free for reuse once the frame is gone.
        drop(req);
        self.reply(sequence, response, false, len);
    }
}

impl Handler {
    /// Pushes the reply (flag 1: the request failed) onto the ring,
    /// waiting while it is full.
    fn reply(&mut self, sequence: u64, response: Response, failed: bool, len: usize) {
        self.stats.record(len as u64, failed);
        let body = response.to_bytes();
        let fields = FrameFields {
            sequence,
            flags: u8::from(failed),
        };
        // The body is `Response::LEN` bytes and the encoder allows that.
        let Ok(frame) = self.encoder.encode_vectored(fields, &body) else {
            debug_assert!(false, "a reply body over the encoder's maximum");
            return;
        };
        let mut reply = Reply {
            header: *frame.header(),
            body,
        };
        let backoff = Backoff::new();
        // The ingress thread drains the replies between its reads, so a
        // full ring empties; an abandoned one never will.
        while let Err(full) = self.replies.push(reply) {
            if self.replies.is_abandoned() {
                return;
            }
            reply = full.into_inner();
            backoff.snooze();
        }
    }
}

/// What the ingress stage can fail with: typed, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestError {
    /// A frame failed to decode.
    Frame(nanopath_frame::FrameError),
    /// A request payload shorter than its 8-byte key.
    NoKey {
        /// The request's sequence number.
        sequence: u64,
    },
    /// The workers stopped or one died.
    WorkersGone,
}

impl core::fmt::Display for IngestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            IngestError::Frame(e) => write!(f, "bad frame: {e}"),
            IngestError::NoKey { sequence } => write!(f, "request {sequence} has no key"),
            IngestError::WorkersGone => f.write_str("the workers are gone"),
        }
    }
}

/// The nanopath pipeline (see the module docs).
pub struct Nanopath {
    pool: BufferPool,
    /// The buffer reads go into; decoded frames are split off its front.
    /// Invariant: before a read, at least `2 * max_frame` bytes of spare
    /// capacity, so neither the read nor the decoder's `reserve` for a
    /// partial frame ever reallocates it.
    buf: PooledBuf,
    decoder: FrameDecoder,
    max_frame: usize,
    /// Dropped before `runtime` (fields drop in order): a worker waiting
    /// on a full reply ring sees it abandoned and lets the runtime stop.
    replies: Vec<spsc::Consumer<Reply>>,
    handle: Handle<Handler>,
    runtime: Runtime<Handler>,
    /// A decoded request the workers had no room for yet.
    pending: Option<Request>,
    /// Replies taken from a ring for one write (capacity [`WRITE_BATCH`]).
    batch: Vec<Reply>,
    stats: Arc<RequestStats>,
}

impl core::fmt::Debug for Nanopath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Nanopath")
            .field("buffered", &self.buf.len())
            .field("workers", &self.replies.len())
            .field("pending", &self.pending.is_some())
            .finish_non_exhaustive()
    }
}

/// Requests each worker's ring holds.
const RING: usize = 4096;

/// Replies per vectored write: two slices each, within Linux's
/// `IOV_MAX` of 1024.
const WRITE_BATCH: usize = 256;

/// Bytes one read may bring in at most: a socket-sized chunk.
pub const READ_CHUNK: usize = 64 * 1024;

impl Nanopath {
    /// Starts `workers` shard workers for payloads of at most
    /// `max_payload` bytes, for as many keys as `keys` without a rehash.
    pub fn new(
        workers: usize,
        max_payload: usize,
        keys: usize,
        wait: WaitStrategy,
    ) -> Result<Nanopath, String> {
        let max_frame = HEADER_LEN + max_payload;
        let buffer = READ_CHUNK + 2 * max_frame;
        // Requests in the workers' rings pin the buffers they arrived in:
        // enough buffers for full rings (plus the one being read and one
        // per worker's batch) means an acquire always finds a free one, up
        // to 256 MiB of buffers; past that a full ring makes an acquire
        // allocate (counted).
        let per_buffer = (READ_CHUNK / max_frame).max(1);
        let pinned = (RING * workers).div_ceil(per_buffer) + 2 * workers + 2;
        let buffers = pinned.min((256 << 20) / buffer).max(4);
        let pool = BufferPool::try_new(buffers, buffer).map_err(|e| e.to_string())?;
        // Give every buffer its shared reference count now (the first
        // split of a buffer allocates it), so the measured requests find
        // the pool warm.
        let warm: Vec<PooledBuf> = (0..pool.capacity()).map(|_| pool.acquire()).collect();
        for mut b in warm {
            b.extend_from_slice(&[0]);
            drop(b.split_to(1).freeze());
        }
        let stats = Arc::new(RequestStats::new());
        let mut producers = Vec::new();
        let mut replies = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = spsc::try_ring::<Reply>(16 * 1024).map_err(|e| e.to_string())?;
            producers.push(Some(tx));
            replies.push(rx);
        }
        let runtime = Runtime::<Handler>::builder()
            .workers(workers)
            .capacity(RING)
            .wait_strategy(wait)
            .build(|w| {
                let handler = Handler {
                    replies: producers[w].take().expect("one ring per worker"),
                    encoder: FrameEncoder::new(Response::LEN as u32),
                    stats: Arc::clone(&stats),
                    filtered: vec![0; max_payload],
                };
                // Hash routing gives each worker about its share of the
                // keys; a quarter more leaves room for the spread.
                (
                    handler,
                    HashMap::with_capacity(keys.div_ceil(workers) * 5 / 4 + 16),
                )
            })
            .map_err(|e| e.to_string())?;
        let handle = runtime.handle().map_err(|e| e.to_string())?;
        let buf = pool.acquire();
        Ok(Nanopath {
            decoder: FrameDecoder::new(Config {
                max_frame_len: u32::try_from(max_payload).unwrap_or(u32::MAX),
                verify_checksums: true,
            }),
            pool,
            buf,
            max_frame,
            handle,
            runtime,
            replies,
            pending: None,
            batch: Vec::with_capacity(WRITE_BATCH),
            stats,
        })
    }

    /// Sends `req` to its worker; `false` (and it is kept) if the worker's
    /// ring is full.
    fn dispatch(&mut self, req: Request) -> Result<bool, IngestError> {
        let key = req.key;
        match self.handle.try_send(&key, req) {
            Ok(()) => Ok(true),
            Err(SendError::Full(req)) => {
                self.pending = Some(req);
                Ok(false)
            }
            Err(_) => Err(IngestError::WorkersGone),
        }
    }

    /// Decodes and dispatches every whole frame in the buffer; `false` if
    /// it stopped at a full ring.
    fn dispatch_decoded(&mut self) -> Result<bool, IngestError> {
        if let Some(req) = self.pending.take()
            && !self.dispatch(req)?
        {
            return Ok(false);
        }
        while let Some(frame) = self
            .decoder
            .decode(&mut self.buf)
            .map_err(IngestError::Frame)?
        {
            let Some(key) = key_in(frame.payload()) else {
                return Err(IngestError::NoKey {
                    sequence: frame.sequence(),
                });
            };
            if !self.dispatch(Request { frame, key })? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Moves the partial frame at the end of the buffer into a fresh
    /// pooled buffer; the old one goes back to the pool, and its memory is
    /// reused once the requests decoded from it are dropped.
    fn rotate(&mut self) {
        let mut next = self.pool.acquire();
        next.extend_from_slice(&self.buf);
        self.buf = next;
    }
}

impl Pipeline for Nanopath {
    fn name(&self) -> &'static str {
        "nanopath"
    }

    fn ingest(&mut self, source: &mut dyn Source, max: usize) -> Result<usize, String> {
        if !self.dispatch_decoded().map_err(|e| e.to_string())? {
            return Ok(0);
        }
        if self.buf.capacity() - self.buf.len() < 2 * self.max_frame {
            self.rotate();
        }
        let room = (self.buf.capacity() - self.buf.len() - self.max_frame)
            .min(READ_CHUNK)
            .min(max);
        let buf = &mut self.buf;
        let n = source
            .read(room, &mut |bytes| buf.extend_from_slice(bytes))
            .map_err(|e| format!("read failed: {e}"))?;
        self.dispatch_decoded().map_err(|e| e.to_string())?;
        Ok(n)
    }

    fn drain(&mut self, sink: &mut dyn Sink) -> Result<usize, String> {
        let mut n = 0;
        for ring in &mut self.replies {
            loop {
                let got = ring.pop_batch(&mut self.batch, WRITE_BATCH);
                if got == 0 {
                    break;
                }
                // One vectored write for the batch: each reply's header
                // and payload as they sit in the batch, no copy.
                let mut slices = [IoSlice::new(&[]); 2 * WRITE_BATCH];
                for (pair, reply) in slices.chunks_exact_mut(2).zip(&self.batch) {
                    pair[0] = IoSlice::new(&reply.header);
                    pair[1] = IoSlice::new(&reply.body);
                }
                sink.write(&slices[..2 * self.batch.len()])
                    .map_err(|e| format!("write failed: {e}"))?;
                n += got;
                self.batch.clear();
            }
        }
        Ok(n)
    }

    fn finish(self: Box<Self>) -> Result<Totals, String> {
        let Nanopath {
            runtime,
            handle,
            replies,
            stats,
            ..
        } = *self;
        // Every reply was drained; a worker still waiting on a full ring
        // (a caller that stopped draining) gives up once it is abandoned.
        drop(replies);
        drop(handle);
        runtime.shutdown().map_err(|e| e.to_string())?;
        let s = stats.snapshot();
        if s.errors != 0 {
            return Err(format!("{} requests failed in the workers", s.errors));
        }
        Ok(Totals {
            requests: s.requests,
            bytes: s.bytes,
        })
    }
}
