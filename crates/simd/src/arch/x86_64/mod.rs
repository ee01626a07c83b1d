//! x86-64: SSE2, SSE4.2, AVX2 and AVX-512 instantiations, and CRC32C with
//! the `crc32` instruction and carry-less-multiply folding.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod crc;
pub(crate) mod sse2;
pub(crate) mod sse42;
