//! The constructors that panic on a bad capacity report the caller's line
//! (`#[track_caller]`), not a line inside this crate. Its own test binary:
//! the panic hook it installs is process-wide.

#![cfg(not(nanopath_loom))]

use channel::WaitStrategy;
use nanopath_queue::{channel, mpmc, mpsc, spsc};
use std::sync::{Arc, Mutex};

fn park() -> WaitStrategy {
    WaitStrategy::park()
}

#[test]
fn capacity_panics_point_at_the_caller() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| (l.file().to_owned(), l.line()));
        hook_seen.lock().unwrap().push(location);
    }));
    let calls: [(u32, fn()); 6] = [
        (line!(), || drop(spsc::ring::<u8>(0))),
        (line!(), || drop(mpmc::Queue::<u8>::new(0))),
        (line!(), || drop(mpsc::bounded::<u8>(0))),
        (line!(), || drop(channel::spsc::<u8>(0))),
        (line!(), || drop(channel::mpsc_with::<u8>(0, park()))),
        (line!(), || drop(channel::mpmc::<u8>(usize::MAX))),
    ];
    let mut got = Vec::new();
    for (line, call) in calls {
        let panicked = std::panic::catch_unwind(call).is_err();
        got.push((line, panicked, seen.lock().unwrap().pop().flatten()));
    }
    // The default hook again before asserting, so a failure prints.
    drop(std::panic::take_hook());
    for (line, panicked, location) in got {
        assert!(panicked, "line {line}");
        let (file, at) = location.expect("a location");
        assert!(
            file.ends_with("track_caller.rs"),
            "line {line}: {file}:{at}"
        );
        assert_eq!(at, line);
    }
}
