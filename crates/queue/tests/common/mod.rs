//! Shared test configuration: sizes shrink under Miri, which runs each
//! operation thousands of times slower.

#![allow(dead_code, unreachable_pub)] // reason: each test binary uses a subset

use proptest::test_runner::Config;

/// Proptest settings: 256 cases natively, 8 under Miri (which also cannot
/// write regression files, since it isolates the file system).
pub fn proptest_config() -> Config {
    if cfg!(miri) {
        Config {
            cases: 8,
            failure_persistence: None,
            ..Config::default()
        }
    } else {
        Config {
            cases: 256,
            ..Config::default()
        }
    }
}

/// Iterations for multi-threaded stress tests: `native` natively, a small
/// fraction under Miri.
pub fn stress_iters(native: usize) -> usize {
    if cfg!(miri) {
        (native / 10_000).max(50)
    } else {
        native
    }
}

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A value whose drops are counted, to prove every item is dropped exactly
/// once (by its consumer or by the queue's drop).
#[derive(Debug)]
pub struct Counted {
    pub value: u64,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    pub fn new(value: u64, drops: &Arc<AtomicUsize>) -> Self {
        Self {
            value,
            drops: drops.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}
