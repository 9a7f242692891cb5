//! The local backend: a throwaway cluster from the Postgres server binaries on this machine.
//!
//! `initdb` into a fresh temporary directory (or a copy of a cached world's data directory
//! there), then `postgres` with its unix socket in that directory and no TCP listener. When plangate runs as root, both run as the
//! unprivileged `postgres` account (Postgres refuses root). The server runs in its own
//! process group so that a terminal's Ctrl-C reaches plangate, which then stops it;
//! dropping [`LocalCluster`] stops the server and removes the directory.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User};
use sqlx::postgres::PgConnectOptions;

use super::IN_MEMORY_DIR;
use crate::cache::store::Lookup;
use crate::cache::{Cache, Entry, EntryMeta, WorldError};
use crate::error::{Error, Result};

/// The port that names the socket file; nothing listens on TCP.
const PORT: u16 = 5432;

const INITDB_ARGS: &[&str] = &["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"];

/// Where a cluster's data directory comes from.
#[derive(Debug, Default)]
pub(crate) struct Origin {
    /// A cached world, copied when it restores cleanly.
    pub(crate) world: Option<Arc<Entry>>,
    /// A cache that keeps a fresh cluster per server build, copied instead of running initdb.
    pub(crate) templates: Option<Cache>,
    /// The folder the cluster's directory is made in (None: the system's temporary folder).
    pub(crate) parent: Option<PathBuf>,
    /// Also listen on 127.0.0.1 at this port, where a password is asked for.
    pub(crate) tcp_port: Option<u16>,
}

/// The largest world kept in memory, in bytes.
const IN_MEMORY_MAX: u64 = 1 << 30;

/// Where a cluster whose data will take about `bytes` goes: in memory (`/dev/shm`, a tmpfs)
/// when the world is small (at most 1 GiB, half of that file system's free space and a
/// quarter of the memory available), unless `TMPDIR` says where temporary files go; else
/// the system's temporary folder. A throwaway cluster needs no durability, and on a disk
/// that is busy writing out what was just loaded, creating the hundreds of files a
/// cluster or a database holds waits on it.
pub(crate) fn cluster_parent(bytes: u64) -> Option<PathBuf> {
    if std::env::var_os("TMPDIR").is_some() || bytes > IN_MEMORY_MAX {
        return None;
    }
    let shm = Path::new(IN_MEMORY_DIR);
    let tmpfs = nix::sys::statfs::statfs(shm).ok()?.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC;
    let vfs = nix::sys::statvfs::statvfs(shm).ok()?;
    let free = vfs.blocks_available().saturating_mul(vfs.fragment_size());
    let writable = nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK).is_ok();
    let memory = memory_available().unwrap_or(0);
    (tmpfs && writable && bytes.saturating_mul(2) <= free && bytes.saturating_mul(4) <= memory)
        .then(|| shm.to_path_buf())
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn memory_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// A running throwaway cluster. Stopped and deleted on drop.
#[derive(Debug)]
pub struct LocalCluster {
    dir: Option<tempfile::TempDir>,
    /// Stops the server and removes `dir` should this process die without doing it.
    watchdog: Option<super::watchdog::Watchdog>,
    child: Option<Child>,
    pub(crate) bindir: PathBuf,
    /// Whether the data directory is a cached world's rather than a fresh initdb's.
    pub(crate) restored: bool,
    /// The time the cached world's data took to copy.
    pub(crate) restore_ms: u64,
    /// The server's port: its socket's name, and its TCP port when it listens on one.
    port: u16,
    /// It listens on 127.0.0.1 too.
    tcp: bool,
}

/// A `pg_dump` of this machine that can dump a server of major version `major` (its own
/// major is at least that): the newest among the servers' folders (the system's and those
/// plangate fetched) and the PATH's.
pub(crate) fn pg_dump_for(major: u32) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = super::install::all_found().into_iter().map(|b| b.bindir).collect();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    let major_of = |pg_dump: &Path| -> Option<u32> {
        let out = Command::new(pg_dump).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace().find_map(|w| w.split('.').next()?.parse().ok())
    };
    dirs.into_iter()
        .map(|d| d.join("pg_dump"))
        .filter(|p| p.is_file())
        .filter_map(|p| major_of(&p).map(|m| (m, p)))
        .filter(|(m, _)| *m >= major)
        .max_by_key(|(m, _)| *m)
        .map(|(_, p)| p)
}

