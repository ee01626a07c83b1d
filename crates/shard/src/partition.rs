//! Partitioners: which worker a key belongs to.
//!
//! | partitioner | key affinity | memory | keys moved when a worker is added | pick it when |
//! |---|---|---|---|---|
//! | [`HashPartitioner`] | yes | none | about half | the worker count never changes |
//! | [`JumpHashPartitioner`] | yes | none | exactly 1/(n+1) on average | workers are only added (or removed from the end) |
//! | [`ConsistentHashPartitioner`] | yes | `n × vnodes` ring points | about 1/(n+1) | keys must keep their worker when any worker is added or removed between runs, or keys map to nodes |
//! | [`RoundRobinPartitioner`] | no | one counter per thread | — | every worker can handle every message |
//!
//! Any `Fn(&K, usize) -> usize + Send + Sync` is a partitioner too. A
//! partitioner that returns an index `>= workers` makes the send fail with
//! [`SendError::NoSuchWorker`](crate::SendError::NoSuchWorker), handing the
//! message back.

use core::hash::{Hash, Hasher};
use std::cell::Cell;

/// Maps a key to one of `workers` workers (`workers >= 1`). Must be a pure
/// function of the key for key affinity (every partitioner here except
/// [`RoundRobinPartitioner`]).
pub trait Partitioner<K: ?Sized>: Send + Sync {
    /// The worker for `key`, in `0..workers`.
    fn partition(&self, key: &K, workers: usize) -> usize;
}

impl<K: ?Sized, F> Partitioner<K> for F
where
    F: Fn(&K, usize) -> usize + Send + Sync,
{
    #[inline]
    fn partition(&self, key: &K, workers: usize) -> usize {
        self(key, workers)
    }
}

/// A fast, non-cryptographic 64-bit hash of `key` (a multiply-rotate mix
/// per word, then a final avalanche): the hash every partitioner here
/// starts from. Deterministic across runs and processes; not resistant to
/// keys chosen to collide.
///
/// ```
/// use nanopath_shard::partition::hash_key;
/// assert_eq!(hash_key(&42u64), hash_key(&42u64));
/// assert_ne!(hash_key(&1u64), hash_key(&2u64));
/// ```
pub fn hash_key<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut hasher = KeyHasher(0);
    key.hash(&mut hasher);
    avalanche(hasher.0)
}

/// The word hasher behind [`hash_key`].
struct KeyHasher(u64);

