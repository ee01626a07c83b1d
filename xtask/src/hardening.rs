//! The verify steps against hostile input and faults: the cargo-fuzz
//! targets in `fuzz/`, each for a bounded time, and the tests under
//! ThreadSanitizer and AddressSanitizer (see docs/verification.md for what
//! each covers that Miri and loom do not).

use crate::util::{target_dir, workspace_root};
use crate::verify::{Outcome, run_all, run_lanes};
use crate::workspace;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Seconds each fuzz target runs in verify, unless `NANOPATH_FUZZ_SECONDS`
/// says otherwise.
const FUZZ_SECONDS: u64 = 60;

/// Seconds one fuzz input may run before libFuzzer reports it as a hang.
const FUZZ_INPUT_TIMEOUT: u64 = 10;

/// The host target the sanitizers build for (`-Zsanitizer` needs an
/// explicit `--target`, so build scripts and proc macros stay
/// uninstrumented).
const HOST: &str = "x86_64-unknown-linux-gnu";

/// What one fuzz run reported.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FuzzStats {
    pub(crate) runs: u64,
    /// libFuzzer's `cov:`: coverage points (edges) reached.
    pub(crate) coverage: u64,
    /// libFuzzer's `ft:`: features (edges with hit-count buckets).
    pub(crate) features: u64,
    pub(crate) corpus: u64,
}

