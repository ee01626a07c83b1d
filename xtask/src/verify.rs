//! `cargo xtask verify`: the project's one test command (README, `.ci/run`).
//!
//! The steps run in the order of [`STEPS`] (see docs/verification.md for
//! what each proves). Each prints one summary line; the command exits
//! non-zero if any step failed, and with `--strict` (CI) also if any step was
//! skipped (a missing toolchain component, or `--quick`).

use crate::util::{cargo, display, target_dir, workspace_root};
use crate::workspace::{self, Crate};
use std::process::Command;
use std::time::Instant;

/// One step of verify: the name `--only` takes and the summary prints, a
/// one-line description for `cargo xtask help`, whether `--quick` skips it,
/// and what it runs.
pub(crate) struct Step {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
    /// Slow steps that `--quick` skips.
    pub(crate) slow: bool,
    run: fn() -> Outcome,
}

/// Every step, in the order verify runs them. The runner and the help text
/// both read this table, so a step cannot run without being listed there.
pub(crate) static STEPS: [Step; 13] = [
    Step {
        name: "fmt",
        about: "rustfmt, checked (files are never rewritten)",
        slow: false,
        run: fmt,
    },
    Step {
        name: "clippy",
        about: "clippy -D warnings on all targets; the Miri markers",
        slow: false,
        run: clippy,
    },
    Step {
        name: "cross",
        about: "nanopath-simd for aarch64 (its NEON code); the no_std targets",
        slow: false,
        run: cross,
    },
    Step {
        name: "msrv",
        about: "each published crate checked with its declared rust-version",
        slow: true,
        run: msrv,
    },
    Step {
        name: "test",
        about: "unit, integration and example tests (debug)",
        slow: false,
        run: test,
    },
    Step {
        name: "bench-test",
        about: "each criterion bench once in test mode",
        slow: false,
        run: bench_test,
    },
    Step {
        name: "package",
        about: "cargo package of the published crates, and their packaged tests built",
        slow: true,
        run: package,
    },
    Step {
        name: "doc",
        about: "rustdoc with warnings as errors, and the doctests",
        slow: true,
        run: doc,
    },
    Step {
        name: "loom",
        about: "the loom models (tests/loom*.rs), release",
        slow: true,
        run: loom,
    },
    Step {
        name: "miri",
        about: "Miri over the crates marked `miri = true`",
        slow: true,
        run: miri,
    },
    Step {
        name: "fuzz",
        about: "each cargo-fuzz target in fuzz/ for a bounded time, from its seeds",
        slow: true,
        run: crate::hardening::fuzz,
    },
    Step {
        name: "tsan",
        about: "ThreadSanitizer over the concurrent tests (nightly, build-std)",
        slow: true,
        run: crate::hardening::tsan,
    },
    Step {
        name: "asan",
        about: "AddressSanitizer over the unit and integration tests (nightly, build-std)",
        slow: true,
        run: crate::hardening::asan,
    },
];

