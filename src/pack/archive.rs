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
//!
//! The archive is streamed: evidence files are read from the repository while they are written,
//! and only a bounded number of pieces is in memory at once, so memory does not grow with the
//! size of the evidence. Each evidence file must still hash to the SHA-256 it was evaluated with;
//! if it does not, the write fails and nothing is saved.
//!
//! [`save`] writes to a temporary file beside the target and renames it into place, so an
//! interrupted run never leaves a partial pack under the target name; the temporary file is
//! removed on any error, and [`remove_unfinished`] removes it when the process is told to stop.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;

use flate2::{Compression, GzBuilder};
use sha2::{Digest as _, Sha256};

use super::{Body, Contents, Entry, EvidenceCopy};
use crate::repo::{EvidenceState, Tree};

/// Bytes of the tar stream per gzip member.
pub const PIECE: usize = 1 << 20;

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("evidence `{path}` changed after it was evaluated: {why}; run the pack again")]
    Changed { path: String, why: String },
}

/// Writes entries as a `.tar.gz` to `sink`, in the order given, reading evidence entries from
/// `evidence`. Returns the sink.
pub fn write<W: Write>(
    entries: &[Entry],
    mtime: u64,
    evidence: Option<&dyn Tree>,
    sink: W,
) -> Result<W, WriteError> {
    let mut tar = tar::Builder::new(Pieces::new(sink));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("")?;
        header.set_groupname("")?;
        header.set_mtime(mtime);
        header.set_size(entry.size());
        match &entry.body {
            Body::Bytes(bytes) => tar.append_data(&mut header, &entry.path, bytes.as_slice())?,
            Body::Evidence(copy) => {
                let changed = |why: String| WriteError::Changed {
                    path: copy.source.clone(),
                    why,
                };
                let tree =
                    evidence.ok_or_else(|| changed("no repository to read it from".into()))?;
                let mut reader = Checked::open(tree, copy).map_err(changed)?;
                tar.append_data(&mut header, &entry.path, &mut reader)?;
                reader.finish(copy).map_err(changed)?;
            }
        }
    }
    let pieces = tar.into_inner()?;
    Ok(pieces.finish()?)
}

/// An evidence file being copied: at most its evaluated size is read, and its SHA-256 is
/// computed on the way.
struct Checked {
    inner: io::Take<Box<dyn Read + Send>>,
    hasher: Sha256,
    read: u64,
}

impl Checked {
    fn open(tree: &dyn Tree, copy: &EvidenceCopy) -> Result<Self, String> {
        let file = match tree.open_evidence(&copy.source) {
            (EvidenceState::Present, Some(Ok(file))) => file,
            (EvidenceState::Present, Some(Err(e))) => return Err(format!("cannot read it: {e}")),
            (EvidenceState::Escapes, _) => {
                return Err("it now resolves outside the repository".to_string());
            }
            (EvidenceState::Missing | EvidenceState::Present, _) => {
                return Err("it is no longer a file".to_string());
            }
        };
        if file.size != copy.size {
            return Err(format!(
                "it is now {} bytes, it was {} bytes",
                file.size, copy.size
            ));
        }
        Ok(Checked {
            inner: file.reader.take(copy.size),
            hasher: Sha256::new(),
            read: 0,
        })
    }

    /// Whether what was read is exactly the evaluated file.
    fn finish(mut self, copy: &EvidenceCopy) -> Result<(), String> {
        if self.read != copy.size {
            return Err(format!(
                "{} bytes could be read, it was {} bytes",
                self.read, copy.size
            ));
        }
        let mut more = [0u8; 1];
        if self
            .inner
            .get_mut()
            .read(&mut more)
            .map_err(|e| e.to_string())?
            > 0
        {
            return Err(format!("it grew beyond {} bytes", copy.size));
        }
        let hash = base16ct::lower::encode_string(&self.hasher.finalize());
        if hash != copy.sha256 {
            return Err(format!("its SHA-256 is now {hash}, it was {}", copy.sha256));
        }
        Ok(())
    }
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        self.read += n as u64;
        Ok(n)
    }
}

/// The tar stream cut into [`PIECE`]-byte pieces, each compressed as one gzip member on the
/// rayon pool while the stream goes on, and written to the sink in order. At most
/// [`Pieces::max_in_flight`] pieces are held at once.
struct Pieces<W> {
    sink: W,
    piece: Vec<u8>,
    in_flight: VecDeque<mpsc::Receiver<io::Result<Vec<u8>>>>,
    max_in_flight: usize,
}

fn compress(piece: &[u8]) -> io::Result<Vec<u8>> {
    let mut gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::with_capacity(piece.len() / 2), Compression::fast());
    gz.write_all(piece)?;
    gz.finish()
}

