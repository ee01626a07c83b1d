//! NEON: 128-bit vectors. NEON has no byte movemask; `eq_mask` narrows the
//! comparison to 4 bits per byte (`shrn` by 4), giving a 64-bit mask with
//! `MASK_BITS = 4`.

use core::arch::aarch64::*;

use crate::generic::{ByteVector, F32Vector};

// SAFETY: every method only executes NEON instructions; the trait contract
// makes callers guarantee NEON.
unsafe impl ByteVector for uint8x16_t {
    const BYTES: usize = 16;
    const MASK_BITS: u32 = 4;

    #[inline(always)]
    unsafe fn splat(b: u8) -> Self {
        // SAFETY: NEON is available (trait contract).
        unsafe { vdupq_n_u8(b) }
    }
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: NEON is available.
        unsafe { vdupq_n_u8(0) }
    }
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 16 readable bytes.
        unsafe { vld1q_u8(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u8) {
        // SAFETY: the caller guarantees 16 writable bytes.
        unsafe { vst1q_u8(p, self) }
    }
    #[inline(always)]
    unsafe fn eq_mask(self, other: Self) -> u64 {
        // SAFETY: NEON is available.
        unsafe {
            let eq = vreinterpretq_u16_u8(vceqq_u8(self, other));
            vget_lane_u64::<0>(vreinterpret_u64_u8(vshrn_n_u16::<4>(eq)))
        }
    }
    #[inline(always)]
    unsafe fn any_eq4(v: [Self; 4], needle: Self) -> bool {
        // SAFETY: NEON is available.
        unsafe {
            let a = vorrq_u8(vceqq_u8(v[0], needle), vceqq_u8(v[1], needle));
            let b = vorrq_u8(vceqq_u8(v[2], needle), vceqq_u8(v[3], needle));
            vmaxvq_u8(vorrq_u8(a, b)) != 0
        }
    }
    #[inline(always)]
    unsafe fn keep_above(self, t: Self, _t1: Self) -> Self {
        // SAFETY: NEON is available: unsigned compare, then mask.
        unsafe { vandq_u8(self, vcgtq_u8(self, t)) }
    }
    #[inline(always)]
    unsafe fn add_u64(self, other: Self) -> Self {
        // SAFETY: NEON is available.
        unsafe {
            vreinterpretq_u8_u64(vaddq_u64(
                vreinterpretq_u64_u8(self),
                vreinterpretq_u64_u8(other),
            ))
        }
    }
    #[inline(always)]
    unsafe fn sum_u64(self) -> u64 {
        // SAFETY: NEON is available.
        unsafe { vaddvq_u64(vreinterpretq_u64_u8(self)) }
    }
}

// SAFETY: every method only executes NEON instructions.
unsafe impl F32Vector for float32x4_t {
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: NEON is available.
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 4 readable floats.
        unsafe { vld1q_f32(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 4 writable floats.
        unsafe { vst1q_f32(p, self) }
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        // SAFETY: NEON is available.
        unsafe { vaddq_f32(self, other) }
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        // SAFETY: NEON is available.
        unsafe { vmulq_f32(self, other) }
    }
    #[inline(always)]
    unsafe fn hsum(self) -> f32 {
        // SAFETY: NEON is available (pairwise add across lanes).
        unsafe { vaddvq_f32(self) }
    }
}

crate::arch::instantiate!("neon", uint8x16_t, float32x4_t);

/// Raw-state CRC-32C with the ARMv8 `crc32cx`/`crc32cb` instructions.
///
/// # Safety
/// The `crc` feature is available.
#[target_feature(enable = "crc")]
pub(crate) unsafe fn crc(mut state: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        state = __crc32cd(state, u64::from_le_bytes(b));
    }
    for &b in words.remainder() {
        state = __crc32cb(state, b);
    }
    state
}

/// Whether the CPU has the CRC instructions.
pub(crate) fn has_crc() -> bool {
    has_feature!("crc")
}
