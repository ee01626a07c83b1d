//! SSE2: 128-bit vectors (every x86-64 CPU has them).

use core::arch::x86_64::*;

use crate::generic::{ByteVector, F32Vector};

// SAFETY: every method only executes SSE2 instructions; the trait contract
// makes callers guarantee SSE2.
unsafe impl ByteVector for __m128i {
    const BYTES: usize = 16;
    const MASK_BITS: u32 = 1;

    #[inline(always)]
    unsafe fn splat(b: u8) -> Self {
        // SAFETY: SSE2 is available (trait contract).
        unsafe { _mm_set1_epi8(b as i8) }
    }
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: SSE2 is available.
        unsafe { _mm_setzero_si128() }
    }
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 16 readable bytes; unaligned load.
        unsafe { _mm_loadu_si128(p.cast()) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u8) {
        // SAFETY: the caller guarantees 16 writable bytes; unaligned store.
        unsafe { _mm_storeu_si128(p.cast(), self) }
    }
    #[inline(always)]
    unsafe fn eq_mask(self, other: Self) -> u64 {
        // SAFETY: SSE2 is available.
        unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(self, other)) as u32 as u64 }
    }
    #[inline(always)]
    unsafe fn any_eq4(v: [Self; 4], needle: Self) -> bool {
        // SAFETY: SSE2 is available. One movemask for four compares.
        unsafe {
            let a = _mm_or_si128(_mm_cmpeq_epi8(v[0], needle), _mm_cmpeq_epi8(v[1], needle));
            let b = _mm_or_si128(_mm_cmpeq_epi8(v[2], needle), _mm_cmpeq_epi8(v[3], needle));
            _mm_movemask_epi8(_mm_or_si128(a, b)) != 0
        }
    }
    #[inline(always)]
    unsafe fn keep_above(self, _t: Self, t1: Self) -> Self {
        // SAFETY: SSE2 is available. Unsigned x > t  <=>  max(x, t+1) == x.
        unsafe { _mm_and_si128(self, _mm_cmpeq_epi8(_mm_max_epu8(self, t1), self)) }
    }
    #[inline(always)]
    unsafe fn add_u64(self, other: Self) -> Self {
        // SAFETY: SSE2 is available.
        unsafe { _mm_add_epi64(self, other) }
    }
    #[inline(always)]
    unsafe fn sum_u64(self) -> u64 {
        // SAFETY: SSE2 is available.
        unsafe {
            let hi = _mm_unpackhi_epi64(self, self);
            _mm_cvtsi128_si64(_mm_add_epi64(self, hi)) as u64
        }
    }
}

// SAFETY: every method only executes SSE2 instructions.
unsafe impl F32Vector for __m128 {
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: SSE2 is available.
        unsafe { _mm_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 4 readable floats.
        unsafe { _mm_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 4 writable floats.
        unsafe { _mm_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        // SAFETY: SSE2 is available.
        unsafe { _mm_add_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        // SAFETY: SSE2 is available.
        unsafe { _mm_mul_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn hsum(self) -> f32 {
        // SAFETY: SSE2 is available. (l0+l2) + (l1+l3).
        unsafe {
            let hi = _mm_movehl_ps(self, self);
            let pair = _mm_add_ps(self, hi);
            let odd = _mm_shuffle_ps(pair, pair, 0b01);
            _mm_cvtss_f32(_mm_add_ss(pair, odd))
        }
    }
}

crate::arch::instantiate!("sse2", __m128i, __m128);
