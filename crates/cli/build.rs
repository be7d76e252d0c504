//! Records the commit this binary is built from (stamped on the results it
//! writes), so a binary run from another directory, or kept after the
//! checkout moved on, still says where its numbers came from. `-dirty` when
//! tracked files differed from that commit at build time; nothing outside
//! a git checkout.

use std::path::Path;
use std::process::Command;

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(root).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Built again when the commit or the staged state changes; where git
    // itself could not answer (not installed, or refusing the folder), the
    // checkout's own .git is watched, so a blank stamp does not outlive the
    // next commit.
    println!("cargo:rerun-if-env-changed=PATH");
    let dir = git(&root, &["rev-parse", "--absolute-git-dir"])
        .map(std::path::PathBuf::from)
        .or_else(|| Some(root.join(".git")).filter(|d| d.is_dir()));
    if let Some(dir) = dir {
        for file in ["HEAD", "index", "packed-refs"] {
            println!("cargo:rerun-if-changed={}", dir.join(file).display());
        }
        if let Some(head) = git(&root, &["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", dir.join(head).display());
        }
    }
    let commit = git(&root, &["rev-parse", "--short", "HEAD"]).filter(|h| !h.is_empty());
    let dirty = git(&root, &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let stamp = commit.map(|h| if dirty { format!("{h}-dirty") } else { h });
    println!("cargo:rustc-env=UPBRINGING_COMMIT={}", stamp.unwrap_or_default());
}
