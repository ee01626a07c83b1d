//! The byte and f32 algorithms, written once against small vector traits
//! and instantiated by the per-ISA modules (`arch::*`) inside functions
//! compiled with that ISA's target features.
//!
//! Every function here is `#[inline(always)]` so that it is compiled into
//! its caller's `#[target_feature]` context: the generic code then emits
//! the ISA's instructions with no call overhead. Inputs shorter than one
//! vector go through the scalar loops; longer inputs finish with one
//! *overlapping* vector that ends exactly at the end of the slice, so no
//! load ever reads past the slice and no scalar tail loop is needed.

use crate::reference;

/// A vector of bytes on one ISA.
///
/// # Safety
/// Implementations may only be used when the CPU supports their ISA; every
/// method is `unsafe` for that reason, and callers must be compiled with (or
/// have checked) the features.
pub(crate) unsafe trait ByteVector: Copy {
    /// Bytes per vector (at most 64).
    const BYTES: usize;
    /// Bits per byte in the masks `eq_mask` returns (1, or 4 on NEON);
    /// `BYTES * MASK_BITS <= 64`.
    const MASK_BITS: u32;
    /// Every byte `b`.
    unsafe fn splat(b: u8) -> Self;
    /// All zeros.
    unsafe fn zero() -> Self;
    /// Unaligned load of `BYTES` bytes from `p`.
    unsafe fn load(p: *const u8) -> Self;
    /// Unaligned store of `BYTES` bytes to `p`.
    unsafe fn store(self, p: *mut u8);
    /// `MASK_BITS` set bits per byte equal to `other`'s, byte 0 lowest.
    unsafe fn eq_mask(self, other: Self) -> u64;
    /// Whether any byte of the four vectors equals `needle`'s.
    unsafe fn any_eq4(v: [Self; 4], needle: Self) -> bool;
    /// Bytes above `threshold` kept, others zeroed; `threshold_plus_one`
    /// is `threshold + 1` splatted (`threshold < 255`).
    unsafe fn keep_above(self, threshold: Self, threshold_plus_one: Self) -> Self;
    /// Lane-wise wrapping add of `u64` lanes.
    unsafe fn add_u64(self, other: Self) -> Self;
    /// Wrapping sum of the `u64` lanes.
    unsafe fn sum_u64(self) -> u64;
}

/// A vector of `f32` on one ISA.
///
/// # Safety
/// As [`ByteVector`].
pub(crate) unsafe trait F32Vector: Copy {
    /// `f32` lanes per vector.
    const LANES: usize;
    /// Every lane `x`.
    unsafe fn splat(x: f32) -> Self;
    /// Unaligned load of `LANES` values.
    unsafe fn load(p: *const f32) -> Self;
    /// Unaligned store of `LANES` values.
    unsafe fn store(self, p: *mut f32);
    /// Lane-wise add.
    unsafe fn add(self, other: Self) -> Self;
    /// Lane-wise multiply.
    unsafe fn mul(self, other: Self) -> Self;
    /// The lanes summed (pairwise; see `sum`'s documentation).
    unsafe fn hsum(self) -> f32;
}

/// Index of the first `byte` in `hay`.
///
/// # Safety
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn find<V: ByteVector>(hay: &[u8], byte: u8) -> Option<usize> {
    let len = hay.len();
    if len < V::BYTES {
        return reference::find(hay, byte);
    }
    let p = hay.as_ptr();
    // SAFETY: the caller guarantees the ISA; every load reads `BYTES` bytes
    // at an offset `i` with `i + BYTES <= len` (checked by the loop
    // conditions), so it stays inside `hay`.
    unsafe {
        let needle = V::splat(byte);
        let first = |i: usize| -> Option<usize> {
            let m = V::load(p.add(i)).eq_mask(needle);
            (m != 0).then(|| i + (m.trailing_zeros() / V::MASK_BITS) as usize)
        };
        let mut i = 0;
        while i + 4 * V::BYTES <= len {
            let v = [
                V::load(p.add(i)),
                V::load(p.add(i + V::BYTES)),
                V::load(p.add(i + 2 * V::BYTES)),
                V::load(p.add(i + 3 * V::BYTES)),
            ];
            if V::any_eq4(v, needle) {
                for k in 0..4 {
                    if let Some(found) = first(i + k * V::BYTES) {
                        return Some(found);
                    }
                }
            }
            i += 4 * V::BYTES;
        }
        while i + V::BYTES <= len {
            if let Some(found) = first(i) {
                return Some(found);
            }
            i += V::BYTES;
        }
        if i < len {
            // The last vector overlaps bytes already checked; shift them out.
            let start = len - V::BYTES;
            let skip = (i - start) as u32 * V::MASK_BITS;
            let m = V::load(p.add(start)).eq_mask(needle) >> skip;
            if m != 0 {
                return Some(i + (m.trailing_zeros() / V::MASK_BITS) as usize);
            }
        }
        None
    }
}

