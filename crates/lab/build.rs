//! Stamps the engine build: a hash of everything that decides what training
//! produces (the engine's source, the patched burn-flex, the locked
//! dependency versions). Kept checkpoints and stored results are keyed by it,
//! so a deploy that changes training never reuses stale weights or numbers,
//! while the crate version (`0.1.0`) stays the same.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let sources = [manifest.join("src"), root.join("vendor/burn-flex/src")];
    let lock = root.join("Cargo.lock");
    let mut paths = vec![];
    for dir in &sources {
        println!("cargo:rerun-if-changed={}", dir.display());
        files(dir, &mut paths);
    }
    println!("cargo:rerun-if-changed={}", lock.display());
    paths.push(lock);
    paths.sort();
    // FNV-1a over (relative path, contents): stable across machines and checkouts.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in &paths {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).unwrap_or_default();
        for b in name.as_bytes().iter().chain(&bytes) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=UPBRINGING_ENGINE_BUILD={hash:016x}");
}
