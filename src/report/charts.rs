//! Inline SVG charts for the HTML report: drawn on the server, no script, no external file. Labels
//! go through maud, so they are escaped like every other value.

use super::contents::{DayPoint, TrendPoint};
use maud::{Markup, html};

const WIDTH: f64 = 720.0;

/// Requests per day, as vertical bars (denied ones stacked on top in another colour).
pub fn requests_per_day(days: &[DayPoint]) -> Markup {
    let (height, left, bottom, top) = (180.0, 56.0, 22.0, 8.0);
    let max = days.iter().map(|d| d.requests).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - left - 8.0;
    let plot_h = height - bottom - top;
    let slot = plot_w / days.len().max(1) as f64;
    let bar_w = (slot * 0.8).max(1.0);
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) {
            title { "Requests per day" }
            line x1=(left) y1=(top + plot_h) x2=(WIDTH - 8.0) y2=(top + plot_h) class="axis" {}
            text x=(left - 6.0) y=(top + 10.0) text-anchor="end" class="label" { (max as i64) }
            text x=(left - 6.0) y=(top + plot_h) text-anchor="end" class="label" { "0" }
            @for (i, d) in days.iter().enumerate() {
                @let x = left + i as f64 * slot + (slot - bar_w) / 2.0;
                @let h = d.requests as f64 / max * plot_h;
                @let denied_h = d.denied as f64 / max * plot_h;
                rect x=(fmt(x)) y=(fmt(top + plot_h - h)) width=(fmt(bar_w)) height=(fmt(h)) class="bar" {
                    title { (d.day) ": " (d.requests) " requests, " (d.denied) " recorded denials" }
                }
                @if denied_h > 0.0 {
                    rect x=(fmt(x)) y=(fmt(top + plot_h - h)) width=(fmt(bar_w)) height=(fmt(denied_h)) class="bar-denied" {}
                }
            }
            @if let (Some(first), Some(last)) = (days.first(), days.last()) {
                text x=(left) y=(height - 6.0) class="label" { (first.day) }
                text x=(WIDTH - 8.0) y=(height - 6.0) text-anchor="end" class="label" { (last.day) }
            }
        }
    }
}

/// Unused grants and findings by severity over the days of the trend, one line each, with a legend.
pub fn trend(points: &[TrendPoint]) -> Markup {
    let (height, left, bottom, top, legend_w) = (200.0, 56.0, 22.0, 8.0, 150.0);
    type Series = (&'static str, &'static str, fn(&TrendPoint) -> i64);
    let series: [Series; 4] = [
        ("unused grants", "line-unused", |p| p.grants_unused),
        ("high findings", "line-high", |p| p.findings_high),
        ("medium findings", "line-medium", |p| p.findings_medium),
        ("low findings", "line-low", |p| p.findings_low),
    ];
    let max = points.iter().flat_map(|p| series.map(|(_, _, v)| v(p))).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - left - legend_w;
    let plot_h = height - bottom - top;
    let step = plot_w / (points.len().max(2) - 1) as f64;
    let xy = |i: usize, v: i64| (left + i as f64 * step, top + plot_h - v as f64 / max * plot_h);
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) {
            title { "Unused grants and findings over time" }
            line x1=(left) y1=(top + plot_h) x2=(left + plot_w) y2=(top + plot_h) class="axis" {}
            text x=(left - 6.0) y=(top + 10.0) text-anchor="end" class="label" { (max as i64) }
            text x=(left - 6.0) y=(top + plot_h) text-anchor="end" class="label" { "0" }
            @for (row, (name, class, value)) in series.iter().enumerate() {
                @let line: Vec<String> = points.iter().enumerate()
                    .map(|(i, p)| { let (x, y) = xy(i, value(p)); format!("{},{}", fmt(x), fmt(y)) }).collect();
                polyline points=(line.join(" ")) class=(class) {}
                @for (i, p) in points.iter().enumerate() {
                    @let (x, y) = xy(i, value(p));
                    circle cx=(fmt(x)) cy=(fmt(y)) r="3" class=(class) { title { (p.day) ": " (value(p)) " " (name) } }
                }
                @let y = top + 12.0 + row as f64 * 18.0;
                line x1=(WIDTH - legend_w + 12.0) y1=(fmt(y - 4.0)) x2=(WIDTH - legend_w + 32.0) y2=(fmt(y - 4.0)) class=(class) {}
                text x=(WIDTH - legend_w + 38.0) y=(fmt(y)) class="label" { (name) }
            }
            @if let (Some(first), Some(last)) = (points.first(), points.last()) {
                text x=(left) y=(height - 6.0) class="label" { (first.day) }
                text x=(left + plot_w) y=(height - 6.0) text-anchor="end" class="label" { (last.day) }
            }
        }
    }
}

/// Labelled horizontal bars, largest first as given.
pub fn horizontal_bars(title: &str, items: &[(String, usize)]) -> Markup {
    let (row, label_w) = (22.0, 320.0);
    let height = row * items.len().max(1) as f64 + 8.0;
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - label_w - 48.0;
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) {
            title { (title) }
            @if items.is_empty() {
                text x="8" y="18" class="label" { "none" }
            }
            @for (i, (label, n)) in items.iter().enumerate() {
                @let y = 4.0 + i as f64 * row;
                @let w = (*n as f64 / max * plot_w).max(1.0);
                text x=(label_w - 6.0) y=(fmt(y + 15.0)) text-anchor="end" class="label" { (shorten(label)) }
                rect x=(label_w) y=(fmt(y + 3.0)) width=(fmt(w)) height="16" class="bar" { title { (label) ": " (n) } }
                text x=(fmt(label_w + w + 6.0)) y=(fmt(y + 15.0)) class="label" { (n) }
            }
        }
    }
}

/// Coordinates with two decimals: enough for a screen, short in the file.
fn fmt(v: f64) -> String {
    format!("{v:.2}")
}

/// Long labels (ARNs) keep their end, where the name is.
fn shorten(s: &str) -> String {
    let n = s.chars().count();
    if n <= 48 { s.to_string() } else { format!("…{}", s.chars().skip(n - 47).collect::<String>()) }
}
