//! CRC-32C on x86-64: the SSE4.2 `crc32` instruction over three
//! interleaved streams, and carry-less-multiply folding (`pclmulqdq` on
//! 128-bit registers, `vpclmulqdq` on 256-bit ones where the CPU has it).
//!
//! All functions take and return *raw* states (see `crate::crc_math`).
//!
//! Three streams: `crc32` has a latency of 3 cycles and a throughput of 1
//! per cycle, so one dependent chain runs at a third of the instruction's
//! rate. Three equal blocks are checksummed side by side from states `s`,
//! 0 and 0 and combined with two multiplications by x^(8·block) (the
//! constant is computed at compile time).
//!
//! Folding (Gopal et al., "Fast CRC Computation for Generic Polynomials
//! Using PCLMULQDQ Instruction", Intel, 2009): a 128-bit chunk `X` that
//! sits `D` bits before chunk `Y` contributes `X · x^D` to the CRC, and
//! `X · x^D` is congruent to two carry-less products of X's halves with
//! the constants of `crc_math::fold_constants(D)` — a 128-bit value that
//! can be XORed into `Y`. Several accumulators are folded forward by the
//! width of the loop, then into one another, and the last 128-bit residue
//! is reduced by feeding it to the `crc32` instruction from state 0
//! (CRC32C is the one CRC with a reduction instruction, so no Barrett step
//! is needed). The initial state is XORed into the first four bytes.

use core::arch::x86_64::*;

use crate::crc_math::{fold_constants, x_pow};

/// Below this many bytes the folding paths use the `crc32` loop.
pub(crate) const FOLD_MIN: usize = 256;

/// Bytes per stream in the three-stream loop (large and small rounds).
const BLOCK_LARGE: usize = 4096;
const BLOCK_SMALL: usize = 256;
/// x^(8·block) mod P, to shift a stream's state over the next block.
const SHIFT_LARGE: u32 = x_pow(8 * BLOCK_LARGE as u64);
const SHIFT_SMALL: u32 = x_pow(8 * BLOCK_SMALL as u64);

/// `crc32` over 8-byte words, then single bytes.
///
/// # Safety
/// SSE4.2 is available.
#[inline]
#[target_feature(enable = "sse4.2")]
unsafe fn crc_serial(mut state: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(8);
    let mut s = u64::from(state);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        s = _mm_crc32_u64(s, u64::from_le_bytes(b));
    }
    state = s as u32;
    // The 0-7 byte tail: one 4-, one 2- and one 1-byte step at most.
    let mut tail = words.remainder();
    if let Some((four, rest)) = tail.split_first_chunk::<4>() {
        state = _mm_crc32_u32(state, u32::from_le_bytes(*four));
        tail = rest;
    }
    if let Some((two, rest)) = tail.split_first_chunk::<2>() {
        state = _mm_crc32_u16(state, u16::from_le_bytes(*two));
        tail = rest;
    }
    if let Some(&b) = tail.first() {
        state = _mm_crc32_u8(state, b);
    }
    state
}

/// Three streams of `block` bytes each from `data` (which has at least
/// `3 * block`), combined into the state after `3 * block` bytes.
///
/// # Safety
/// SSE4.2 is available.
#[inline(always)]
unsafe fn three_streams(state: u32, data: &[u8], block: usize, shift_by_block: u32) -> u32 {
    let (a, rest) = data.split_at(block);
    let (b, c) = rest.split_at(block);
    let (mut sa, mut sb, mut sc) = (u64::from(state), 0u64, 0u64);
    for ((wa, wb), wc) in a
        .chunks_exact(8)
        .zip(b.chunks_exact(8))
        .zip(c[..block].chunks_exact(8))
    {
        let word = |w: &[u8]| {
            let mut x = [0u8; 8];
            x.copy_from_slice(w);
            u64::from_le_bytes(x)
        };
        // SAFETY: SSE4.2 is available (this function's contract).
        unsafe {
            sa = _mm_crc32_u64(sa, word(wa));
            sb = _mm_crc32_u64(sb, word(wb));
            sc = _mm_crc32_u64(sc, word(wc));
        }
    }
    let ab = crate::crc_math::multiply(sa as u32, shift_by_block) ^ sb as u32;
    crate::crc_math::multiply(ab, shift_by_block) ^ sc as u32
}