/// An odd constant with well-spread bits (2^64 / golden ratio).
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" and "ab\0" apart.
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(MIX);
    }

    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    #[inline]
    fn write_u16(&mut self, v: u16) {
        self.write_u64(u64::from(v));
    }

    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A bijective 64-bit finaliser (MurmurHash3's fmix64): every input bit
/// affects every output bit, so the top bits are usable for range
/// reduction.
#[inline]
fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// `hash` scaled into `0..n` with a multiply (no division): uniform for a
/// uniform hash.
#[inline]
fn scale(hash: u64, n: usize) -> usize {
    ((u128::from(hash) * n as u128) >> 64) as usize
}

/// [`hash_key`], then scaled to the worker count: the cheapest routing with
/// key affinity, for a fixed number of workers (a different count moves
/// about half the keys).
///
/// ```
/// use nanopath_shard::partition::{HashPartitioner, Partitioner};
/// let p = HashPartitioner;
/// assert!(p.partition(&"user-17", 4) < 4);
/// assert_eq!(p.partition(&"user-17", 4), p.partition(&"user-17", 4));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HashPartitioner;

impl<K: Hash + ?Sized> Partitioner<K> for HashPartitioner {
    #[inline]
    fn partition(&self, key: &K, workers: usize) -> usize {
        scale(hash_key(key), workers)
    }
}

/// Jump consistent hash (Lamping and Veach, 2014, "A Fast, Minimal Memory,
/// Consistent Hash Algorithm"): no memory, an even spread, and when the
/// count goes from `n` to `n + 1` exactly the keys that move go to the new
/// worker (1/(n+1) of them on average). Workers can only be added or removed
/// at the end of the range. `O(ln n)` steps per key.
///
/// ```
/// use nanopath_shard::partition::{JumpHashPartitioner, Partitioner};
/// let p = JumpHashPartitioner;
/// for key in 0u64..100 {
///     let before = p.partition(&key, 4);
///     let after = p.partition(&key, 5);
///     assert!(after == before || after == 4); // a key only ever moves to the new worker
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct JumpHashPartitioner;

/// The bucket of `key` among `buckets` (`buckets >= 1`): the published
/// algorithm's loop, which jumps forward from bucket 0 to each next bucket
/// where the key would move, until past the end.
fn jump_bucket(mut key: u64, buckets: usize) -> usize {
    let (mut bucket, mut next) = (0u64, 0u64);
    while next < buckets as u64 {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // (bucket + 1) * 2^31 / ((key >> 33) + 1), in floating point as
        // in the paper; the quotient is at most 2^31 * (bucket + 1).
        let ratio = (1u64 << 31) as f64 / ((key >> 33) + 1) as f64;
        next = ((bucket + 1) as f64 * ratio) as u64;
    }
    bucket as usize
}

impl<K: Hash + ?Sized> Partitioner<K> for JumpHashPartitioner {
    #[inline]
    fn partition(&self, key: &K, workers: usize) -> usize {
        jump_bucket(hash_key(key), workers.max(1))
    }
}

/// Hands out workers in turn, ignoring the key: one counter per thread, so
/// senders never share a line. No key affinity (per-key order is not kept
/// across workers).
///
/// ```
/// use nanopath_shard::partition::{Partitioner, RoundRobinPartitioner};
/// let p = RoundRobinPartitioner;
/// let picks: Vec<usize> = (0..6).map(|_| p.partition(&(), 3)).collect();
/// for w in 0..3 {
///     assert_eq!(picks.iter().filter(|&&x| x == w).count(), 2);
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobinPartitioner;

thread_local! {
    /// This thread's next pick for [`RoundRobinPartitioner`].
    static NEXT: Cell<usize> = const { Cell::new(0) };
}

impl<K: ?Sized> Partitioner<K> for RoundRobinPartitioner {
    #[inline]
    fn partition(&self, _key: &K, workers: usize) -> usize {
        NEXT.with(|next| {
            let pick = next.get() % workers.max(1);
            next.set(pick + 1);
            pick
        })
    }
}

/// A consistent-hash ring: each member owns `vnodes` points on a 64-bit
/// circle, and a key belongs to the member owning the first point at or
/// after the key's hash. Adding or removing a member moves only the keys
/// of the arcs it gains or loses (about 1/(n+1) of them when an `n + 1`-th
/// joins). Members are any `u64` ids: worker indices, or node ids when the
/// same ring maps keys to machines.
///
/// ```
/// use nanopath_shard::partition::HashRing;
/// let mut ring = HashRing::new(150);
/// for node in [10, 20, 30] {
///     ring.add(node);
/// }
/// let owner = ring.member_for(&"order-7").unwrap();
/// assert!([10, 20, 30].contains(&owner));
/// ring.remove(owner);
/// assert_ne!(ring.member_for(&"order-7"), Some(owner));
/// ```
#[derive(Debug, Clone)]
pub struct HashRing {
    /// Points per member.
    vnodes: usize,
    /// `(point, member)`, sorted by point (ties by member), one entry per
    /// virtual node.
    points: Vec<(u64, u64)>,
}

impl HashRing {
    /// An empty ring with `vnodes` points per member (at least 1).
    pub fn new(vnodes: usize) -> Self {
        HashRing {
            vnodes: vnodes.max(1),
            points: Vec::new(),
        }
    }

    /// Adds `member` (no change if it is already there).
    pub fn add(&mut self, member: u64) {
        if self.contains(member) {
            return;
        }
        self.points.reserve(self.vnodes);
        for v in 0..self.vnodes as u64 {
            self.points.push((hash_key(&(member, v)), member));
        }
        self.points.sort_unstable();
    }

    /// Removes `member` and its points (no change if it is not there).
    pub fn remove(&mut self, member: u64) {
        self.points.retain(|&(_, m)| m != member);
    }

    /// Whether `member` is on the ring.
    pub fn contains(&self, member: u64) -> bool {
        self.points.iter().any(|&(_, m)| m == member)
    }

    /// How many members are on the ring.
    pub fn len(&self) -> usize {
        self.points.len() / self.vnodes
    }

    /// `true` if the ring has no member.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The member that owns `key`, or `None` on an empty ring.
    pub fn member_for<K: Hash + ?Sized>(&self, key: &K) -> Option<u64> {
        self.member_for_hash(hash_key(key))
    }

    /// The member that owns the point `hash`.
    fn member_for_hash(&self, hash: u64) -> Option<u64> {
        let i = self.points.partition_point(|&(p, _)| p < hash);
        // Past the last point: wrap to the first.
        self.points
            .get(i)
            .or_else(|| self.points.first())
            .map(|&(_, m)| m)
    }
}

/// A [`HashRing`] over worker indices `0..workers`, with 150 virtual nodes
/// per worker unless told otherwise: for workers that come and go. Build
/// it for the runtime's worker count; a key whose ring member is not below
/// the count passed to `partition` falls back to [`HashPartitioner`]'s pick.
///
/// ```
/// use nanopath_shard::partition::{ConsistentHashPartitioner, Partitioner};
/// let p = ConsistentHashPartitioner::new(4);
/// assert!(p.partition(&"k", 4) < 4);
/// ```
#[derive(Debug, Clone)]
pub struct ConsistentHashPartitioner {
    ring: HashRing,
}

impl ConsistentHashPartitioner {
    /// The default points per worker.
    pub const DEFAULT_VNODES: usize = 150;

    /// A ring of workers `0..workers`, [`DEFAULT_VNODES`](Self::DEFAULT_VNODES) each.
    pub fn new(workers: usize) -> Self {
        Self::with_vnodes(workers, Self::DEFAULT_VNODES)
    }

    /// A ring of workers `0..workers`, `vnodes` points each.
    pub fn with_vnodes(workers: usize, vnodes: usize) -> Self {
        let mut ring = HashRing::new(vnodes);
        // All points, then one sort (`add` sorts after each member).
        ring.points.reserve(workers.saturating_mul(ring.vnodes));
        for w in 0..workers as u64 {
            for v in 0..ring.vnodes as u64 {
                ring.points.push((hash_key(&(w, v)), w));
            }
        }
        ring.points.sort_unstable();
        ConsistentHashPartitioner { ring }
    }

    /// The ring, to add or remove workers by index.
    pub fn ring_mut(&mut self) -> &mut HashRing {
        &mut self.ring
    }
}

impl<K: Hash + ?Sized> Partitioner<K> for ConsistentHashPartitioner {
    #[inline]
    fn partition(&self, key: &K, workers: usize) -> usize {
        let hash = hash_key(key);
        match self.ring.member_for_hash(hash) {
            Some(m) if (m as usize) < workers => m as usize,
            _ => scale(hash, workers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_hash_matches_a_direct_transcription_of_the_paper() {
        // The paper's loop with signed arithmetic, as a reference.
        fn reference(mut key: u64, buckets: i32) -> i32 {
            let (mut b, mut j) = (-1i64, 0i64);
            while j < i64::from(buckets) {
                b = j;
                key = key.wrapping_mul(2862933555777941757).wrapping_add(1);
                j = ((b + 1) as f64 * ((1i64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
            }
            b as i32
        }
        for key in (0..2000u64).map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15)) {
            for n in [1usize, 2, 3, 7, 10, 100, 1000] {
                assert_eq!(jump_bucket(key, n) as i32, reference(key, n as i32));
            }
        }
    }

    #[test]
    fn scale_stays_in_range() {
        for n in [1usize, 2, 3, 1000] {
            assert_eq!(scale(0, n), 0);
            assert_eq!(scale(u64::MAX, n), n - 1);
        }
    }

    #[test]
    fn hasher_tells_tail_lengths_apart() {
        assert_ne!(hash_key(&b"ab"[..]), hash_key(&b"ab\0"[..]));
        assert_ne!(hash_key("a"), hash_key("b"));
    }
}
