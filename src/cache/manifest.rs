//! A world's files as a cache entry keeps them: the manifest (every folder and file, with
//! its size and BLAKE3 hash), the archive, and copies checked against the manifest as they
//! are read, on several threads.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::WorldError;

/// The data directory as a tar: the manifest's folders, then its files in its order.
pub(super) const ARCHIVE_FILE: &str = "world.tar";

/// How an entry keeps its data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Layout {
    /// The folder itself (`data/`), moved in from the stopped cluster.
    Folder,
    /// One tar (`world.tar`), written from the stopped cluster's folder.
    Archive,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileSum {
    pub(crate) path: String,
    pub(crate) bytes: u64,
    /// BLAKE3 of the bytes, in hex.
    pub(crate) blake3: String,
}

/// Check an entry's data directory (as `Entry::kept` gives it) against its manifest, off
/// the entry (for a blocking task); the error names the first file that differs.
pub(crate) fn verify(layout: Layout, kept: &Path, files: &[FileSum]) -> Result<(), WorldError> {
    match layout {
        Layout::Archive => read_archive(kept, files, None),
        Layout::Folder => {
            let jobs = files
                .iter()
                .map(|f| Ok((kept.join(relative(&f.path)?), None, Some(f))))
                .collect::<Result<Vec<_>, WorldError>>()?;
            copy_all(&jobs).map(|_| ())
        }
    }
}

/// Read an entry's archive, checking each file against the manifest, and write the files
/// under `dest` when there is one.
pub(super) fn read_archive(path: &Path, files: &[FileSum], dest: Option<&Path>) -> Result<(), WorldError> {
    let file = File::open(path).map_err(WorldError::io("open", path))?;
    let mut archive = tar::Archive::new(io::BufReader::with_capacity(BUFFER, file));
    let mut expected = files.iter();
    let damaged = WorldError::Archive;
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        if entry.header().entry_type().is_dir() {
            continue;
        }
        let name = entry.path().map_err(damaged)?.to_string_lossy().into_owned();
        let want = expected
            .next()
            .ok_or_else(|| WorldError::Damaged(format!("{name} is in {ARCHIVE_FILE} but not in its manifest")))?;
        if name != want.path {
            return Err(WorldError::Damaged(format!(
                "{ARCHIVE_FILE} holds {name} where its manifest lists {}",
                want.path
            )));
        }
        let mut out = match dest {
            Some(dest) => Some(
                File::options()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(dest.join(relative(&want.path)?))
                    .map_err(WorldError::io("create", dest.join(&want.path)))?,
            ),
            None => None,
        };
        let sum = copy_hashed(&mut entry, out.as_mut()).map_err(WorldError::io("read", &want.path))?;
        if want.bytes != sum.0 || want.blake3 != sum.1 {
            return Err(WorldError::Damaged(format!("{} does not match its manifest", want.path)));
        }
    }
    match expected.next() {
        Some(missing) => Err(WorldError::Damaged(format!("{} is missing from {ARCHIVE_FILE}", missing.path))),
        None => Ok(()),
    }
}

/// A manifest's path, refused if it could lead out of the folder it is unpacked in.
pub(super) fn relative(path: &str) -> Result<&str, WorldError> {
    let inside = Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if inside {
        Ok(path)
    } else {
        Err(WorldError::Damaged(format!("the manifest lists {path}, which is not inside the data directory")))
    }
}

/// The folders and files of a data directory, relative and sorted. Left out: the pid and
/// options files of the stopped server, transient statistics, and the write-ahead log
/// segments after the first (a cleanly stopped server needs only the one holding its
/// last checkpoint; the later ones are recycled, not yet written).
pub(super) fn manifest_of(data: &Path) -> Result<(Vec<String>, Vec<String>), WorldError> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let here = data.join(&rel);
        let mut read: Vec<fs::DirEntry> = fs::read_dir(&here)
            .map_err(WorldError::io("read", &here))?
            .collect::<io::Result<_>>()
            .map_err(WorldError::io("read", &here))?;
        read.sort_by_key(fs::DirEntry::file_name);
        let mut segments = Vec::new();
        for d in read {
            let name = d.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let kind = d.file_type().map_err(WorldError::io("read", d.path()))?;
            if kind.is_symlink() {
                return Err(WorldError::Damaged(format!(
                    "{path} is a link (a tablespace or a moved WAL folder): such a world is not cached"
                )));
            } else if kind.is_dir() {
                dirs.push(path.clone());
                stack.push(path);
            } else if rel == "pg_wal" && name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                segments.push(path);
            } else if !(rel.is_empty() && (name == "postmaster.pid" || name == "postmaster.opts"))
                && rel != "pg_stat_tmp"
            {
                files.push(path);
            }
        }
        files.extend(segments.into_iter().min());
    }
    dirs.sort();
    files.sort();
    Ok((dirs, files))
}

