//! A seeded fuzz of the file source: valid audit events interleaved with hostile records (cut JSON,
//! invalid UTF-8, NUL, control characters, deep nesting, wrong types per field, over-long lines)
//! in every layout (lines with BOM or CRLF, EventList, CLI output, arrays, concatenated values),
//! gzipped whole, in members, padded or cut, and every hundredth a gzip bomb (64 MiB of blanks
//! inside a document). For each case: no panic, every valid event stored once, every bad record
//! counted once and recorded at its line; cut inputs invent nothing; and the process's peak memory
//! stays far below one inflated bomb.
//!
//! `GRANTSCOPE_FUZZ_CASES=200000 cargo test --release --test fuzz_ingest` runs a longer fuzz
//! (`GRANTSCOPE_FUZZ_SEED` picks another sequence); a failure prints its case number and seed.

use grantscope::ingest::{AuditSink, InputFormat, InputPath, Tally};
use grantscope::sources::files::{FileOptions, ingest_files};
use grantscope::store::Store;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

mod support;

/// A small xorshift generator: the same seed gives the same cases on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The fixture's final-stage events, compact, one JSON object each.
fn valid_events() -> Vec<Value> {
    std::fs::read_to_string(support::fixture("audit/events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["stage"] == "ResponseComplete")
        .collect()
}

/// A bad record: each is rejected by the parser as one error.
fn bad_record(rng: &mut Rng, good: &Value) -> Vec<u8> {
    let mut e = good.clone();
    match rng.below(9) {
        0 => {
            let text = e.to_string();
            text.as_bytes()[..text.len() / 2].to_vec() // cut JSON
        }
        1 => {
            // Invalid UTF-8 inside a string value (a byte of the structure itself would be another
            // kind of damage: a cut record).
            let mut b = e.to_string().into_bytes();
            let at = String::from_utf8_lossy(&b).find("\"userAgent\":\"").unwrap() + "\"userAgent\":\"".len() + 1;
            b[at] = 0xff;
            b
        }
        2 => {
            e["verb"] = 5.into(); // wrong type
            e.to_string().into_bytes()
        }
        3 => {
            e["user"] = "x".into();
            e.to_string().into_bytes()
        }
        4 => {
            e["requestReceivedTimestamp"] = "2026-02-30T00:00:00Z".into(); // no such day
            e["stageTimestamp"] = "2026-02-30T00:00:00Z".into();
            e.to_string().into_bytes()
        }
        5 => format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)).into_bytes(), // deep nesting
        6 => b"{\"auditID\":\"\x1b]0;t\x07\0\",\"stage\":".to_vec(),               // NUL and escapes, cut
        7 => {
            e.as_object_mut().unwrap().remove("auditID");
            e.to_string().into_bytes()
        }
        _ => {
            e["stage"] = "Exploded".into();
            e.to_string().into_bytes()
        }
    }
}

/// One case: the input's bytes, how many valid events it holds (with distinct ids), and where
/// the bad records are (1-based lines, for line layouts).
struct Case {
    bytes: Vec<u8>,
    valid: u64,
    bad: u64,
    bad_lines: Vec<u64>,
    /// Cut somewhere: only a lower bound of events is known.
    cut: bool,
}

/// `bytes` as a JSON string literal; bytes that are not UTF-8 stay as they are, so the record
/// holding them is still rejected for them.
fn json_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for chunk in bytes.utf8_chunks() {
        let escaped = serde_json::to_string(chunk.valid()).unwrap();
        out.extend_from_slice(&escaped.as_bytes()[1..escaped.len() - 1]);
        out.extend_from_slice(chunk.invalid());
    }
    out.push(b'"');
    out
}

fn gzip(data: &[u8], members: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let step = data.len().div_ceil(members.max(1)).max(1);
    for chunk in data.chunks(step) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(chunk).unwrap();
        out.extend(enc.finish().unwrap());
    }
    out
}

