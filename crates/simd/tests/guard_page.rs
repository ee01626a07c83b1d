//! No kernel reads or writes outside its slices: inputs end exactly at (or
//! start exactly after) a page mapped with no access, so a single byte out
//! of bounds faults and kills the test. Linux only (mmap/mprotect); not
//! under Miri (no mmap there).
#![cfg(all(target_os = "linux", not(miri)))]

use nanopath_simd::{Level, checksum, crc, f32s, search, threshold};

const PAGE: usize = 4096;

/// Three pages: [guard][data][guard].
struct Guarded {
    base: *mut u8,
}

impl Guarded {
    fn new() -> Self {
        // SAFETY: an anonymous private mapping; the result is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                3 * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base.cast::<u8>();
        // SAFETY: both ranges are inside the mapping just made.
        unsafe {
            assert_eq!(libc::mprotect(base.cast(), PAGE, libc::PROT_NONE), 0);
            assert_eq!(
                libc::mprotect(base.add(2 * PAGE).cast(), PAGE, libc::PROT_NONE),
                0
            );
        }
        Self { base }
    }

    /// The start of the middle page (read-write, `PAGE` bytes).
    fn page(&self) -> *mut u8 {
        // SAFETY: `PAGE` bytes into a mapping of `3 * PAGE`.
        unsafe { self.base.add(PAGE) }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: unmapping what `new` mapped.
        unsafe { libc::munmap(self.base.cast(), 3 * PAGE) };
    }
}

#[test]
fn kernels_stay_inside_their_slices() {
    let input = Guarded::new();
    let output = Guarded::new();
    for i in 0..PAGE {
        // SAFETY: inside the read-write middle page.
        unsafe { *input.page().add(i) = (i * 7) as u8 };
    }
    let levels: Vec<Level> = Level::ALL
        .into_iter()
        .filter(|l| l.is_available())
        .collect();
    for len in (0..=520).chain([1000, 2047, 4096]) {
        for at_end in [true, false] {
            let start = if at_end { PAGE - len } else { 0 };
            // SAFETY: `start + len <= PAGE`, inside the middle pages; the
            // input and output mappings are distinct.
            let (slice, out) = unsafe {
                (
                    std::slice::from_raw_parts(input.page().add(start), len),
                    std::slice::from_raw_parts_mut(output.page().add(start), len),
                )
            };
            // f32 views at 4-byte granularity, also flush with a guard page.
            let floats = len / 4;
            let fstart = if at_end { PAGE / 4 - floats } else { 0 };
            // SAFETY: the pages are 4-byte aligned and initialised (the
            // output page starts zeroed); `fstart + floats <= PAGE / 4`.
            let (fin, fout) = unsafe {
                (
                    std::slice::from_raw_parts(input.page().cast::<f32>().add(fstart), floats),
                    std::slice::from_raw_parts_mut(output.page().cast::<f32>().add(fstart), floats),
                )
            };
            for &level in &levels {
                assert_eq!(
                    search::find_with(level, slice, 0xFE).unwrap(),
                    slice.iter().position(|&b| b == 0xFE)
                );
                assert_eq!(
                    search::rfind_with(level, slice, 0xFE).unwrap(),
                    slice.iter().rposition(|&b| b == 0xFE)
                );
                assert_eq!(
                    search::find2_with(level, slice, 0xFE, 0x07).unwrap(),
                    slice.iter().position(|&b| b == 0xFE || b == 0x07)
                );
                assert_eq!(
                    search::find3_with(level, slice, 0xFD, 0xFE, 0x07).unwrap(),
                    slice
                        .iter()
                        .position(|&b| b == 0xFD || b == 0xFE || b == 0x07)
                );
                assert_eq!(
                    search::count_with(level, slice, 0x07).unwrap(),
                    slice.iter().filter(|&&b| b == 7).count()
                );
                checksum::sum64_with(level, slice).unwrap();
                crc::crc32c_append_with(level, 0, slice).unwrap();
                threshold::keep_above_with(level, slice, 100, out).unwrap();
                threshold::keep_above_in_place_with(level, out, 200).unwrap();
                f32s::add_with(level, fin, fin, fout).unwrap();
                f32s::scale_with(level, fin, 2.0, fout).unwrap();
                f32s::sum_with(level, fin).unwrap();
            }
        }
    }
}
