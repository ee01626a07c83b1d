//! The workspace's library crates as `cargo metadata --format-version 1
//! --no-deps` describes them (names, directories, targets, the
//! `[package.metadata.nanopath]` table), and which of them Miri covers.

use crate::json::{self, Json};
use crate::rust_source;
use crate::util::{cargo, output_of};
use std::path::{Path, PathBuf};

/// A library crate of the workspace (a package under `crates/`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Crate {
    /// The package name, e.g. `nanopath-queue`.
    pub(crate) package: String,
    /// The directory of its `Cargo.toml`.
    pub(crate) dir: PathBuf,
    /// The lib target's root file (`src/lib.rs`), if it has one.
    pub(crate) lib: Option<PathBuf>,
    /// The directories of its lib and bin targets' root files: the crate's
    /// own code, searched for `unsafe`.
    pub(crate) source_dirs: Vec<PathBuf>,
    /// Its integration test targets (`tests/NAME.rs`), by name, sorted.
    pub(crate) tests: Vec<String>,
    /// `[package.metadata.nanopath] miri`, when present.
    pub(crate) miri: Option<Json>,
    /// Its `rust-version` (the oldest Rust it builds with), if declared.
    pub(crate) rust_version: Option<String>,
    /// Published (no `publish = false`).
    pub(crate) published: bool,
}

impl Crate {
    /// The integration tests whose source (`tests/NAME.rs`) contains
    /// `text`, sorted; and whether a file of the lib's source does.
    pub(crate) fn tests_containing(&self, text: &str) -> (Vec<String>, bool) {
        let tests = self
            .tests
            .iter()
            .filter(|t| {
                std::fs::read_to_string(self.dir.join("tests").join(format!("{t}.rs")))
                    .is_ok_and(|s| s.contains(text))
            })
            .cloned()
            .collect();
        let lib = self
            .lib
            .as_ref()
            .and_then(|root| root.parent())
            .is_some_and(|dir| dir_contains(dir, text));
        (tests, lib)
    }

    /// The integration tests whose name contains `part`, sorted.
    pub(crate) fn tests_named(&self, part: &str) -> Vec<String> {
        self.tests
            .iter()
            .filter(|t| t.contains(part))
            .cloned()
            .collect()
    }
}

/// Whether a `.rs` file under `dir` (recursively) contains `text`.
fn dir_contains(dir: &Path, text: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().map(|e| e.path()).any(|path| {
        if path.is_dir() {
            dir_contains(&path, text)
        } else {
            path.extension().is_some_and(|x| x == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|s| s.contains(text))
        }
    })
}

/// Runs `cargo metadata --format-version 1 --no-deps` and returns the
/// crates under `crates/`, sorted by package name.
pub(crate) fn crates() -> Result<Vec<Crate>, String> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
    let text = output_of(&mut cmd).ok_or("`cargo metadata --format-version 1 --no-deps` failed")?;
    parse(&text)
}

/// The crates under `<workspace_root>/crates/` in a `cargo metadata`
/// document, sorted by package name.
pub(crate) fn parse(text: &str) -> Result<Vec<Crate>, String> {
    let doc = json::parse(text).map_err(|e| format!("cargo metadata: {e}"))?;
    let root = doc
        .str_at("workspace_root")
        .ok_or("cargo metadata: no workspace_root")?;
    let crates_dir = Path::new(root).join("crates");
    let packages = doc
        .array_at("packages")
        .ok_or("cargo metadata: no packages")?;
    let mut crates = Vec::new();
    for package in packages {
        let name = package
            .str_at("name")
            .ok_or("cargo metadata: a package without a name")?;
        let manifest = package
            .str_at("manifest_path")
            .ok_or_else(|| format!("cargo metadata: {name} has no manifest_path"))?;
        let dir = Path::new(manifest).parent().unwrap_or(Path::new(manifest));
        if !dir.starts_with(&crates_dir) {
            continue;
        }
        let mut lib = None;
        let mut source_dirs = Vec::new();
        let mut tests = Vec::new();
        for target in package.array_at("targets").unwrap_or_default() {
            let kinds: Vec<&str> = target
                .array_at("kind")
                .unwrap_or_default()
                .iter()
                .filter_map(Json::as_str)
                .collect();
            let (Some(target_name), Some(src)) = (target.str_at("name"), target.str_at("src_path"))
            else {
                continue;
            };
            let src = PathBuf::from(src);
            let is_lib = kinds
                .iter()
                .any(|k| matches!(*k, "lib" | "rlib" | "staticlib" | "cdylib" | "dylib"));
            if is_lib {
                lib = Some(src.clone());
            }
            if (is_lib || kinds.contains(&"bin"))
                && let Some(parent) = src.parent()
                && !source_dirs.iter().any(|d| d == parent)
            {
                source_dirs.push(parent.to_path_buf());
            }
            if kinds.contains(&"test") {
                tests.push(target_name.to_string());
            }
        }
        tests.sort();
        crates.push(Crate {
            package: name.to_string(),
            dir: dir.to_path_buf(),
            lib,
            source_dirs,
            tests,
            miri: package.path(&["metadata", "nanopath", "miri"]).cloned(),
            rust_version: package.str_at("rust_version").map(str::to_string),
            // `publish = false` reads as an empty list of registries.
            published: !package.array_at("publish").is_some_and(|r| r.is_empty()),
        });
    }
    crates.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(crates)
}

