//! A data directory into and out of a container, as the tar streams of the Docker API's
//! archive endpoints, streamed through a blocking thread so that memory does not grow with
//! the directory. What goes in is a cached world as it is kept: a folder, or one tar.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use testcontainers::bollard::Docker;
use testcontainers::bollard::body_full;
use testcontainers::bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};

use crate::cache::FileSum;
use crate::cache::WorldError;

/// Bytes per chunk handed between the tar thread and the connection.
const CHUNK: usize = 1 << 20;

/// Copy the folders `dirs` and files `files` of `root` into `dest` in the container.
pub(super) async fn upload_dir(
    docker: &Docker,
    id: &str,
    root: &Path,
    dirs: &[String],
    files: &[FileSum],
    dest: &str,
) -> Result<(), WorldError> {
    let (root, dirs) = (root.to_path_buf(), dirs.to_vec());
    let files: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    upload_tar(docker, id, dest, move |out| {
        let mut tar = tar::Builder::new(out);
        for d in &dirs {
            tar.append_dir(d, root.join(d))?;
        }
        for f in &files {
            tar.append_path_with_name(root.join(f), f)?;
        }
        tar.into_inner()?.flush()
    })
    .await
}

/// Unpack the tar at `archive` into `dest` in the container.
pub(super) async fn upload_archive(docker: &Docker, id: &str, archive: &Path, dest: &str) -> Result<(), WorldError> {
    let archive = archive.to_path_buf();
    upload_tar(docker, id, dest, move |out| {
        std::io::copy(&mut std::fs::File::open(&archive)?, out)?;
        out.flush()
    })
    .await
}

/// Unpack into `dest` in the container the tar that `write` writes, on a blocking thread,
/// streamed in chunks.
async fn upload_tar(
    docker: &Docker,
    id: &str,
    dest: &str,
    write: impl FnOnce(&mut ChannelWriter) -> std::io::Result<()> + Send + 'static,
) -> Result<(), WorldError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    let writer = tokio::task::spawn_blocking(move || write(&mut ChannelWriter { tx, buf: Vec::with_capacity(CHUNK) }));
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
    let options = UploadToContainerOptions { path: dest.to_string(), ..Default::default() };
    let sent = docker.upload_to_container(id, Some(options), testcontainers::bollard::body_stream(body)).await;
    let written =
        writer.await.map_err(|e| WorldError::backend("the thread reading the cached world stopped")(e.into()))?;
    sent.map_err(|e| WorldError::backend("cannot copy the world into the container")(e.into()))?;
    written.map_err(|e| WorldError::backend("cannot read the cached world")(e.into()))
}

/// Write one file (`path`, absolute) into the container.
pub(super) async fn upload_file(docker: &Docker, id: &str, path: &str, contents: &[u8]) -> Result<(), WorldError> {
    let path = Path::new(path);
    let (dir, name) = (path.parent().unwrap_or(Path::new("/")), path.file_name().unwrap_or_default());
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let failed = |e: std::io::Error| WorldError::backend(format!("cannot pack {}", path.display()))(e.into());
    tar.append_data(&mut header, name, contents).map_err(failed)?;
    let bytes = tar.into_inner().map_err(failed)?;
    let options = UploadToContainerOptions { path: dir.to_string_lossy().into_owned(), ..Default::default() };
    docker
        .upload_to_container(id, Some(options), body_full(bytes.into()))
        .await
        .map_err(|e| WorldError::backend(format!("cannot copy {} into the container", path.display()))(e.into()))
}

/// Copy the folder `src` of a (stopped) container to `dest` on this machine.
pub(super) async fn download_dir(docker: &Docker, id: &str, src: &str, dest: &Path) -> Result<(), WorldError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<bytes::Bytes>(4);
    let raw = dest.with_extension("download");
    let top = Path::new(src).file_name().map(PathBuf::from).unwrap_or_default();
    let target = dest.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut archive = tar::Archive::new(ChannelReader { rx, current: bytes::Bytes::new() });
        archive.set_preserve_permissions(true);
        archive.unpack(&raw)?;
        // Docker's archive holds the folder under its own name; Podman's, its contents.
        let inside = raw.join(&top);
        let folder = if inside.is_dir() && !raw.join("PG_VERSION").exists() { inside } else { raw.clone() };
        std::fs::rename(&folder, &target)?;
        if raw.exists() {
            std::fs::remove_dir_all(&raw)?;
        }
        Ok(())
    });
    let options = DownloadFromContainerOptions { path: src.to_string() };
    let mut stream = docker.download_from_container(id, Some(options));
    let mut failed = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                if tx.send(bytes).is_err() {
                    break;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let unpacked = reader.await.map_err(|e| WorldError::backend("the thread unpacking the world stopped")(e.into()))?;
    if let Some(e) = failed {
        return Err(WorldError::backend("cannot copy the world out of the container")(e.into()));
    }
    unpacked.map_err(|e| WorldError::backend("cannot unpack the world copied out of the container")(e.into()))
}

/// The writing end of a chunked channel, for a tar builder on a blocking thread.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<bytes::Bytes>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = bytes::Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(chunk).map_err(|_| std::io::Error::other("the upload stopped"))
    }
}

/// The reading end of a chunked channel, for a tar reader on a blocking thread.
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.recv() {
                Ok(next) => self.current = next,
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
