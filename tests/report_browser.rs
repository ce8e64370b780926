//! The HTML report in a real browser: headless Chromium (Debian's package, which scripts/setup
//! installs) loads it with no console message, and the screenshot it writes is not blank: the
//! page's text and the charts' colours are on it.

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Loads `page` in headless Chromium, writes a screenshot to `png`; returns the console messages.
fn load_in_chromium(page: &Path, png: &Path, profile: &Path) -> Vec<String> {
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing: run ./scripts/setup");
    // Flags as this machine's notes say: no sandbox as root, no background network (it is closed).
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--log-level=0",
            "--hide-scrollbars",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect()
}

/// The RGBA pixels of an 8-bit RGB or RGBA PNG, decoded here (zlib through flate2, the five
/// scanline filters by hand) so the check needs no image library.
fn pixels(png: &[u8]) -> (usize, usize, Vec<[u8; 4]>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let (mut at, mut idat) = (8, Vec::new());
    let (mut width, mut height, mut channels) = (0, 0, 0);
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let (kind, data) = (&png[at + 4..at + 8], &png[at + 8..at + 8 + len]);
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "8-bit samples");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&idat[..]), &mut raw).expect("inflates");
    let stride = width * channels;
    let mut rows: Vec<Vec<u8>> = Vec::with_capacity(height);
    for y in 0..height {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let (filter, mut row) = (line[0], line[1..].to_vec());
        let up = |x: usize, rows: &Vec<Vec<u8>>| if y == 0 { 0 } else { rows[y - 1][x] as i32 };
        for x in 0..stride {
            let a = if x >= channels { row[x - channels] as i32 } else { 0 };
            let (b, c) = (up(x, &rows), if x >= channels { up(x - channels, &rows) } else { 0 });
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("filter {other}"),
            };
            row[x] = (row[x] as i32 + predicted) as u8;
        }
        rows.push(row);
    }
    let pixels = rows
        .iter()
        .flat_map(|r| r.chunks(channels).map(|p| [p[0], p[1], p[2], if channels == 4 { p[3] } else { 255 }]))
        .collect();
    (width, height, pixels)
}

#[test]
fn the_html_report_loads_in_chromium_without_a_console_message_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    // The console capture is not a rubber stamp: a page that logs an error is caught.
    let control = dir.path().join("control.html");
    std::fs::write(&control, "<!DOCTYPE html><p>x</p><script>console.error('control-marker')</script>").unwrap();
    let messages = load_in_chromium(&control, &dir.path().join("control.png"), &dir.path().join("profile-control"));
    assert!(messages.iter().any(|m| m.contains("control-marker")), "console capture works: {messages:?}");

    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let earlier = dir.path().join("earlier.json");
    run_ok(grantscope(&db).args(["--format", "json", "report", "--out"]).arg(&earlier));
    let page = dir.path().join("report.html");
    run_ok(
        grantscope(&db).args(["--format", "html", "report", "--since-report"]).arg(&earlier).arg("--out").arg(&page),
    );
    let png = dir.path().join("report.png");
    let messages = load_in_chromium(&page, &png, &dir.path().join("profile"));
    assert_eq!(messages, Vec::<String>::new(), "the report logs nothing in the browser");
    // Kept where a person can look at it after the run.
    std::fs::copy(&png, Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png")).unwrap();

    let (width, height, pixels) = pixels(&std::fs::read(&png).unwrap());
    assert_eq!((width, height), (1200, 2400));
    let background = pixels[0];
    let drawn = pixels.iter().filter(|p| **p != background).count();
    assert!(drawn * 100 > pixels.len(), "more than 1 % of the page is drawn on: {drawn} of {}", pixels.len());
    let distinct: std::collections::HashSet<[u8; 4]> = pixels.iter().copied().collect();
    assert!(distinct.len() > 20, "text and charts, not a flat page: {} colours", distinct.len());
    // The bars of the requests-per-day chart (#3c6fd1) are on screen.
    assert!(pixels.contains(&[0x3c, 0x6f, 0xd1, 255]), "the chart bars are drawn");
}
