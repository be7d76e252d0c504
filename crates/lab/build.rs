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
    // Each file is hashed under its name inside the checkout, never its
    // absolute path, so every checkout of one commit stamps the same build.
    let sources = [
        ("crates/lab/src", manifest.join("src")),
        ("vendor/burn-flex/src", root.join("vendor/burn-flex/src")),
    ];
    let mut named = vec![];
    for (label, dir) in &sources {
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut paths = vec![];
        files(dir, &mut paths);
        for path in paths {
            let inner = path.strip_prefix(dir).expect("found under dir");
            let name = format!("{label}/{}", inner.to_string_lossy().replace('\\', "/"));
            named.push((name, path));
        }
    }
    let lock = root.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    named.push(("Cargo.lock".to_string(), lock));
    named.sort();
    // FNV-1a over (name in the checkout, contents).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, path) in &named {
        let bytes = std::fs::read(path).unwrap_or_default();
        for b in name.as_bytes().iter().chain(&bytes) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=UPBRINGING_ENGINE_BUILD={hash:016x}");
}