fn make_case(rng: &mut Rng, n: u64, events: &[Value]) -> Case {
    let count = 1 + rng.below(12);
    let mut records: Vec<(bool, Vec<u8>)> = Vec::new();
    for i in 0..count {
        let mut e = events[rng.below(events.len() as u64) as usize].clone();
        e["auditID"] = format!("fuzz-{n}-{i}").into();
        if rng.chance(25) {
            records.push((false, bad_record(rng, &e)));
        }
        records.push((true, e.to_string().into_bytes()));
    }
    let valid = records.iter().filter(|(ok, _)| *ok).count() as u64;
    let bad = records.len() as u64 - valid;
    let (mut bytes, bad_lines) = match rng.below(5) {
        // Lines, maybe with a BOM, CRLF endings, blank lines between.
        0 | 1 => {
            let (bom, crlf, blanks) = (rng.chance(20), rng.chance(30), rng.chance(30));
            let mut out = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            let (mut line, mut bad_lines) = (0, Vec::new());
            for (ok, r) in &records {
                if blanks {
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                    line += 1;
                }
                out.extend_from_slice(r);
                out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                line += 1;
                if !ok {
                    bad_lines.push(line);
                }
            }
            (out, bad_lines)
        }
        // One document: an EventList, CLI output (events with a message string), an array.
        2 | 3 => {
            // A bad record inside a document must still be a JSON value to keep the document
            // whole: as a message string (CLI output) it always is; bad bytes stay bad.
            let as_message = rng.chance(50);
            let items: Vec<Vec<u8>> = records
                .iter()
                .map(|(_, r)| {
                    if as_message {
                        [&b"{\"timestamp\": 1, \"message\": "[..], &json_string(r), b"}"].concat()
                    } else if serde_json::from_slice::<Value>(r).is_ok() || std::str::from_utf8(r).is_err() {
                        r.clone() // JSON, or JSON with a bad byte the record check rejects
                    } else {
                        json_string(r) // a string item: not an event
                    }
                })
                .collect();
            let body = items.join(&b",\n  "[..]);
            let (open, close): (&[u8], &[u8]) = match rng.below(3) {
                0 => (b"{\"kind\":\"EventList\",\"items\":[\n  ", b"\n]}\n"),
                1 => (b"{\"events\": [\n  ", b"\n], \"searchedLogStreams\": []}\n"),
                _ => (b"[\n  ", b"\n]\n"),
            };
            ([open, &body, close].concat(), Vec::new())
        }
        // Values back to back, as Firehose writes them.
        _ => {
            let mut out = Vec::new();
            for (_, r) in &records {
                let object = serde_json::from_slice::<Value>(r).is_ok_and(|v| v.is_object());
                let item = if object { r.clone() } else { [&b"{\"message\":"[..], &json_string(r), b"}"].concat() };
                out.extend([&b"{\"events\":["[..], &item, b"]}"].concat());
            }
            (out, Vec::new())
        }
    };
    let mut cut = false;
    if rng.chance(15) {
        let at = 1 + rng.below(bytes.len() as u64 - 1) as usize;
        bytes.truncate(at);
        cut = true;
    }
    if rng.chance(35) {
        bytes = gzip(&bytes, 1 + rng.below(3) as usize);
        if rng.chance(25) {
            bytes.extend(vec![0; 1 + rng.below(5000) as usize]); // zero padding
        }
        if rng.chance(10) {
            let at = bytes.len() * 3 / 4;
            bytes.truncate(at);
            cut = true;
        }
    }
    Case { bytes, valid, bad, bad_lines, cut }
}

/// A gzip of `{"Records":[`, 64 MiB of blanks and one event: a few hundred KiB that a reader
/// holding whole documents would inflate in memory. Built in pieces, so the test holds no 64 MiB.
fn bomb(event: &Value) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"{\"Records\":[").unwrap();
    let blanks = vec![b' '; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&blanks).unwrap();
    }
    enc.write_all(format!("{event}]}}").as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// This process's peak resident memory, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap().trim().trim_end_matches(" kB");
    kib.parse::<u64>().unwrap() * 1024
}

/// Small batches, so the inputs cross many batch boundaries.
fn options() -> FileOptions {
    FileOptions {
        format: InputFormat::Auto,
        batch_records: 7,
        progress: false,
        stop: None,
        clock: grantscope::app::clock::now_ms,
    }
}

fn ingest(path: &Path) -> (Store, Tally) {
    let mut store = Store::open_in_memory().unwrap();
    let mut sink = AuditSink::new(Some("fuzz".into()));
    let tally = ingest_files(&mut store, &[InputPath::File(path.to_path_buf())], &mut sink, &options())
        .expect("bad input never stops a run");
    (store, tally)
}

#[test]
fn hostile_inputs_lose_no_valid_event_and_count_every_bad_one() {
    let cases: u64 = std::env::var("GRANTSCOPE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let seed: u64 = std::env::var("GRANTSCOPE_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x9e37_79b9);
    let events = valid_events();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input");
    let mut rng = Rng(seed);
    let bomb = bomb(&events[0]);
    for n in 0..cases {
        // Every 100th case a gzip bomb: memory stays bounded by one record whatever the document.
        let case = if n % 100 == 99 {
            Case { bytes: bomb.clone(), valid: 1, bad: 0, bad_lines: Vec::new(), cut: false }
        } else {
            make_case(&mut rng, n, &events)
        };
        std::fs::write(&path, &case.bytes).unwrap();
        let (store, tally) = ingest(&path);
        // A failing case's input is kept, for replaying it by hand.
        let kept = std::env::temp_dir().join(format!("grantscope-fuzz-{seed}-{n}"));
        let what = format!("case {n} of seed {seed} (input kept in {})", kept.display());
        let keep = || std::fs::write(&kept, &case.bytes).unwrap();
        let expect = |ok: bool| {
            if !ok {
                keep();
            }
            ok
        };
        let stored = store.stats().unwrap().clusters.get("fuzz").map_or(0, |c| c.events);
        assert!(expect(stored as u64 == tally.ingested), "{what}: the tally is what was stored");
        if case.cut {
            assert!(expect(tally.ingested <= case.valid), "{what}: nothing invented");
            continue;
        }
        assert!(expect(tally.ingested == case.valid), "{what}: every valid event stored ({tally:?} of {})", case.valid);
        assert!(expect(tally.errors == case.bad), "{what}: every bad record counted once ({tally:?} of {})", case.bad);
        if !case.bad_lines.is_empty() {
            let mut lines: Vec<u64> =
                store.list_ingest_errors(u64::MAX >> 1).unwrap().iter().map(|e| e.line.expect("a line")).collect();
            lines.sort_unstable();
            assert!(
                expect(lines == case.bad_lines),
                "{what}: each bad record at its line: {lines:?}, not {:?}",
                case.bad_lines
            );
        }
        // Read again: nothing new, nothing counted twice.
        let mut sink = AuditSink::new(Some("fuzz".into()));
        let mut store = store;
        let again = ingest_files(&mut store, &[InputPath::File(path.clone())], &mut sink, &options()).unwrap();
        assert!(expect(again.ingested == 0), "{what}: a second read stores nothing");
    }
    // 64 MiB documents were read: the peak is far below what holding one of them would take.
    assert!(peak_rss() < 48 << 20, "peak RSS {} MiB", peak_rss() >> 20);
}
