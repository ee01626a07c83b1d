//! AVX-512 (F, BW, VL): 512-bit vectors with mask registers.
//!
//! Compiled everywhere, run only where `Level::Avx512` is available (the
//! tests force every available level; a machine without AVX-512 skips it).

use core::arch::x86_64::*;

use crate::generic::{ByteVector, F32Vector};

// SAFETY: every method only executes AVX-512F/BW instructions; the trait
// contract makes callers guarantee them.
unsafe impl ByteVector for __m512i {
    const BYTES: usize = 64;
    const MASK_BITS: u32 = 1;

    #[inline(always)]
    unsafe fn splat(b: u8) -> Self {
        // SAFETY: AVX-512 is available (trait contract).
        unsafe { _mm512_set1_epi8(b as i8) }
    }
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: AVX-512 is available.
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 64 readable bytes; unaligned load.
        unsafe { _mm512_loadu_si512(p.cast()) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u8) {
        // SAFETY: the caller guarantees 64 writable bytes; unaligned store.
        unsafe { _mm512_storeu_si512(p.cast(), self) }
    }
    #[inline(always)]
    unsafe fn eq_mask(self, other: Self) -> u64 {
        // SAFETY: AVX-512BW is available.
        unsafe { _mm512_cmpeq_epi8_mask(self, other) }
    }
    #[inline(always)]
    unsafe fn any_eq4(v: [Self; 4], needle: Self) -> bool {
        // SAFETY: AVX-512BW is available. Mask ORs stay in k registers.
        unsafe {
            let a = _mm512_cmpeq_epi8_mask(v[0], needle) | _mm512_cmpeq_epi8_mask(v[1], needle);
            let b = _mm512_cmpeq_epi8_mask(v[2], needle) | _mm512_cmpeq_epi8_mask(v[3], needle);
            (a | b) != 0
        }
    }
    #[inline(always)]
    unsafe fn keep_above(self, t: Self, _t1: Self) -> Self {
        // SAFETY: AVX-512BW is available: an unsigned compare into a mask,
        // then a zero-masked move.
        unsafe { _mm512_maskz_mov_epi8(_mm512_cmpgt_epu8_mask(self, t), self) }
    }
    #[inline(always)]
    unsafe fn add_u64(self, other: Self) -> Self {
        // SAFETY: AVX-512F is available.
        unsafe { _mm512_add_epi64(self, other) }
    }
    #[inline(always)]
    unsafe fn sum_u64(self) -> u64 {
        // SAFETY: AVX-512F is available.
        unsafe { _mm512_reduce_add_epi64(self) as u64 }
    }
}

// SAFETY: every method only executes AVX-512F instructions.
unsafe impl F32Vector for __m512 {
    const LANES: usize = 16;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX-512F is available.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable floats.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable floats.
        unsafe { _mm512_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        // SAFETY: AVX-512F is available.
        unsafe { _mm512_add_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        // SAFETY: AVX-512F is available.
        unsafe { _mm512_mul_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn hsum(self) -> f32 {
        // SAFETY: AVX-512F is available; halves summed with AVX.
        unsafe {
            let lo = _mm512_castps512_ps256(self);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(self)));
            F32Vector::hsum(_mm256_add_ps(lo, hi))
        }
    }
}

crate::arch::instantiate!(
    "avx512f,avx512bw,avx512vl,avx2,bmi1,bmi2,popcnt",
    __m512i,
    __m512
);