/// Where the server binaries the system offers first are, or None.
pub fn find_bindir() -> Option<PathBuf> {
    super::install::find(None).map(|b| b.bindir)
}

/// What names a server build: its version line and its binary's size and time.
/// Asked once per process and server build: the key of the world and of the empty cluster
/// both need it.
pub(crate) fn build_id(bindir: &Path) -> String {
    static KNOWN: std::sync::OnceLock<std::sync::Mutex<std::collections::BTreeMap<PathBuf, String>>> =
        std::sync::OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    let mut known = known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    known.entry(bindir.to_path_buf()).or_insert_with(|| read_build_id(bindir)).clone()
}

fn read_build_id(bindir: &Path) -> String {
    let binary = bindir.join("postgres");
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let stamp = std::fs::metadata(&binary)
        .map(|m| {
            let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
            format!("{} bytes, modified {}", m.len(), t.as_secs())
        })
        .unwrap_or_default();
    format!("{version} ({}, {stamp})", binary.display())
}

impl LocalCluster {
    /// initdb and start a cluster with `settings` (the user's GUCs) on top of the disposable ones.
    pub async fn start(bindir: PathBuf, settings: &[(String, String)]) -> Result<LocalCluster> {
        Self::start_from(bindir, settings, Origin::default()).await
    }

    /// Start a cluster with `settings` on top of the disposable ones, on the data `origin` gives.
    pub(crate) async fn start_from(
        bindir: PathBuf,
        settings: &[(String, String)],
        origin: Origin,
    ) -> Result<LocalCluster> {
        let settings = settings.to_vec();
        tokio::task::spawn_blocking(move || Self::start_blocking(bindir, &settings, &origin))
            .await
            .expect("the cluster start task does not panic")
    }

