//! Cache entries on disk: writing one, finding and restoring one (checked against its
//! manifest), listing, evicting and clearing them, and the locks that make all of that
//! safe while other runs use the same cache. An entry keeps its data directory as it is,
//! moved in, when the cluster ran on the cache's file system; otherwise (a cluster in
//! memory) as one archive: a world is a thousand files or more, and creating that many
//! files costs a disk far more than writing their bytes once.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::fcntl::{Flock, FlockArg};

use super::error::WorldError;
use super::manifest::{
    ARCHIVE_FILE, FileSum, Layout, copy_all, dir_builder, manifest_of, read_archive, relative, remove_unlisted,
    write_archive,
};
use serde::{Deserialize, Serialize};

/// The layout of an entry's folder and of `entry.json`.
const FORMAT: u32 = 2;
const ENTRY_FILE: &str = "entry.json";
/// The data directory as a folder.
const DATA_DIR: &str = "data";
const LOCK_FILE: &str = "lock";
/// Its modification time is the entry's last use.
const USED_FILE: &str = "used";
const DAY: Duration = Duration::from_secs(86_400);

/// What an entry holds besides the data directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EntryMeta {
    pub format: u32,
    pub data_version: u32,
    pub key: String,
    /// The server's `server_version` and build.
    pub postgres_version: String,
    pub build: String,
    pub scales: Vec<f64>,
    /// Per scale: the database holding the world at that scale.
    pub databases: Vec<String>,
    /// Per scale: the rows of every filled table and partition.
    pub table_rows: Vec<BTreeMap<String, u64>>,
    /// How the data was made, for the report's reader.
    pub notes: Vec<String>,
    /// The schema's plain index statements the world was built with.
    pub index_statements: Vec<String>,
    pub created_unix: u64,
    /// The password of the server's `postgres` account, where connecting needs one (the
    /// container backend's); the data directory holds its hash anyway.
    #[serde(default)]
    pub password: Option<String>,
    pub bytes: u64,
    /// How the data directory is kept.
    pub layout: Layout,
    /// The manifest: every folder, and every file with its size and BLAKE3 hash, in the
    /// archive's order.
    pub dirs: Vec<String>,
    pub files: Vec<FileSum>,
}

impl EntryMeta {
    /// An entry's description before its world is known: the rest is filled in by the
    /// run (scales, rows, notes) and by `publish` (the manifest).
    pub(crate) fn new(key: &str, build: &str) -> EntryMeta {
        EntryMeta {
            format: FORMAT,
            data_version: super::DATA_VERSION,
            key: key.to_string(),
            postgres_version: String::new(),
            build: build.to_string(),
            scales: Vec::new(),
            databases: Vec::new(),
            table_rows: Vec::new(),
            notes: Vec::new(),
            index_statements: Vec::new(),
            created_unix: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            password: None,
            bytes: 0,
            layout: Layout::Archive,
            dirs: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// The cache folder and its size bound.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    pub root: PathBuf,
    pub max_bytes: u64,
}

/// An entry found under its key, locked against eviction while it is held.
#[derive(Debug)]
pub(crate) struct Entry {
    dir: PathBuf,
    pub meta: EntryMeta,
    _lock: Flock<File>,
}

/// One entry as `plangate cache list` shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Listed {
    pub key: String,
    pub bytes: u64,
    pub used: SystemTime,
    pub postgres_version: String,
    pub scales: Vec<f64>,
    /// Rows of each table at the largest scale.
    pub rows: BTreeMap<String, u64>,
    pub in_use: bool,
}

/// What a lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    Hit(Box<Entry>),
    Miss,
    /// An entry is there but cannot be read; it has been removed (if no run uses it).
    Corrupt(String),
}

impl Cache {
    fn worlds(&self) -> PathBuf {
        self.root.join("worlds")
    }

    fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The entry for `key`, locked for reading, if there is a readable one.
    pub(crate) fn lookup(&self, key: &str) -> Lookup {
        let dir = self.worlds().join(key);
        let Ok(lock) = File::open(dir.join(LOCK_FILE)) else {
            return if dir.exists() { self.corrupt(key, "it has no lock file".into()) } else { Lookup::Miss };
        };
        let Ok(lock) = Flock::lock(lock, FlockArg::LockShared) else {
            return Lookup::Miss;
        };
        let meta = fs::read(dir.join(ENTRY_FILE))
            .map_err(WorldError::io("read", dir.join(ENTRY_FILE)))
            .and_then(|bytes| serde_json::from_slice::<EntryMeta>(&bytes).map_err(WorldError::Entry));
        match meta {
            // Evicted between the open and the lock: gone.
            Err(_) if !dir.exists() => Lookup::Miss,
            Err(why) => {
                drop(lock);
                self.corrupt(key, crate::error::chain(&why))
            }
            Ok(meta) if meta.format != FORMAT || meta.key != key => {
                drop(lock);
                self.corrupt(
                    key,
                    format!("it was written in entry format {} (this plangate reads {FORMAT})", meta.format),
                )
            }
            Ok(meta) => Lookup::Hit(Box::new(Entry { dir, meta, _lock: lock })),
        }
    }

    fn corrupt(&self, key: &str, why: String) -> Lookup {
        self.remove(key);
        Lookup::Corrupt(why)
    }

    /// Drop a corrupt entry (once no run holds it).
    pub(crate) fn discard(&self, entry: impl Into<Box<Entry>>) {
        let entry: Box<Entry> = entry.into();
        let key = entry.meta.key.clone();
        drop(entry);
        self.remove(&key);
    }

    /// Remove an entry unless a run holds it; whether it was removed.
    fn remove(&self, key: &str) -> bool {
        let dir = self.worlds().join(key);
        let lock = File::open(dir.join(LOCK_FILE)).ok().map(|f| Flock::lock(f, FlockArg::LockExclusiveNonblock));
        if matches!(lock, Some(Err(_))) {
            return false;
        }
        // Out of `worlds/` first, in one step, so no run finds it half deleted.
        let trash = unique_dir(&self.tmp(), &format!("removed-{key}"));
        if fs::create_dir_all(self.tmp()).is_err() || fs::rename(&dir, &trash).is_err() {
            return false;
        }
        drop(lock);
        let _ = fs::remove_dir_all(&trash);
        true
    }

