//! The container backend: a throwaway Postgres from any image that behaves like the official
//! postgres image, through testcontainers and a Docker-API socket (Docker, or Podman's).
//!
//! Started with the same disposable settings as the local backend plus the user's, its data
//! directory where the image puts it (PGDATA, on disk: a production-sized catalog may not fit
//! in memory), its port published on the loopback only. Ready means a connection
//! succeeded (never a sleep or a log line: the official image logs "ready to accept
//! connections" once for its temporary init server and once for the real one). Removed when
//! the run ends; every container carries this run's label, so one created by a start that
//! was interrupted half-way is found and removed too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use testcontainers::bollard::Docker;
use testcontainers::bollard::models::PortBinding;
use testcontainers::bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};
use testcontainers::core::{CmdWaitFor, ExecCommand, IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::archive;
use crate::cache::Layout;
use crate::cache::{Entry, WorldError};
use crate::config::image::ImageRef;
use crate::error::{Error, Result, chain};

/// The label every container of this run carries: `dev.plangate.run=<pid>-<start time>`.
pub(crate) const RUN_LABEL: &str = "dev.plangate.run";
/// The label naming the plangate process that started a container: its machine's name, its
/// pid and its start time, so that a later run on that machine knows when it is gone.
const OWNER_LABEL: &str = "dev.plangate.owner";
/// How long an image may take from `docker start` to a usable connection.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// The file that lets a container waiting for its data go on.
const GO: &str = "/tmp/plangate-go";
/// How long a Docker-API socket may take to answer a ping.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// A running throwaway Postgres container. Removed by [`Container::remove`], or on drop.
pub(crate) struct Container {
    inner: Option<ContainerAsync<GenericImage>>,
    pub image: String,
    host: String,
    port: u16,
    pub(crate) password: String,
    /// Where the image keeps the data directory (its `PGDATA`).
    pgdata: String,
    /// Whether the data directory is a cached world's rather than the image's initdb's.
    pub(crate) restored: bool,
    pub(crate) restore_ms: u64,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("id", &self.inner.as_ref().map(|c| c.id().to_string()))
            .field("image", &self.image)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// This run's label value, the same for every container it starts.
pub(crate) fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        format!("{}-{nanos}", std::process::id())
    })
}

/// Where the Docker API is: `DOCKER_HOST`, else the default socket.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "unix:///var/run/docker.sock".into())
}

/// A client for the Docker API when a runtime answers there, else None.
pub async fn runtime() -> Option<Docker> {
    let docker = Docker::connect_with_defaults().ok()?;
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => Some(docker),
        _ => None,
    }
}

/// Why there is no container runtime, and how to get one.
pub(crate) fn no_runtime_message() -> String {
    let host = docker_host();
    let podman = "/run/podman/podman.sock";
    let podman_hint = if std::env::var_os("DOCKER_HOST").is_none() && std::path::Path::new(podman).exists() {
        format!("; Podman's socket exists at {podman}: export DOCKER_HOST=unix://{podman}")
    } else {
        String::new()
    };
    format!(
        "the container backend needs a Docker-API container runtime, and none answered at {host}{podman_hint}. \
         Start Docker, or Podman's API service (`podman system service --time=0 unix://{podman}` and \
         DOCKER_HOST=unix://{podman}; on Debian without a registry, `bash ci/container-runtime.sh` sets this up), \
         or use --backend local (Postgres server binaries) or --database-url"
    )
}

