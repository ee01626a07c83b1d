//! Byte search: `find` (like `memchr`) and `count`.
//!
//! Levels: `Sse2`/`Sse42` (16 bytes per compare), `Avx2` (32), `Avx512`
//! (64, comparing into mask registers), `Neon` (16, with a 4-bit-per-byte
//! mask); each looks at four vectors per loop iteration and checks all
//! four with one test. Inputs shorter than a vector use the reference
//! loop; longer ones end with one vector that overlaps the previous bytes,
//! so nothing is read outside the slice.

crate::dispatch::kernel! {
    mod find_kernel = arch::find, else crate::reference::find;
    /// The index of the first `byte` in `hay`, like `memchr::memchr`.
    ///
    /// ```
    /// use nanopath_simd::search::find;
    ///
    /// let hay = b"GET /index.html HTTP/1.1\r\n";
    /// assert_eq!(find(hay, b'\r'), Some(24));
    /// assert_eq!(find(hay, b'#'), None);
    /// ```
    pub fn find(hay: &[u8], byte: u8) -> Option<usize>;
    /// ```
    /// use nanopath_simd::{Level, search::find_with};
    ///
    /// let mut hay = vec![0u8; 1000];
    /// hay[777] = 1;
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(find_with(level, &hay, 1), Ok(Some(777)));
    /// }
    /// ```
    pub fn find_with;
}

crate::dispatch::kernel! {
    mod count_kernel = arch::count, else crate::reference::count;
    /// How many times `byte` occurs in `hay`.
    ///
    /// ```
    /// assert_eq!(nanopath_simd::search::count(b"a,b,,c", b','), 3);
    /// ```
    pub fn count(hay: &[u8], byte: u8) -> usize;
    /// ```
    /// use nanopath_simd::{Level, search::count_with};
    ///
    /// let hay = vec![7u8; 300];
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(count_with(level, &hay, 7), Ok(300));
    /// }
    /// ```
    pub fn count_with;
}
