//! `cargo xtask verify`: the project's one test command (README, `.ci/run`).
//!
//! Steps, in order (see docs/verification.md for what each proves):
//! fmt, clippy, cross, test, bench-test, doc, loom, miri. Each prints one summary
//! line; the command exits non-zero if any step failed, and with `--strict`
//! (CI) also if any step was skipped (a missing toolchain component, or
//! `--quick`).

use crate::util::{cargo, display, target_dir, workspace_root};
use std::process::Command;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Fmt,
    Clippy,
    Cross,
    Test,
    BenchTest,
    Doc,
    Loom,
    Miri,
}

const STEPS: [Step; 8] = [
    Step::Fmt,
    Step::Clippy,
    Step::Cross,
    Step::Test,
    Step::BenchTest,
    Step::Doc,
    Step::Loom,
    Step::Miri,
];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
            Step::Cross => "cross",
            Step::Test => "test",
            Step::BenchTest => "bench-test",
            Step::Doc => "doc",
            Step::Loom => "loom",
            Step::Miri => "miri",
        }
    }

    /// Slow steps that `--quick` skips.
    fn is_slow(self) -> bool {
        matches!(self, Step::Doc | Step::Loom | Step::Miri)
    }
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut only = None;
    let mut quick = false;
    let mut strict = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--strict" => strict = true,
            "--only" => {
                let name = iter.next().ok_or("--only needs a step name")?;
                let step = STEPS
                    .into_iter()
                    .find(|s| s.name() == name)
                    .ok_or_else(|| format!("unknown step `{name}`; steps: {}", step_names()))?;
                only = Some(step);
            }
            other => return Err(format!("verify: unknown argument `{other}`")),
        }
    }

    let started = Instant::now();
    let mut results = Vec::new();
    for step in STEPS {
        if only.is_some_and(|o| o != step) {
            continue;
        }
        let step_start = Instant::now();
        let outcome = if quick && step.is_slow() && only.is_none() {
            Outcome::Skipped("--quick".into())
        } else {
            println!("\n==> {}", step.name());
            run_step(step)
        };
        let secs = step_start.elapsed().as_secs_f64();
        let line = match &outcome {
            Outcome::Passed => format!("{}: ok ({secs:.0}s)", step.name()),
            Outcome::Failed(why) => format!("{}: FAILED ({why}, {secs:.0}s)", step.name()),
            Outcome::Skipped(why) => format!("{}: skipped ({why})", step.name()),
        };
        println!("{line}");
        results.push((outcome, line));
    }

    println!(
        "\nverify summary ({:.0}s):",
        started.elapsed().as_secs_f64()
    );
    for (_, line) in &results {
        println!("  {line}");
    }
    let failed = results
        .iter()
        .filter(|(o, _)| matches!(o, Outcome::Failed(_)))
        .count();
    let passed = results
        .iter()
        .filter(|(o, _)| matches!(o, Outcome::Passed))
        .count();
    let skipped = results.len() - failed - passed;
    println!("verify: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        Err(format!("{failed} step(s) failed"))
    } else if strict && skipped > 0 {
        Err(format!(
            "--strict: {skipped} step(s) skipped; every step must run (see the skip reasons above)"
        ))
    } else {
        Ok(())
    }
}

fn step_names() -> String {
    STEPS
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_step(step: Step) -> Outcome {
    match step {
        // Formatting is checked, never rewritten, so CI cannot pass by
        // changing files.
        Step::Fmt => run_all(vec![cmd(&["fmt", "--all", "--", "--check"])]),
        // All targets (tests, benches, examples) with warnings as errors, so
        // lint debt cannot accumulate in code that is only compiled here.
        Step::Clippy => run_all(vec![
            cmd(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            // Optional features with code of their own (frame's tokio codec
            // and its echo example) are linted with the feature on.
            cmd(&[
                "clippy",
                "-p",
                "nanopath-frame",
                "--features",
                "tokio",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        ]),
        // Unit, integration and example tests in debug (overflow checks and
        // debug assertions on). Doctests run in the doc step.
        Step::Test => run_all(vec![
            cmd(&[
                "test",
                "--workspace",
                "--lib",
                "--bins",
                "--tests",
                "--examples",
            ]),
            // The tokio codec: frame's tests with the feature on, and the
            // loopback echo example run end to end (it asserts every echo).
            cmd(&["test", "-p", "nanopath-frame", "--features", "tokio"]),
            cmd(&[
                "run",
                "-p",
                "nanopath-frame",
                "--features",
                "tokio",
                "--example",
                "echo",
            ]),
        ]),
        // Each criterion bench run once in test mode, with its sanity checks,
        // so the benches never rot between `cargo xtask bench` runs.
        Step::BenchTest => run_all(vec![cmd(&["test", "--workspace", "--benches"])]),
        Step::Doc => {
            // Broken intra-doc links and doc warnings are errors.
            let mut doc = cmd(&["doc", "--workspace", "--no-deps"]);
            doc.env("RUSTDOCFLAGS", "-D warnings");
            run_all(vec![doc, cmd(&["test", "--workspace", "--doc"])])
        }
        Step::Cross => cross(),
        Step::Loom => loom(),
        Step::Miri => miri(),
    }
}

/// The aarch64 target the NEON code is checked for.
const AARCH64: &str = "aarch64-unknown-linux-gnu";

/// Clippy (so a full type check) of nanopath-simd for aarch64, whose NEON
/// code is otherwise never compiled on an x86-64 machine. Needs the
/// target's standard library (`rustup target add aarch64-unknown-linux-gnu`);
/// skipped, and said so, when it is missing. Nothing runs: there is no
/// aarch64 machine here.
fn cross() -> Outcome {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(workspace_root())
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == AARCH64)
        })
        .unwrap_or(false);
    if !installed {
        println!("cross: skipped ({AARCH64} not installed)");
        return Outcome::Skipped(format!("not installed: `rustup target add {AARCH64}`"));
    }
    run_all(vec![cmd(&[
        "clippy",
        "-p",
        "nanopath-simd",
        "--target",
        AARCH64,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])])
}

fn cmd(args: &[&str]) -> Command {
    let mut c = cargo();
    c.args(args);
    c
}

/// Runs the commands in order, stopping at the first failure.
fn run_all(commands: Vec<Command>) -> Outcome {
    for mut command in commands {
        println!("$ {}", display(&command));
        match command.status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                return Outcome::Failed(format!("`{}` exited with {status}", display(&command)));
            }
            Err(e) => {
                return Outcome::Failed(format!("could not start `{}`: {e}", display(&command)));
            }
        }
    }
    Outcome::Passed
}

