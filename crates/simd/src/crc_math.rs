//! Portable CRC-32C pieces: GF(2) arithmetic modulo the Castagnoli
//! polynomial, the constants the vector code folds with (computed at
//! compile time, checked by tests against the bitwise reference), and the
//! slicing-by-8 table code used at `Level::Scalar`.
//!
//! Representation: a CRC state or a residue is a polynomial of degree < 32
//! in *reflected* form, bit 31 holding the coefficient of x^0 and bit 0
//! that of x^31, so multiplying by x is a right shift (and a reduction by
//! the reflected polynomial when x^31 shifts out).
//!
//! States here are *raw* (not inverted): `crc32c(crc, data)` is
//! `!update(!crc, data)`. Raw states are linear, which is what lets
//! independent streams be combined: the state after `A ‖ B` started from
//! `s` is `shift(state after A, |B|) ^ state of B started from 0`, where
//! `shift(t, n)` multiplies `t` by x^(8n) (n zero bytes).

use crate::reference::CRC32C_POLY_REFLECTED as POLY;

/// `a · x` modulo P.
#[inline]
pub(crate) const fn times_x(a: u32) -> u32 {
    if a & 1 != 0 { (a >> 1) ^ POLY } else { a >> 1 }
}

/// `a · b` modulo P.
pub(crate) const fn multiply(a: u32, b: u32) -> u32 {
    let mut product = 0;
    let mut b = b;
    let mut bit = 1u32 << 31; // x^0 in `a`
    while bit != 0 {
        if a & bit != 0 {
            product ^= b;
        }
        b = times_x(b);
        bit >>= 1;
    }
    product
}

/// x^n modulo P.
// Used by the x86-64 stream combination and folding (and the tests).
#[cfg_attr(
    not(any(all(target_arch = "x86_64", target_feature = "sse2"), test)),
    allow(dead_code)
)]
pub(crate) const fn x_pow(n: u64) -> u32 {
    power(1u32 << 30, n) // x^1
}

/// `base^n` modulo P, by square-and-multiply over the bits of `n`.
const fn power(base: u32, n: u64) -> u32 {
    let mut result = 1u32 << 31; // x^0
    let mut square = base;
    let mut n = n;
    while n != 0 {
        if n & 1 != 0 {
            result = multiply(result, square);
        }
        square = multiply(square, square);
        n >>= 1;
    }
    result
}

/// The raw state `state` advanced over `bytes` zero bytes (what the
/// three-stream code does with a precomputed power): times
/// `(x^8)^bytes`, which needs no `8 * bytes` that could overflow.
pub(crate) fn shift(state: u32, bytes: u64) -> u32 {
    multiply(state, power(1u32 << 23, bytes)) // x^8
}

/// Folding constants for moving a 128-bit chunk forward by `bits` bits:
/// `(x^(bits + 63) mod P, x^(bits - 1) mod P)`, each placed in the upper
/// half of a 64-bit lane. A carry-less multiply of two reflected 64-bit
/// values yields their product times x, hence the `- 1`s; the chunk's low
/// 64 bits come first in the stream, so they carry the extra x^64.
// Used by the x86-64 stream combination and folding (and the tests).
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2")),
    allow(dead_code)
)]
pub(crate) const fn fold_constants(bits: u64) -> (u64, u64) {
    (
        (x_pow(bits + 63) as u64) << 32,
        (x_pow(bits - 1) as u64) << 32,
    )
}

/// The slicing-by-8 tables: `TABLES[k][b]` is the raw-state contribution
/// of byte `b` followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = make_tables();

const fn make_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut state = b as u32;
        let mut bit = 0;
        while bit < 8 {
            state = times_x_raw(state);
            bit += 1;
        }
        t[0][b] = state;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// One bit step of the bitwise CRC on a raw state.
const fn times_x_raw(state: u32) -> u32 {
    times_x(state)
}

/// Raw-state CRC-32C update, slicing by 8 (portable; `Level::Scalar`).
pub(crate) fn update_table(mut state: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let lo = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) ^ state;
        let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        state = TABLES[7][(lo & 0xFF) as usize]
            ^ TABLES[6][((lo >> 8) & 0xFF) as usize]
            ^ TABLES[5][((lo >> 16) & 0xFF) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][(hi & 0xFF) as usize]
            ^ TABLES[2][((hi >> 8) & 0xFF) as usize]
            ^ TABLES[1][((hi >> 16) & 0xFF) as usize]
            ^ TABLES[0][(hi >> 24) as usize];
    }
    for &b in words.remainder() {
        state = (state >> 8) ^ TABLES[0][((state ^ u32::from(b)) & 0xFF) as usize];
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    /// Raw-state update through the bitwise reference.
    fn raw(state: u32, data: &[u8]) -> u32 {
        !reference::crc32c(!state, data)
    }

    #[test]
    fn x_pow_matches_repeated_multiplication_by_x() {
        let mut p = 1u32 << 31;
        for n in 0..if cfg!(miri) { 40 } else { 200 } {
            assert_eq!(x_pow(n), p, "x^{n}");
            p = times_x(p);
        }
    }

    #[test]
    fn shift_is_crc_over_zero_bytes() {
        for (state, n) in [
            (0xDEAD_BEEF, 1),
            (1, 7),
            (0x8000_0001, 100),
            (0x1234_5678, 4096),
        ] {
            assert_eq!(shift(state, n as u64), raw(state, &vec![0u8; n]));
        }
    }

    #[test]
    fn combining_two_streams_equals_one() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 + 7) as u8).collect();
        let (a, b) = data.split_at(377);
        let s = 0x0BAD_F00D;
        assert_eq!(shift(raw(s, a), b.len() as u64) ^ raw(0, b), raw(s, &data));
    }

    #[test]
    fn slicing_by_8_matches_the_bitwise_reference() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let step = if cfg!(miri) { 13 } else { 1 };
        for len in (0..data.len()).step_by(step) {
            assert_eq!(
                update_table(0x5555_AAAA, &data[..len]),
                raw(0x5555_AAAA, &data[..len])
            );
        }
    }
}
