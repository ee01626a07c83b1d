//! AVX2: 256-bit vectors.

use core::arch::x86_64::*;

use crate::generic::{ByteVector, F32Vector};

// SAFETY: every method only executes AVX2 (and SSE2) instructions; the trait
// contract makes callers guarantee AVX2.
unsafe impl ByteVector for __m256i {
    const BYTES: usize = 32;
    const MASK_BITS: u32 = 1;

    #[inline(always)]
    unsafe fn splat(b: u8) -> Self {
        // SAFETY: AVX2 is available (trait contract).
        unsafe { _mm256_set1_epi8(b as i8) }
    }
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: AVX2 is available.
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 32 readable bytes; unaligned load.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u8) {
        // SAFETY: the caller guarantees 32 writable bytes; unaligned store.
        unsafe { _mm256_storeu_si256(p.cast(), self) }
    }
    #[inline(always)]
    unsafe fn eq_mask(self, other: Self) -> u64 {
        // SAFETY: AVX2 is available.
        unsafe { _mm256_movemask_epi8(_mm256_cmpeq_epi8(self, other)) as u32 as u64 }
    }
    #[inline(always)]
    unsafe fn any_eq4(v: [Self; 4], needle: Self) -> bool {
        // SAFETY: AVX2 is available. One movemask for four compares.
        unsafe {
            let a = _mm256_or_si256(
                _mm256_cmpeq_epi8(v[0], needle),
                _mm256_cmpeq_epi8(v[1], needle),
            );
            let b = _mm256_or_si256(
                _mm256_cmpeq_epi8(v[2], needle),
                _mm256_cmpeq_epi8(v[3], needle),
            );
            _mm256_movemask_epi8(_mm256_or_si256(a, b)) != 0
        }
    }
    #[inline(always)]
    unsafe fn keep_above(self, _t: Self, t1: Self) -> Self {
        // SAFETY: AVX2 is available. Unsigned x > t  <=>  max(x, t+1) == x.
        unsafe { _mm256_and_si256(self, _mm256_cmpeq_epi8(_mm256_max_epu8(self, t1), self)) }
    }
    #[inline(always)]
    unsafe fn add_u64(self, other: Self) -> Self {
        // SAFETY: AVX2 is available.
        unsafe { _mm256_add_epi64(self, other) }
    }
    #[inline(always)]
    unsafe fn sum_u64(self) -> u64 {
        // SAFETY: AVX2 is available; the halves are summed with SSE2.
        unsafe {
            let half = _mm_add_epi64(
                _mm256_castsi256_si128(self),
                _mm256_extracti128_si256::<1>(self),
            );
            ByteVector::sum_u64(half)
        }
    }
}

// SAFETY: every method only executes AVX (and SSE) instructions.
unsafe impl F32Vector for __m256 {
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX is available.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 8 readable floats.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 8 writable floats.
        unsafe { _mm256_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        // SAFETY: AVX is available.
        unsafe { _mm256_add_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        // SAFETY: AVX is available.
        unsafe { _mm256_mul_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn hsum(self) -> f32 {
        // SAFETY: AVX is available; the halves are summed with SSE.
        unsafe {
            let half = _mm_add_ps(
                _mm256_castps256_ps128(self),
                _mm256_extractf128_ps::<1>(self),
            );
            F32Vector::hsum(half)
        }
    }
}

crate::arch::instantiate!("avx2,bmi1,bmi2,popcnt", __m256i, __m256);
