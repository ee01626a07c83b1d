//! Every kernel at every level this CPU has, against the naive reference.
//!
//! Inputs are cut out of a larger buffer at every offset 0..64, with
//! lengths from 0 to 10 KiB, so every alignment and every tail length is
//! hit; the bytes around the cut are poison (the searched byte, non-zero
//! words) so a kernel that reads outside its slice gets a wrong answer.
//! Under Miri only the scalar level runs, on smaller inputs.

use nanopath_simd::{Error, Level, checksum, crc, crc32c, f32s, reference, search, threshold};
use nanopath_testkit::proptest_config;
use proptest::prelude::*;

fn levels() -> Vec<Level> {
    Level::ALL
        .into_iter()
        .filter(|l| l.is_available())
        .collect()
}

const MAX_LEN: usize = if cfg!(miri) { 300 } else { 10 * 1024 };

/// A buffer with `data` at `offset`, poison (`fill`) before and after.
fn embed(data: &[u8], offset: usize, fill: u8) -> (Vec<u8>, std::ops::Range<usize>) {
    let mut buf = vec![fill; offset + data.len() + 64];
    buf[offset..offset + data.len()].copy_from_slice(data);
    (buf, offset..offset + data.len())
}

fn input() -> impl Strategy<Value = (Vec<u8>, usize)> {
    (
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..=130),
            proptest::collection::vec(any::<u8>(), 0..=MAX_LEN),
        ],
        0usize..64,
    )
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn find_and_count_match_the_reference((data, offset) in input(), needle in any::<u8>(), plant in any::<prop::sample::Index>()) {
        let mut data = data;
        // Make hits likely: plant the needle somewhere (if there is room).
        if !data.is_empty() {
            let i = plant.index(data.len());
            data[i] = needle;
        }
        let (buf, r) = embed(&data, offset, needle);
        let hay = &buf[r];
        for level in levels() {
            prop_assert_eq!(search::find_with(level, hay, needle).unwrap(), reference::find(hay, needle), "find {}", level);
            prop_assert_eq!(search::count_with(level, hay, needle).unwrap(), reference::count(hay, needle), "count {}", level);
            // And a byte that is (most likely) absent.
            let absent = needle.wrapping_add(1);
            prop_assert_eq!(search::find_with(level, hay, absent).unwrap(), reference::find(hay, absent), "find absent {}", level);
        }
        prop_assert_eq!(search::find(hay, needle), reference::find(hay, needle));
        prop_assert_eq!(search::count(hay, needle), reference::count(hay, needle));
    }

    /// `rfind`, `find2`, `find3` and `find_iter` against the reference
    /// loops at every level, with hits planted near both ends.
    #[test]
    fn reverse_and_multi_byte_search_match_the_reference(
        (data, offset) in input(),
        needles in any::<[u8; 3]>(),
        plants in any::<[prop::sample::Index; 2]>(),
    ) {
        let mut data = data;
        if !data.is_empty() {
            let (i, j) = (plants[0].index(data.len()), plants[1].index(data.len()));
            data[i] = needles[0];
            data[j] = needles[2];
        }
        let (buf, r) = embed(&data, offset, needles[1]);
        let hay = &buf[r];
        let [a, b, c] = needles;
        for level in levels() {
            prop_assert_eq!(search::rfind_with(level, hay, a).unwrap(), reference::rfind(hay, a), "rfind {}", level);
            prop_assert_eq!(search::rfind_with(level, hay, a ^ 0x80).unwrap(), reference::rfind(hay, a ^ 0x80), "rfind absent {}", level);
            prop_assert_eq!(search::find2_with(level, hay, a, c).unwrap(), reference::find2(hay, a, c), "find2 {}", level);
            prop_assert_eq!(search::find2_with(level, hay, b, b).unwrap(), reference::find2(hay, b, b), "find2 same {}", level);
            prop_assert_eq!(search::find3_with(level, hay, c, b, a).unwrap(), reference::find3(hay, c, b, a), "find3 {}", level);
        }
        prop_assert_eq!(search::rfind(hay, c), reference::rfind(hay, c));
        let all: Vec<usize> = search::find_iter(hay, a).collect();
        let want: Vec<usize> = hay.iter().enumerate().filter(|&(_, &x)| x == a).map(|(i, _)| i).collect();
        prop_assert_eq!(all, want);
    }

    /// `crc32c_combine` of the two halves of any split is the whole
    /// buffer's CRC, and the `Hasher` fed the pieces agrees.
    #[test]
    fn crc32c_combine_and_hasher_agree_with_one_pass(
        (data, _) in input(),
        cut in any::<prop::sample::Index>(),
    ) {
        use core::hash::Hasher;
        let cut = cut.index(data.len() + 1);
        let (a, b) = data.split_at(cut);
        let whole = nanopath_simd::crc32c(&data);
        let combined = nanopath_simd::crc::crc32c_combine(
            nanopath_simd::crc32c(a),
            nanopath_simd::crc32c(b),
            b.len() as u64,
        );
        prop_assert_eq!(combined, whole);
        let mut h = nanopath_simd::crc::Crc32cHasher::new();
        h.write(a);
        h.write(b);
        prop_assert_eq!(h.crc32c(), whole);
        // `finish` is the same CRC, spread (and so still one-to-one).
        prop_assert_eq!(h.finish(), u64::from(whole).wrapping_mul(nanopath_simd::crc::Crc32cHasher::SPREAD));
    }

    #[test]
    fn sum64_matches_the_reference((data, offset) in input()) {
        let (buf, r) = embed(&data, offset, 0xA5);
        let d = &buf[r];
        let want = reference::sum64(d);
        for level in levels() {
            prop_assert_eq!(checksum::sum64_with(level, d).unwrap(), want, "{}", level);
        }
        prop_assert_eq!(checksum::sum64(d), want);
    }

    #[test]
    fn crc32c_matches_the_reference_and_the_crc32c_crate((data, offset) in input(), seed in any::<u32>()) {
        let (buf, r) = embed(&data, offset, 0x5A);
        let d = &buf[r];
        let want = if cfg!(miri) { reference::crc32c(seed, d) } else { ::crc32c::crc32c_append(seed, d) };
        prop_assert_eq!(reference::crc32c(seed, d), want);
        for level in levels() {
            prop_assert_eq!(crc::crc32c_append_with(level, seed, d).unwrap(), want, "{}", level);
        }
        prop_assert_eq!(nanopath_simd::crc32c_append(seed, d), want);
    }

    #[test]
    fn keep_above_matches_the_reference((data, offset) in input(), t in any::<u8>()) {
        let (buf, r) = embed(&data, offset, 0xFF);
        let input = &buf[r.clone()];
        let mut want = vec![0u8; input.len()];
        reference::keep_above(input, t, &mut want);
        for level in levels() {
            // Output embedded between canaries: no write may land outside.
            let (mut out, o) = embed(&vec![0x33; input.len()], offset, 0xEE);
            threshold::keep_above_with(level, input, t, &mut out[o.clone()]).unwrap();
            prop_assert_eq!(&out[o.clone()], &want[..], "{}", level);
            prop_assert!(out[..o.start].iter().chain(&out[o.end..]).all(|&b| b == 0xEE), "{} wrote outside", level);
            let mut in_place = buf.clone();
            threshold::keep_above_in_place_with(level, &mut in_place[r.clone()], t).unwrap();
            prop_assert_eq!(&in_place[r.clone()], &want[..], "in place {}", level);
            prop_assert!(in_place[..r.start].iter().chain(&in_place[r.end..]).all(|&b| b == 0xFF));
        }
    }

    #[test]
    fn f32_kernels_match_the_reference(a in proptest::collection::vec(-1e6f32..1e6, 0..if cfg!(miri) { 100 } else { 3000 }), k in -100f32..100.0, offset in 0usize..16) {
        let b: Vec<f32> = a.iter().map(|x| x * 0.5 - 3.0).collect();
        let (a, b) = (&a[..], &b[..]);
        let mut want_add = vec![0f32; a.len()];
        reference::add(a, b, &mut want_add);
        let mut want_scale = vec![0f32; a.len()];
        reference::scale(a, k, &mut want_scale);
        // f64 sum and the error bound from the f32s docs (k = n + 64 covers
        // every level's term count and the scalar loop's).
        let exact: f64 = a.iter().map(|&x| f64::from(x)).sum();
        let abs: f64 = a.iter().map(|&x| f64::from(x).abs()).sum();
        let u = f64::from(f32::EPSILON) / 2.0;
        let n = (a.len() + 64) as f64;
        let bound = n * u / (1.0 - n * u) * abs + 1e-30;
        for level in levels() {
            // Unaligned output: write into a buffer at `offset`.
            let mut out = vec![0f32; a.len() + offset];
            f32s::add_with(level, a, b, &mut out[offset..]).unwrap();
            prop_assert_eq!(&out[offset..], &want_add[..], "add {}", level);
            f32s::scale_with(level, a, k, &mut out[offset..]).unwrap();
            prop_assert_eq!(&out[offset..], &want_scale[..], "scale {}", level);
            let s = f64::from(f32s::sum_with(level, a).unwrap());
            prop_assert!((s - exact).abs() <= bound, "sum {}: {} vs {} (bound {})", level, s, exact, bound);
        }
    }
}

