//! nanopath's automation, run as `cargo xtask <command>`.
//!
//! * `cargo xtask verify [--only STEP] [--quick] [--strict]`: every check CI
//!   runs (CI passes `--strict`: a skipped step fails).
//! * `cargo xtask bench [FILTER] [--full]`: the head-to-head benchmarks and
//!   the report under `target/nanopath-report/`.
//!
//! Kept light on purpose (std only): it is compiled on every fresh checkout
//! before anything else runs.

mod bench;
mod json;
mod report;
mod util;
mod verify;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command>

commands:
  verify [--only STEP] [--quick] [--strict]
                                   fmt, clippy, cross, tests, bench tests, docs, loom, miri
                                   (STEP is one of: fmt clippy cross test bench-test doc loom miri;
                                    --quick skips the slow steps: doc, loom, miri;
                                    --strict fails if any step is skipped, as CI runs it)
  bench [FILTER] [--full]          run the criterion benches in benches/ (quick settings
                                   unless --full), then write target/nanopath-report/report.md
                                   and one SVG chart per scenario
  help                             this text
";

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    match command.as_deref() {
        Some("verify") => verify::run(&rest),
        Some("bench") => bench::run(&rest),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{HELP}")),
    }
}