/// A workspace crate: its package name and directory.
struct Crate {
    package: String,
    dir: std::path::PathBuf,
}

/// The crates under `crates/`, read from their manifests.
fn workspace_crates() -> Vec<Crate> {
    let mut crates = Vec::new();
    let Ok(entries) = std::fs::read_dir(workspace_root().join("crates")) else {
        return crates;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let package = manifest.lines().find_map(|line| {
            let line = line.trim();
            let value = line
                .strip_prefix("name")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            Some(value.trim_matches('"').to_string())
        });
        if let Some(package) = package {
            crates.push(Crate { package, dir });
        }
    }
    crates.sort_by(|a, b| a.package.cmp(&b.package));
    crates
}

/// Loom models: every `tests/loom*.rs` of every crate, built with
/// `--cfg nanopath_loom` in release (loom explores thousands of executions)
/// and in its own target directory, so the cfg change does not invalidate
/// the normal build's cache.
fn loom() -> Outcome {
    let mut commands = Vec::new();
    for krate in workspace_crates() {
        let Ok(entries) = std::fs::read_dir(krate.dir.join("tests")) else {
            continue;
        };
        let mut tests: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with("loom") && n.ends_with(".rs"))
            .map(|n| n.trim_end_matches(".rs").to_string())
            .collect();
        tests.sort();
        if tests.is_empty() {
            continue;
        }
        let mut c = cmd(&[
            "test",
            "--release",
            "-p",
            &krate.package,
            "--features",
            "loom",
        ]);
        for t in &tests {
            c.args(["--test", t]);
        }
        c.env("RUSTFLAGS", "--cfg nanopath_loom")
            // Two preemptions find the known bug classes of these algorithms
            // and keep the state space small enough for CI.
            .env("LOOM_MAX_PREEMPTIONS", "2")
            .env("CARGO_TARGET_DIR", target_dir().join("loom"));
        commands.push(c);
    }
    if commands.is_empty() {
        return Outcome::Skipped("no loom models found".into());
    }
    run_all(commands)
}

