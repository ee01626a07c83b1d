//! aarch64: NEON instantiations and CRC32C with the ARMv8 CRC instructions.
//!
//! Compiled only for aarch64 targets. The development machine is x86-64:
//! this module is type-checked and linted for `aarch64-unknown-linux-gnu`
//! (`cargo clippy -p nanopath-simd --target aarch64-unknown-linux-gnu`)
//! but has never run.

pub(crate) mod neon;
