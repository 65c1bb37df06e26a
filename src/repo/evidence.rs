//! What an evidence path means for a control: a file that stands as evidence, something that does
//! not (missing, empty, a Git LFS pointer), or a path that cannot be decided (it leaves the
//! repository, or the file could not be read). Evaluation renders the verdict; it decides
//! nothing about files itself.

use super::read::Content;
use super::{EvidenceState, Refusal, Tree, is_contained, join};

/// The verdict on one evidence path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The file is there and holds content: its SHA-256 (lowercase hex).
    Evidence { sha256: String },
    /// The file exists but is not evidence (empty, or a pointer to the real file): its SHA-256
    /// and a sentence saying so, with the fix.
    Unusable { sha256: String, why: String },
    /// No file at the path: a sentence saying so.
    Missing { why: String },
    /// Nothing can be said: the path leaves the repository or the file could not be read. The
    /// control is an `error`, never a pass.
    Undecided { why: String },
}

/// The repository path of an evidence path written relative to a model folder, or why it is
/// refused. An absolute path is refused, never re-rooted under the folder.
pub fn resolve(model_dir: &str, rel: &str) -> Result<String, String> {
    if !is_contained(rel) {
        return Err(format!(
            "evidence path `{rel}` leaves the repository or its model folder (it is absolute or \
             holds `..`) and was not read; write it relative to the model folder"
        ));
    }
    Ok(join(model_dir, rel))
}

/// Judges the evidence file at repository path `path`.
pub fn judge(tree: &dyn Tree, path: &str) -> Verdict {
    let (state, digest) = tree.evidence_digest(path);
    match (state, digest) {
        (EvidenceState::Escapes, _) => Verdict::Undecided {
            why: format!(
                "evidence path `{path}` leaves the repository through a link and was not read"
            ),
        },
        (EvidenceState::Missing, _) => Verdict::Missing {
            why: format!("evidence file `{path}` is missing"),
        },
        (EvidenceState::Present, None) => Verdict::Undecided {
            why: format!("evidence file `{path}` could not be read"),
        },
        (EvidenceState::Present, Some(Err(e))) => Verdict::Undecided {
            why: match Refusal::of(&e) {
                Some(r) => format!("evidence file `{path}` was not read: {r}"),
                None => format!("evidence file `{path}` could not be read: {e}"),
            },
        },
        (EvidenceState::Present, Some(Ok(d))) => match d.content {
            Content::Data => Verdict::Evidence { sha256: d.sha256 },
            Content::Empty => Verdict::Unusable {
                sha256: d.sha256,
                why: format!(
                    "evidence file `{path}` is empty, and an empty file is not evidence: commit \
                     the document itself"
                ),
            },
            Content::LfsPointer => Verdict::Unusable {
                sha256: d.sha256,
                why: format!(
                    "evidence file `{path}` is a Git LFS pointer, not the file: fetch the file \
                     (`git lfs pull`, or check out with LFS enabled in CI) so that the document \
                     itself is checked"
                ),
            },
        },
    }
}