/// Miri on every crate with `unsafe` code, when `cargo +nightly miri` is
/// installed; a clear skip line otherwise.
fn miri() -> Outcome {
    let installed = Command::new("cargo")
        .args(["+nightly", "miri", "--version"])
        .current_dir(workspace_root())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !installed {
        println!("miri: skipped (not installed)");
        return Outcome::Skipped(
            "not installed: `rustup +nightly component add miri rust-src`".into(),
        );
    }
    let crates: Vec<Crate> = workspace_crates()
        .into_iter()
        .filter(|k| has_unsafe(&k.dir.join("src")))
        .collect();
    if crates.is_empty() {
        return Outcome::Skipped("no crate has unsafe code".into());
    }
    let miri_target = target_dir().join("miri");
    // `cargo miri setup` builds Miri's sysroot; it fails if rust-src is
    // missing, which is an installation gap, not a test failure.
    let mut setup = Command::new("cargo");
    setup
        .args(["+nightly", "miri", "setup"])
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", &miri_target);
    match setup.status() {
        Ok(s) if s.success() => {}
        _ => {
            println!("miri: skipped (sysroot setup failed; is rust-src installed for nightly?)");
            return Outcome::Skipped(
                "sysroot setup failed: `rustup +nightly component add rust-src`".into(),
            );
        }
    }
    let mut strict = Command::new("cargo");
    // Unit and integration tests: they exercise every unsafe path. Doc
    // examples run natively in the `doc` step; under Miri each would be a
    // separate build (about two seconds apiece, most of the step's time).
    strict
        .args([
            "+nightly",
            "miri",
            "test",
            "--no-fail-fast",
            "--lib",
            "--tests",
        ])
        .current_dir(workspace_root());
    for k in &crates {
        strict.args(["-p", &k.package]);
    }
    // Strict provenance: every pointer keeps its provenance (tagged pointers
    // use `map_addr`, never integer round-trips). Tests named `*epoch*` go
    // through crossbeam-epoch, which casts integers to pointers and breaks
    // Stacked Borrows in its intrusive list (crossbeam-rs/crossbeam#545,
    // #878; crossbeam's own CI runs Miri with Tree Borrows), so they run in
    // a second pass with permissive provenance and Tree Borrows. That pass
    // also ignores leaks: epoch garbage still queued in crossbeam's global
    // collector at exit is never freed, by design (the strict pass checks
    // leaks for everything else).
    strict
        .args(["--", "--skip", "epoch"])
        .env("MIRIFLAGS", "-Zmiri-strict-provenance")
        .env("CARGO_TARGET_DIR", &miri_target);
    let mut commands = vec![strict];
    if crates.iter().any(|k| k.package == "nanopath-reclaim") {
        let mut epoch = Command::new("cargo");
        epoch
            .args([
                "+nightly",
                "miri",
                "test",
                "--tests",
                "-p",
                "nanopath-reclaim",
            ])
            .args(["--", "epoch"])
            .current_dir(workspace_root())
            .env(
                "MIRIFLAGS",
                "-Zmiri-permissive-provenance -Zmiri-tree-borrows -Zmiri-ignore-leaks",
            )
            .env("CARGO_TARGET_DIR", &miri_target);
        commands.push(epoch);
    }
    // Weak memory: the concurrent hand-off tests (publication, abandonment,
    // disconnection, wake-up; named `handoff_*`) once per seed. Each seed
    // is a different schedule and a different choice among the stores a
    // Relaxed or Acquire load may see, which is what exposes a missing
    // happens-before edge that one run (or loom, which models some std
    // operations as stronger than they are) passes.
    let mut seeds = Command::new("cargo");
    seeds
        .args([
            "+nightly",
            "miri",
            "test",
            "--no-fail-fast",
            "--lib",
            "--tests",
        ])
        .current_dir(workspace_root());
    for k in &crates {
        seeds.args(["-p", &k.package]);
    }
    seeds
        .args(["--", "handoff_"])
        .env(
            "MIRIFLAGS",
            format!("-Zmiri-strict-provenance -Zmiri-many-seeds=0..{MIRI_SEEDS}"),
        )
        .env("CARGO_TARGET_DIR", &miri_target);
    commands.push(seeds);
    // 32-bit: the frame decoder's length arithmetic (and the queues' and
    // pools' capacity checks) on i686, where `usize` is 32 bits. Needs no
    // installed target: Miri builds the sysroot from rust-src.
    let mut i686 = Command::new("cargo");
    i686.args([
        "+nightly",
        "miri",
        "test",
        "--target",
        I686,
        "--tests",
        "-p",
        "nanopath-frame",
    ])
    .current_dir(workspace_root())
    .env("MIRIFLAGS", "-Zmiri-strict-provenance")
    .env("CARGO_TARGET_DIR", &miri_target);
    commands.push(i686);
    // The edge-input test files (`tests/*edges*.rs`: capacities 0, 1, the
    // largest accepted and one past it, zero-sized items, zero and endless
    // timeouts) of the other crates, on i686 too.
    for k in crates.iter().filter(|k| k.package != "nanopath-frame") {
        let edges = test_files(&k.dir, "edges");
        if edges.is_empty() {
            continue;
        }
        let mut c = Command::new("cargo");
        c.args([
            "+nightly", "miri", "test", "--target", I686, "-p", &k.package,
        ])
        .current_dir(workspace_root());
        for t in &edges {
            c.args(["--test", t]);
        }
        c.env("MIRIFLAGS", "-Zmiri-strict-provenance")
            .env("CARGO_TARGET_DIR", &miri_target);
        commands.push(c);
    }
    run_all(commands)
}

/// Seeds for Miri's weak-memory pass over the `handoff_*` tests.
const MIRI_SEEDS: u32 = 16;

/// The 32-bit target Miri interprets for the edge-input tests and the frame
/// decoder.
const I686: &str = "i686-unknown-linux-gnu";

/// The integration tests of the crate in `dir` whose file name contains
/// `part`, sorted (names without `.rs`).
fn test_files(dir: &std::path::Path, part: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("tests")) else {
        return Vec::new();
    };
    let mut tests: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.contains(part) && n.ends_with(".rs"))
        .map(|n| n.trim_end_matches(".rs").to_string())
        .collect();
    tests.sort();
    tests
}

/// Whether any `.rs` file under `dir` contains the `unsafe` keyword.
fn has_unsafe(dir: &std::path::Path) -> bool {
    has_text(dir, "unsafe ")
}

/// Whether any `.rs` file under `dir` contains `text`.
fn has_text(dir: &std::path::Path, text: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            has_text(&path, text)
        } else {
            path.extension().is_some_and(|x| x == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|s| s.contains(text))
        }
    })
}
