//! Thin per-ISA modules: each implements the vector traits of
//! `crate::generic` for its registers and instantiates the generic
//! algorithms inside `#[target_feature]` functions, plus CRC32C code that
//! is specific to the ISA's instructions.

#[cfg(target_arch = "aarch64")]
pub(crate) mod aarch64;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;
