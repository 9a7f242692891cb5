//! Throwaway Postgres: choosing a backend, starting it, connecting, and knowing its version.

mod archive;
pub mod container;
pub mod install;
pub mod local;
pub mod production;
pub mod schema;
pub mod url;
pub(crate) mod watchdog;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::cache::WorldError;
use crate::config::{BackendChoice, Settings};
use crate::error::{Error, Result};

/// Whether Postgres' words (an error, a log) say a file system filled up.
pub(crate) fn says_disk_full(text: &str) -> bool {
    text.contains("No space left on device") || text.contains("could not extend file")
}

/// The memory-backed file system a small world's cluster goes in.
const IN_MEMORY_DIR: &str = "/dev/shm";

/// Settings every session gets, on every backend, so that plans do not depend on the
/// machine: no parallel workers (their timing varies), no JIT.
/// Custom plans always: each EXECUTE is planned for its values, as a literal query is.
/// Sequential scans start at the first block: with synchronized scans, a large table's
/// scan starts where another scan of it last said it was (an index build, a foreign-key
/// check, the catalog's previous query), and that report is skipped when its lock is
/// busy, so a scan under a LIMIT read more or fewer blocks by chance.
pub(crate) const STABLE_SESSION: &[(&str, &str)] = &[
    ("max_parallel_workers_per_gather", "0"),
    ("jit", "off"),
    ("plan_cache_mode", "force_custom_plan"),
    ("synchronize_seqscans", "off"),
];

/// Settings for a disposable instance, on the local and the container backend: durability
/// off, autovacuum off so statistics change only when plangate runs ANALYZE.
const DISPOSABLE: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("autovacuum", "off"),
    ("max_wal_size", "4GB"),
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),
    ("logging_collector", "off"),
];

/// Where the throwaway database lives.
#[derive(Debug)]
pub(crate) enum Instance {
    Local(local::LocalCluster),
    Container(Box<container::Container>),
    Url(Box<url::ScratchDb>),
}

/// One throwaway Postgres to run the catalog on; a version matrix has one per image or
/// per local server version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A cluster of these server binaries.
    Local(install::Binaries),
    Container(String),
    Url,
}

impl Target {
    /// The local backend on the server binaries the system offers first.
    pub fn local() -> Result<Target> {
        install::find(None).map(Target::Local).ok_or_else(|| Error::no_postgres(no_binaries_message()))
    }

    /// The image, for the container backend.
    pub(crate) fn image(&self) -> Option<&str> {
        match self {
            Target::Container(image) => Some(image),
            _ => None,
        }
    }

    /// Where a local target's server binaries came from.
    pub(crate) fn binaries(&self) -> Option<&str> {
        match self {
            Target::Local(b) => Some(&b.source),
            _ => None,
        }
    }
}

/// The local targets of the versions asked for (`[database] postgres`, `--postgres`): each
/// version's binaries found on this machine or fetched.
async fn local_targets(settings: &Settings) -> Result<Vec<Target>> {
    if settings.postgres.is_empty() {
        return Ok(vec![Target::local()?]);
    }
    let mut out = Vec::new();
    for &major in &settings.postgres {
        let found = tokio::task::spawn_blocking(move || install::resolve(major))
            .await
            .expect("resolving server binaries does not panic")?;
        out.push(Target::Local(found));
    }
    Ok(out)
}