#[test]
fn crc32c_published_check_values() {
    // RFC 3720 (iSCSI) B.4 test vectors and the catalogue check value.
    let cases: [(&[u8], u32); 4] = [
        (b"123456789", 0xE306_9283),
        (&[0u8; 32], 0x8A91_36AA),
        (&[0xFFu8; 32], 0x62A8_AB43),
        (&(0u8..32).collect::<Vec<_>>(), 0x46DD_794E),
    ];
    for (data, want) in cases {
        assert_eq!(reference::crc32c(0, data), want);
        for level in levels() {
            assert_eq!(crc::crc32c_append_with(level, 0, data), Ok(want), "{level}");
        }
        assert_eq!(crc32c(data), want);
    }
}

#[test]
fn long_crc_inputs_cross_every_loop_boundary() {
    // Lengths around the 3 × 256 and 3 × 4096 stream rounds and the
    // folding loops, up to 64 KiB + change.
    let data: Vec<u8> = (0..70_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let lens = if cfg!(miri) {
        vec![0, 1, 255, 256, 300]
    } else {
        vec![
            255, 256, 257, 767, 768, 769, 1000, 12_287, 12_288, 12_289, 13_056, 65_536, 70_000,
        ]
    };
    for len in lens {
        let d = &data[..len];
        let want = reference::crc32c(7, d);
        for level in levels() {
            assert_eq!(
                crc::crc32c_append_with(level, 7, d),
                Ok(want),
                "{level} at {len}"
            );
        }
    }
}

#[test]
fn unavailable_levels_and_length_mismatches_are_errors() {
    for level in Level::ALL.into_iter().filter(|l| !l.is_available()) {
        assert_eq!(
            checksum::sum64_with(level, b"x"),
            Err(Error::Unavailable { level })
        );
        assert_eq!(
            search::find_with(level, b"x", b'x'),
            Err(Error::Unavailable { level })
        );
        assert_eq!(
            search::count_with(level, b"x", b'x'),
            Err(Error::Unavailable { level })
        );
        assert_eq!(
            crc::crc32c_append_with(level, 0, b"x"),
            Err(Error::Unavailable { level })
        );
        let mut out = [0u8; 1];
        assert_eq!(
            threshold::keep_above_with(level, b"x", 0, &mut out),
            Err(Error::Unavailable { level })
        );
        assert_eq!(
            f32s::sum_with(level, &[1.0]),
            Err(Error::Unavailable { level })
        );
    }
    // Neon on x86 (or an x86 level on aarch64) is always unavailable.
    assert!(Level::ALL.iter().any(|l| !l.is_available()));
    let mut out = [7u8; 3];
    assert_eq!(
        threshold::keep_above(b"abcd", 0, &mut out),
        Err(Error::LengthMismatch { input: 4, other: 3 })
    );
    assert_eq!(out, [7, 7, 7], "nothing written on error");
    let mut fout = [0f32; 2];
    assert_eq!(
        f32s::add(&[1.0, 2.0], &[1.0], &mut fout),
        Err(Error::LengthMismatch { input: 2, other: 1 })
    );
    assert_eq!(
        f32s::scale(&[1.0, 2.0, 3.0], 2.0, &mut fout),
        Err(Error::LengthMismatch { input: 3, other: 2 })
    );
    assert_eq!(fout, [0.0, 0.0]);
    assert_eq!(
        Error::LengthMismatch { input: 3, other: 2 }.to_string(),
        "slice lengths differ: input has 3 elements, the other slice 2"
    );
}

#[test]
fn detect_picks_the_best_available_level() {
    let best = Level::detect();
    assert!(best.is_available());
    let expected = Level::ALL
        .into_iter()
        .rev()
        .find(|l| l.is_available())
        .unwrap();
    assert_eq!(best, expected);
    if cfg!(miri) {
        assert_eq!(best, Level::Scalar, "Miri runs the portable code");
    }
}

/// Every alignment 0..64 and every length 0..=192 (so every tail length
/// 0..64 after whole vectors of 16, 32 and 64 bytes), every kernel, every
/// level: exhaustive where proptest samples.
#[test]
fn every_alignment_and_tail_length() {
    let (offsets, max_len) = if cfg!(miri) { (4, 40) } else { (64, 192) };
    let backing: Vec<u8> = (0..offsets + max_len + 64)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2])
        .collect();
    let floats: Vec<f32> = backing.iter().map(|&b| f32::from(b) - 100.0).collect();
    for level in levels() {
        for offset in 0..offsets {
            for len in 0..=max_len {
                let d = &backing[offset..offset + len];
                // A needle that occurs (the last byte) and the byte count.
                let needle = d.last().copied().unwrap_or(0);
                assert_eq!(
                    search::find_with(level, d, needle).unwrap(),
                    reference::find(d, needle),
                    "{level} find {offset}+{len}"
                );
                assert_eq!(
                    search::count_with(level, d, needle).unwrap(),
                    reference::count(d, needle),
                    "{level} count {offset}+{len}"
                );
                assert_eq!(
                    checksum::sum64_with(level, d).unwrap(),
                    reference::sum64(d),
                    "{level} sum64 {offset}+{len}"
                );
                assert_eq!(
                    crc::crc32c_append_with(level, 1, d).unwrap(),
                    reference::crc32c(1, d),
                    "{level} crc {offset}+{len}"
                );
                let mut out = vec![0u8; len];
                let mut want = vec![0u8; len];
                reference::keep_above(d, 0x80, &mut want);
                threshold::keep_above_with(level, d, 0x80, &mut out).unwrap();
                assert_eq!(out, want, "{level} keep_above {offset}+{len}");
                let f = &floats[offset..offset + len];
                let mut fout = vec![0f32; len];
                let mut fwant = vec![0f32; len];
                reference::add(f, f, &mut fwant);
                f32s::add_with(level, f, f, &mut fout).unwrap();
                assert_eq!(fout, fwant, "{level} add {offset}+{len}");
                // Small integers: every summation order is exact.
                assert_eq!(
                    f32s::sum_with(level, f).unwrap(),
                    reference::sum(f),
                    "{level} sum {offset}+{len}"
                );
            }
        }
    }
}
