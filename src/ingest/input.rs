//! Opening an input: a file or stdin, gzip detected by magic bytes, and a content identity for its
//! checkpoint.

use flate2::bufread::GzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes hashed to identify an input's content. A file shorter than this is identified by all of
/// it (so appending to a small file starts it over; event ids make that harmless); a longer one by
/// its first 64 KiB, so a growing log keeps its identity and resumes where it stopped.
const IDENTITY_PREFIX: usize = 64 * 1024;

/// Where input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    Stdin,
    File(PathBuf),
}

impl InputPath {
    /// `-` means stdin.
    pub fn parse(arg: &Path) -> InputPath {
        if arg == Path::new("-") { InputPath::Stdin } else { InputPath::File(arg.to_path_buf()) }
    }

    /// How the input is named in messages and in the errors table.
    pub fn display(&self) -> String {
        match self {
            InputPath::Stdin => "<stdin>".to_string(),
            InputPath::File(p) => p.display().to_string(),
        }
    }
}

/// An opened input, decompressed if it was gzip.
pub struct Input {
    pub path: InputPath,
    /// Hex content identity (see [`IDENTITY_PREFIX`]).
    pub identity: String,
    /// Size on disk, when known (files), for progress.
    pub len: Option<u64>,
    pub gzip: bool,
    /// Raw bytes read so far, for progress.
    pub raw_read: Arc<AtomicU64>,
    pub reader: Box<dyn BufRead>,
}

/// An input that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct OpenError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Opens a file for reading without consuming it; used to check every input before anything is written.
pub fn check_readable(path: &InputPath) -> Result<(), OpenError> {
    match path {
        InputPath::Stdin => Ok(()),
        InputPath::File(p) => {
            let meta = std::fs::metadata(p).map_err(|source| OpenError { path: path.display(), source })?;
            if meta.is_dir() {
                return Err(OpenError {
                    path: path.display(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "is a directory, expected a file"),
                });
            }
            File::open(p).map(drop).map_err(|source| OpenError { path: path.display(), source })
        }
    }
}

pub fn open(path: &InputPath) -> Result<Input, OpenError> {
    let err = |source| OpenError { path: path.display(), source };
    let (raw, len): (Box<dyn Read>, Option<u64>) = match path {
        InputPath::Stdin => (Box::new(io::stdin().lock()), None),
        InputPath::File(p) => {
            let f = File::open(p).map_err(err)?;
            let len = f.metadata().ok().map(|m| m.len());
            (Box::new(f), len)
        }
    };
    let raw_read = Arc::new(AtomicU64::new(0));
    let mut counted = CountingReader { inner: raw, count: raw_read.clone() };
    let mut prefix = Vec::with_capacity(IDENTITY_PREFIX);
    (&mut counted).take(IDENTITY_PREFIX as u64).read_to_end(&mut prefix).map_err(err)?;
    let identity = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&prefix));
    let gzip = prefix.starts_with(&[0x1f, 0x8b]);
    let whole = Cursor::new(prefix).chain(counted);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(1 << 20, GzMembers::new(BufReader::with_capacity(1 << 16, whole))))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, whole))
    };
    Ok(Input { path: path.clone(), identity, len, gzip, raw_read, reader })
}

/// A plain (not gzip) file's reader positioned at byte `offset`, so resuming at a checkpoint does
/// not read everything before it again (a followed file grows all day). `None` for gzip and
/// stdin, which can only be read through.
pub fn reopen_at(input: &Input, offset: u64) -> Option<Result<Box<dyn BufRead>, OpenError>> {
    use std::io::{Seek, SeekFrom};
    let InputPath::File(p) = &input.path else { return None };
    if input.gzip {
        return None;
    }
    let opened = File::open(p).and_then(|mut f| f.seek(SeekFrom::Start(offset)).map(|_| f));
    Some(match opened {
        Ok(f) => {
            input.raw_read.store(offset, Ordering::Relaxed);
            let counted = CountingReader { inner: Box::new(f), count: input.raw_read.clone() };
            Ok(Box::new(BufReader::with_capacity(1 << 20, counted)) as Box<dyn BufRead>)
        }
        Err(source) => Err(OpenError { path: input.path.display(), source }),
    })
}

struct CountingReader {
    inner: Box<dyn Read>,
    count: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Gzip members one after another, as `zcat` reads them: CloudWatch Logs exports are multi-member,
/// and zero bytes between or after members (a pre-allocated or padded file) are passed over.
/// Anything else after a member is an error, after every byte before it was handed out. An error
/// is returned again at every later read, never turned into an end of input.
struct GzMembers<R: BufRead> {
    member: Option<GzDecoder<R>>,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(inner: R) -> GzMembers<R> {
        GzMembers { member: Some(GzDecoder::new(inner)), failed: None }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, message)) = &self.failed {
            return Err(io::Error::new(*kind, message.clone()));
        }
        let read = self.read_members(buf);
        if let Err(e) = &read {
            self.failed = Some((e.kind(), e.to_string()));
        }
        read
    }
}

impl<R: BufRead> GzMembers<R> {
    fn read_members(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = &mut self.member else { return Ok(0) };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended: what follows is padding, another member, or junk.
            let mut inner = self.member.take().expect("just matched").into_inner();
            loop {
                let chunk = inner.fill_buf()?;
                let zeros = chunk.iter().take_while(|&&b| b == 0).count();
                if chunk.is_empty() {
                    return Ok(0);
                }
                let next = chunk.get(zeros).copied();
                inner.consume(zeros);
                match next {
                    None => continue,
                    Some(0x1f) => break,
                    Some(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "data after the end of the gzip stream",
                        ));
                    }
                }
            }
            self.member = Some(GzDecoder::new(inner));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut enc, data).unwrap();
        enc.finish().unwrap()
    }

    fn gunzip(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let err = GzMembers::new(BufReader::with_capacity(16, bytes)).read_to_end(&mut out).err();
        (out, err.map(|e| e.to_string()))
    }

    #[test]
    fn gzip_members_read_as_zcat_reads_them() {
        let mut two = gz(b"a\n");
        two.extend(gz(b"b\n"));
        assert_eq!(gunzip(&two), (b"a\nb\n".to_vec(), None), "members one after another");
        let mut padded = gz(b"a\n");
        padded.extend([0; 4096]);
        assert_eq!(gunzip(&padded), (b"a\n".to_vec(), None), "zero padding ends the stream");
        let mut junk = gz(b"a\n");
        junk.extend(b"junk");
        let (out, err) = gunzip(&junk);
        assert_eq!(out, b"a\n", "what came before the junk is read");
        assert!(err.unwrap().contains("data after the end of the gzip stream"));
        let whole = gz(&b"line\n".repeat(10_000));
        let (out, err) = gunzip(&whole[..whole.len() / 2]);
        assert!(!out.is_empty() && out.len() < 50_000 && err.is_some(), "a cut stream yields its start, then an error");
        let mut reader = GzMembers::new(BufReader::new(&junk[..]));
        let mut sink = Vec::new();
        assert!(reader.read_to_end(&mut sink).is_err());
        assert!(reader.read(&mut [0; 8]).is_err(), "the error stays: no quiet end of input after it");
    }
}
