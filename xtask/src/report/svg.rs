//! One SVG bar chart per scenario, drawn by hand (criterion's plotting is
//! off).

use super::criterion::{Scenario, Unit, ratio};
use super::markdown::format_value;
use std::fmt::Write as _;

/// A scenario key as a file name: anything but `[A-Za-z0-9_-]` becomes `_`.
pub(crate) fn sanitize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A horizontal bar chart of median times, nanopath bars highlighted, each
/// bar labelled with its time and its ratio to the fastest nanopath entry.
pub(crate) fn svg_chart(s: &Scenario) -> String {
    const WIDTH: f64 = 760.0;
    const LABEL: f64 = 210.0;
    const VALUE: f64 = 170.0;
    const BAR_H: f64 = 22.0;
    const GAP: f64 = 8.0;
    const TOP: f64 = 44.0;
    let reference = s.nanopath_entries().next();
    let max = s
        .entries
        .iter()
        .map(|e| e.median_ns)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let height = TOP + s.entries.len() as f64 * (BAR_H + GAP) + 24.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let what = match s.unit {
        Unit::Nanoseconds => "median time per operation (shorter is better)",
        Unit::Instructions => "instructions per item under callgrind (fewer is better)",
    };
    let subtitle = match reference {
        Some(r) => format!("{what}; ratios vs {}", r.name),
        None => what.into(),
    };
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#,
        escape(&s.key)
    );
    let _ = writeln!(
        svg,
        r##"<text x="10" y="36" fill="#555">{}</text>"##,
        escape(&subtitle)
    );
    for (i, e) in s.entries.iter().enumerate() {
        let y = TOP + i as f64 * (BAR_H + GAP);
        let w = ((WIDTH - LABEL - VALUE) * e.median_ns / max).max(1.0);
        let ours = e.name.starts_with("nanopath");
        let color = if ours { "#1f77b4" } else { "#9e9e9e" };
        let weight = if ours { "bold" } else { "normal" };
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" font-weight="{weight}">{}</text>"#,
            LABEL - 8.0,
            y + BAR_H * 0.7,
            escape(&e.name)
        );
        let _ = writeln!(
            svg,
            r#"<rect x="{LABEL}" y="{y}" width="{w:.1}" height="{BAR_H}" fill="{color}"/>"#
        );
        let label = match reference {
            Some(r) => format!(
                "{} ({:.2}×)",
                format_value(s.unit, e.median_ns),
                ratio(r, e)
            ),
            None => format_value(s.unit, e.median_ns),
        };
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{}">{}</text>"#,
            LABEL + w + 6.0,
            y + BAR_H * 0.7,
            escape(&label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}