/// Resolve the backend (`auto`: a URL, else a configured image with a runtime, else local
/// binaries, else the default image) into the targets to run on: one per image for the
/// container backend, else one. `auto` asks the Docker-API socket only when it matters.
pub(crate) async fn targets(settings: &Settings) -> Result<Vec<Target>> {
    let containers = || {
        container::USED.get_or_init(|| ());
        settings.images.iter().cloned().map(Target::Container).collect()
    };
    Ok(match settings.backend {
        BackendChoice::Url => vec![Target::Url],
        BackendChoice::Local => local_targets(settings).await?,
        BackendChoice::Container => {
            if container::runtime().await.is_none() {
                return Err(Error::no_postgres(container::no_runtime_message()));
            }
            containers()
        }
        BackendChoice::Auto => {
            if settings.image_configured && container::runtime().await.is_some() {
                containers()
            } else if !settings.postgres.is_empty() {
                local_targets(settings).await?
            } else if let Some(found) = install::find(None) {
                if settings.image_configured {
                    crate::progress::global().line(&format!(
                        "no container runtime answered at {}: running on the local backend instead of {}",
                        container::docker_host(),
                        settings.images.join(", ")
                    ));
                }
                vec![Target::Local(found)]
            } else if container::runtime().await.is_some() {
                containers()
            } else {
                return Err(Error::no_postgres(no_postgres_message()));
            }
        }
    })
}

/// What a server is started with besides the user's settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Startup {
    /// Settings only a start can set (`shared_preload_libraries`), never set per session.
    pub settings: Vec<(String, String)>,
    /// On the local backend: also listen on 127.0.0.1 at this port, with password
    /// authentication there (the socket stays trusted). A container publishes its own.
    pub tcp_port: Option<u16>,
    /// The password TCP clients give; without one a container gets a password of its own.
    pub password: Option<String>,
}

/// Opens sessions on a started server, with the stable and the user's settings.
#[derive(Debug, Clone)]
pub(crate) struct Connector {
    options: PgConnectOptions,
    /// On the url backend: the scratch database, the only one besides its copies that
    /// sessions go to.
    scratch: Option<String>,
    settings: Vec<(String, String)>,
}

impl Connector {
    /// A new session on database `db` (on the url backend: on the scratch database, unless
    /// `db` is one of its copies).
    pub(crate) async fn connect_to(&self, db: &str) -> Result<PgConnection> {
        let opts = match &self.scratch {
            Some(scratch) if !db.starts_with(&format!("{scratch}_")) => self.options.clone(),
            _ => self.options.clone().database(db),
        };
        let mut conn = url::connect(&opts, "the throwaway database").await?;
        let stable = STABLE_SESSION.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        for (k, v) in stable.chain(self.settings.iter().cloned()) {
            sqlx::query("SELECT set_config($1, $2, false)")
                .bind(&k)
                .bind(&v)
                .execute(&mut conn)
                .await
                .map_err(|e| Error::postgres(format!("cannot apply setting {k} = {v}"), e))?;
        }
        Ok(conn)
    }
}

/// A started backend with the scratch database ready to use.
#[derive(Debug)]
pub struct Server {
    pub(crate) instance: Instance,
    /// `server_version`, e.g. "15.18".
    pub(crate) version: String,
    /// The major version, e.g. 15.
    pub(crate) major: u32,
    /// The user's GUCs, applied to every session.
    pub settings: Vec<(String, String)>,
    /// What the server was started with (`pg_settings`' source `command line`), as it reports them.
    #[expect(clippy::struct_field_names, reason = "the settings the server reports, not plangate's")]
    pub(crate) server_settings: Vec<(String, String)>,
    /// Whether it runs on a cached world's data rather than a fresh cluster.
    pub(crate) restored: bool,
    /// The time that world's data took to copy.
    pub(crate) restore_ms: u64,
}

impl Server {
    /// Start the throwaway Postgres of one target.
    pub async fn start(settings: &Settings, target: &Target) -> Result<Server> {
        Self::start_from(settings, target, None).await
    }

    /// Start the throwaway Postgres of one target, on a copy of a cached world's data when
    /// `world` is given and the backend can (`restored` says whether it did).
    pub(crate) async fn start_from(
        settings: &Settings,
        target: &Target,
        world: Option<std::sync::Arc<crate::cache::Entry>>,
    ) -> Result<Server> {
        Self::start_with(settings, target, world, &Startup::default()).await
    }