/// `Level::Sse42`: three interleaved `crc32` streams.
///
/// # Safety
/// SSE4.2 is available.
#[inline]
#[target_feature(enable = "sse4.2")]
pub(crate) unsafe fn crc_sse42(mut state: u32, mut data: &[u8]) -> u32 {
    while data.len() >= 3 * BLOCK_LARGE {
        // SAFETY: SSE4.2 is available (this function's contract).
        state = unsafe { three_streams(state, data, BLOCK_LARGE, SHIFT_LARGE) };
        data = &data[3 * BLOCK_LARGE..];
    }
    while data.len() >= 3 * BLOCK_SMALL {
        // SAFETY: as above.
        state = unsafe { three_streams(state, data, BLOCK_SMALL, SHIFT_SMALL) };
        data = &data[3 * BLOCK_SMALL..];
    }
    // SAFETY: as above.
    unsafe { crc_serial(state, data) }
}

/// Folding constants as a 128-bit register: (low-half constant, high-half
/// constant) for a move of `bits` bits.
macro_rules! k128 {
    ($bits:expr) => {{
        const K: (u64, u64) = fold_constants($bits);
        _mm_set_epi64x(K.1 as i64, K.0 as i64)
    }};
}

/// `x · x^D` as a 128-bit value congruent mod P (`k` from `k128!(D)`).
#[inline(always)]
unsafe fn fold128(x: __m128i, k: __m128i) -> __m128i {
    // SAFETY: PCLMULQDQ is available (callers are compiled with it).
    unsafe {
        _mm_xor_si128(
            _mm_clmulepi64_si128::<0x00>(x, k),
            _mm_clmulepi64_si128::<0x11>(x, k),
        )
    }
}

/// The raw state of a 128-bit residue (from state 0) via `crc32`.
#[inline(always)]
unsafe fn reduce128(x: __m128i) -> u32 {
    // SAFETY: SSE4.1/4.2 are available (callers are compiled with them).
    unsafe {
        let lo = _mm_cvtsi128_si64(x) as u64;
        let hi = _mm_extract_epi64::<1>(x) as u64;
        _mm_crc32_u64(_mm_crc32_u64(0, lo), hi) as u32
    }
}

/// Loads 16 bytes at `p`.
#[inline(always)]
unsafe fn load128(p: *const u8) -> __m128i {
    // SAFETY: the caller guarantees 16 readable bytes.
    unsafe { _mm_loadu_si128(p.cast()) }
}

/// Folds 16-byte chunks from `data[*at..]` into `x` while they last, then
/// finishes with `crc32`.
#[inline(always)]
unsafe fn finish128(mut x: __m128i, data: &[u8], mut at: usize) -> u32 {
    // SAFETY: PCLMULQDQ and SSE4.2 are available (callers are compiled
    // with them); each load reads 16 bytes ending at or before data.len().
    unsafe {
        let k = k128!(128);
        while at + 16 <= data.len() {
            x = _mm_xor_si128(fold128(x, k), load128(data.as_ptr().add(at)));
            at += 16;
        }
        crc_serial(reduce128(x), &data[at..])
    }
}

/// `Level::Avx2` without `vpclmulqdq`: four 128-bit accumulators folded
/// by 512 bits, 64 bytes per iteration.
///
/// # Safety
/// SSE4.2 and PCLMULQDQ are available.
#[target_feature(enable = "sse4.2,pclmulqdq")]
pub(crate) unsafe fn crc_pclmul(state: u32, data: &[u8]) -> u32 {
    if data.len() < FOLD_MIN {
        // SAFETY: SSE4.2 is available.
        return unsafe { crc_sse42(state, data) };
    }
    let p = data.as_ptr();
    // SAFETY: `data.len() >= 256`; every load reads 16 bytes ending at or
    // before `data.len()` (loop conditions).
    unsafe {
        let mut x = [
            load128(p),
            load128(p.add(16)),
            load128(p.add(32)),
            load128(p.add(48)),
        ];
        x[0] = _mm_xor_si128(x[0], _mm_cvtsi32_si128(state as i32));
        let k = k128!(512);
        let mut at = 64;
        while at + 64 <= data.len() {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = _mm_xor_si128(fold128(*xi, k), load128(p.add(at + 16 * i)));
            }
            at += 64;
        }
        let folded = _mm_xor_si128(
            _mm_xor_si128(fold128(x[0], k128!(384)), fold128(x[1], k128!(256))),
            _mm_xor_si128(fold128(x[2], k128!(128)), x[3]),
        );
        finish128(folded, data, at)
    }
}

/// Both 128-bit lanes hold the constants for a move of `bits` bits.
macro_rules! k256 {
    ($bits:expr) => {{
        const K: (u64, u64) = fold_constants($bits);
        _mm256_set_epi64x(K.1 as i64, K.0 as i64, K.1 as i64, K.0 as i64)
    }};
}

/// `fold128` on both lanes of a 256-bit register.
#[inline(always)]
unsafe fn fold256(x: __m256i, k: __m256i) -> __m256i {
    // SAFETY: VPCLMULQDQ and AVX2 are available (callers are compiled with
    // them).
    unsafe {
        _mm256_xor_si256(
            _mm256_clmulepi64_epi128::<0x00>(x, k),
            _mm256_clmulepi64_epi128::<0x11>(x, k),
        )
    }
}

