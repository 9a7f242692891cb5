//! Why a world could not be kept, read back or handed to a server: what was being done,
//! on which file, and the error underneath.

use std::path::PathBuf;

/// A world that could not be kept or restored. The run goes on without the cache: callers
/// say it with [`crate::error::chain`], which shows the causes too.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WorldError {
    /// A file operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The entry's metadata does not parse.
    #[error("its entry.json does not parse")]
    Entry(#[source] serde_json::Error),
    /// The entry's archive cannot be read as a tar.
    #[error("world.tar is damaged")]
    Archive(#[source] std::io::Error),
    /// A kept file differs from what the entry's manifest says (named in the detail).
    #[error("{0}")]
    Damaged(String),
    /// The world is larger than the cache may grow.
    #[error("the world takes {size}, more than the cache's bound of {bound} (PLANGATE_CACHE_MAX_SIZE)")]
    TooLarge { size: String, bound: String },
    /// The server or its container could not stop or hand its data over.
    #[error("{what}")]
    Backend {
        what: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl WorldError {
    /// A failed file operation on `path`.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> WorldError {
        let path = path.into();
        move |source| WorldError::Io { action, path, source }
    }

    /// The backend failed at `what`, because of `source`.
    pub(crate) fn backend(
        what: impl Into<String>,
    ) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> WorldError {
        let what = what.into();
        move |source| WorldError::Backend { what, source: Some(source) }
    }

    /// The backend cannot do `what`, and no other error says why.
    pub(crate) fn backend_says(what: impl Into<String>) -> WorldError {
        WorldError::Backend { what: what.into(), source: None }
    }
}