/// What keeps the published crates (those under `crates/` that do not say
/// `publish = false`) from being published as they are, in a `cargo
/// metadata` document: a placeholder repository URL, no license, a
/// dependency (other than another nanopath crate by path) pinned exactly,
/// or a missing `LICENSE-MIT` / `LICENSE-APACHE` beside the manifest
/// (`cargo package` takes only what is in the crate's directory).
pub(crate) fn publishing_problems(text: &str) -> Result<Vec<String>, String> {
    let doc = json::parse(text).map_err(|e| format!("cargo metadata: {e}"))?;
    let root = doc
        .str_at("workspace_root")
        .ok_or("cargo metadata: no workspace_root")?;
    let crates_dir = Path::new(root).join("crates");
    let mut problems = Vec::new();
    for package in doc.array_at("packages").unwrap_or_default() {
        let (Some(name), Some(manifest)) =
            (package.str_at("name"), package.str_at("manifest_path"))
        else {
            continue;
        };
        let dir = Path::new(manifest).parent().unwrap_or(Path::new(manifest));
        // `publish = false` reads as an empty list of registries.
        let unpublished = package.array_at("publish").is_some_and(|r| r.is_empty());
        if !dir.starts_with(&crates_dir) || unpublished {
            continue;
        }
        if let Some(url) = package.str_at("repository")
            && (url.contains("example") || url.contains(".invalid"))
        {
            problems.push(format!("{name}: placeholder repository `{url}`"));
        }
        if package.str_at("license").is_none() {
            problems.push(format!("{name}: no license"));
        }
        for dep in package.array_at("dependencies").unwrap_or_default() {
            let by_path = dep.str_at("path").is_some();
            let normal = dep.get("kind").is_none_or(|k| k.as_str().is_none());
            if let (Some(dep_name), Some(req)) = (dep.str_at("name"), dep.str_at("req"))
                && normal
                && !by_path
                && req.trim_start().starts_with('=')
            {
                problems.push(format!(
                    "{name}: dependency {dep_name} pinned exactly ({req})"
                ));
            }
        }
        for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
            if std::fs::read_to_string(dir.join(file)).is_err() {
                problems.push(format!("{name}: no readable {file} in {}", dir.display()));
            }
        }
    }
    Ok(problems)
}

/// The marker a crate with `unsafe` code carries in its `Cargo.toml`.
pub(crate) const MIRI_MARKER: &str = "[package.metadata.nanopath] miri = true";

