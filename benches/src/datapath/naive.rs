//! The naive build: what a competent first version of the pipeline looks
//! like. Frames are parsed by hand from a growing `Vec` and their payloads
//! copied into `Vec`s, errors are `String`s, requests go to the workers
//! over `std::sync::mpsc`, the per-key state sits in one
//! `Mutex<HashMap>`, the checksum is a table-driven scalar loop, and the
//! responses come back through a `Mutex<VecDeque>`.

use super::workload::{Response, THRESHOLD, key_in};
use super::{Pipeline, Sink, Source, Totals};
use std::collections::{HashMap, VecDeque};
use std::io::IoSlice;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

/// The wire format's fixed facts, written out as a first version would.
const HEADER_LEN: usize = 26;
const MAGIC: u32 = 0x4E50_4652;
const VERSION: u8 = 1;

/// One request on its way to a worker: a copy of the payload.
struct Job {
    sequence: u64,
    key: u64,
    payload: Vec<u8>,
}

#[derive(Default)]
struct KeyState {
    seen: u64,
    last_crc: u32,
}

#[derive(Default)]
struct Counters {
    requests: u64,
    bytes: u64,
}

/// The naive pipeline (see the module docs).
pub struct Naive {
    /// Bytes read and not yet parsed; parsed frames are drained from the
    /// front.
    inbox: Vec<u8>,
    senders: Vec<mpsc::Sender<Job>>,
    responses: Arc<Mutex<VecDeque<Vec<u8>>>>,
    /// Responses taken from the shared queue, written out by `drain`.
    taken: VecDeque<Vec<u8>>,
    /// Responses gathered for one write (what a `BufWriter` does).
    out: Vec<u8>,
    counters: Arc<Mutex<Counters>>,
    workers: Vec<JoinHandle<()>>,
    max_payload: usize,
}

impl std::fmt::Debug for Naive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Naive")
            .field("buffered", &self.inbox.len())
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Naive {
    /// Starts `workers` worker threads.
    pub fn new(workers: usize, max_payload: usize) -> Naive {
        let state = Arc::new(Mutex::new(HashMap::<u64, KeyState>::new()));
        let responses = Arc::new(Mutex::new(VecDeque::new()));
        let counters = Arc::new(Mutex::new(Counters::default()));
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for w in 0..workers.max(1) {
            let (tx, rx) = mpsc::channel::<Job>();
            senders.push(tx);
            let state = Arc::clone(&state);
            let responses = Arc::clone(&responses);
            let counters = Arc::clone(&counters);
            let handle = std::thread::Builder::new()
                .name(format!("naive-worker-{w}"))
                .spawn(move || {
                    for job in rx {
                        let crc = crc32c_table(&job.payload);
                        let filtered: Vec<u8> = job
                            .payload
                            .iter()
                            .map(|&b| if b > THRESHOLD { b } else { 0 })
                            .collect();
                        let above = filtered.iter().filter(|&&b| b != 0).count() as u32;
                        let seen = {
                            let mut state = state.lock().unwrap();
                            let entry = state.entry(job.key).or_default();
                            entry.seen += 1;
                            entry.last_crc = crc;
                            entry.seen
                        };
                        let response = Response {
                            sequence: job.sequence,
                            crc,
                            above,
                            seen,
                        };
                        let frame = encode_frame(job.sequence, &response.to_bytes());
                        responses.lock().unwrap().push_back(frame);
                        let mut c = counters.lock().unwrap();
                        c.requests += 1;
                        c.bytes += job.payload.len() as u64;
                    }
                })
                .expect("spawn a naive worker");
            handles.push(handle);
        }
        Naive {
            inbox: Vec::new(),
            senders,
            responses,
            taken: VecDeque::new(),
            out: Vec::new(),
            counters,
            workers: handles,
            max_payload,
        }
    }
}

