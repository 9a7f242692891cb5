//! Writing the files users keep (baselines, the config): through a temporary file in the
//! same folder, synced, then renamed over the target, so a reader never sees half a file and
//! an interrupted write leaves the old one.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Write `text` to `path` atomically; errors name `path`.
pub(crate) fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let err = |source: std::io::Error| Error::Write { path: path.to_path_buf(), source };
    let mut tmp = tempfile::Builder::new().prefix(".plangate-").suffix(".tmp").tempfile_in(dir).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