    /// Keep a stopped cluster's data directory as the entry `meta.key` (manifest filled in
    /// here): moved in when `movable` and on the same file system, else written as an
    /// archive; then evict down to the size bound. Returns the entry's size; an error says
    /// why nothing was kept.
    pub(crate) fn publish(&self, data: &Path, mut meta: EntryMeta, movable: bool) -> Result<u64, WorldError> {
        let _ = self.sweep_tmp();
        fs::create_dir_all(self.tmp()).map_err(WorldError::io("create", self.tmp()))?;
        fs::create_dir_all(self.worlds()).map_err(WorldError::io("create", self.worlds()))?;
        let tmp = unique_dir(&self.tmp(), &format!("new-{}", meta.key));
        let written = (|| -> Result<u64, WorldError> {
            dir_builder().create(&tmp).map_err(WorldError::io("create", &tmp))?;
            // Held while writing: a sweep of `tmp/` leaves a folder alone while it is written.
            let writing = File::create(tmp.join(LOCK_FILE)).map_err(WorldError::io("create", tmp.join(LOCK_FILE)))?;
            let _writing = Flock::lock(writing, FlockArg::LockExclusive)
                .map_err(|(_, e)| WorldError::io("lock", tmp.join(LOCK_FILE))(e.into()))?;
            let (dirs, files) = manifest_of(data)?;
            let target = tmp.join(DATA_DIR);
            let sums = if movable && fs::rename(data, &target).is_ok() {
                meta.layout = Layout::Folder;
                remove_unlisted(&target, &dirs, &files)?;
                let jobs: Vec<(PathBuf, Option<PathBuf>, Option<&FileSum>)> =
                    files.iter().map(|f| (target.join(f), None, None)).collect();
                copy_all(&jobs)?
            } else {
                meta.layout = Layout::Archive;
                write_archive(data, &dirs, &files, &tmp.join(ARCHIVE_FILE))?
            };
            meta.files =
                files.into_iter().zip(sums).map(|(path, (bytes, blake3))| FileSum { path, bytes, blake3 }).collect();
            meta.dirs = dirs;
            meta.bytes = meta.files.iter().map(|f| f.bytes).sum();
            meta.format = FORMAT;
            let json = serde_json::to_vec_pretty(&meta).expect("entry metadata serializes");
            write_synced(&tmp.join(ENTRY_FILE), &json)?;
            File::create(tmp.join(USED_FILE)).map_err(WorldError::io("create", tmp.join(USED_FILE)))?;
            Ok(meta.bytes)
        })();
        let bytes = match written {
            Ok(b) if b > self.max_bytes => {
                Err(WorldError::TooLarge { size: super::human_size(b), bound: super::human_size(self.max_bytes) })
            }
            other => other,
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        // Another run may have published the same world meanwhile: keep theirs.
        if fs::rename(&tmp, self.worlds().join(&meta.key)).is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        self.evict(&meta.key);
        Ok(bytes)
    }

    /// A folder for a world on its way in (removed on drop), on the cache's file system.
    pub(crate) fn scratch(&self) -> Result<tempfile::TempDir, WorldError> {
        fs::create_dir_all(self.tmp()).map_err(WorldError::io("create", self.tmp()))?;
        tempfile::Builder::new()
            // Named after this process, so that a sweep knows when its run is gone.
            .prefix(&format!("incoming-{}-", std::process::id()))
            .tempdir_in(self.tmp())
            .map_err(WorldError::io("create a folder in", self.tmp()))
    }

    /// Remove the least recently used entries (never `keep`, never one in use) until the
    /// cache fits its bound.
    fn evict(&self, keep: &str) {
        let mut entries = self.list();
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        entries.sort_by_key(|e| e.used);
        for e in entries {
            if total <= self.max_bytes {
                break;
            }
            if e.key != keep && self.remove(&e.key) {
                total -= e.bytes;
            }
        }
    }

    /// Every readable entry, most recently used first.
    pub(crate) fn list(&self) -> Vec<Listed> {
        let Ok(dirs) = fs::read_dir(self.worlds()) else { return Vec::new() };
        let mut out: Vec<Listed> = dirs
            .flatten()
            .filter_map(|d| {
                let dir = d.path();
                let meta: EntryMeta = serde_json::from_slice(&fs::read(dir.join(ENTRY_FILE)).ok()?).ok()?;
                let used = fs::metadata(dir.join(USED_FILE)).and_then(|m| m.modified()).unwrap_or(UNIX_EPOCH);
                let in_use = File::open(dir.join(LOCK_FILE))
                    .ok()
                    .is_some_and(|f| Flock::lock(f, FlockArg::LockExclusiveNonblock).is_err());
                Some(Listed {
                    key: meta.key,
                    bytes: meta.bytes,
                    used,
                    postgres_version: meta.postgres_version,
                    scales: meta.scales,
                    rows: meta.table_rows.last().cloned().unwrap_or_default(),
                    in_use,
                })
            })
            .collect();
        out.sort_by_key(|l| std::cmp::Reverse(l.used));
        out
    }

    /// Remove every entry no run is using, and what interrupted runs left; returns the
    /// entries removed, their bytes, and the entries left because a run holds them.
    pub(crate) fn clear(&self) -> (usize, u64, usize) {
        let (mut removed, mut bytes, mut kept) = (0, 0, 0);
        for e in self.list() {
            if self.remove(&e.key) {
                removed += 1;
                bytes += e.bytes;
            } else {
                kept += 1;
            }
        }
        // Entries too broken to list.
        if let Ok(dirs) = fs::read_dir(self.worlds()) {
            for d in dirs.flatten() {
                if self.remove(&d.file_name().to_string_lossy()) {
                    removed += 1;
                }
            }
        }
        let _ = self.sweep_tmp();
        (removed, bytes, kept)
    }

    /// Remove what interrupted runs left under `tmp/`: folders with a lock no writer holds,
    /// and folders without one (a world being copied in) a day old.
    /// Remove what runs that are gone left in `tmp/`: an entry half written (its lock is
    /// free: a lock dies with its process), a folder of a world on its way in whose run is
    /// gone, anything a day old that no run holds. Says what it removed.
    pub(crate) fn sweep_tmp(&self) -> Vec<PathBuf> {
        let Ok(dirs) = fs::read_dir(self.tmp()) else { return Vec::new() };
        let day_old =
            |p: &Path| fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().unwrap_or_default() > DAY);
        let mut removed = Vec::new();
        for d in dirs.flatten() {
            let path = d.path();
            let stale = match File::open(path.join(LOCK_FILE)) {
                Ok(f) => Flock::lock(f, FlockArg::LockExclusiveNonblock).is_ok(),
                Err(_) => run_gone(&d.file_name().to_string_lossy()) || day_old(&path),
            };
            if stale && fs::remove_dir_all(&path).is_ok() {
                removed.push(path);
            }
        }
        removed
    }
}

