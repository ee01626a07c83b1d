//! Small process and path helpers shared by the subcommands.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of this crate's manifest directory).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The workspace target directory (`$CARGO_TARGET_DIR` or `<root>/target`).
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// A `cargo` command rooted at the workspace, using the cargo that runs us.
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root());
    cmd
}

/// Renders a command for logs: program and arguments, with any environment
/// variables we set in front.
pub(crate) fn display(cmd: &Command) -> String {
    let mut out = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            out.push_str(&format!(
                "{}={:?} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    out.push_str(
        &Path::new(cmd.get_program())
            .file_name()
            .unwrap_or_default()
            .to_string_lossy(),
    );
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    out
}

/// Runs a command to completion and returns its trimmed stdout, or `None` if
/// it could not start or failed.
pub(crate) fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