    fn start_blocking(bindir: PathBuf, settings: &[(String, String)], origin: &Origin) -> Result<LocalCluster> {
        let run_as = unprivileged_user()?;
        let mut dir = tempfile::Builder::new();
        dir.prefix("plangate-");
        let dir = match &origin.parent {
            Some(parent) => dir.tempdir_in(parent),
            None => dir.tempdir(),
        }
        .map_err(|e| Error::postgres("cannot create a temporary directory for the cluster", e))?;
        let root = dir.path().to_path_buf();
        // Who made the directory, for the next run's sweep, before anything goes in it.
        std::fs::write(root.join(super::watchdog::OWNER_FILE), super::watchdog::owner_line())
            .map_err(|e| Error::postgres(format!("cannot write into {}", root.display()), e))?;
        let watchdog = super::watchdog::Watchdog::start(&root);
        let port = origin.tcp_port.unwrap_or(PORT);
        let mut cluster = LocalCluster {
            dir: Some(dir),
            watchdog,
            child: None,
            bindir,
            restored: false,
            restore_ms: 0,
            port,
            tcp: origin.tcp_port.is_some(),
        };
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::postgres(format!("cannot set permissions of {}", root.display()), e))?;
        if let Some(user) = &run_as {
            nix::unistd::chown(&root, Some(user.uid), Some(user.gid))
                .map_err(|e| Error::postgres(format!("cannot give {} to the postgres account", root.display()), e))?;
        }
        let data = root.join("data");
        if let Some(entry) = &origin.world {
            let started = Instant::now();
            let restored = entry.restore_into(&data);
            cluster.restore_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match restored {
                Ok(_) => cluster.restored = true,
                Err(why) => {
                    let why = crate::error::chain(&why);
                    crate::progress::global().line(&format!("the cached world is damaged ({why}); building it again"));
                }
            }
        }
        let copied = cluster.restored || cluster.fresh_cluster(&data, run_as.as_ref(), origin.templates.as_ref())?;
        if copied {
            if let Some(user) = &run_as {
                chown_tree(&data, user)?;
            }
        }
        let mut settings = settings.to_vec();
        if origin.tcp_port.is_some() {
            settings.extend(tcp_settings(&root, run_as.as_ref())?);
        }
        cluster.spawn_server(&root, &data, &settings, run_as.as_ref())?;
        Ok(cluster)
    }

    /// A fresh cluster in `data`: a copy of the one kept in `templates` for this server
    /// build (true), else initdb's, kept there for the next run (false).
    fn fresh_cluster(&self, data: &Path, run_as: Option<&User>, templates: Option<&Cache>) -> Result<bool> {
        let Some(cache) = templates else {
            self.initdb(data, run_as)?;
            return Ok(false);
        };
        let build = build_id(&self.bindir);
        let key = crate::config::hex_sha256(format!("empty cluster: initdb {INITDB_ARGS:?} of {build}").as_bytes());
        match cache.lookup(&key) {
            Lookup::Hit(entry) => match entry.restore_into(data) {
                Ok(_) => return Ok(true),
                Err(_) => cache.discard(entry),
            },
            Lookup::Miss | Lookup::Corrupt(_) => {}
        }
        self.initdb(data, run_as)?;
        // Nothing is lost when it cannot be kept: the next run runs initdb again.
        let _ = cache.publish(data, EntryMeta::new(&key, &build), false);
        Ok(false)
    }

    fn initdb(&self, data: &Path, run_as: Option<&User>) -> Result<()> {
        let root = self.dir();
        let mut initdb = Command::new(self.bindir.join("initdb"));
        initdb.args(INITDB_ARGS).arg("-D").arg(data).current_dir(root).stdin(Stdio::null());
        as_user(&mut initdb, run_as);
        let out = initdb
            .output()
            .map_err(|e| Error::postgres(format!("cannot run {}", self.bindir.join("initdb").display()), e))?;
        if !out.status.success() {
            return Err(Error::Postgres {
                what: format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
                source: None,
            });
        }
        Ok(())
    }

    fn spawn_server(
        &mut self,
        root: &Path,
        data: &Path,
        settings: &[(String, String)],
        run_as: Option<&User>,
    ) -> Result<()> {
        let cluster = self;
        let log_path = root.join("server.log");
        let log = std::fs::File::create(&log_path).map_err(|e| Error::postgres("cannot create the server log", e))?;
        if let Some(user) = &run_as {
            nix::unistd::chown(&log_path, Some(user.uid), Some(user.gid))
                .map_err(|e| Error::postgres("cannot give the server log to the postgres account", e))?;
        }
        let mut server = Command::new(cluster.bindir.join("postgres"));
        server.arg("-D").arg(data).arg("-k").arg(root).arg("-p").arg(cluster.port.to_string());
        let disposable =
            super::DISPOSABLE.iter().chain(&[("listen_addresses", "")]).map(|(k, v)| (k.to_string(), v.to_string()));
        for (k, v) in disposable.chain(settings.iter().cloned()) {
            server.arg("-c").arg(format!("{k}={v}"));
        }
        server
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| Error::postgres("cannot open the server log", e))?)
            .stderr(log)
            .process_group(0);
        as_user(&mut server, run_as);
        cluster.child =
            Some(server.spawn().map_err(|e| {
                Error::postgres(format!("cannot run {}", cluster.bindir.join("postgres").display()), e)
            })?);
        cluster.wait_ready(&log_path)
    }

    /// Wait until the socket file appears, or the server exits.
    fn wait_ready(&mut self, log_path: &Path) -> Result<()> {
        let socket = self.dir().join(format!(".s.PGSQL.{}", self.port));
        let pidfile = self.dir().join("data").join("postmaster.pid");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.child = None;
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                let reason = log
                    .lines()
                    .filter(|l| l.contains("FATAL") || l.contains("ERROR") || l.contains("LOG:  invalid"))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(Error::Postgres {
                    what: format!("the local Postgres server exited ({status}) before it was ready: {reason}"),
                    source: None,
                });
            }
            // postmaster.pid's 8th line says "ready" once the server accepts connections.
            let ready = socket.exists()
                && std::fs::read_to_string(&pidfile)
                    .is_ok_and(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"));
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Postgres {
                    what: "the local Postgres server did not become ready within 60 s".into(),
                    source: None,
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the server died or a server process crashed since it started, with the end
    /// of its log.
    pub(crate) fn crash_report(&mut self) -> Option<String> {
        let log = self.log().unwrap_or_default();
        let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
        let what = match exited {
            Some(status) => format!("the local Postgres server exited ({status})"),
            // The postmaster survives a crashed backend (killed, out of memory) but ends
            // every session while it recovers.
            None if log.contains("terminated by signal") || log.contains("PANIC:") => {
                "a process of the local Postgres server crashed and the server restarted".to_string()
            }
            None => return None,
        };
        let lines: Vec<&str> = log.lines().collect();
        Some(format!("{what}; the end of its log:\n{}", lines[lines.len().saturating_sub(12)..].join("\n")))
    }

    /// The server's log, whole.
    pub(crate) fn log(&self) -> Option<String> {
        std::fs::read_to_string(self.dir().join("server.log")).ok()
    }

    /// A URL for this cluster's database `db` (the socket folder as `host`).
    /// The TCP port on 127.0.0.1, when the cluster listens on one.
    pub(crate) fn tcp_port(&self) -> Option<u16> {
        self.tcp.then_some(self.port)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@localhost:{}/{db}?host={}", self.port, self.dir().display())
    }

    fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the directory lives as long as the cluster").path()
    }

    /// How to connect to database `db` of this cluster.
    pub fn connect_options(&self, db: &str) -> PgConnectOptions {
        PgConnectOptions::new().socket(self.dir()).port(self.port).username("postgres").database(db)
    }

    /// Whether the cluster lives in memory (see [`cluster_parent`]).
    pub(crate) fn in_memory(&self) -> bool {
        self.dir().starts_with(IN_MEMORY_DIR)
    }

    /// The cluster's data directory.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir().join("data")
    }

    /// Stop the server cleanly (a fast shutdown, which ends with a checkpoint), leaving a
    /// data directory that starts again without recovery; the directory stays until drop.
    pub(crate) fn stop_clean(&mut self) -> std::result::Result<(), WorldError> {
        let Some(mut child) = self.child.take() else {
            return Err(WorldError::backend_says("the server is not running"));
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(WorldError::backend_says(format!("the server stopped with {status}"))),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Ok(None) | Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(WorldError::backend_says("the server did not stop within 120 s"));
                }
            }
        }
    }

    /// Stop the server (immediate shutdown: nothing in it is worth keeping) and remove the directory.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            if dir.close().is_err() {
                let _ = std::fs::remove_dir_all(path);
            }
        }
        if let Some(w) = self.watchdog.take() {
            w.disarm();
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The account to run Postgres as: `postgres` when plangate runs as root, else none.
/// Listening on 127.0.0.1 too: an authentication file in the cluster's directory that
/// trusts the socket and asks TCP clients for a password.
fn tcp_settings(root: &Path, run_as: Option<&User>) -> Result<Vec<(String, String)>> {
    let hba = root.join("pg_hba_tcp.conf");
    std::fs::write(&hba, "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        .map_err(|e| Error::postgres(format!("cannot write {}", hba.display()), e))?;
    if let Some(user) = run_as {
        nix::unistd::chown(&hba, Some(user.uid), Some(user.gid))
            .map_err(|e| Error::postgres("cannot give the authentication file to the postgres account", e))?;
    }
    Ok(vec![
        ("listen_addresses".into(), "127.0.0.1".into()),
        ("hba_file".into(), hba.display().to_string()),
        ("password_encryption".into(), "scram-sha-256".into()),
    ])
}

fn unprivileged_user() -> Result<Option<User>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres") {
        Ok(Some(u)) => Ok(Some(u)),
        _ => Err(Error::no_postgres(
            "plangate runs as root and Postgres refuses to run as root; create an unprivileged `postgres` account \
             (useradd --system postgres) or run plangate as another user",
        )),
    }
}

/// Give a restored data directory to the account the server runs as.
fn chown_tree(path: &Path, user: &User) -> Result<()> {
    nix::unistd::chown(path, Some(user.uid), Some(user.gid))
        .map_err(|e| Error::postgres(format!("cannot give {} to the postgres account", path.display()), e))?;
    if path.is_dir() {
        let entries =
            std::fs::read_dir(path).map_err(|e| Error::postgres(format!("cannot read {}", path.display()), e))?;
        for e in entries.flatten() {
            chown_tree(&e.path(), user)?;
        }
    }
    Ok(())
}

fn as_user(cmd: &mut Command, user: Option<&User>) {
    if let Some(u) = user {
        cmd.uid(u.uid.as_raw()).gid(u.gid.as_raw()).env("HOME", &u.dir).env("USER", "postgres");
    }
}