/// The figures of libFuzzer's output (its last status line and, with
/// `-print_final_stats=1`, the executed-unit count).
pub(crate) fn parse_fuzz_output(text: &str) -> Option<FuzzStats> {
    let mut stats = FuzzStats::default();
    let mut seen = false;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.runs = n.trim().parse().ok()?;
        }
        if line.starts_with('#') && line.contains(" cov: ") {
            let field = |name: &str| -> Option<u64> {
                let at = line.find(name)? + name.len();
                let digits: String = line[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                digits.parse().ok()
            };
            stats.coverage = field(" cov: ")?;
            stats.features = field(" ft: ").unwrap_or(0);
            stats.corpus = field(" corp: ").unwrap_or(0);
            seen = true;
        }
    }
    seen.then_some(stats)
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`: one per fuzz target.
fn fuzz_targets(manifest: &Path) -> Result<Vec<String>, String> {
    let text =
        std::fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            targets.push(name.trim_matches('"').to_string());
        }
    }
    if targets.is_empty() {
        return Err(format!("no [[bin]] fuzz target in {}", manifest.display()));
    }
    Ok(targets)
}

fn nightly_has(args: &[&str]) -> bool {
    Command::new("cargo")
        .arg("+nightly")
        .args(args)
        .current_dir(workspace_root())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Every target in `fuzz/` for a bounded time, each from its seeds in
/// `fuzz/seeds/<target>/` (plus a working corpus under the target
/// directory); a crash fails the step and leaves the input in the seeds
/// directory, where the crate's replay test runs it from then on.
pub(crate) fn fuzz() -> Outcome {
    if !nightly_has(&["fuzz", "--version"]) {
        return Outcome::Skipped("cargo-fuzz not installed: `cargo install cargo-fuzz`".into());
    }
    let root = workspace_root();
    let targets = match fuzz_targets(&root.join("fuzz").join("Cargo.toml")) {
        Ok(t) => t,
        Err(why) => return Outcome::Failed(why),
    };
    let seconds = std::env::var("NANOPATH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        // 0 would be libFuzzer's "no limit": never let the step hang.
        .filter(|&s: &u64| s > 0)
        .unwrap_or(FUZZ_SECONDS);
    // Release with debug assertions (the libraries' `debug_assert!`s are
    // checks worth fuzzing), AddressSanitizer (cargo-fuzz's default).
    if let Outcome::Failed(why) = run_all(vec![fuzz_cmd(&["build", "--debug-assertions"])]) {
        return Outcome::Failed(why);
    }
    let mut runs = Vec::new();
    for target in &targets {
        let seeds = root.join("fuzz").join("seeds").join(target);
        if !seeds.is_dir() {
            return Outcome::Failed(format!(
                "{} is missing: every target keeps its seeds",
                seeds.display()
            ));
        }
        let corpus = target_dir().join("fuzz-corpus").join(target);
        if let Err(e) = std::fs::create_dir_all(&corpus) {
            return Outcome::Failed(format!("{}: {e}", corpus.display()));
        }
        let mut run = fuzz_cmd(&["run", "--debug-assertions", target]);
        run.arg(&corpus).arg(&seeds).args([
            "--",
            &format!("-max_total_time={seconds}"),
            // An input that runs this long is a hang: it fails the run and
            // is kept (libFuzzer's default is 20 minutes).
            &format!("-timeout={FUZZ_INPUT_TIMEOUT}"),
            "-print_final_stats=1",
            // A crashing, timing-out or memory-exhausting input lands
            // among the seeds, to be kept and replayed.
            &format!("-artifact_prefix={}/", seeds.display()),
        ]);
        runs.push(run);
    }
    // libFuzzer runs one input at a time on one core: one target per core.
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get());
    let finished = match run_lanes(runs, lanes, false) {
        Ok(f) => f,
        Err(why) => return Outcome::Failed(why),
    };
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (target, run) in targets.iter().zip(&finished) {
        let seeds = root.join("fuzz").join("seeds").join(target);
        let stats = parse_fuzz_output(&run.output).filter(|s| s.runs > 0);
        if !run.status.success() || stats.is_none() {
            let tail: Vec<&str> = run.output.lines().rev().take(40).collect();
            for line in tail.iter().rev() {
                println!("  {line}");
            }
        }
        if !run.status.success() {
            failures.push(format!(
                "fuzz target `{target}` failed ({}); the input is kept in {}",
                run.status,
                seeds.display()
            ));
            continue;
        }
        let Some(stats) = stats else {
            failures.push(format!(
                "fuzz target `{target}`: no libFuzzer status line or no input run"
            ));
            continue;
        };
        let line = format!(
            "{target}: {} runs in {seconds} s, {} coverage edges, {} features, corpus {}, 0 crashes",
            stats.runs, stats.coverage, stats.features, stats.corpus
        );
        println!("{line}");
        lines.push(line);
    }
    if !failures.is_empty() {
        return Outcome::Failed(failures.join("; "));
    }
    println!("fuzz summary:");
    for line in &lines {
        println!("  {line}");
    }
    Outcome::Passed
}

/// `cargo +nightly fuzz ARGS` in the repository root, building in the
/// workspace's target directory.
fn fuzz_cmd(args: &[&str]) -> Command {
    let mut c = Command::new("cargo");
    c.arg("+nightly")
        .arg("fuzz")
        .args(args)
        .arg("--target-dir")
        .arg(target_dir().join("fuzz"))
        .current_dir(workspace_root());
    c
}

/// Filters on test names (libtest matches each against the test's path,
/// module included) that say a test is concurrent: what a data-race
/// detector is for. `both_ends` are the tests that call every accessor of
/// each handle while the other side is busy.
const CONCURRENT_TESTS: [&str; 5] = [
    "stress",
    "handoff",
    "concurrent",
    "linearizable",
    "both_ends",
];

/// `cargo +nightly test` with `-Zsanitizer=NAME` for the host, std rebuilt
/// with the same instrumentation (`-Zbuild-std`: the sanitizer is an ABI
/// choice that every crate, std included, must share), in
/// `target/<name>san`.
fn sanitizer_test(name: &str, extra: &[&str]) -> Command {
    let mut c = Command::new("cargo");
    c.args(["+nightly", "test", "-Zbuild-std", "--target", HOST])
        .args(extra)
        .current_dir(workspace_root())
        .env("RUSTFLAGS", format!("-Zsanitizer={name}"))
        .env("CARGO_TARGET_DIR", sanitizer_target(name));
    c
}

fn sanitizer_target(name: &str) -> PathBuf {
    target_dir().join(format!("{name}san"))
}

/// Whether nightly can rebuild std (`rust-src`), which the sanitizer steps
/// need; the skip reason otherwise.
fn build_std_ready() -> Result<(), Outcome> {
    let sysroot = Command::new("rustc")
        .args(["+nightly", "--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match sysroot {
        Some(root) if root.join("lib/rustlib/src/rust/library").is_dir() => Ok(()),
        _ => Err(Outcome::Skipped(
            "nightly rust-src missing: `rustup +nightly component add rust-src`".into(),
        )),
    }
}

fn published_packages() -> Result<Vec<String>, Outcome> {
    workspace::crates()
        .map(|crates| {
            crates
                .into_iter()
                .filter(|k| k.published)
                .map(|k| k.package)
                .collect()
        })
        .map_err(Outcome::Failed)
}

/// ThreadSanitizer over the concurrent tests of every published crate: the
/// native code, membarrier fast path included, on real threads.
pub(crate) fn tsan() -> Outcome {
    if let Err(skip) = build_std_ready() {
        return skip;
    }
    let packages = match published_packages() {
        Ok(p) => p,
        Err(fail) => return fail,
    };
    let mut c = sanitizer_test("thread", &["--tests"]);
    for p in &packages {
        c.args(["-p", p]);
    }
    c.arg("--").args(CONCURRENT_TESTS);
    // Reports fail the run (TSan exits non-zero after a report).
    c.env("TSAN_OPTIONS", "halt_on_error=1 second_deadlock_stack=1");
    let finished = match run_lanes(vec![c], 1, true) {
        Ok(mut f) => f.remove(0),
        Err(why) => return Outcome::Failed(why),
    };
    if !finished.status.success() {
        return Outcome::Failed(format!(
            "`{}` exited with {}",
            finished.shown, finished.status
        ));
    }
    // A filter that matches nothing would pass with nothing checked.
    match tests_passed(&finished.output) {
        0 => Outcome::Failed(format!(
            "no test matched {CONCURRENT_TESTS:?}: ThreadSanitizer checked nothing"
        )),
        n => {
            println!("tsan: {n} concurrent tests passed under ThreadSanitizer");
            Outcome::Passed
        }
    }
}

/// The tests libtest reports passed, summed over every `test result:` line.
pub(crate) fn tests_passed(text: &str) -> u64 {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("test result: "))
        .filter_map(|rest| {
            let at = rest.find(". ")? + 2;
            rest[at..].split(' ').next()?.parse::<u64>().ok()
        })
        .sum()
}

/// AddressSanitizer over every published crate's unit and integration
/// tests: out-of-bounds and use-after-free in the native code (the SIMD
/// kernels at every level this CPU has, the real allocator).
pub(crate) fn asan() -> Outcome {
    if let Err(skip) = build_std_ready() {
        return skip;
    }
    let packages = match published_packages() {
        Ok(p) => p,
        Err(fail) => return fail,
    };
    // `--tests`: every target with tests, the lib's unit tests included
    // (doc examples would need their own instrumented rustdoc build).
    let mut c = sanitizer_test("address", &["--tests"]);
    for p in &packages {
        c.args(["-p", p]);
    }
    // Leaks are Miri's to find (its strict pass checks them); here the
    // global hazard domain and epoch garbage that outlive the tests by
    // design would drown them.
    c.env("ASAN_OPTIONS", "detect_leaks=0:halt_on_error=1");
    run_all(vec![c])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libfuzzer_figures() {
        let text = "INFO: Seed: 1\n#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb\n\
                    #52311\tDONE   cov: 122 ft: 407 corp: 61/3090b lim: 4096 exec/s: 26155 rss: 58Mb\n\
                    Done 52311 runs in 2 second(s)\nstat::number_of_executed_units: 52311\n";
        assert_eq!(
            parse_fuzz_output(text),
            Some(FuzzStats {
                runs: 52311,
                coverage: 122,
                features: 407,
                corpus: 61
            })
        );
        assert_eq!(parse_fuzz_output("no status here"), None);
    }

    #[test]
    fn counts_passed_tests() {
        let text = "running 2 tests\ntest a ... ok\ntest b ... ok\n\n\
                    test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 5 filtered out; finished in 0.1s\n\
                    running 0 tests\n\
                    test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 9 filtered out; finished in 0.0s\n\
                    test result: ok. 7 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 3s\n";
        assert_eq!(tests_passed(text), 9);
        assert_eq!(tests_passed("running 0 tests\n"), 0);
    }

    #[test]
    fn finds_the_bin_targets() {
        let dir = std::env::temp_dir().join(format!("xtask-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[package]\nname = \"f\"\n\n[[bin]]\nname = \"a\"\npath = \"a.rs\"\n\n[[bin]]\nname = \"b\"\n",
        )
        .unwrap();
        assert_eq!(fuzz_targets(&manifest).unwrap(), ["a", "b"]);
        std::fs::write(&manifest, "[package]\nname = \"f\"\n").unwrap();
        assert!(fuzz_targets(&manifest).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