    /// [`Server::start_from`], with server settings that only a start can set and, on the
    /// local backend, a TCP port for other programs.
    pub(crate) async fn start_with(
        settings: &Settings,
        target: &Target,
        world: Option<std::sync::Arc<crate::cache::Entry>>,
        startup: &Startup,
    ) -> Result<Server> {
        let at_start: Vec<(String, String)> = settings.pg_settings.iter().chain(&startup.settings).cloned().collect();
        let instance = match target {
            Target::Url => {
                let url = settings.database_url.as_deref().expect("settings pair url with a URL");
                Instance::Url(Box::new(url::ScratchDb::create(url).await?))
            }
            Target::Container(image) => {
                let docker =
                    container::runtime().await.ok_or_else(|| Error::no_postgres(container::no_runtime_message()))?;
                for left in container::sweep(&docker).await {
                    crate::progress::global().line(&format!("removed what an earlier run left behind: {left}"));
                }
                container::arm_reaper();
                Instance::Container(Box::new(
                    container::Container::start_from(
                        &docker,
                        image,
                        &at_start,
                        world.as_deref(),
                        startup.password.as_deref(),
                    )
                    .await?,
                ))
            }
            Target::Local(binaries) => {
                let bindir = binaries.bindir.clone();
                for left in watchdog::sweep() {
                    crate::progress::global().line(&format!("removed what an earlier run left behind: {left}"));
                }
                let bytes = world.as_ref().map_or_else(|| settings.world_size_estimate(), |w| w.meta.bytes);
                let origin = local::Origin {
                    world,
                    templates: settings.cache.as_ref().map(crate::cache::Cache::from),
                    parent: local::cluster_parent(bytes),
                    tcp_port: startup.tcp_port,
                };
                Instance::Local(local::LocalCluster::start_from(bindir, &at_start, origin).await?)
            }
        };
        let (restored, restore_ms) = match &instance {
            Instance::Local(c) => (c.restored, c.restore_ms),
            Instance::Container(c) => (c.restored, c.restore_ms),
            Instance::Url(_) => (false, 0),
        };
        let mut server = Server {
            restored,
            restore_ms,
            instance,
            version: String::new(),
            major: 0,
            settings: settings.pg_settings.clone(),
            server_settings: Vec::new(),
        };
        let mut conn = server.connect().await?;
        let version: String = sqlx::query_scalar("SELECT current_setting('server_version')")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| Error::postgres("cannot read the server version", e))?;
        let num: String = sqlx::query_scalar("SELECT current_setting('server_version_num')")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| Error::postgres("cannot read the server version", e))?;
        server.version = version.split_whitespace().next().unwrap_or(&version).to_string();
        server.major = num.parse::<u32>().unwrap_or(0) / 10_000;
        server.server_settings = sqlx::query_as(
            "SELECT name, current_setting(name) FROM pg_settings WHERE source = 'command line' ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(|e| Error::postgres("cannot read the server's settings", e))?;
        let _ = conn.close().await;
        Ok(server)
    }

    /// Whether the server died (or a process of it crashed) since it started: what
    /// happened, with the end of its log. Not known on the url backend.
    pub(crate) async fn crash_report(&mut self) -> Option<String> {
        if let Some(report) = self.instance_crash_report().await {
            return Some(report);
        }
        // A server whose process crashed ends every session and refuses new ones while it
        // recovers; the log may not say so yet when the client has already seen the EOF.
        if self.connect().await.is_ok() {
            return None;
        }
        for _ in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if let Some(report) = self.instance_crash_report().await {
                return Some(report);
            }
        }
        Some("the Postgres server stopped accepting connections".into())
    }

    async fn instance_crash_report(&mut self) -> Option<String> {
        match &mut self.instance {
            Instance::Local(c) => c.crash_report(),
            Instance::Container(c) => c.crash_report().await,
            Instance::Url(_) => None,
        }
    }

    /// Whether the server's data lives in memory (a local cluster in `/dev/shm`).
    pub(crate) fn in_memory(&self) -> bool {
        match &self.instance {
            Instance::Local(c) => c.in_memory(),
            _ => false,
        }
    }

    /// Whether plangate started this server (and so may change anything in it).
    pub(crate) fn is_throwaway(&self) -> bool {
        !matches!(self.instance, Instance::Url(_))
    }

    /// Make relation files longer, sparsely: each (file, bytes) names a file by its path
    /// relative to the data directory, which is created (owned as `owner`, a file of the
    /// same directory, is) when missing and never shortened. Only a throwaway server's files
    /// can be reached: on the url backend this is an error.
    pub(crate) async fn lengthen_files(&self, data_dir: &str, owner: &str, files: &[(String, u64)]) -> Result<()> {
        let failed =
            |what: String| Error::postgres("lengthening a forecast's relation files", std::io::Error::other(what));
        match &self.instance {
            Instance::Local(c) => {
                use std::os::unix::fs::MetadataExt as _;
                let dir = c.data_dir();
                let meta = std::fs::metadata(dir.join(owner)).map_err(|e| failed(format!("{owner}: {e}")))?;
                for (file, bytes) in files {
                    let path = dir.join(file);
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(&path)
                        .map_err(|e| failed(format!("{file}: {e}")))?;
                    let now = f.metadata().map_err(|e| failed(format!("{file}: {e}")))?;
                    if now.uid() != meta.uid() || now.gid() != meta.gid() {
                        nix::unistd::chown(&path, Some(meta.uid().into()), Some(meta.gid().into()))
                            .map_err(|e| failed(format!("{file}: {e}")))?;
                    }
                    if now.len() < *bytes {
                        f.set_len(*bytes).map_err(|e| failed(format!("{file}: {e}")))?;
                    }
                }
                Ok(())
            }
            Instance::Container(c) => {
                // Paths are Postgres' own (digits and slashes) under its data directory.
                use std::fmt::Write as _;
                let mut script = format!("set -e; cd '{}'; o=$(stat -c %u:%g {owner}); ", data_dir.replace('\'', ""));
                for (file, bytes) in files {
                    let _ = write!(
                        script,
                        "[ -e {file} ] || {{ : > {file}; chown $o {file}; }}; \
                         [ $(stat -c %s {file}) -ge {bytes} ] || truncate -s {bytes} {file}; "
                    );
                }
                let (code, _, stderr) = c.exec(&["sh", "-c", &script]).await?;
                if code == Some(0) { Ok(()) } else { Err(failed(String::from_utf8_lossy(&stderr).trim().to_string())) }
            }
            Instance::Url(_) => Err(Error::Argument {
                flag: "--forecast".into(),
                detail: "a forecast is planned in a throwaway server's own files (local or container backend)".into(),
            }),
        }
    }

    /// Whether the server's log says a file system it writes to is full: the local cluster's
    /// whole log, a container's tail.
    pub(crate) async fn log_says_disk_full(&self) -> bool {
        match &self.instance {
            Instance::Local(c) => c.log().is_some_and(|log| says_disk_full(&log)),
            Instance::Container(c) => c.crash_report().await.is_some_and(|log| says_disk_full(&log)),
            Instance::Url(_) => false,
        }
    }

    /// Where the server keeps its data, for a message about its space: the file system and
    /// how much of it is free now.
    pub(crate) fn storage(&self) -> String {
        match &self.instance {
            Instance::Local(c) => {
                let dir = c.data_dir();
                let free = nix::sys::statvfs::statvfs(&dir)
                    .map(|v| {
                        let (free, size) = (
                            v.blocks_available().saturating_mul(v.fragment_size()),
                            v.blocks().saturating_mul(v.fragment_size()),
                        );
                        format!(", {} free of {}", crate::cache::human_size(free), crate::cache::human_size(size))
                    })
                    .unwrap_or_default();
                let what = if c.in_memory() { "in memory" } else { "on the disk" };
                format!("{what} ({}{free})", dir.parent().and_then(std::path::Path::parent).unwrap_or(&dir).display())
            }
            Instance::Container(c) => format!("in the container of {}", c.image),
            Instance::Url(_) => "on the url backend's server".to_string(),
        }
    }

    /// The backend's name as reports show it.
    pub(crate) fn backend_name(&self) -> &'static str {
        match self.instance {
            Instance::Local(_) => "local",
            Instance::Container(_) => "container",
            Instance::Url(_) => "url",
        }
    }

    fn connect_options(&self, db: &str) -> PgConnectOptions {
        match &self.instance {
            Instance::Local(c) => c.connect_options(db),
            Instance::Container(c) => c.connect_options(db),
            Instance::Url(scratch) => scratch.connect_options(),
        }
        .application_name("plangate")
    }

    /// A new session on the server's own database (`template1` on a throwaway server, which
    /// every cluster has and no world is grown in; the scratch database on the url backend)
    /// with the stable and the user's settings.
    pub async fn connect(&self) -> Result<PgConnection> {
        self.connect_to("template1").await
    }

    /// A new session on database `db` of a throwaway server (on the url backend: on the
    /// scratch database), with the stable and the user's settings.
    pub(crate) async fn connect_to(&self, db: &str) -> Result<PgConnection> {
        self.connector().connect_to(db).await
    }

    /// Where other programs reach the server over TCP (host, port): a local cluster started
    /// with a TCP port, or a container's published port.
    pub(crate) fn tcp_address(&self) -> Option<(String, u16)> {
        match &self.instance {
            Instance::Local(c) => c.tcp_port().map(|p| ("127.0.0.1".to_string(), p)),
            Instance::Container(c) => Some(c.address()),
            Instance::Url(_) => None,
        }
    }

    /// `pg_dump --schema-only` of database `db`, by the server's own `pg_dump` (a
    /// container's, inside it), without owners and privileges.
    pub(crate) async fn dump_schema(&self, db: &str) -> Result<String> {
        const ARGS: [&str; 5] = ["--schema-only", "--no-owner", "--no-privileges", "--username", "postgres"];
        let failed = |stderr: &[u8]| Error::Postgres {
            what: format!("pg_dump --schema-only of `{db}` failed: {}", String::from_utf8_lossy(stderr).trim()),
            source: None,
        };
        let run = async |pg_dump: &std::path::Path, target: &[&str], password: Option<&str>| {
            let mut cmd = tokio::process::Command::new(pg_dump);
            cmd.args(ARGS).args(target);
            if let Some(p) = password {
                cmd.env("PGPASSWORD", p);
            }
            let out =
                cmd.output().await.map_err(|e| Error::postgres(format!("cannot run {}", pg_dump.display()), e))?;
            if !out.status.success() {
                return Err(failed(&out.stderr));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        match &self.instance {
            Instance::Local(c) => run(&c.bindir.join("pg_dump"), &["--dbname", &c.url(db)], None).await,
            Instance::Container(c) => {
                let args: Vec<&str> = std::iter::once("pg_dump").chain(ARGS).chain(["--dbname", db]).collect();
                let (code, stdout, stderr) = c.exec(&args).await?;
                if code == Some(0) {
                    return Ok(String::from_utf8_lossy(&stdout).into_owned());
                }
                // An image whose client tools are older than its server: a pg_dump of this
                // machine as new as the server, through the published port.
                let Some(pg_dump) = local::pg_dump_for(self.major) else { return Err(failed(&stderr)) };
                let (host, port) = c.address();
                let target = ["--host", &host, "--port", &port.to_string(), "--dbname", db];
                run(&pg_dump, &target, Some(&c.password)).await
            }
            Instance::Url(_) => Err(Error::Argument {
                flag: "--backend url".into(),
                detail: "the schema is dumped from a throwaway server (local or container)".into(),
            }),
        }
    }

    /// What opens sessions on this server, for work that runs beside the caller's.
    pub(crate) fn connector(&self) -> Connector {
        let scratch = match &self.instance {
            Instance::Url(s) => Some(s.name().to_string()),
            _ => None,
        };
        Connector {
            options: self.connect_options("template1"),
            // The local and container backends pass the user's settings on the server's command line.
            settings: if scratch.is_some() { self.settings.clone() } else { Vec::new() },
            scratch,
        }
    }

    /// The name of a copy of the world (`what`: what it is for) this server may make: on the
    /// url backend named after the scratch database, so that it goes with it.
    pub(crate) fn copy_name(&self, what: &str) -> String {
        match &self.instance {
            Instance::Url(s) => format!("{}_{what}", s.name()),
            _ => format!("plangate_{what}_{}", std::process::id()),
        }
    }

    /// How `CREATE DATABASE` copies a world here: by files on a throwaway server (Postgres
    /// 15 and later copy block by block through the log otherwise), through the log on
    /// someone's server (copying files takes a checkpoint of the whole server).
    pub(crate) fn copy_strategy(&self) -> &'static str {
        match &self.instance {
            Instance::Url(_) => "",
            _ if self.major >= 15 => " STRATEGY FILE_COPY",
            _ => "",
        }
    }

    /// What names the server's build, for the world cache: None where worlds are not cached
    /// (the url backend, an image not on this machine yet).
    pub(crate) async fn build_id(target: &Target) -> Option<String> {
        match target {
            Target::Local(b) => Some(local::build_id(&b.bindir)),
            Target::Container(image) => container::build_id(&container::runtime().await?, image).await,
            Target::Url => None,
        }
    }

    /// The password of the server's `postgres` account, where connecting needs one.
    pub(crate) fn password(&self) -> Option<String> {
        match &self.instance {
            Instance::Container(c) => Some(c.password.clone()),
            Instance::Local(_) | Instance::Url(_) => None,
        }
    }

    /// Stop the server cleanly and return its data directory: the cluster's own (kept until
    /// the server is dropped), or a copy out of the container under `scratch`.
    pub(crate) async fn stop_keeping_data(
        &mut self,
        scratch: &std::path::Path,
    ) -> std::result::Result<std::path::PathBuf, WorldError> {
        match &mut self.instance {
            Instance::Local(c) => c.stop_clean().map(|()| c.data_dir()),
            Instance::Container(c) => {
                let docker = container::runtime()
                    .await
                    .ok_or_else(|| WorldError::backend_says("the container runtime stopped answering"))?;
                c.stop_and_download(&docker, scratch).await
            }
            Instance::Url(_) => Err(WorldError::backend_says("the url backend's data directory is not kept")),
        }
    }

    /// Stop the backend now (also done on drop).
    pub async fn shutdown(mut self) -> Result<()> {
        match &mut self.instance {
            Instance::Local(c) => {
                c.stop();
                Ok(())
            }
            Instance::Container(c) => {
                c.remove().await;
                Ok(())
            }
            Instance::Url(db) => db.drop_now().await,
        }
    }
}

fn no_binaries_message() -> String {
    "no Postgres server binaries found (looked at `pg_config --bindir`, PATH, /usr/lib/postgresql/*/bin, \
     /usr/pgsql-*/bin and Homebrew's postgresql@*); install the server package (e.g. apt-get install postgresql), \
     or name a version (`--postgres 17`) for plangate to fetch"
        .into()
}

fn no_postgres_message() -> String {
    "no way to get a throwaway Postgres: pass --database-url (or set PLANGATE_DATABASE_URL) for an existing server, \
     install Postgres server binaries for the local backend (e.g. apt-get install postgresql), \
     or run a Docker-API container runtime (Docker, or Podman's socket via DOCKER_HOST) for the container backend"
        .into()
}