/// Index of the first byte of `hay` equal to any of `needles`: one mask
/// per vector, the OR of one compare per needle.
///
/// # Safety
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn find_any<V: ByteVector, const N: usize>(
    hay: &[u8],
    needles: [u8; N],
) -> Option<usize> {
    let len = hay.len();
    if len < V::BYTES {
        return hay.iter().position(|x| needles.contains(x));
    }
    let p = hay.as_ptr();
    // SAFETY: as in `find`: every load ends at or before `len`.
    unsafe {
        let splat = needles.map(|b| V::splat(b));
        let mask = |i: usize| {
            let v = V::load(p.add(i));
            splat.iter().fold(0u64, |m, &n| m | v.eq_mask(n))
        };
        let mut i = 0;
        while i + 2 * V::BYTES <= len {
            let (m0, m1) = (mask(i), mask(i + V::BYTES));
            if m0 | m1 != 0 {
                let (base, m) = if m0 != 0 { (i, m0) } else { (i + V::BYTES, m1) };
                return Some(base + (m.trailing_zeros() / V::MASK_BITS) as usize);
            }
            i += 2 * V::BYTES;
        }
        while i + V::BYTES <= len {
            let m = mask(i);
            if m != 0 {
                return Some(i + (m.trailing_zeros() / V::MASK_BITS) as usize);
            }
            i += V::BYTES;
        }
        if i < len {
            // The last vector overlaps bytes already checked; shift them out.
            let start = len - V::BYTES;
            let m = mask(start) >> ((i - start) as u32 * V::MASK_BITS);
            if m != 0 {
                return Some(i + (m.trailing_zeros() / V::MASK_BITS) as usize);
            }
        }
        None
    }
}

/// Index of the last `byte` in `hay`, scanning vectors from the end.
///
/// # Safety
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn rfind<V: ByteVector>(hay: &[u8], byte: u8) -> Option<usize> {
    let len = hay.len();
    if len < V::BYTES {
        return reference::rfind(hay, byte);
    }
    let p = hay.as_ptr();
    // The byte index of the highest set mask bit.
    let last = |m: u64| (63 - m.leading_zeros()) / V::MASK_BITS;
    // SAFETY: every load reads `BYTES` bytes at `end - BYTES` with
    // `BYTES <= end <= len`, or at 0 with `BYTES <= len`: inside `hay`.
    unsafe {
        let needle = V::splat(byte);
        let mut end = len;
        while end >= V::BYTES {
            let start = end - V::BYTES;
            let m = V::load(p.add(start)).eq_mask(needle);
            if m != 0 {
                return Some(start + last(m) as usize);
            }
            end = start;
        }
        if end > 0 {
            // The first vector overlaps bytes already checked (those at
            // `end` and above); keep the bits of the `end` bytes below.
            let m = V::load(p).eq_mask(needle) & ((1u64 << (end as u32 * V::MASK_BITS)) - 1);
            if m != 0 {
                return Some(last(m) as usize);
            }
        }
        None
    }
}

/// How many times `byte` occurs in `hay`.
///
/// # Safety
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn count<V: ByteVector>(hay: &[u8], byte: u8) -> usize {
    let len = hay.len();
    if len < V::BYTES {
        return reference::count(hay, byte);
    }
    let p = hay.as_ptr();
    // SAFETY: as in `find`: every load ends at or before `len`.
    unsafe {
        let needle = V::splat(byte);
        let ones = |i: usize| V::load(p.add(i)).eq_mask(needle).count_ones() as usize;
        let mut bits = 0usize;
        let mut i = 0;
        while i + 4 * V::BYTES <= len {
            bits += ones(i) + ones(i + V::BYTES) + ones(i + 2 * V::BYTES) + ones(i + 3 * V::BYTES);
            i += 4 * V::BYTES;
        }
        while i + V::BYTES <= len {
            bits += ones(i);
            i += V::BYTES;
        }
        if i < len {
            let start = len - V::BYTES;
            let skip = (i - start) as u32 * V::MASK_BITS;
            bits += (V::load(p.add(start)).eq_mask(needle) >> skip).count_ones() as usize;
        }
        bits / V::MASK_BITS as usize
    }
}

