//! Naive reference models: the definition of every kernel, written as the
//! plainest loop, used by the tests to check every level and by the
//! benchmarks as the "scalar reference" (the compiler may auto-vectorise
//! them for the target's baseline; that is allowed and measured).
//!
//! ```
//! use nanopath_simd::reference;
//!
//! assert_eq!(reference::crc32c(0, b"123456789"), 0xE306_9283);
//! assert_eq!(reference::sum64(&[1, 0, 0, 0, 0, 0, 0, 0, 2]), 3);
//! ```

/// Wrapping sum of the little-endian `u64` words of `data`; a tail of
/// fewer than 8 bytes is zero-padded into a last word.
pub fn sum64(data: &[u8]) -> u64 {
    let mut sum = 0u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        sum = sum.wrapping_add(u64::from_le_bytes(b));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut b = [0u8; 8];
        b[..tail.len()].copy_from_slice(tail);
        sum = sum.wrapping_add(u64::from_le_bytes(b));
    }
    sum
}

/// The Castagnoli polynomial, bit-reflected (x^32 implied).
pub(crate) const CRC32C_POLY_REFLECTED: u32 = 0x82F6_3B78;

/// CRC-32C (Castagnoli: reflected, init and final XOR `0xFFFF_FFFF`) of
/// `data` continued from `crc` (the CRC of the bytes before it; 0 to
/// start), one bit at a time.
pub fn crc32c(crc: u32, data: &[u8]) -> u32 {
    let mut state = !crc;
    for &byte in data {
        state ^= u32::from(byte);
        for _ in 0..8 {
            let lsb = state & 1;
            state >>= 1;
            if lsb != 0 {
                state ^= CRC32C_POLY_REFLECTED;
            }
        }
    }
    !state
}

/// `out[i] = input[i]` where `input[i] > threshold` (unsigned), else 0.
///
/// # Panics
/// If the lengths differ (the dispatched kernels return an error instead).
pub fn keep_above(input: &[u8], threshold: u8, out: &mut [u8]) {
    assert_eq!(input.len(), out.len(), "keep_above: length mismatch");
    for (o, &x) in out.iter_mut().zip(input) {
        *o = if x > threshold { x } else { 0 };
    }
}

/// `out[i] = a[i] + b[i]`.
///
/// # Panics
/// If the lengths differ.
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    assert!(
        a.len() == b.len() && a.len() == out.len(),
        "add: length mismatch"
    );
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
}

/// `out[i] = a[i] * k`.
///
/// # Panics
/// If the lengths differ.
pub fn scale(a: &[f32], k: f32, out: &mut [f32]) {
    assert_eq!(a.len(), out.len(), "scale: length mismatch");
    for (o, &x) in out.iter_mut().zip(a) {
        *o = x * k;
    }
}

/// The sum of `a`, left to right.
pub fn sum(a: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for &x in a {
        s += x;
    }
    s
}

/// The index of the first `byte` in `hay`.
pub fn find(hay: &[u8], byte: u8) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

/// The index of the last `byte` in `hay`.
pub fn rfind(hay: &[u8], byte: u8) -> Option<usize> {
    hay.iter().rposition(|&b| b == byte)
}

/// The index of the first byte of `hay` equal to `a` or `b`.
pub fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    hay.iter().position(|&x| x == a || x == b)
}

/// The index of the first byte of `hay` equal to `a`, `b` or `c`.
pub fn find3(hay: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
    hay.iter().position(|&x| x == a || x == b || x == c)
}

/// How many times `byte` occurs in `hay`.
pub fn count(hay: &[u8], byte: u8) -> usize {
    hay.iter().filter(|&&b| b == byte).count()
}
