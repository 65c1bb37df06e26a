//! Reading files that may be hostile: a repository's files are input written by someone else.
//!
//! Every file mrm reads from disk (model metadata and adapter files, `mrm.toml`, `waivers.toml`,
//! policies, evidence) goes through [`read_regular`] or [`digest_regular`]. Both check what the
//! path is before reading anything: a FIFO, socket or device is refused without a blocking open
//! (reading a FIFO would wait for a writer forever), and a file over its limit is refused from
//! its size, without reading it. The file is then opened without following a final link and
//! without blocking, checked again on the open handle (it may have been swapped in between), and
//! read through a bound, so no more than the limit is ever held in memory.
//!
//! Refusals are typed ([`Refusal`]) inside the `io::Error` they travel in, so that the stage that
//! reports them builds one located diagnostic per kind ([`diagnostic`]).

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Location;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A FIFO, socket, device or directory where a regular file is expected.
    NotAFile { kind: &'static str },
    /// Larger than the limit for its kind of file.
    TooLarge { size: u64, limit: u64 },
    /// The path, or a link on it, leads outside the repository.
    Escapes,
    /// A file or folder name on the path is not valid UTF-8, so no metadata can name it.
    PathNotUtf8,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAFile { kind } => write!(f, "it is {kind}, not a regular file"),
            Refusal::TooLarge { size, limit } => {
                write!(f, "it is {size} bytes, more than the limit of {limit}")
            }
            Refusal::Escapes => f.write_str("it resolves outside the repository"),
            Refusal::PathNotUtf8 => f.write_str("its path is not valid UTF-8"),
        }
    }
}

impl std::error::Error for Refusal {}

impl Refusal {
    /// The refusal as an `io::Error`, so that it travels through [`crate::repo::Tree`] reads.
    pub fn into_io(self) -> io::Error {
        let kind = match self {
            Refusal::NotAFile { .. } => io::ErrorKind::InvalidInput,
            Refusal::TooLarge { .. } => io::ErrorKind::InvalidData,
            Refusal::Escapes => io::ErrorKind::PermissionDenied,
            Refusal::PathNotUtf8 => io::ErrorKind::InvalidFilename,
        };
        io::Error::new(kind, self)
    }

    /// The refusal an `io::Error` carries, if it is one.
    pub fn of(e: &io::Error) -> Option<&Refusal> {
        e.get_ref()?.downcast_ref::<Refusal>()
    }
}

/// What a file system entry is, in words, when it is not a regular file.
fn not_a_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    if t.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Checks an entry's type and size without opening it.
fn check(meta: &std::fs::Metadata, limit: u64) -> io::Result<()> {
    if let Some(kind) = not_a_file(meta) {
        return Err(Refusal::NotAFile { kind }.into_io());
    }
    if meta.len() > limit {
        return Err(Refusal::TooLarge {
            size: meta.len(),
            limit,
        }
        .into_io());
    }
    Ok(())
}

/// Opens a file for reading without blocking (a FIFO swapped in after the type check opens at
/// once rather than waiting for a writer), without following a final link and without making a
/// terminal the controlling one.
fn open(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Opens a regular file after checking its type and size, and checks both again on the handle.
pub fn open_regular(path: &Path, limit: u64) -> io::Result<(std::fs::File, u64)> {
    check(&std::fs::symlink_metadata(path)?, limit)?;
    let file = open(path)?;
    let meta = file.metadata()?;
    check(&meta, limit)?;
    Ok((file, meta.len()))
}

/// Reads a regular file of at most `limit` bytes (see the module docs). `path` must not end in a
/// link: callers resolve links first, to check where they lead.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open_regular(path, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The file may grow after the size check: read one byte past the limit to know.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(Refusal::TooLarge { size, limit }.into_io());
    }
    Ok(bytes)
}

/// What an evidence file holds, as far as evaluation cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    pub size: u64,
    pub content: Content,
}

/// Whether a file's bytes can stand as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Some bytes: the file itself.
    Data,
    /// No bytes at all.
    Empty,
    /// A Git LFS pointer: the checkout holds a reference to the file, not the file.
    LfsPointer,
}

