//! Shared harness code for nanopath's head-to-head benchmarks.