impl Entry {
    /// Copy the entry's data directory to `dest` (which must not exist), checking every file
    /// against the manifest; on a mismatch `dest` is removed and the error says which file.
    pub(crate) fn restore_into(&self, dest: &Path) -> Result<u64, WorldError> {
        let result = (|| {
            for d in std::iter::once("").chain(self.meta.dirs.iter().map(String::as_str)) {
                let d = relative(d)?;
                dir_builder().create(dest.join(d)).map_err(WorldError::io("create", dest.join(d)))?;
            }
            match self.meta.layout {
                Layout::Archive => read_archive(&self.dir.join(ARCHIVE_FILE), &self.meta.files, Some(dest))?,
                Layout::Folder => {
                    let source = self.dir.join(DATA_DIR);
                    let jobs = self
                        .meta
                        .files
                        .iter()
                        .map(|f| Ok((source.join(relative(&f.path)?), Some(dest.join(&f.path)), Some(f))))
                        .collect::<Result<Vec<_>, WorldError>>()?;
                    copy_all(&jobs)?;
                }
            }
            Ok(self.meta.bytes)
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(dest);
        } else {
            self.touch();
        }
        result
    }

    /// Where the entry's data directory is, and how (read it; never change it or start a
    /// server on it).
    pub(crate) fn kept(&self) -> (Layout, PathBuf) {
        match self.meta.layout {
            Layout::Archive => (Layout::Archive, self.dir.join(ARCHIVE_FILE)),
            Layout::Folder => (Layout::Folder, self.dir.join(DATA_DIR)),
        }
    }

    /// Mark the entry used now (a restore does; a reader that copies by itself says so).
    pub(crate) fn touch(&self) {
        let _ =
            File::options().write(true).open(self.dir.join(USED_FILE)).and_then(|f| f.set_modified(SystemTime::now()));
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), WorldError> {
    let mut f = File::create(path).map_err(WorldError::io("write", path))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(WorldError::io("write", path))
}

/// Whether the run that made `tmp/` folder `name` is gone: its pid is the next to last of
/// the name's `-`-separated parts (`incoming-<pid>-<random>`, `removed-<key>-<pid>-<nanos>`).
fn run_gone(name: &str) -> bool {
    let pid = name.rsplit('-').nth(1).and_then(|p| p.parse::<u32>().ok());
    pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
}

/// A path under `parent` no other run picks.
fn unique_dir(parent: &Path, prefix: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).subsec_nanos();
    parent.join(format!("{prefix}-{}-{nanos}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::verify;
    use crate::error::chain;

    fn meta(key: &str) -> EntryMeta {
        EntryMeta { scales: vec![1.0], databases: vec!["db".into()], ..EntryMeta::new(key, "test") }
    }

    fn data_dir(root: &Path) -> PathBuf {
        let data = root.join("data");
        fs::create_dir_all(data.join("base/1")).unwrap();
        fs::create_dir_all(data.join("pg_wal/archive_status")).unwrap();
        fs::write(data.join("base/1/1259"), vec![7u8; 3 << 20]).unwrap();
        fs::write(data.join("PG_VERSION"), "15\n").unwrap();
        fs::write(data.join("postmaster.opts"), "x").unwrap();
        fs::write(data.join("pg_wal/000000010000000000000002"), "b").unwrap();
        fs::write(data.join("pg_wal/000000010000000000000001"), "a").unwrap();
        data
    }

    #[test]
    fn a_tmp_folder_is_known_gone_by_the_pid_in_its_name() {
        let alive = std::process::id();
        assert!(!run_gone(&format!("incoming-{alive}-x1y2")));
        assert!(!run_gone(&format!("removed-abc123-{alive}-77")));
        assert!(run_gone("incoming-4194303999-x1y2"), "no such pid");
        assert!(run_gone("removed-abc123-4194303999-77"));
        assert!(!run_gone("something-else"), "a name without a pid is left to the day-old rule");
    }

    #[test]
    fn an_entry_round_trips_in_either_layout_and_keeps_one_wal_segment() {
        for (movable, layout) in [(true, Layout::Folder), (false, Layout::Archive)] {
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache { root: dir.path().join("cache"), max_bytes: 1 << 30 };
            let data = data_dir(dir.path());
            let original = fs::read(data.join("base/1/1259")).unwrap();
            let bytes = cache.publish(&data, meta("k1"), movable).unwrap();
            assert_eq!(bytes, (3 << 20) + 3 + 1);
            assert_eq!(data.exists(), !movable, "moved, or written as an archive");
            let Lookup::Hit(entry) = cache.lookup("k1") else { panic!("a hit") };
            assert_eq!(entry.kept().0, layout);
            let files: Vec<&str> = entry.meta.files.iter().map(|f| f.path.as_str()).collect();
            assert_eq!(files, ["PG_VERSION", "base/1/1259", "pg_wal/000000010000000000000001"]);
            let dest = dir.path().join("restored");
            entry.restore_into(&dest).unwrap();
            assert_eq!(fs::read(dest.join("base/1/1259")).unwrap(), original);
            assert!(dest.join("pg_wal/archive_status").is_dir());
            assert!(!dest.join("postmaster.opts").exists() && !dest.join("pg_wal/000000010000000000000002").exists());
            let (layout, kept) = entry.kept();
            verify(layout, &kept, &entry.meta.files).unwrap();
            assert!(matches!(cache.lookup("k2"), Lookup::Miss));
        }
    }

    #[test]
    fn a_corrupt_or_truncated_entry_is_detected_and_removed() {
        for movable in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache { root: dir.path().join("cache"), max_bytes: 1 << 30 };
            let data = data_dir(dir.path());
            cache.publish(&data, meta("k1"), movable).unwrap();
            let Lookup::Hit(entry) = cache.lookup("k1") else { panic!("a hit") };
            let (layout, kept) = entry.kept();
            // One flipped bit in the large file (the middle of the archive is inside it).
            let file = if layout == Layout::Folder { kept.join("base/1/1259") } else { kept.clone() };
            let mut bytes = fs::read(&file).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 1;
            fs::write(&file, &bytes).unwrap();
            let dest = dir.path().join("restored");
            let err = chain(&entry.restore_into(&dest).unwrap_err());
            assert!(err.contains("base/1/1259") && err.contains("does not match its manifest"), "{err}");
            assert!(!dest.exists());
            assert!(chain(&verify(layout, &kept, &entry.meta.files).unwrap_err()).contains("base/1/1259"));
            // Cut short, as by a crash while it was written.
            bytes[middle] ^= 1;
            fs::write(&file, &bytes[..middle]).unwrap();
            let err = chain(&entry.restore_into(&dest).unwrap_err());
            assert!(err.contains("base/1/1259"), "{err}");
            assert!(!dest.exists());
            cache.discard(entry);
            assert!(matches!(cache.lookup("k1"), Lookup::Miss));

            let data = data_dir(&dir.path().join("again"));
            cache.publish(&data, meta("k2"), movable).unwrap();
            fs::write(cache.worlds().join("k2").join(ENTRY_FILE), "{ half").unwrap();
            assert!(matches!(cache.lookup("k2"), Lookup::Corrupt(_)));
            assert!(!cache.worlds().join("k2").exists());
        }
    }

    #[test]
    fn eviction_removes_the_least_recently_used_and_spares_entries_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let data = data_dir(dir.path());
        let big = Cache { root: dir.path().join("cache"), max_bytes: 1 << 30 };
        big.publish(&data, meta("old"), false).unwrap();
        big.publish(&data, meta("held"), false).unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(3600);
        for k in ["old", "held"] {
            File::options().write(true).open(big.worlds().join(k).join(USED_FILE)).unwrap().set_modified(old).unwrap();
        }
        let Lookup::Hit(held) = big.lookup("held") else { panic!("a hit") };
        // Room for two entries: publishing a third evicts `old`, not `held` (in use) nor the new one.
        let small = Cache { max_bytes: (7 << 20) + 100, ..big.clone() };
        small.publish(&data, meta("new"), true).unwrap();
        let keys: Vec<String> = small.list().into_iter().map(|l| l.key).collect();
        assert!(keys.contains(&"held".to_string()) && keys.contains(&"new".to_string()), "{keys:?}");
        assert!(!keys.contains(&"old".to_string()), "{keys:?}");
        assert!(small.list().iter().any(|l| l.key == "held" && l.in_use));
        drop(held);
        let (removed, _, kept) = small.clear();
        assert_eq!((removed, kept), (2, 0));
        assert!(small.list().is_empty());
    }
}