/// The first line of a Git LFS pointer file.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// Git LFS pointers are small text files; anything larger is content.
const LFS_POINTER_MAX: u64 = 1024;

impl Content {
    /// What bytes beginning with `head`, `size` bytes long in all, are.
    pub fn of(head: &[u8], size: u64) -> Content {
        if size == 0 {
            Content::Empty
        } else if size <= LFS_POINTER_MAX && head.starts_with(LFS_POINTER) {
            Content::LfsPointer
        } else {
            Content::Data
        }
    }
}

impl Digest {
    /// The digest of bytes already in memory.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest {
            sha256: super::sha256_hex(bytes),
            size: bytes.len() as u64,
            content: Content::of(bytes, bytes.len() as u64),
        }
    }
}

/// Hashes a regular file as it streams through a small buffer, so that memory does not grow with
/// the file's size. Type checks as [`read_regular`].
pub fn digest_regular(path: &Path) -> io::Result<Digest> {
    digest_reader(open_regular(path, u64::MAX)?.0)
}

/// Hashes what `reader` yields, 64 KiB at a time.
pub fn digest_reader(mut reader: impl Read) -> io::Result<Digest> {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut head: Vec<u8> = Vec::new();
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or(&[]);
        if head.len() < LFS_POINTER.len() {
            let want = LFS_POINTER.len() - head.len();
            head.extend(chunk.iter().take(want));
        }
        hasher.update(chunk);
        size += n as u64;
    }
    Ok(Digest {
        sha256: base16ct::lower::encode_string(&hasher.finalize()),
        size,
        content: Content::of(&head, size),
    })
}

/// The located diagnostic for a file named `name` that could not be read: one code per kind of
/// failure, and a help line saying how to fix it.
pub fn diagnostic(name: &str, e: &io::Error) -> Diagnostic {
    let at = Location::file(name);
    match Refusal::of(e) {
        Some(Refusal::NotAFile { kind }) => Diagnostic::new(
            Code::NotAFile,
            format!("`{name}` is {kind}, not a regular file, and was not read"),
        )
        .at(at, "")
        .help("replace it with a regular file"),
        Some(Refusal::TooLarge { size, limit }) => Diagnostic::new(
            Code::FileTooLarge,
            format!("`{name}` is {size} bytes, more than the limit of {limit}"),
        )
        .at(at, "")
        .help("keep large artefacts out of metadata and configuration files; reference them as evidence"),
        Some(Refusal::PathNotUtf8) => Diagnostic::new(
            Code::PathNotUtf8,
            format!("`{name}` has a name that is not valid UTF-8 and was not read"),
        )
        .at(at, "")
        .help("rename the file or folder with a UTF-8 name"),
        Some(Refusal::Escapes) | None => {
            Diagnostic::new(Code::Unreadable, format!("cannot read `{name}`: {e}")).at(at, "")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_files_are_refused_from_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        let e = read_regular(&p, 99).unwrap_err();
        assert_eq!(
            Refusal::of(&e),
            Some(&Refusal::TooLarge {
                size: 100,
                limit: 99
            })
        );
        assert_eq!(read_regular(&p, 100).unwrap().len(), 100);
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(status.success());
        let e = read_regular(&p, 1 << 20).unwrap_err();
        assert_eq!(Refusal::of(&e), Some(&Refusal::NotAFile { kind: "a FIFO" }));
        let e = digest_regular(&p).unwrap_err();
        assert_eq!(Refusal::of(&e), Some(&Refusal::NotAFile { kind: "a FIFO" }));
    }

    #[test]
    fn empty_files_and_lfs_pointers_are_told_apart_from_content() {
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        assert_eq!(Digest::of(b"").content, Content::Empty);
        assert_eq!(Digest::of(pointer).content, Content::LfsPointer);
        assert_eq!(Digest::of(b"# Report\n").content, Content::Data);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pointer");
        std::fs::write(&p, pointer).unwrap();
        assert_eq!(digest_regular(&p).unwrap(), Digest::of(pointer));
    }
}
