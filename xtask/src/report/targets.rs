//! The speed targets in `benches/targets.txt`, one `|`-separated line each.

use std::path::Path;

/// A speed target from `benches/targets.txt`: in `scenario`, `competitor`'s
/// time divided by `nanopath`'s must be at least `min_ratio`.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) scenario: String,
    pub(crate) nanopath: String,
    pub(crate) competitor: String,
    pub(crate) min_ratio: f64,
    pub(crate) text: String,
}

/// Parses `scenario | nanopath | competitor | min_ratio | text` lines;
/// `#` starts a comment.
pub(crate) fn read_targets(path: &Path) -> Result<Vec<Target>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse_targets(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn parse_targets(text: &str) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [scenario, nanopath, competitor, ratio, text] = fields[..] else {
            return Err(format!("line {}: expected 5 `|`-separated fields", n + 1));
        };
        let min_ratio = ratio
            .parse()
            .map_err(|_| format!("line {}: bad ratio `{ratio}`", n + 1))?;
        targets.push(Target {
            scenario: scenario.into(),
            nanopath: nanopath.into(),
            competitor: competitor.into(),
            min_ratio,
            text: text.into(),
        });
    }
    Ok(targets)
}
