//! nanopath's automation, run as `cargo xtask <command>`.
//!
//! * `cargo xtask verify [--only STEP] [--quick] [--strict]`: every check CI
//!   runs (CI passes `--strict`: a skipped step fails).
//! * `cargo xtask bench [FILTER] [--full] [--instructions] [--save-baseline NAME]
//!   [--baseline NAME] [--fail-on-regression] [--write-docs]`: the head-to-head benchmarks,
//!   the datapath demo, the report under `target/nanopath-report/` and the regression gate.
//!
//! Kept light on purpose (std only): it is compiled on every fresh checkout
//! before anything else runs.

mod baseline;
mod bench;
mod hardening;
mod instructions;
mod json;
mod report;
mod rounds;
mod rust_source;
mod soak;
mod util;
mod verify;
mod workspace;

use std::fmt::Write as _;
use std::process::ExitCode;

/// The column command descriptions start at.
const COLUMN: usize = 35;

/// One command of the help text: its usage, then its description lines from
/// [`COLUMN`] on (below the usage when that is too long).
fn command(text: &mut String, usage: &str, lines: &[&str]) {
    let _ = write!(text, "  {usage}");
    for (n, line) in lines.iter().enumerate() {
        let pad = if n > 0 {
            COLUMN
        } else if usage.len() + 3 <= COLUMN {
            COLUMN - 2 - usage.len()
        } else {
            text.push('\n');
            COLUMN
        };
        let _ = writeln!(text, "{:pad$}{line}", "");
    }
}

/// `cargo xtask help`; verify's steps come from [`verify::STEPS`], the same
/// table the step runner reads.
fn help() -> String {
    let mut text = String::from("cargo xtask <command>\n\ncommands:\n");
    command(
        &mut text,
        "verify [--only STEP] [--quick] [--strict]",
        &[
            "run these steps in order (--only STEP: just one;",
            "--quick skips the slow ones, marked *;",
            "--strict fails if any step is skipped, as CI runs it):",
        ],
    );
    for step in &verify::STEPS {
        let name = format!("{}{}", step.name, if step.slow { " *" } else { "" });
        let _ = writeln!(text, "      {name:<12} {}", step.about);
    }
    command(
        &mut text,
        "bench [FILTER] [FLAGS]",
        &[
            "flags: --full --instructions --save-baseline NAME",
            "--baseline NAME --fail-on-regression --write-docs.",
            "Runs the criterion benches in benches/ (quick settings",
            "unless --full), counts the single-thread hot paths'",
            "instructions under callgrind where valgrind is installed,",
            "runs the datapath demo; then writes",
            "target/nanopath-report/report.md with a summary, one SVG",
            "chart per scenario and the datapath charts.",
            "--instructions: the instruction counts alone.",
            "--save-baseline NAME: keep this run's figures;",
            "--baseline NAME: list what regressed against them",
            "(instructions > 2%; wall time > 20% with the intervals",
            "apart), --fail-on-regression: exit non-zero if anything did.",
            "--write-docs: write docs/performance.md and the README's",
            "headline table from this (whole) run",
        ],
    );
    command(
        &mut text,
        "soak [--seconds N]",
        &[
            "every structure under mixed load at once for N seconds",
            "(default 60): items in and out, drops, heap live and peak;",
            "fails on loss, duplicates or growth after warm-up",
        ],
    );
    command(&mut text, "help", &["this text"]);
    text
}

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
        Some("soak") => soak::run(&rest),
        Some("help" | "--help" | "-h") | None => {
            print!("{}", help());
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{}", help())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step the runner knows is in the help text, each on its own line
    /// with its description, in the runner's order, slow ones marked.
    #[test]
    fn help_lists_every_step_of_verify() {
        let help = help();
        let mut at = 0;
        for step in &verify::STEPS {
            let slow = if step.slow { " *" } else { "" };
            let line = help
                .lines()
                .position(|l| {
                    let mut words = l.split_whitespace();
                    words.next() == Some(step.name) && l.contains(step.about)
                })
                .unwrap_or_else(|| panic!("step `{}` missing from help:\n{help}", step.name));
            assert!(line > at, "step `{}` out of order:\n{help}", step.name);
            assert!(
                help.lines()
                    .nth(line)
                    .unwrap()
                    .contains(&format!("{}{slow} ", step.name)),
                "{help}"
            );
            at = line;
        }
        for name in [
            "fmt",
            "clippy",
            "cross",
            "test",
            "bench-test",
            "doc",
            "loom",
            "miri",
        ] {
            assert!(
                verify::STEPS.iter().any(|s| s.name == name),
                "step `{name}` gone"
            );
        }
        assert!(help.lines().all(|l| l.len() <= 100), "{help}");
    }
}