impl Container {
    /// Start `image` with the disposable settings plus the user's, and wait until it accepts
    /// a connection. With a `world` that is intact, on a copy of its data directory: the
    /// container waits before its entrypoint runs until the data is in `PGDATA`, so that the
    /// image finds a cluster there and runs no initdb. A damaged world is not copied, and
    /// the image starts as it always does.
    pub(crate) async fn start_from(
        docker: &Docker,
        image: &str,
        settings: &[(String, String)],
        world: Option<&Entry>,
        password: Option<&str>,
    ) -> Result<Container> {
        let ImageRef { name, tag } = image.parse().map_err(|e| Error::postgres(format!("cannot start {image}"), e))?;
        let inspected = docker.inspect_image(image).await.ok();
        let present = inspected.is_some();
        if !present {
            crate::progress::global().line(&format!("image {image} is not on this machine: pulling it"));
        }
        let pgdata = inspected
            .and_then(|i| i.config)
            .and_then(|c| c.env)
            .and_then(|env| env.iter().find_map(|e| e.strip_prefix("PGDATA=").map(str::to_string)))
            .unwrap_or_else(|| "/var/lib/postgresql/data".into());
        let password = world
            .and_then(|w| w.meta.password.clone())
            .or(password.map(str::to_string))
            .unwrap_or_else(|| format!("plangate-{}", run_id()));
        let mut cmd = vec!["postgres".to_string()];
        for (k, v) in
            super::DISPOSABLE.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).chain(settings.to_vec())
        {
            cmd.push("-c".into());
            cmd.push(format!("{k}={v}"));
        }
        if world.is_some() {
            // The image's entrypoint, once the data (or a go-ahead without it) is there,
            // given to the server's account as initdb would have left it.
            let wait = format!(
                "until [ -e {GO} ]; do sleep 0.02; done; \
                 if [ -s \"$PGDATA/PG_VERSION\" ]; then chown -R postgres:postgres \"$PGDATA\" && chmod 700 \"$PGDATA\"; fi; \
                 exec docker-entrypoint.sh \"$@\""
            );
            cmd.splice(0..0, ["sh".to_string(), "-c".into(), wait, "sh".into()]);
        }
        let host = connect_host();
        let loopback = host == "127.0.0.1";
        let request = GenericImage::new(name, tag)
            .with_exposed_port(5432.tcp())
            .with_wait_for(WaitFor::Nothing)
            .with_env_var("POSTGRES_PASSWORD", password.clone())
            .with_env_var("POSTGRES_INITDB_ARGS", "--no-sync --encoding=UTF8 --locale=C")
            .with_shm_size(256 << 20)
            .with_label(RUN_LABEL, run_id())
            .with_label(OWNER_LABEL, owner())
            .with_label("dev.plangate.image", image)
            .with_cmd(cmd)
            .with_startup_timeout(READY_TIMEOUT)
            .with_host_config_modifier(move |hc| {
                // Publish 5432 on the loopback only, on a port the runtime picks. (Podman
                // reports ports published to all addresses with an empty HostIp.)
                if loopback {
                    hc.publish_all_ports = Some(false);
                    let binding = PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) };
                    hc.port_bindings = Some(HashMap::from([("5432/tcp".to_string(), Some(vec![binding]))]));
                }
            });
        let started = match request.start().await {
            Ok(c) => c,
            Err(e) => {
                reap(docker).await;
                return Err(Error::no_postgres(if present {
                    format!("cannot start a container from image {image}: {e}")
                } else {
                    format!(
                        "image {image} is not on this machine and could not be pulled ({e}); pull or build it first \
                         (`docker pull {image}` or `podman pull {image}`), or name an image that exists with \
                         --image or [database] image"
                    )
                }));
            }
        };
        let port = match started.get_host_port_ipv4(5432.tcp()).await {
            Ok(p) => p,
            Err(e) => {
                let _ = started.rm().await;
                return Err(
                    Error::no_postgres(format!("the container of {image} publishes no port for 5432: {e}")).because(e)
                );
            }
        };
        let mut container = Container {
            inner: Some(started),
            image: image.to_string(),
            host,
            port,
            password,
            pgdata,
            restored: false,
            restore_ms: 0,
        };
        if let Some(world) = world {
            let t = Instant::now();
            match container.restore(docker, world).await {
                Ok(()) => container.restored = true,
                Err(why) => {
                    let why = chain(&why);
                    crate::progress::global().line(&format!("the cached world is damaged ({why}); building it again"));
                }
            }
            container.restore_ms = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
            if let Err(e) = container.go(docker).await {
                container.remove().await;
                return Err(e);
            }
        }
        if let Err(e) = container.wait_ready().await {
            container.remove().await;
            return Err(e);
        }
        Ok(container)
    }

    fn id(&self) -> String {
        self.inner.as_ref().map(|c| c.id().to_string()).unwrap_or_default()
    }

    /// Check a cached world against its manifest and copy it into `PGDATA`.
    async fn restore(&self, docker: &Docker, world: &Entry) -> std::result::Result<(), WorldError> {
        let ((layout, kept), files) = (world.kept(), world.meta.files.clone());
        let checked = kept.clone();
        tokio::task::spawn_blocking(move || crate::cache::verify(layout, &checked, &files))
            .await
            .map_err(|e| WorldError::backend("the thread checking the cached world stopped")(e.into()))??;
        world.touch();
        match layout {
            Layout::Archive => archive::upload_archive(docker, &self.id(), &kept, &self.pgdata).await,
            Layout::Folder => {
                archive::upload_dir(docker, &self.id(), &kept, &world.meta.dirs, &world.meta.files, &self.pgdata).await
            }
        }
    }

    /// Let the waiting entrypoint go on.
    async fn go(&self, docker: &Docker) -> Result<()> {
        archive::upload_file(docker, &self.id(), GO, b"").await.map_err(|e| {
            Error::no_postgres(format!("cannot start Postgres in the container of {}: {}", self.image, chain(&e)))
                .because(e)
        })
    }

    /// Stop the server cleanly (the image stops Postgres with a fast shutdown) and copy its
    /// data directory out, into `into`/data.
    pub(crate) async fn stop_and_download(
        &mut self,
        docker: &Docker,
        into: &Path,
    ) -> std::result::Result<PathBuf, WorldError> {
        let Some(c) = &self.inner else { return Err(WorldError::backend_says("the container is gone")) };
        c.stop_with_timeout(Some(120)).await.map_err(|e| WorldError::backend("cannot stop the container")(e.into()))?;
        let data = into.join("data");
        archive::download_dir(docker, &self.id(), &self.pgdata, &data).await?;
        Ok(data)
    }

    /// Connect until the server answers; fail early, with its log, when the container exits.
    async fn wait_ready(&self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let opts = self.connect_options("template1");
        let mut attempt = 0u32;
        loop {
            let last = match tokio::time::timeout(Duration::from_secs(2), PgConnection::connect_with(&opts)).await {
                Ok(Ok(conn)) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                Ok(Err(e)) => e.to_string(),
                Err(_) => "connection attempt timed out".to_string(),
            };
            attempt += 1;
            if attempt % 20 == 0 && !self.running().await {
                return Err(Error::no_postgres(format!(
                    "the container of image {} exited before Postgres accepted a connection; its last log lines:\n{}",
                    self.image,
                    self.log_tail().await
                )));
            }
            if Instant::now() > deadline {
                return Err(Error::no_postgres(format!(
                    "Postgres in image {} did not accept a connection within {} s (last error: {last})",
                    self.image,
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether the server stopped on its own, with the end of its log.
    pub(crate) async fn crash_report(&self) -> Option<String> {
        if self.running().await {
            return None;
        }
        Some(format!("the container of image {} stopped; the end of its log:\n{}", self.image, self.log_tail().await))
    }

    async fn running(&self) -> bool {
        match &self.inner {
            Some(c) => c.is_running().await.unwrap_or(false),
            None => false,
        }
    }

    async fn log_tail(&self) -> String {
        let Some(c) = &self.inner else { return String::new() };
        let mut text = String::from_utf8_lossy(&c.stdout_to_vec().await.unwrap_or_default()).into_owned();
        text.push_str(&String::from_utf8_lossy(&c.stderr_to_vec().await.unwrap_or_default()));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    }

    /// Where the published port is reached (host, port).
    pub(crate) fn address(&self) -> (String, u16) {
        (self.host.clone(), self.port)
    }

    /// Run a command in the container (as its default user) and wait for it: its exit code,
    /// stdout and stderr.
    pub(crate) async fn exec(&self, command: &[&str]) -> Result<(Option<i64>, Vec<u8>, Vec<u8>)> {
        let Some(c) = &self.inner else { return Err(Error::no_postgres("the container is gone")) };
        let what = || format!("cannot run `{}` in the container of {}", command.join(" "), self.image);
        let exec = ExecCommand::new(command.iter().copied()).with_cmd_ready_condition(CmdWaitFor::exit());
        let mut result = c.exec(exec).await.map_err(|e| Error::postgres(what(), e))?;
        let stdout = result.stdout_to_vec().await.map_err(|e| Error::postgres(what(), e))?;
        let stderr = result.stderr_to_vec().await.map_err(|e| Error::postgres(what(), e))?;
        let code = result.exit_code().await.map_err(|e| Error::postgres(what(), e))?;
        Ok((code, stdout, stderr))
    }

    pub(crate) fn connect_options(&self, db: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username("postgres")
            .password(&self.password)
            .database(db)
    }

    /// Stop and remove the container now.
    pub(crate) async fn remove(&mut self) {
        if let Some(c) = self.inner.take() {
            let _ = c.rm().await;
        }
    }
}

/// What names an image's build, for the world cache: its name and id; None when the image
/// is not on this machine yet.
pub(crate) async fn build_id(docker: &Docker, image: &str) -> Option<String> {
    let id = docker.inspect_image(image).await.ok()?.id?;
    Some(format!("{image} {id}"))
}

/// Where the published port is reached: the host of a `tcp://` `DOCKER_HOST`, else the
/// loopback. (testcontainers' own guess answers the bridge gateway when `/.dockerenv` exists.)
fn connect_host() -> String {
    let host = docker_host();
    host.strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
        .and_then(|rest| rest.split([':', '/']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1")
        .to_string()
}

/// Remove every container this run created, whatever state it is in.
pub(crate) async fn reap(docker: &Docker) {
    reap_run(docker, run_id()).await;
}

/// Remove every container of run `run`.
async fn reap_run(docker: &Docker, run: &str) {
    let filters = HashMap::from([("label".to_string(), vec![format!("{RUN_LABEL}={run}")])]);
    let options = ListContainersOptions { all: true, filters: Some(filters), ..Default::default() };
    let Ok(list) = docker.list_containers(Some(options)).await else { return };
    for c in list {
        if let Some(id) = c.id {
            let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
            let _ = docker.remove_container(&id, Some(options)).await;
        }
    }
}

/// [`reap`] when this run used the container backend; for the signal path.
pub async fn reap_if_used() {
    if USED.get().is_some()
        && let Some(docker) = runtime().await
    {
        reap(&docker).await;
    }
}

/// Set once the container backend has been asked for.
pub(crate) static USED: OnceLock<()> = OnceLock::new();

/// This process as a container's owner label says it: machine, pid, start time.
fn owner() -> String {
    format!("{} {}", hostname(), super::watchdog::owner_line().trim())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default()
}

/// Remove the containers that a plangate on this machine started and that outlived it
/// (it and its reaper were killed at once); says what it removed. A container of another
/// machine's plangate, or of one still running, or without plangate's label, is left alone.
pub(crate) async fn sweep(docker: &Docker) -> Vec<String> {
    let filters = HashMap::from([("label".to_string(), vec![OWNER_LABEL.to_string()])]);
    let options = ListContainersOptions { all: true, filters: Some(filters), ..Default::default() };
    let Ok(list) = docker.list_containers(Some(options)).await else { return Vec::new() };
    let here = hostname();
    let mut removed = Vec::new();
    for c in list {
        let Some(owner) = c.labels.as_ref().and_then(|l| l.get(OWNER_LABEL)) else { continue };
        let Some((host, process)) = owner.split_once(' ') else { continue };
        if host != here || super::watchdog::owner_alive(process) {
            continue;
        }
        let Some(id) = c.id else { continue };
        let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        if docker.remove_container(&id, Some(options)).await.is_ok() {
            let image = c.image.unwrap_or_default();
            removed.push(format!("container {} ({image})", &id[..id.len().min(12)]));
        }
    }
    removed
}

/// The reaper of this run's containers: plangate itself, started as a watchdog, which
/// removes them when this process is gone without disarming it (SIGKILL, the OOM killer, a
/// CI job's timeout). Started once, with the first container.
static REAPER: std::sync::Mutex<Option<super::watchdog::Watchdog>> = std::sync::Mutex::new(None);

/// Start the reaper, unless it runs already.
pub(crate) fn arm_reaper() {
    let mut reaper = REAPER.lock().expect("reaper lock");
    if reaper.is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut command = std::process::Command::new(exe);
    command.args([REAP_COMMAND, run_id()]).env("DOCKER_HOST", docker_host());
    *reaper = super::watchdog::Watchdog::spawn(command);
}

/// This run ends with its containers removed by their guards: the reaper goes untouched.
pub fn disarm_reaper() {
    if let Some(w) = REAPER.lock().ok().and_then(|mut r| r.take()) {
        w.disarm();
    }
}

/// The hidden subcommand the reaper runs as (`cli::Command::ReapContainers`).
const REAP_COMMAND: &str = "__reap-containers";

/// The reaper's side: wait until the plangate that started it closes the pipe, and unless
/// it said `done`, remove the containers of its run.
pub async fn reap_when_gone(run: &str) {
    let said = tokio::task::spawn_blocking(|| {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text);
        text
    })
    .await
    .unwrap_or_default();
    if said.trim() == "done" {
        return;
    }
    if let Some(docker) = runtime().await {
        reap_run(&docker, run).await;
    }
}
