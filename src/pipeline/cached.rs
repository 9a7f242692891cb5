//! The world cache as one measuring run uses it: the key of the world this run describes,
//! the entry found under it, and keeping a world built here.

use crate::cache::store::Lookup;
use crate::cache::{Cache, Entry, EntryMeta, WorldKey};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::postgres::{Server, Target};
use crate::progress::line as progress;
use std::sync::Arc;

use super::Finished;

/// The world cache as one target uses it: the key of the world this run describes, and
/// the entry found under it.
pub(super) struct CacheUse {
    pub(super) cache: Cache,
    pub(super) key: WorldKey,
    pub(super) build: String,
    pub(super) entry: Option<Arc<Entry>>,
}

/// The cache, the key and a hit, where this target's worlds are cached.
pub(super) async fn cache_use(settings: &Settings, target: &Target) -> Result<Option<CacheUse>> {
    let Some(cache) = settings.cache.as_ref().map(Cache::from) else { return Ok(None) };
    // A cache that cannot be written is said before anything starts.
    std::fs::create_dir_all(&cache.root)
        .and_then(|()| nix::unistd::access(&cache.root, nix::unistd::AccessFlags::W_OK).map_err(std::io::Error::from))
        .map_err(|source| Error::CacheUnwritable { path: cache.root.clone(), source })?;
    for left in cache.sweep_tmp() {
        progress(&format!("removed what an earlier run left behind: {}", left.display()));
    }
    let Some(build) = Server::build_id(target).await else { return Ok(None) };
    let key = crate::cache::key::compute(settings, &build);
    let entry = match cache.lookup(&key.hex) {
        Lookup::Hit(e) => Some(Arc::new(*e)),
        Lookup::Miss => None,
        Lookup::Corrupt(why) => {
            progress(&format!("the cached world {} could not be read ({why}); building it again", key.short()));
            None
        }
    };
    Ok(Some(CacheUse { cache, key, build, entry }))
}

/// Stop the server cleanly and keep its data as the world of `c.key`. A world that
/// cannot be kept is said, not an error: the run's results stand.
pub(super) async fn save(server: &mut Server, c: &CacheUse, session: &Finished, scales: &[f64]) -> bool {
    let meta = EntryMeta {
        postgres_version: server.version.clone(),
        scales: scales.to_vec(),
        databases: session.kept.iter().map(|(db, _)| db.clone().unwrap_or_default()).collect(),
        table_rows: session.kept.iter().map(|(_, rows)| rows.clone()).collect(),
        notes: session.data_notes.clone(),
        index_statements: c.key.index_statements.clone(),
        password: server.password(),
        ..EntryMeta::new(&c.key.hex, &c.build)
    };
    // The scratch folder (a container's data, copied out) goes once the world is kept.
    let kept = match c.cache.scratch() {
        Ok(dir) => server.stop_keeping_data(dir.path()).await.and_then(|data| c.cache.publish(&data, meta, true)),
        Err(e) => Err(e),
    };
    match kept {
        Ok(bytes) => {
            progress(&format!(
                "world cache: kept this world ({}) as {} in {}",
                crate::cache::human_size(bytes),
                c.key.short(),
                c.cache.root.display()
            ));
            true
        }
        Err(why) => {
            progress(&format!("world cache: this world was not kept: {}", crate::error::chain(&why)));
            false
        }
    }
}