/// Loads 32 bytes at `p`.
#[inline(always)]
unsafe fn load256(p: *const u8) -> __m256i {
    // SAFETY: the caller guarantees 32 readable bytes.
    unsafe { _mm256_loadu_si256(p.cast()) }
}

/// The first 128 bytes at `p` as four 256-bit accumulators, with the raw
/// `state` XORed into the first four bytes (which starts the fold from it).
#[inline(always)]
unsafe fn first_128(state: u32, p: *const u8) -> [__m256i; 4] {
    // SAFETY: the caller guarantees 128 readable bytes and AVX2 (callers
    // are compiled with it).
    unsafe {
        let state = _mm256_zextsi128_si256(_mm_cvtsi32_si128(state as i32));
        [
            _mm256_xor_si256(load256(p), state),
            load256(p.add(32)),
            load256(p.add(64)),
            load256(p.add(96)),
        ]
    }
}

/// Four 256-bit accumulators (in stream order) reduced to the raw state
/// of the 128 bytes they stand for, from state 0.
#[inline(always)]
unsafe fn reduce4x256(y: [__m256i; 4]) -> __m128i {
    // SAFETY: VPCLMULQDQ, PCLMULQDQ and AVX2 are available (callers are
    // compiled with them).
    unsafe {
        let one = _mm256_xor_si256(
            _mm256_xor_si256(fold256(y[0], k256!(768)), fold256(y[1], k256!(512))),
            _mm256_xor_si256(fold256(y[2], k256!(256)), y[3]),
        );
        // Lane 0 sits 128 bits before lane 1.
        let lo = _mm256_castsi256_si128(one);
        let hi = _mm256_extracti128_si256::<1>(one);
        _mm_xor_si128(fold128(lo, k128!(128)), hi)
    }
}

/// `Level::Avx2` (and `Level::Avx512`) with `vpclmulqdq`: four 256-bit
/// accumulators (eight 128-bit lanes) folded by 1024 bits, 128 bytes per
/// iteration.
///
/// # Safety
/// AVX2, SSE4.2, PCLMULQDQ and VPCLMULQDQ are available.
#[inline]
#[target_feature(enable = "avx2,sse4.2,pclmulqdq,vpclmulqdq")]
pub(crate) unsafe fn crc_vpclmul256(state: u32, data: &[u8]) -> u32 {
    if data.len() < FOLD_MIN {
        // SAFETY: SSE4.2 is available.
        return unsafe { crc_sse42(state, data) };
    }
    let p = data.as_ptr();
    // SAFETY: `data.len() >= 256`; every load reads 32 (or 16) bytes ending
    // at or before `data.len()` (loop conditions).
    unsafe {
        let mut y = first_128(state, p);
        let k = k256!(1024);
        let mut at = 128;
        while at + 128 <= data.len() {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = _mm256_xor_si256(fold256(*yi, k), load256(p.add(at + 32 * i)));
            }
            at += 128;
        }
        finish128(reduce4x256(y), data, at)
    }
}

/// Bytes per block of the fused loop: 4 KiB folded with `vpclmulqdq`
/// while three `crc32` streams of 1536 bytes each run beside it.
const FUSED_FOLD: usize = 4096;
const FUSED_STREAM: usize = 1536;
const FUSED_BLOCK: usize = FUSED_FOLD + 3 * FUSED_STREAM;
/// 128 folded bytes and 6 words per stream per iteration: the same
/// number of iterations (32) covers both parts.
const FUSED_WORDS: usize = 6;
const _: () = assert!(FUSED_FOLD / 128 == FUSED_STREAM / (8 * FUSED_WORDS));

/// `s · x^(8·bytes)` mod P as a carry-less multiply and a `crc32`: the
/// constant is `x^(8·bytes − 33)`, since the multiply of two values in the
/// low halves of 64-bit lanes yields their product times x as a 64-bit
/// reflected value, and `crc32` on 64 bits multiplies by x^32 and reduces.
macro_rules! shift_by {
    ($state:expr, $bytes:expr) => {{
        const K: u32 = x_pow(8 * $bytes as u64 - 33);
        let product = _mm_clmulepi64_si128::<0x00>(
            _mm_cvtsi32_si128($state as i32),
            _mm_cvtsi32_si128(K as i32),
        );
        _mm_crc32_u64(0, _mm_cvtsi128_si64(product) as u64) as u32
    }};
}

/// Reads the little-endian `u64` at `p`.
#[inline(always)]
unsafe fn word(p: *const u8) -> u64 {
    // SAFETY: the caller guarantees 8 readable bytes; unaligned read.
    unsafe { p.cast::<u64>().read_unaligned() }
}