impl Pipeline for Naive {
    fn name(&self) -> &'static str {
        "naive"
    }

    fn ingest(&mut self, source: &mut dyn Source, max: usize) -> Result<usize, String> {
        let inbox = &mut self.inbox;
        let n = source
            .read(max, &mut |bytes| inbox.extend_from_slice(bytes))
            .map_err(|e| format!("read failed: {e}"))?;
        let mut pos = 0;
        while let Some((sequence, payload)) = parse_frame(&self.inbox[pos..], self.max_payload)? {
            let payload = payload.to_vec();
            pos += HEADER_LEN + payload.len();
            let key = key_in(&payload).ok_or_else(|| "request without a key".to_string())?;
            let worker = (key % self.senders.len() as u64) as usize;
            self.senders[worker]
                .send(Job {
                    sequence,
                    key,
                    payload,
                })
                .map_err(|_| format!("worker {worker} is gone"))?;
        }
        self.inbox.drain(..pos);
        Ok(n)
    }

    fn drain(&mut self, sink: &mut dyn Sink) -> Result<usize, String> {
        std::mem::swap(&mut *self.responses.lock().unwrap(), &mut self.taken);
        let n = self.taken.len();
        for frame in self.taken.drain(..) {
            self.out.extend_from_slice(&frame);
        }
        if !self.out.is_empty() {
            sink.write(&[IoSlice::new(&self.out)])
                .map_err(|e| format!("write failed: {e}"))?;
            self.out.clear();
        }
        Ok(n)
    }

    fn finish(self: Box<Self>) -> Result<Totals, String> {
        let Naive {
            senders,
            workers,
            counters,
            ..
        } = *self;
        drop(senders);
        for w in workers {
            w.join()
                .map_err(|_| "a naive worker panicked".to_string())?;
        }
        let c = counters.lock().unwrap();
        Ok(Totals {
            requests: c.requests,
            bytes: c.bytes,
        })
    }
}

/// Parses one frame from the front of `buf`: its sequence number and
/// payload, `None` if `buf` holds less than a whole frame.
fn parse_frame(buf: &[u8], max_payload: usize) -> Result<Option<(u64, &[u8])>, String> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let be32 = |i: usize| u32::from_be_bytes(buf[i..i + 4].try_into().unwrap());
    if be32(0) != MAGIC {
        return Err(format!("bad magic {:#x}", be32(0)));
    }
    if buf[4] != VERSION {
        return Err(format!("unknown version {}", buf[4]));
    }
    if crc32c_table(&buf[..22]) != be32(22) {
        return Err("header checksum mismatch".to_string());
    }
    let len = be32(6) as usize;
    if len > max_payload {
        return Err(format!(
            "frame of {len} bytes is over the maximum {max_payload}"
        ));
    }
    if buf.len() < HEADER_LEN + len {
        return Ok(None);
    }
    let sequence = u64::from_be_bytes(buf[10..18].try_into().unwrap());
    let payload = &buf[HEADER_LEN..HEADER_LEN + len];
    if crc32c_table(payload) != be32(18) {
        return Err(format!("payload checksum mismatch in frame {sequence}"));
    }
    Ok(Some((sequence, payload)))
}

/// A whole frame (header, then payload) in a new `Vec`.
fn encode_frame(sequence: u64, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER_LEN + payload.len());
    frame.extend_from_slice(&MAGIC.to_be_bytes());
    frame.push(VERSION);
    frame.push(0);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&sequence.to_be_bytes());
    frame.extend_from_slice(&crc32c_table(payload).to_be_bytes());
    let header_crc = crc32c_table(&frame[..22]);
    frame.extend_from_slice(&header_crc.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// The byte-at-a-time lookup table of CRC32C (reflected Castagnoli).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC32C one byte at a time through a lookup table: the scalar loop a
/// first version writes.
pub fn crc32c_table(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = (crc >> 8) ^ CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize];
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datapath::workload::crc32c_scalar;

    #[test]
    fn the_table_crc_and_the_hand_written_frames_match_the_frame_crate() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        assert_eq!(crc32c_table(&data), crc32c_scalar(&data));
        let ours = encode_frame(9, &data);
        let mut theirs = bytes::BytesMut::new();
        nanopath_frame::FrameEncoder::default()
            .encode(
                nanopath_frame::FrameFields {
                    sequence: 9,
                    flags: 0,
                },
                &data,
                &mut theirs,
            )
            .unwrap();
        assert_eq!(&ours[..], &theirs[..]);
        let (seq, payload) = parse_frame(&ours, 4096).unwrap().unwrap();
        assert_eq!((seq, payload), (9, &data[..]));
        assert_eq!(parse_frame(&ours[..100], 4096), Ok(None));
        assert!(parse_frame(&ours, 100).unwrap_err().contains("maximum"));
        let mut bad = ours.clone();
        bad[HEADER_LEN + 5] ^= 1;
        assert!(parse_frame(&bad, 4096).unwrap_err().contains("checksum"));
    }
}
