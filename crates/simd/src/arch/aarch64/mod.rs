//! aarch64: NEON instantiations and CRC32C with the ARMv8 CRC instructions.
//!
//! Compiled only for aarch64 targets. The development machine is x86-64
//! without the aarch64 standard library installed, so this module has not
//! been compiled or run here (see the crate README).

pub(crate) mod neon;