impl<W: Write> Pieces<W> {
    fn new(sink: W) -> Self {
        Pieces {
            sink,
            piece: Vec::with_capacity(PIECE),
            in_flight: VecDeque::new(),
            max_in_flight: (2 * rayon::current_num_threads()).clamp(2, 16),
        }
    }

    /// Hands the full piece to the pool, or compresses it here when this thread is one of the
    /// pool's (waiting for the pool from inside it could wait forever).
    fn submit(&mut self) -> io::Result<()> {
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE));
        if rayon::current_thread_index().is_some() {
            while !self.in_flight.is_empty() {
                self.drain_one()?;
            }
            let member = compress(&piece)?;
            return self.sink.write_all(&member);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        rayon::spawn(move || {
            let _ = tx.send(compress(&piece));
        });
        self.in_flight.push_back(rx);
        while self.in_flight.len() > self.max_in_flight {
            self.drain_one()?;
        }
        Ok(())
    }

    fn drain_one(&mut self) -> io::Result<()> {
        let Some(rx) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let member = rx
            .recv()
            .map_err(|_| io::Error::other("a compression task stopped"))??;
        self.sink.write_all(&member)
    }

    fn finish(mut self) -> io::Result<W> {
        if !self.piece.is_empty() {
            self.submit()?;
        }
        while !self.in_flight.is_empty() {
            self.drain_one()?;
        }
        Ok(self.sink)
    }
}

impl<W: Write> Write for Pieces<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = PIECE - self.piece.len();
        let n = buf.len().min(room);
        self.piece
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        if self.piece.len() == PIECE {
            self.submit()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why a pack could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("`{}` already exists; pass --force to overwrite it", .0.display())]
    Exists(PathBuf),
    #[error(
        "`{}` is {kind}, not a regular file; a pack is written only to a new path or over a \
         regular file, even with --force",
        .path.display()
    )]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("cannot write `{}`: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("`{}` was not written: {source}", .path.display())]
    Evidence { path: PathBuf, source: WriteError },
}

/// What a path is, for [`SaveError::NotAFile`].
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// Whether a pack may be written at `target`: a path that does not exist, or (with `force`) a
/// regular file. A directory, a symbolic link, a FIFO or a device is refused even with `force`:
/// replacing a link would not write where it points, and the others are not a place for a file.
pub fn check_target(target: &Path, force: bool) -> Result<(), SaveError> {
    match std::fs::symlink_metadata(target) {
        Ok(m) if !m.file_type().is_file() => Err(SaveError::NotAFile {
            path: target.to_path_buf(),
            kind: kind_of(m.file_type()),
        }),
        Ok(_) if !force => Err(SaveError::Exists(target.to_path_buf())),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SaveError::Io {
            path: target.to_path_buf(),
            source,
        }),
    }
}

/// Temporary files being written, removed by [`remove_unfinished`].
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn unfinished() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary file listed in [`UNFINISHED`] while it lives.
struct Listed(PathBuf);

impl Listed {
    fn new(path: &Path) -> Self {
        unfinished().push(path.to_path_buf());
        Listed(path.to_path_buf())
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        unfinished().retain(|p| p != &self.0);
    }
}

/// Removes the temporary files of every pack being written. For a signal handler: the process
/// is about to end without running destructors, which would otherwise leave them behind.
pub fn remove_unfinished() {
    for path in unfinished().drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// Saves a pack at `target` atomically, reading its evidence from `evidence`. Without `force`,
/// an existing file is left alone.
pub fn save(
    target: &Path,
    force: bool,
    contents: &Contents,
    evidence: Option<&dyn Tree>,
) -> Result<(), SaveError> {
    save_with(target, force, contents, evidence, |f| f)
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
    evidence: Option<&dyn Tree>,
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
    check_target(target, force)?;
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
    let listed = Listed::new(tmp.path());
    {
        let file = tmp.as_file().try_clone().map_err(io_err)?;
        let sink = BufWriter::new(wrap(file));
        let mut sink = match write(&contents.entries, contents.mtime(), evidence, sink) {
            Ok(sink) => sink,
            Err(WriteError::Io(source)) => return Err(io_err(source)),
            Err(source) => {
                return Err(SaveError::Evidence {
                    path: target.to_path_buf(),
                    source,
                });
            }
        };
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
    // The target may have changed kind while the pack was written.
    check_target(target, force)?;
    let persisted = if force {
        tmp.persist(target)
    } else {
        tmp.persist_noclobber(target)
    };
    drop(listed);
    match persisted {
        Ok(_) => Ok(()),
        Err(e) if !force && e.error.kind() == io::ErrorKind::AlreadyExists => {
            Err(SaveError::Exists(target.to_path_buf()))
        }
        Err(e) => Err(io_err(e.error)),
    }
}