pub(crate) enum Outcome {
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
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| format!("unknown step `{name}`; steps: {}", step_names()))?;
                only = Some(step);
            }
            other => return Err(format!("verify: unknown argument `{other}`")),
        }
    }

    let started = Instant::now();
    let mut results = Vec::new();
    for step in &STEPS {
        if only.is_some_and(|o: &Step| o.name != step.name) {
            continue;
        }
        let step_start = Instant::now();
        let outcome = if quick && step.slow && only.is_none() {
            Outcome::Skipped("--quick".into())
        } else {
            println!("\n==> {}", step.name);
            (step.run)()
        };
        let secs = step_start.elapsed().as_secs_f64();
        let line = match &outcome {
            Outcome::Passed => format!("{}: ok ({secs:.0}s)", step.name),
            Outcome::Failed(why) => format!("{}: FAILED ({why}, {secs:.0}s)", step.name),
            Outcome::Skipped(why) => format!("{}: skipped ({why})", step.name),
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
    STEPS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Formatting is checked, never rewritten, so CI cannot pass by changing
/// files.
fn fmt() -> Outcome {
    run_all(vec![cmd(&["fmt", "--all", "--", "--check"])])
}

/// All targets (tests, benches, examples) with warnings as errors, so lint
/// debt cannot accumulate in code that is only compiled here. First, the
/// Miri markers (see [`workspace::miri_crates`]): cheap, and checked here so
/// that a crate with `unsafe` code that Miri would not cover fails every
/// verify, also where Miri is not installed or `--quick` skips it. And the
/// published crates' packaging (see [`workspace::publishing_problems`]).
fn clippy() -> Outcome {
    if let Err(why) = miri_crates() {
        return Outcome::Failed(why);
    }
    let mut metadata = crate::util::cargo();
    metadata.args(["metadata", "--format-version", "1", "--no-deps"]);
    let Some(text) = crate::util::output_of(&mut metadata) else {
        return Outcome::Failed("`cargo metadata` failed".into());
    };
    match workspace::publishing_problems(&text) {
        Ok(problems) if problems.is_empty() => {}
        Ok(problems) => {
            return Outcome::Failed(format!(
                "the crates cannot be published as they are:\n  {}",
                problems.join("\n  ")
            ));
        }
        Err(why) => return Outcome::Failed(why),
    }
    let published: Vec<String> = match workspace::parse(&text) {
        Ok(crates) => crates
            .into_iter()
            .filter(|k| k.published)
            .map(|k| k.package)
            .collect(),
        Err(why) => return Outcome::Failed(why),
    };
    let mut commands = vec![
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
    ];
    // Default features off: every published crate builds without warnings
    // that way too (one at a time, so no other crate's features leak in).
    for package in &published {
        commands.push(cmd(&[
            "clippy",
            "-p",
            package,
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ]));
    }
    run_all(commands)
}

/// Unit, integration and example tests in debug (overflow checks and debug
/// assertions on). Doctests run in the doc step.
fn test() -> Outcome {
    run_all(vec![
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
    ])
}

/// Each criterion bench run once in test mode, with its sanity checks, so
/// the benches never rot between `cargo xtask bench` runs.
fn bench_test() -> Outcome {
    run_all(vec![cmd(&["test", "--workspace", "--benches"])])
}

/// Broken intra-doc links and doc warnings are errors.
fn doc() -> Outcome {
    let mut doc = cmd(&["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    run_all(vec![doc, cmd(&["test", "--workspace", "--doc"])])
}

/// The aarch64 target the NEON code is checked for.
const AARCH64: &str = "aarch64-unknown-linux-gnu";
/// A 32-bit microcontroller without 64-bit atomics (Cortex-M4F), for the
/// no_std crates.
const THUMB: &str = "thumbv7em-none-eabihf";
/// x86-64 without SSE (soft float; kernels, bootloaders), where the SIMD
/// crate must fall back to scalar code.
const X86_NONE: &str = "x86_64-unknown-none";

/// The targets the `cross` step builds for; `.ci/run` installs them.
pub(crate) const CROSS_TARGETS: [&str; 3] = [AARCH64, THUMB, X86_NONE];

fn installed_targets() -> Vec<String> {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(workspace_root())
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Clippy (so a full type check) of nanopath-simd for aarch64, whose NEON
/// code is otherwise never compiled on an x86-64 machine; clippy of the
/// no_std crates (nanopath-atomic, nanopath-queue) for a 32-bit
/// microcontroller without 64-bit atomics; and a build (code generation
/// included, where LLVM used to fail) of nanopath-simd for x86-64 without
/// SSE. Needs the targets' standard libraries (`rustup target add`);
/// skipped, and said so, when one is missing. Nothing runs: there is no
/// such machine here.
fn cross() -> Outcome {
    let installed = installed_targets();
    let missing: Vec<&str> = CROSS_TARGETS
        .into_iter()
        .filter(|t| !installed.iter().any(|i| i == t))
        .collect();
    if !missing.is_empty() {
        println!("cross: skipped ({} not installed)", missing.join(", "));
        return Outcome::Skipped(format!(
            "not installed: `rustup target add {}`",
            missing.join(" ")
        ));
    }
    let cross_dir = target_dir().join("cross");
    let cross_dir = cross_dir.to_string_lossy();
    run_all(vec![
        cmd(&[
            "clippy",
            "-p",
            "nanopath-simd",
            "--target",
            AARCH64,
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        cmd(&[
            "clippy",
            "-p",
            "nanopath-atomic",
            "-p",
            "nanopath-queue",
            "--target",
            THUMB,
            "--no-default-features",
            "--target-dir",
            &cross_dir,
            "--",
            "-D",
            "warnings",
        ]),
        cmd(&[
            "build",
            "-p",
            "nanopath-simd",
            "--target",
            X86_NONE,
            "--no-default-features",
            "--target-dir",
            &cross_dir,
        ]),
    ])
}

/// `cargo +VERSION check` of each published crate with the toolchain of
/// its `rust-version`, in a target directory of its own: the declared
/// minimum really builds it (with the locked dependencies). Skipped, and
/// said so, when a toolchain is missing (`rustup toolchain install
/// VERSION --profile minimal`; `.ci/run` installs them).
fn msrv() -> Outcome {
    let crates = match workspace::crates() {
        Ok(c) => c,
        Err(why) => return Outcome::Failed(why),
    };
    let mut wanted: Vec<(&str, String)> = Vec::new();
    for k in crates.iter().filter(|k| k.published) {
        match &k.rust_version {
            Some(v) => wanted.push((&k.package, v.clone())),
            None => return Outcome::Failed(format!("{} declares no rust-version", k.package)),
        }
    }
    let toolchains = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    // The installed toolchain for a version: `1.91` is installed as
    // `1.91-x86_64-...`, and `1.95` may be there as `1.95.0-x86_64-...`.
    let toolchain = |version: &str| -> Option<String> {
        toolchains
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .find(|name| {
                name.strip_prefix(version)
                    .is_some_and(|rest| rest.starts_with('-') || rest.starts_with(".0-"))
            })
            .map(str::to_string)
    };
    let missing: Vec<String> = wanted
        .iter()
        .map(|(_, v)| v.clone())
        .filter(|v| toolchain(v).is_none())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        println!(
            "msrv: skipped (toolchains not installed: {})",
            missing.join(", ")
        );
        return Outcome::Skipped(format!(
            "not installed: `rustup toolchain install {} --profile minimal`",
            missing.join(" ")
        ));
    }
    let msrv_dir = target_dir().join("msrv");
    let commands = wanted
        .iter()
        .map(|(package, version)| {
            let mut c = Command::new("cargo");
            c.arg(format!("+{}", toolchain(version).unwrap_or_default()))
                .args(["check", "--locked", "-p", package, "--target-dir"])
                .arg(&msrv_dir)
                .current_dir(workspace_root());
            c
        })
        .collect();
    run_all(commands)
}

/// `cargo package` of every published crate (no verify build: the next
/// part builds more), then, for each `.crate`, unpacked outside the
/// workspace with the workspace's lock file as its starting point (cargo
/// keeps its versions, dropping what the package does not use):
/// `cargo test --no-run --all-features` (so feature-gated tests, such as
/// frame's tokio codec tests, build too), the published nanopath crates
/// patched in from their packages. So what is
/// published builds, with its tests, from its package alone (no file from
/// the repository that the package lacks).
fn package() -> Outcome {
    let crates = match workspace::crates() {
        Ok(c) => c,
        Err(why) => return Outcome::Failed(why),
    };
    let published: Vec<&Crate> = crates.iter().filter(|k| k.published).collect();
    let mut pack = cmd(&["package", "--no-verify", "--allow-dirty"]);
    for k in &published {
        pack.args(["-p", &k.package]);
    }
    if let Outcome::Failed(why) = run_all(vec![pack]) {
        return Outcome::Failed(why);
    }
    // Every crate has the workspace's version, as xtask does.
    let version = env!("CARGO_PKG_VERSION");
    // A fixed place, so a later run finds its builds up to date.
    let unpacked = std::env::temp_dir().join("nanopath-packages");
    let _ = std::fs::remove_dir_all(&unpacked);
    if let Err(e) = std::fs::create_dir_all(unpacked.join(".cargo")) {
        return Outcome::Failed(format!("{}: {e}", unpacked.display()));
    }
    let mut patches = String::from("[patch.crates-io]\n");
    let mut commands = Vec::new();
    for k in &published {
        let name = format!("{}-{version}", k.package);
        let archive = target_dir().join("package").join(format!("{name}.crate"));
        let mut untar = Command::new("tar");
        untar.arg("xzf").arg(&archive).arg("-C").arg(&unpacked);
        commands.push(untar);
        let dir = unpacked.join(&name);
        patches.push_str(&format!(
            "{} = {{ path = {:?} }}\n",
            k.package,
            dir.display().to_string()
        ));
    }
    if let Outcome::Failed(why) = run_all(commands) {
        return Outcome::Failed(why);
    }
    // Cargo reads this from every directory above the unpacked crates.
    if let Err(e) = std::fs::write(unpacked.join(".cargo").join("config.toml"), patches) {
        return Outcome::Failed(format!("writing the patch table: {e}"));
    }
    let mut builds = Vec::new();
    for k in &published {
        let dir = unpacked.join(format!("{}-{version}", k.package));
        if let Err(e) = std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")) {
            return Outcome::Failed(format!("copying Cargo.lock: {e}"));
        }
        let mut build = cargo();
        build
            .args(["test", "--no-run", "--all-features"])
            .current_dir(&dir)
            // The workspace's target directory: the dependencies are
            // already built there.
            .env("CARGO_TARGET_DIR", target_dir());
        builds.push(build);
    }
    let outcome = run_all(builds);
    let _ = std::fs::remove_dir_all(&unpacked);
    outcome
}

fn cmd(args: &[&str]) -> Command {
    let mut c = cargo();
    c.args(args);
    c
}

/// Runs the commands in order, stopping at the first failure.
pub(crate) fn run_all(commands: Vec<Command>) -> Outcome {
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

/// One command's end in [`run_lanes`]: how it exited and everything it
/// printed (stdout and stderr, in order).
pub(crate) struct Finished {
    pub(crate) shown: String,
    pub(crate) status: std::process::ExitStatus,
    pub(crate) output: String,
}

/// Runs the commands at most `lanes` at a time (each interprets or fuzzes
/// on one core, so on a machine with N cores N of them finish in about
/// the time of one), every command's output to its own log under the
/// target directory, printed whole when it ends so that runs side by side
/// do not interleave (with `echo` false, not printed: the caller reads
/// it). Runs them all, also after a failure; `Err` if one could not start.
pub(crate) fn run_lanes(
    commands: Vec<Command>,
    lanes: usize,
    echo: bool,
) -> Result<Vec<Finished>, String> {
    let logs = target_dir().join("xtask-logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let mut running: Vec<Running> = Vec::new();
    let result = drive_lanes(commands, lanes.max(1), echo, &logs, &mut running);
    // After an error, nothing is left running behind the caller's back.
    for mut r in running {
        let _ = r.child.kill();
        let _ = r.child.wait();
        let _ = std::fs::remove_file(&r.log);
    }
    result
}

/// A command [`run_lanes`] started and has not yet seen end.
struct Running {
    index: usize,
    shown: String,
    child: std::process::Child,
    log: std::path::PathBuf,
}

fn drive_lanes(
    commands: Vec<Command>,
    lanes: usize,
    echo: bool,
    logs: &std::path::Path,
    running: &mut Vec<Running>,
) -> Result<Vec<Finished>, String> {
    let mut pending = commands.into_iter().enumerate();
    let mut done: Vec<(usize, Finished)> = Vec::new();
    loop {
        while running.len() < lanes {
            let Some((index, mut command)) = pending.next() else {
                break;
            };
            let shown = display(&command);
            let log = logs.join(format!("{}-{index}.log", std::process::id()));
            let file =
                std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = file
                .try_clone()
                .map_err(|e| format!("{}: {e}", log.display()))?;
            println!("$ {shown}   (started, output when it ends)");
            let child = command
                .stdout(file)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("could not start `{shown}`: {e}"))?;
            running.push(Running {
                index,
                shown,
                child,
                log,
            });
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let mut k = 0;
        while k < running.len() {
            let exited = running[k]
                .child
                .try_wait()
                .map_err(|e| format!("waiting for `{}`: {e}", running[k].shown))?;
            let Some(status) = exited else {
                k += 1;
                continue;
            };
            let r = running.swap_remove(k);
            let output =
                String::from_utf8_lossy(&std::fs::read(&r.log).unwrap_or_default()).into_owned();
            let _ = std::fs::remove_file(&r.log);
            println!("$ {}   (ended: {status})", r.shown);
            if echo {
                print!("{output}");
            }
            done.push((
                r.index,
                Finished {
                    shown: r.shown,
                    status,
                    output,
                },
            ));
        }
    }
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, f)| f).collect())
}

/// [`run_lanes`] with one lane per core, for test commands: fails if any
/// command failed or ran no test (a filter or a target list that matches
/// nothing would otherwise pass with nothing checked).
pub(crate) fn run_tests_side_by_side(commands: Vec<Command>) -> Outcome {
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get());
    match run_lanes(commands, lanes, true) {
        Err(why) => Outcome::Failed(why),
        Ok(finished) => {
            let failed: Vec<String> = finished
                .iter()
                .filter_map(|f| {
                    if !f.status.success() {
                        Some(format!("`{}` exited with {}", f.shown, f.status))
                    } else if crate::hardening::tests_passed(&f.output) == 0 {
                        Some(format!("`{}` ran no test", f.shown))
                    } else {
                        None
                    }
                })
                .collect();
            if failed.is_empty() {
                Outcome::Passed
            } else {
                Outcome::Failed(failed.join("; "))
            }
        }
    }
}

/// The crates Miri covers ([`workspace::miri_crates`]: read from
/// `cargo metadata`, with the markers checked), printed.
fn miri_crates() -> Result<Vec<Crate>, String> {
    println!("$ cargo metadata --format-version 1 --no-deps");
    let crates = workspace::crates()?;
    let marked: Vec<Crate> = workspace::miri_crates(&crates)?
        .into_iter()
        .cloned()
        .collect();
    let names: Vec<&str> = marked.iter().map(|k| k.package.as_str()).collect();
    println!(
        "Miri markers ok; Miri covers {} crate(s): {}",
        names.len(),
        names.join(" ")
    );
    Ok(marked)
}

/// Loom models: every `tests/loom*.rs` of every crate, built with
/// `--cfg nanopath_loom` in release (loom explores thousands of executions)
/// and in its own target directory, so the cfg change does not invalidate
/// the normal build's cache.
fn loom() -> Outcome {
    let crates = match workspace::crates() {
        Ok(crates) => crates,
        Err(why) => return Outcome::Failed(why),
    };
    let mut commands = Vec::new();
    for krate in crates {
        let tests: Vec<&String> = krate
            .tests
            .iter()
            .filter(|t| t.starts_with("loom"))
            .collect();
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
        for t in tests {
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

/// Miri on every crate marked `[package.metadata.nanopath] miri = true` (see
/// [`workspace::miri_crates`] for why a marker, and how it is checked), when
/// `cargo +nightly miri` is installed; a clear skip line otherwise.
fn miri() -> Outcome {
    let crates = match miri_crates() {
        Ok(crates) => crates,
        Err(why) => return Outcome::Failed(why),
    };
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
    if crates.is_empty() {
        return Outcome::Skipped("no crate is marked for Miri".into());
    }
    // `cargo miri setup` builds Miri's sysroots (the host's and i686's, so
    // that runs side by side never race to build one); it fails if
    // rust-src is missing, which is an installation gap, not a test failure.
    for target in [None, Some(I686)] {
        let mut setup = Command::new("cargo");
        setup
            .args(["+nightly", "miri", "setup"])
            .args(target.map(|t| ["--target", t]).iter().flatten())
            .current_dir(workspace_root())
            .env("CARGO_TARGET_DIR", miri_target());
        println!("$ {}", display(&setup));
        match setup.status() {
            Ok(s) if s.success() => {}
            _ => {
                println!(
                    "miri: skipped (sysroot setup failed; is rust-src installed for nightly?)"
                );
                return Outcome::Skipped(
                    "sysroot setup failed: `rustup +nightly component add rust-src`".into(),
                );
            }
        }
    }
    // Miri interprets a test binary on one core, and `cargo test` runs one
    // binary at a time: the passes are split into commands run side by
    // side, one per core (see `run_tests_side_by_side`; each must run at
    // least one test).
    let mut commands = Vec::new();
    // Unit and integration tests: they exercise every unsafe path. Doc
    // examples run natively in the `doc` step; under Miri each would be a
    // separate build (about two seconds apiece, most of the step's time).
    //
    // Strict provenance: every pointer keeps its provenance (tagged pointers
    // use `map_addr`, never integer round-trips). Tests named `*epoch*` go
    // through crossbeam-epoch, which casts integers to pointers and breaks
    // Stacked Borrows in its intrusive list (crossbeam-rs/crossbeam#545,
    // #878; crossbeam's own CI runs Miri with Tree Borrows), so they run in
    // a separate pass with permissive provenance and Tree Borrows. That pass
    // also ignores leaks: epoch garbage still queued in crossbeam's global
    // collector at exit is never freed, by design (the strict pass checks
    // leaks for everything else).
    //
    // A crate's test binaries go in groups of `MIRI_GROUP`, so that no one
    // command holds a lane for most of the step.
    for k in &crates {
        let mut groups: Vec<&[String]> = k.tests.chunks(MIRI_GROUP).collect();
        if groups.is_empty() {
            groups.push(&[]);
        }
        // A lib with no `#[test]` of its own (a test helper) has nothing
        // for Miri, and a command that runs no test fails the step.
        let lib_tests = k.lib.is_some() && k.tests_containing("#[test]").1;
        for (i, group) in groups.into_iter().enumerate() {
            if group.is_empty() && !lib_tests {
                continue;
            }
            let mut strict = miri_test(
                &["--no-fail-fast", "-p", &k.package],
                "-Zmiri-strict-provenance",
            );
            if i == 0 && lib_tests {
                strict.arg("--lib");
            }
            for t in group {
                strict.args(["--test", t]);
            }
            strict.args(["--", "--skip", "epoch"]);
            commands.push(strict);
        }
    }
    if crates.iter().any(|k| k.package == "nanopath-reclaim") {
        let mut epoch = miri_test(
            &["--tests", "-p", "nanopath-reclaim"],
            "-Zmiri-permissive-provenance -Zmiri-tree-borrows -Zmiri-ignore-leaks",
        );
        epoch.args(["--", "epoch"]);
        commands.push(epoch);
    }
    // Weak memory: the concurrent hand-off tests (publication, abandonment,
    // disconnection, wake-up; named `handoff_*`) once per seed. Each seed
    // is a different schedule and a different choice among the stores a
    // Relaxed or Acquire load may see, which is what exposes a missing
    // happens-before edge that one run (or loom, which models some std
    // operations as stronger than they are) passes.
    // Only the test binaries that have such tests: Miri starts every
    // binary once per seed, matching tests or not.
    let mut handoffs = 0;
    for k in &crates {
        let (tests, lib) = k.tests_containing("fn handoff_");
        if tests.is_empty() && !lib {
            continue;
        }
        let mut seeds = miri_test(
            &["--no-fail-fast", "-p", &k.package],
            &format!("-Zmiri-strict-provenance -Zmiri-many-seeds=0..{MIRI_SEEDS}"),
        );
        if lib {
            seeds.arg("--lib");
        }
        for t in &tests {
            seeds.args(["--test", t]);
        }
        seeds.args(["--", "handoff_"]);
        commands.push(seeds);
        handoffs += tests.len() + usize::from(lib);
    }
    if handoffs == 0 {
        return Outcome::Failed("no `handoff_` test found for the weak-memory pass".into());
    }
    // 32-bit: the frame decoder's length arithmetic (and the queues' and
    // pools' capacity checks) on i686, where `usize` is 32 bits. Needs no
    // installed target: Miri builds the sysroot from rust-src.
    commands.push(miri_test(
        &["--target", I686, "--tests", "-p", "nanopath-frame"],
        "-Zmiri-strict-provenance",
    ));
    // The edge-input test files (`tests/*edges*.rs`: capacities 0, 1, the
    // largest accepted and one past it, zero-sized items, zero and endless
    // timeouts) of the other crates, on i686 too.
    for k in crates.iter().filter(|k| k.package != "nanopath-frame") {
        let edges = k.tests_named("edges");
        if edges.is_empty() {
            continue;
        }
        let mut c = miri_test(
            &["--target", I686, "-p", &k.package],
            "-Zmiri-strict-provenance",
        );
        for t in &edges {
            c.args(["--test", t]);
        }
        commands.push(c);
    }
    run_tests_side_by_side(commands)
}

/// Miri's own target directory.
fn miri_target() -> std::path::PathBuf {
    target_dir().join("miri")
}

/// `cargo +nightly miri test ARGS` with `MIRIFLAGS=flags`, in Miri's
/// target directory. (`cargo`, not `$CARGO`: `+nightly` needs rustup's
/// proxy.)
fn miri_test(args: &[&str], flags: &str) -> Command {
    let mut c = Command::new("cargo");
    c.args(["+nightly", "miri", "test"])
        .args(args)
        .current_dir(workspace_root())
        .env("MIRIFLAGS", flags)
        .env("CARGO_TARGET_DIR", miri_target());
    c
}

/// Test binaries per Miri command (see the `miri` step).
const MIRI_GROUP: usize = 4;

/// Seeds for Miri's weak-memory pass over the `handoff_*` tests.
const MIRI_SEEDS: u32 = 16;

/// The 32-bit target Miri interprets for the edge-input tests and the frame
/// decoder.
const I686: &str = "i686-unknown-linux-gnu";