/// `Level::Avx2`/`Level::Avx512` with `vpclmulqdq`, for long inputs: the
/// folding units and the `crc32` unit work at the same time on different
/// parts of each block (`crc32` and carry-less multiplication run on
/// different execution ports, each at about 8 bytes per cycle on the CPUs
/// we measured). A block is [4096 bytes folded | three 1536-byte
/// streams]; the four partial states are joined with three shifts by
/// compile-time powers of x. What is left after the last whole block goes
/// to `crc_vpclmul256`.
///
/// # Safety
/// AVX2, SSE4.2, PCLMULQDQ and VPCLMULQDQ are available.
#[target_feature(enable = "avx2,sse4.2,pclmulqdq,vpclmulqdq")]
pub(crate) unsafe fn crc_fused256(mut state: u32, mut data: &[u8]) -> u32 {
    let k = k256!(1024);
    while data.len() >= FUSED_BLOCK {
        let fold = data.as_ptr();
        // SAFETY: every access below stays in the first FUSED_BLOCK bytes of
        // `data`: folded loads in [0, FUSED_FOLD), stream words in
        // [FUSED_FOLD + j·FUSED_STREAM, +FUSED_STREAM) for j = 0, 1, 2.
        unsafe {
            let streams = fold.add(FUSED_FOLD);
            let mut y = first_128(state, fold);
            let (mut c0, mut c1, mut c2) = (0u64, 0u64, 0u64);
            for it in 0..FUSED_FOLD / 128 {
                let at = it * 8 * FUSED_WORDS;
                for w in 0..FUSED_WORDS {
                    let off = at + 8 * w;
                    c0 = _mm_crc32_u64(c0, word(streams.add(off)));
                    c1 = _mm_crc32_u64(c1, word(streams.add(FUSED_STREAM + off)));
                    c2 = _mm_crc32_u64(c2, word(streams.add(2 * FUSED_STREAM + off)));
                }
                let next = 128 * (it + 1);
                if next < FUSED_FOLD {
                    for (i, yi) in y.iter_mut().enumerate() {
                        *yi = _mm256_xor_si256(fold256(*yi, k), load256(fold.add(next + 32 * i)));
                    }
                }
            }
            let folded = reduce128(reduce4x256(y));
            state = shift_by!(folded, 3 * FUSED_STREAM)
                ^ shift_by!(c0 as u32, 2 * FUSED_STREAM)
                ^ shift_by!(c1 as u32, FUSED_STREAM)
                ^ c2 as u32;
        }
        data = &data[FUSED_BLOCK..];
    }
    // SAFETY: this function's features are a superset of what it needs.
    unsafe { crc_vpclmul256(state, data) }
}

/// Whether the CPU has 256-bit carry-less multiplication.
pub(crate) fn has_vpclmulqdq() -> bool {
    has_feature!("vpclmulqdq")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    fn raw_reference(state: u32, data: &[u8]) -> u32 {
        !reference::crc32c(!state, data)
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// Every path at lengths around its thresholds and loop widths.
    #[test]
    fn every_x86_path_matches_the_reference() {
        if cfg!(miri) || !has_feature!("sse4.2") {
            return;
        }
        let input = data(3 * FUSED_BLOCK + 3 * BLOCK_SMALL + 600);
        let lens = (0..700).chain([
            3 * BLOCK_SMALL - 1,
            3 * BLOCK_SMALL,
            3 * BLOCK_LARGE + 5,
            FUSED_BLOCK - 1,
            FUSED_BLOCK,
            FUSED_BLOCK + 1,
            2 * FUSED_BLOCK + 130,
            input.len(),
        ]);
        for len in lens {
            let d = &input[..len];
            let want = raw_reference(0x1357_9BDF, d);
            // SAFETY: SSE4.2 checked above.
            let got = unsafe { crc_sse42(0x1357_9BDF, d) };
            assert_eq!(got, want, "sse4.2, {len} bytes");
            if has_feature!("pclmulqdq") {
                // SAFETY: SSE4.2 and PCLMULQDQ checked.
                let got = unsafe { crc_pclmul(0x1357_9BDF, d) };
                assert_eq!(got, want, "pclmul, {len} bytes");
            }
            if has_feature!("pclmulqdq") && has_feature!("avx2") && has_vpclmulqdq() {
                // SAFETY: all four features checked.
                let got = unsafe { crc_vpclmul256(0x1357_9BDF, d) };
                assert_eq!(got, want, "vpclmul, {len} bytes");
                // SAFETY: as above.
                let got = unsafe { crc_fused256(0x1357_9BDF, d) };
                assert_eq!(got, want, "fused, {len} bytes");
            }
        }
    }
}
