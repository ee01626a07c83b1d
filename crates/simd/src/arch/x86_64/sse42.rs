//! SSE4.2: the SSE2 vector code compiled with SSE4.2 and `popcnt` enabled
//! (hardware population count for `count`; the compiler may also use the
//! newer instructions elsewhere). CRC32C at this level is in `crc`.

use core::arch::x86_64::{__m128, __m128i};

crate::arch::instantiate!("sse2,sse4.2,popcnt", __m128i, __m128);