/// Remove what a moved data directory holds beyond its manifest.
pub(super) fn remove_unlisted(root: &Path, dirs: &[String], files: &[String]) -> Result<(), WorldError> {
    let (dirs, files): (std::collections::BTreeSet<&str>, std::collections::BTreeSet<&str>) =
        (dirs.iter().map(String::as_str).collect(), files.iter().map(String::as_str).collect());
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        for d in fs::read_dir(root.join(&rel)).map_err(WorldError::io("read", root.join(&rel)))?.flatten() {
            let name = d.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            if dirs.contains(path.as_str()) {
                stack.push(path);
            } else if !files.contains(path.as_str()) {
                fs::remove_file(root.join(&path)).map_err(WorldError::io("remove", &path))?;
            }
        }
    }
    Ok(())
}

/// Each file's index with its size and hash, or why one could not be copied.
type Sums = Result<Vec<(usize, (u64, String))>, WorldError>;

/// Threads that copy and hash a world's files.
const COPY_THREADS: usize = 6;

/// Copy files (or only read them, without a destination) on [`COPY_THREADS`] threads,
/// hashing as they are read. With an expected sum, a file whose size or hash differs is an
/// error. Returns each file's size and hash.
pub(super) fn copy_all(
    jobs: &[(PathBuf, Option<PathBuf>, Option<&FileSum>)],
) -> Result<Vec<(u64, String)>, WorldError> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(fs::metadata(&jobs[i].0).map_or(0, |m| m.len())));
    // More threads than cores: creating a file waits on the file system's journal more
    // than it works, and the waits overlap.
    let halves: Vec<Vec<usize>> =
        (0..COPY_THREADS).map(|k| order.iter().skip(k).step_by(COPY_THREADS).copied().collect()).collect();
    let results: Vec<Sums> = std::thread::scope(|s| {
        let handles: Vec<_> = halves
            .iter()
            .map(|half| {
                s.spawn(move || {
                    half.iter()
                        .map(|&i| {
                            let (from, to, expected) = &jobs[i];
                            let sum = copy_file(from, to.as_deref()).map_err(WorldError::io("copy", from))?;
                            if let Some(want) = expected {
                                if want.bytes != sum.0 || want.blake3 != sum.1 {
                                    return Err(WorldError::Damaged(format!(
                                        "{} does not match its manifest",
                                        want.path
                                    )));
                                }
                            }
                            Ok((i, sum))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a copy thread does not panic")).collect()
    });
    let mut sums = vec![(0, String::new()); jobs.len()];
    for r in results {
        for (i, sum) in r? {
            sums[i] = sum;
        }
    }
    Ok(sums)
}

/// Copy the file `from` to `to` (or only read it), hashing it; its size and hash.
fn copy_file(from: &Path, to: Option<&Path>) -> io::Result<(u64, String)> {
    let mut src = File::open(from)?;
    let mut dst = match to {
        Some(to) => Some(File::options().write(true).create_new(true).mode(0o600).open(to)?),
        None => None,
    };
    copy_hashed(&mut src, dst.as_mut())
}

/// Bytes read or written at a time.
const BUFFER: usize = 1 << 20;

/// Write the folders `dirs` and the files `files` of `data` as a tar at `out`, hashing each
/// file as it is read. Returns each file's size and hash.
pub(super) fn write_archive(
    data: &Path,
    dirs: &[String],
    files: &[String],
    out: &Path,
) -> Result<Vec<(u64, String)>, WorldError> {
    let failed = |e: io::Error| WorldError::Io { action: "write", path: out.to_path_buf(), source: e };
    let file = File::options().write(true).create_new(true).mode(0o600).open(out).map_err(failed)?;
    let mut tar = tar::Builder::new(io::BufWriter::with_capacity(BUFFER, file));
    for d in dirs {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o700);
        header.set_size(0);
        tar.append_data(&mut header, d, io::empty()).map_err(failed)?;
    }
    let mut sums = Vec::with_capacity(files.len());
    for f in files {
        let path = data.join(f);
        let src = File::open(&path).map_err(WorldError::io("read", &path))?;
        let len = src.metadata().map_err(WorldError::io("read", &path))?.len();
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o600);
        header.set_size(len);
        let mut reader = Hashing { inner: src.take(len), hasher: blake3::Hasher::new(), bytes: 0 };
        tar.append_data(&mut header, f, &mut reader).map_err(failed)?;
        if reader.bytes != len {
            return Err(WorldError::Damaged(format!("{} changed while it was kept", path.display())));
        }
        sums.push((len, reader.hasher.finalize().to_hex().to_string()));
    }
    tar.into_inner().and_then(|w| w.into_inner().map_err(io::IntoInnerError::into_error)).map_err(failed)?;
    Ok(sums)
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Copy `src` to `dst` (or only read it), hashing it; its size and hash.
fn copy_hashed(src: &mut impl Read, mut dst: Option<&mut File>) -> io::Result<(u64, String)> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; BUFFER];
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some(dst) = dst.as_mut() {
            dst.write_all(&buf[..n])?;
        }
        total += n as u64;
    }
    Ok((total, hasher.finalize().to_hex().to_string()))
}

pub(super) fn dir_builder() -> fs::DirBuilder {
    let mut b = fs::DirBuilder::new();
    b.mode(0o700);
    b
}
