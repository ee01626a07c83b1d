//! `cargo xtask soak [--seconds N]`: builds and runs the soak binary
//! (`benches/src/bin/soak.rs`): every structure under mixed load at once
//! for N seconds (default 60), counting every item in and out, every drop
//! and the heap's live and peak bytes; it fails on any loss, duplicate,
//! drop imbalance or heap growth after warm-up. Not part of verify.

use crate::util::{cargo, display};

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds: u64 = 60;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = iter
                    .next()
                    .and_then(|s| s.parse().ok())
                    // The heap checks compare fifths of the run.
                    .filter(|&s| s >= 5)
                    .ok_or("--seconds needs a number of at least 5")?;
            }
            other => return Err(format!("soak: unknown argument `{other}`")),
        }
    }
    let mut c = cargo();
    c.args([
        "run",
        "--release",
        "-p",
        "nanopath-bench",
        "--bin",
        "soak",
        "--",
    ])
    .args(["--seconds", &seconds.to_string()]);
    println!("$ {}", display(&c));
    let status = c
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("soak failed ({status})"))
    }
}
