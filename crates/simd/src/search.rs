//! Byte search: `find` (like `memchr`), `rfind` (`memrchr`), `find2` and
//! `find3` (`memchr2`, `memchr3`), `find_iter` over every match, and
//! `count`.
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

crate::dispatch::kernel! {
    mod rfind_kernel = arch::rfind, else crate::reference::rfind;
    /// The index of the last `byte` in `hay`, like `memchr::memrchr`.
    ///
    /// ```
    /// use nanopath_simd::search::rfind;
    /// assert_eq!(rfind(b"/usr/local/bin", b'/'), Some(10));
    /// assert_eq!(rfind(b"no slash", b'/'), None);
    /// ```
    pub fn rfind(hay: &[u8], byte: u8) -> Option<usize>;
    /// ```
    /// use nanopath_simd::{Level, search::rfind_with};
    /// let mut hay = vec![1u8; 1000];
    /// hay[3] = 0;
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(rfind_with(level, &hay, 0), Ok(Some(3)));
    /// }
    /// ```
    pub fn rfind_with;
}

crate::dispatch::kernel! {
    mod find2_kernel = arch::find2, else crate::reference::find2;
    /// The index of the first byte equal to `a` or `b`, like
    /// `memchr::memchr2`.
    ///
    /// ```
    /// use nanopath_simd::search::find2;
    /// assert_eq!(find2(b"key=value;next", b'=', b';'), Some(3));
    /// assert_eq!(find2(b"plain", b'=', b';'), None);
    /// ```
    pub fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize>;
    /// ```
    /// use nanopath_simd::{Level, search::find2_with};
    /// let mut hay = vec![0u8; 500];
    /// hay[499] = 9;
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(find2_with(level, &hay, 8, 9), Ok(Some(499)));
    /// }
    /// ```
    pub fn find2_with;
}

crate::dispatch::kernel! {
    mod find3_kernel = arch::find3, else crate::reference::find3;
    /// The index of the first byte equal to `a`, `b` or `c`, like
    /// `memchr::memchr3`.
    ///
    /// ```
    /// use nanopath_simd::search::find3;
    /// assert_eq!(find3(b"a line\r\n", b'\r', b'\n', 0), Some(6));
    /// ```
    pub fn find3(hay: &[u8], a: u8, b: u8, c: u8) -> Option<usize>;
    /// ```
    /// use nanopath_simd::{Level, search::find3_with};
    /// let hay = vec![5u8; 200];
    /// for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
    ///     assert_eq!(find3_with(level, &hay, 1, 2, 5), Ok(Some(0)));
    /// }
    /// ```
    pub fn find3_with;
}

/// Every index of `byte` in `hay`, in order, like `memchr::memchr_iter`
/// (each step is one [`find`] over the rest).
///
/// ```
/// use nanopath_simd::search::find_iter;
/// let fields: Vec<usize> = find_iter(b"a,b,,c", b',').collect();
/// assert_eq!(fields, [1, 3, 4]);
/// ```
pub fn find_iter(hay: &[u8], byte: u8) -> FindIter<'_> {
    FindIter { hay, byte, at: 0 }
}

/// The iterator of [`find_iter`].
#[derive(Debug, Clone)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct FindIter<'a> {
    /// The whole haystack.
    hay: &'a [u8],
    /// The byte searched for.
    byte: u8,
    /// Where the next search starts (`<= hay.len()`).
    at: usize,
}

impl Iterator for FindIter<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        match find(&self.hay[self.at..], self.byte) {
            Some(i) => {
                let found = self.at + i;
                self.at = found + 1;
                Some(found)
            }
            None => {
                self.at = self.hay.len();
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.hay.len() - self.at))
    }
}

impl core::iter::FusedIterator for FindIter<'_> {}