/// `out[i] = input[i]` if above `threshold`, else 0. `input` and `out` have
/// the same length (checked by the caller); `in_place` means they are the
/// same memory, passed as `out` only.
///
/// # Safety
/// The CPU supports `V`'s ISA; `input` and `out` are valid for `len` bytes
/// (reads and writes respectively) and either do not overlap or are equal.
#[inline(always)]
pub(crate) unsafe fn keep_above<V: ByteVector>(
    input: *const u8,
    out: *mut u8,
    len: usize,
    threshold: u8,
) {
    if threshold == u8::MAX || len < V::BYTES {
        // Nothing is above 255; short inputs go scalar.
        for i in 0..len {
            // SAFETY: `i < len`, both valid for `len` bytes.
            unsafe {
                let x = *input.add(i);
                *out.add(i) = if x > threshold { x } else { 0 };
            }
        }
        return;
    }
    // SAFETY: every access covers `BYTES` bytes ending at or before `len`.
    // The last vector may redo bytes already written; the function is
    // idempotent (a kept byte is still above the threshold, a zero stays
    // zero), so that is correct even when `input == out`.
    unsafe {
        let t = V::splat(threshold);
        let t1 = V::splat(threshold + 1);
        let mut i = 0;
        while i + 2 * V::BYTES <= len {
            let a = V::load(input.add(i));
            let b = V::load(input.add(i + V::BYTES));
            a.keep_above(t, t1).store(out.add(i));
            b.keep_above(t, t1).store(out.add(i + V::BYTES));
            i += 2 * V::BYTES;
        }
        while i + V::BYTES <= len {
            V::load(input.add(i)).keep_above(t, t1).store(out.add(i));
            i += V::BYTES;
        }
        if i < len {
            let start = len - V::BYTES;
            V::load(input.add(start))
                .keep_above(t, t1)
                .store(out.add(start));
        }
    }
}

/// Wrapping sum of the little-endian `u64` words (see `checksum::sum64`).
///
/// # Safety
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn sum64<V: ByteVector>(data: &[u8]) -> u64 {
    let len = data.len();
    let p = data.as_ptr();
    let mut i = 0;
    // SAFETY: every load ends at or before `len`; vectors start at
    // multiples of 8 bytes from `data`'s start, so their `u64` lanes are
    // exactly the words of the definition.
    let vector_sum = unsafe {
        let mut acc = [V::zero(); 4];
        while i + 4 * V::BYTES <= len {
            for (k, a) in acc.iter_mut().enumerate() {
                *a = a.add_u64(V::load(p.add(i + k * V::BYTES)));
            }
            i += 4 * V::BYTES;
        }
        while i + V::BYTES <= len {
            acc[0] = acc[0].add_u64(V::load(p.add(i)));
            i += V::BYTES;
        }
        acc[0]
            .add_u64(acc[1])
            .add_u64(acc[2].add_u64(acc[3]))
            .sum_u64()
    };
    // The rest (fewer than BYTES bytes, starting at a multiple of 8).
    vector_sum.wrapping_add(reference::sum64(&data[i..]))
}

/// `out = a + b` lane-wise; equal lengths checked by the caller.
///
/// # Safety
/// The CPU supports `V`'s ISA; `b.len() == a.len() == out.len()`.
#[inline(always)]
pub(crate) unsafe fn add<V: F32Vector>(a: &[f32], b: &[f32], out: &mut [f32]) {
    let len = a.len();
    let (pa, pb, po) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    // SAFETY: every access covers LANES values ending at or before `len`,
    // and all three slices have `len` values.
    unsafe {
        while i + V::LANES <= len {
            V::load(pa.add(i)).add(V::load(pb.add(i))).store(po.add(i));
            i += V::LANES;
        }
    }
    for j in i..len {
        out[j] = a[j] + b[j];
    }
}

/// `out = a * k` lane-wise; equal lengths checked by the caller.
///
/// # Safety
/// The CPU supports `V`'s ISA; `a.len() == out.len()`.
#[inline(always)]
pub(crate) unsafe fn scale<V: F32Vector>(a: &[f32], k: f32, out: &mut [f32]) {
    let len = a.len();
    let (pa, po) = (a.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    // SAFETY: as in `add`.
    unsafe {
        let kv = V::splat(k);
        while i + V::LANES <= len {
            V::load(pa.add(i)).mul(kv).store(po.add(i));
            i += V::LANES;
        }
    }
    for j in i..len {
        out[j] = a[j] * k;
    }
}

/// Sum with `4 * LANES` running partial sums (element `j` of each block of
/// `4 * LANES` goes to partial sum `j`), the partial sums then added
/// pairwise, then the tail left to right.
///
/// # Safety
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn sum<V: F32Vector>(a: &[f32]) -> f32 {
    let len = a.len();
    let p = a.as_ptr();
    let mut i = 0;
    // SAFETY: every load covers LANES values ending at or before `len`.
    let body = unsafe {
        let mut acc = [V::splat(0.0); 4];
        while i + 4 * V::LANES <= len {
            for (k, s) in acc.iter_mut().enumerate() {
                *s = s.add(V::load(p.add(i + k * V::LANES)));
            }
            i += 4 * V::LANES;
        }
        acc[0].add(acc[1]).add(acc[2].add(acc[3])).hsum()
    };
    let mut tail = 0.0f32;
    for &x in &a[i..] {
        tail += x;
    }
    body + tail
}
