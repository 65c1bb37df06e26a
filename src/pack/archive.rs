//! Writing a pack: a gzipped ustar/GNU tar whose bytes depend only on its entries.
//!
//! Headers are built by hand (regular files, mode 0644, uid and gid 0, empty user and group
//! names, one fixed modification time); the gzip header carries no time and no operating system.
//! Compression is deflate's fastest level: on report-like text it is an order of magnitude faster
//! than the default level for packs about 1.5× larger, and evidence that is already compressed
//! (PDF, images, archives) gains nothing from a higher level. The tar stream is cut into pieces of
//! [`PIECE`] bytes that are compressed in parallel, each as one gzip member; a gzip file of several
//! members decompresses to their concatenation (RFC 1952, 2.2), which `gzip`, `tar` and every
//! zlib-based reader handle. The pieces depend only on the entries, so the bytes do too.
//! [`save`] writes to a temporary file beside the target and renames it into place, so an
//! interrupted run never leaves a partial pack under the target name.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};
use rayon::prelude::*;

use super::{Contents, Entry};

/// Bytes of the tar stream per gzip member.
pub const PIECE: usize = 1 << 20;

/// Writes entries as a `.tar.gz` to `sink`, in the order given. Returns the sink.
pub fn write<W: Write>(entries: &[Entry], mtime: u64, mut sink: W) -> io::Result<W> {
    let size: usize = entries.iter().map(|e| e.bytes.len() + 1024).sum();
    let mut tar = tar::Builder::new(Vec::with_capacity(size + 1024));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("")?;
        header.set_groupname("")?;
        header.set_mtime(mtime);
        header.set_size(entry.bytes.len() as u64);
        tar.append_data(&mut header, &entry.path, entry.bytes.as_slice())?;
    }
    let stream = tar.into_inner()?;
    let members: Vec<io::Result<Vec<u8>>> = stream
        .par_chunks(PIECE)
        .map(|piece| {
            let mut gz = GzBuilder::new()
                .mtime(0)
                .operating_system(255)
                .write(Vec::with_capacity(piece.len() / 2), Compression::fast());
            gz.write_all(piece)?;
            gz.finish()
        })
        .collect();
    for member in members {
        sink.write_all(&member?)?;
    }
    Ok(sink)
}

/// Why a pack could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("`{}` already exists; pass --force to overwrite it", .0.display())]
    Exists(PathBuf),
    #[error("cannot write `{}`: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Saves a pack at `target` atomically. Without `force`, an existing file is left alone.
pub fn save(target: &Path, force: bool, contents: &Contents) -> Result<(), SaveError> {
    save_with(target, force, contents, |f| f)
}

/// [`save`], writing through `wrap` (tests inject failing writers here).
///
/// The archive goes to a hidden temporary file in the target's directory, is flushed and synced,
/// and is then renamed over the target — or linked without replacing, when `force` is off, so a
/// file that appeared meanwhile is not clobbered either. On any error the temporary file is
/// removed and the target is untouched.
pub fn save_with<W, F>(
    target: &Path,
    force: bool,
    contents: &Contents,
    wrap: F,
) -> Result<(), SaveError>
where
    W: Write,
    F: FnOnce(File) -> W,
{
    let io_err = |source| SaveError::Io {
        path: target.to_path_buf(),
        source,
    };
    if !force && target.exists() {
        return Err(SaveError::Exists(target.to_path_buf()));
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err)?;
    {
        let file = tmp.as_file().try_clone().map_err(io_err)?;
        let sink = BufWriter::new(wrap(file));
        let mut sink = write(&contents.entries, contents.mtime(), sink).map_err(io_err)?;
        sink.flush().map_err(io_err)?;
    }
    tmp.as_file().sync_all().map_err(io_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io_err)?;
    }
    let persisted = if force {
        tmp.persist(target)
    } else {
        tmp.persist_noclobber(target)
    };
    match persisted {
        Ok(_) => Ok(()),
        Err(e) if !force && e.error.kind() == io::ErrorKind::AlreadyExists => {
            Err(SaveError::Exists(target.to_path_buf()))
        }
        Err(e) => Err(io_err(e.error)),
    }
}
