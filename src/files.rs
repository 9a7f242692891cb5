//! Writing the files users keep (baselines, the config, `--output` files): through a temporary file in the
//! same folder, synced, then renamed over the target, so a reader never sees half a file and
//! an interrupted write leaves the old one.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Write `bytes` to `path` atomically, readable by all as a file written plainly would be;
/// errors name `path`.
pub(crate) fn write_atomically(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let err = |source: std::io::Error| Error::Write { path: path.to_path_buf(), source };
    let mut tmp = tempfile::Builder::new()
        .prefix(".plangate-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes.as_ref()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old and longer than the new").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_in_a_missing_folder_is_a_write_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/report.json");
        let e = write_atomically(&path, b"x").unwrap_err();
        assert!(matches!(&e, Error::Write { path: p, .. } if *p == path), "{e:?}");
    }
}
