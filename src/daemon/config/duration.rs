//! Durations in settings: `90s`, `30m`, `36h`, `7d`, `1w` or a bare number of seconds.

use std::time::Duration;

pub(super) const DAY: u64 = 24 * 3600;

/// Parses `90s`, `30m`, `36h`, `7d`, `1w` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("{s:?} is not a duration like 30s, 5m, 6h, 7d"))?;
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => DAY,
        "w" => 7 * DAY,
        other => return Err(format!("{s:?}: unknown unit {other:?} (use s, m, h, d, w)")),
    };
    n.checked_mul(scale).map(Duration::from_secs).ok_or_else(|| format!("{s:?} is too long"))
}

/// The shortest `parse_duration` form of `d` (whole seconds).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, scale) in [("w", 7 * DAY), ("d", DAY), ("h", 3600), ("m", 60)] {
        if s != 0 && s.is_multiple_of(scale) {
            return format!("{}{unit}", s / scale);
        }
    }
    format!("{s}s")
}
