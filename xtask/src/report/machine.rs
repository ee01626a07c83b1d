//! What the numbers were measured on: CPU, cores, OS, rustc, git revision
//! and date, detected at report time.

use crate::util::{output_of, workspace_root};
use std::process::Command;

/// What the numbers were measured on.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) cpu: String,
    pub(crate) cores: usize,
    pub(crate) os: String,
    pub(crate) rustc: String,
    pub(crate) revision: String,
    pub(crate) date: String,
}

impl Machine {
    pub(crate) fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| {
                        l.starts_with("model name")
                            || l.starts_with("Model")
                            || l.starts_with("cpu model")
                    })
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let root = workspace_root();
        let git = |args: &[&str]| output_of(Command::new("git").args(args).current_dir(&root));
        let revision = match git(&["rev-parse", "--short=12", "HEAD"]) {
            Some(rev) => {
                let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
                if dirty {
                    format!("{rev} (with uncommitted changes)")
                } else {
                    rev
                }
            }
            None => "unknown (not a git checkout)".into(),
        };
        Self {
            cpu,
            cores,
            os: output_of(Command::new("uname").args(["-sr"]))
                .unwrap_or_else(|| std::env::consts::OS.into()),
            rustc: output_of(Command::new("rustc").arg("-V").current_dir(&root))
                .unwrap_or_else(|| "unknown".into()),
            revision,
            date: output_of(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
                .unwrap_or_default(),
        }
    }
}