/// The crates the Miri step runs on: those marked
/// `[package.metadata.nanopath] miri = true` in their `Cargo.toml`.
///
/// The set is declared, not guessed: grepping the sources for `unsafe `
/// picked up a comment that mentions the word and missed `unsafe{`. The
/// marker is checked instead, so that it cannot be forgotten: a crate
/// without it must show it has no `unsafe` code of its own, either by
/// `#![forbid(unsafe_code)]` in its `lib.rs` (the compiler enforces it) or
/// by having no `unsafe` keyword in the code of its lib and bin
/// directories, comments and string and character literals left out (see
/// `rust_source.rs`). Any other unmarked crate is an error that names the
/// file and line, so verify fails (the clippy step runs this check on every
/// verify, the miri step before choosing its crates). Code that a macro of
/// another crate generates (zerocopy's derives) is that crate's to check.
pub(crate) fn miri_crates(crates: &[Crate]) -> Result<Vec<&Crate>, String> {
    let mut marked = Vec::new();
    let mut errors = Vec::new();
    for k in crates {
        match &k.miri {
            Some(Json::Bool(true)) => {
                marked.push(k);
                continue;
            }
            None | Some(Json::Bool(false)) => {}
            Some(other) => {
                errors.push(format!(
                    "{}: `[package.metadata.nanopath] miri` must be true or false, not {other:?}",
                    k.package
                ));
                continue;
            }
        }
        if let Some(lib) = &k.lib {
            let forbids = std::fs::read_to_string(lib)
                .is_ok_and(|text| rust_source::forbids_unsafe_code(&text));
            if forbids {
                continue;
            }
        }
        if let Some((file, line)) = k
            .source_dirs
            .iter()
            .find_map(|d| rust_source::first_unsafe_in_dir(d))
        {
            errors.push(format!(
                "{}: {}:{line} has `unsafe` code, but Miri does not cover the crate: add \
                 `{MIRI_MARKER}` to {}",
                k.package,
                file.display(),
                k.dir.join("Cargo.toml").display()
            ));
        }
    }
    if errors.is_empty() {
        Ok(marked)
    } else {
        Err(errors.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `cargo metadata --format-version 1 --no-deps` document in the shape
    /// cargo writes it (fields xtask does not read left out), with one crate
    /// marked for Miri, one unmarked, and the benches and xtask outside
    /// `crates/`.
    const METADATA: &str = r#"{
      "packages": [
        {"name": "nanopath-queue", "version": "0.1.0",
         "id": "path+file:///w/crates/queue#nanopath-queue@0.1.0",
         "manifest_path": "/w/crates/queue/Cargo.toml",
         "features": {"default": ["std"], "std": [], "loom": ["dep:loom"]},
         "targets": [
           {"kind": ["lib"], "crate_types": ["lib"], "name": "nanopath_queue",
            "src_path": "/w/crates/queue/src/lib.rs", "edition": "2024"},
           {"kind": ["test"], "crate_types": ["bin"], "name": "spsc",
            "src_path": "/w/crates/queue/tests/spsc.rs"},
           {"kind": ["test"], "crate_types": ["bin"], "name": "edges",
            "src_path": "/w/crates/queue/tests/edges.rs"},
           {"kind": ["test"], "crate_types": ["bin"], "name": "channel_edges",
            "src_path": "/w/crates/queue/tests/channel_edges.rs"},
           {"kind": ["bench"], "crate_types": ["bin"], "name": "local",
            "src_path": "/w/crates/queue/benches/local.rs"}
         ],
         "metadata": {"nanopath": {"miri": true}}},
        {"name": "nanopath-frame", "version": "0.1.0",
         "manifest_path": "/w/crates/frame/Cargo.toml", "features": {},
         "targets": [
           {"kind": ["lib"], "name": "nanopath_frame",
            "src_path": "/w/crates/frame/src/lib.rs"},
           {"kind": ["example"], "name": "echo",
            "src_path": "/w/crates/frame/examples/echo.rs"}
         ],
         "metadata": null},
        {"name": "nanopath-bench", "manifest_path": "/w/benches/Cargo.toml",
         "targets": [], "metadata": null},
        {"name": "xtask", "manifest_path": "/w/xtask/Cargo.toml",
         "targets": [{"kind": ["bin"], "name": "xtask", "src_path": "/w/xtask/src/main.rs"}],
         "metadata": null}
      ],
      "workspace_members": [],
      "workspace_root": "/w",
      "target_directory": "/w/target",
      "version": 1
    }"#;

    #[test]
    fn metadata_gives_the_crates_their_targets_and_markers() {
        let crates = parse(METADATA).unwrap();
        let names: Vec<&str> = crates.iter().map(|k| k.package.as_str()).collect();
        assert_eq!(names, ["nanopath-frame", "nanopath-queue"]);
        let (frame, queue) = (&crates[0], &crates[1]);
        assert_eq!(queue.dir, Path::new("/w/crates/queue"));
        assert_eq!(
            queue.lib.as_deref(),
            Some(Path::new("/w/crates/queue/src/lib.rs"))
        );
        assert_eq!(queue.source_dirs, [Path::new("/w/crates/queue/src")]);
        assert_eq!(queue.tests, ["channel_edges", "edges", "spsc"]);
        assert_eq!(queue.tests_named("edges"), ["channel_edges", "edges"]);
        assert_eq!(queue.miri, Some(Json::Bool(true)));
        assert_eq!(frame.miri, None);
        assert!(frame.tests.is_empty());
        assert!(parse("{}").is_err());
        assert!(parse("not json").is_err());
    }

    #[test]
    fn the_workspace_crates_can_be_published() {
        let mut cmd = cargo();
        cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
        let text = output_of(&mut cmd).expect("cargo metadata runs");
        let problems = publishing_problems(&text).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn publishing_problems_are_each_found() {
        let dir = std::env::temp_dir().join(format!("nanopath-publish-{}", std::process::id()));
        let krate = dir.join("crates").join("a");
        std::fs::create_dir_all(&krate).unwrap();
        std::fs::write(krate.join("LICENSE-MIT"), "mit").unwrap();
        let doc = format!(
            r#"{{"workspace_root": "{root}", "packages": [
              {{"name": "a", "manifest_path": "{root}/crates/a/Cargo.toml",
                "repository": "https://example.invalid/a", "license": null, "publish": null,
                "dependencies": [
                  {{"name": "x", "req": "=1.2.3", "kind": null}},
                  {{"name": "y", "req": "^1.0", "kind": null}},
                  {{"name": "z", "req": "=0.1.0", "kind": "dev"}},
                  {{"name": "nanopath-b", "req": "=0.1.0", "kind": null, "path": "{root}/crates/b"}}
                ]}},
              {{"name": "t", "manifest_path": "{root}/crates/t/Cargo.toml", "publish": [],
                "dependencies": [{{"name": "x", "req": "=1.2.3", "kind": null}}]}}
            ]}}"#,
            root = dir.display()
        );
        let problems = publishing_problems(&doc).unwrap();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("placeholder repository"));
        assert!(problems[1].contains("no license"));
        assert!(problems[2].contains("x pinned exactly (=1.2.3)"));
        assert!(problems[3].contains("no readable LICENSE-APACHE"));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A crate in a scratch directory with `lib.rs` as given.
    fn scratch_crate(name: &str, lib: &str, miri: Option<Json>) -> Crate {
        let dir =
            std::env::temp_dir().join(format!("nanopath-xtask-{name}-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("lib.rs"), lib).unwrap();
        Crate {
            package: name.into(),
            dir,
            lib: Some(src.join("lib.rs")),
            source_dirs: vec![src],
            tests: Vec::new(),
            miri,
            rust_version: None,
            published: true,
        }
    }

    #[test]
    fn an_unmarked_crate_with_unsafe_code_fails_the_check() {
        let marked = scratch_crate(
            "marked",
            "pub fn f() { unsafe {} }\n",
            Some(Json::Bool(true)),
        );
        let safe = scratch_crate(
            "safe",
            "//! Not unsafe at all.\n/// \"unsafe \" in a doc.\npub const S: &str = \"unsafe {\";\n",
            None,
        );
        let forbidden = scratch_crate(
            "forbidden",
            "#![forbid(unsafe_code)]\n#[cfg(any())]\nfn f() { unsafe {} }\n",
            None,
        );
        let sneaky = scratch_crate("sneaky", "// fine\npub fn f() {\n    unsafe{}\n}\n", None);
        let all = [marked.clone(), safe.clone(), forbidden.clone()];
        let selected = miri_crates(&all).unwrap();
        assert_eq!(selected, [&marked]);
        let err = miri_crates(&[marked.clone(), sneaky.clone()]).unwrap_err();
        assert!(err.contains("sneaky") && err.contains("lib.rs:3"), "{err}");
        assert!(err.contains(MIRI_MARKER), "{err}");
        let odd = Crate {
            miri: Some(Json::String("yes".into())),
            ..safe.clone()
        };
        assert!(miri_crates(&[odd]).unwrap_err().contains("true or false"));
        for k in [marked, safe, forbidden, sneaky] {
            let _ = std::fs::remove_dir_all(k.dir);
        }
    }
}
