//! The engine build stamp (`ENGINE_BUILD`, made by `build.rs`) must be the
//! same in every checkout of one commit: kept checkpoints, stored results
//! and the page's shipped prefixes are keyed by it, and a stamp that carried
//! the checkout's path made CI (another path) refuse the shipped prefixes.
//!
//! This copies what the stamp hashes to a fresh folder at another path, runs
//! the build script there, and compares.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_build_stamp_does_not_depend_on_where_the_checkout_lies() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let scratch = std::env::temp_dir().join(format!(
        "upbringing-engine-build-{}/somewhere/else",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    copy_tree(&manifest.join("src"), &scratch.join("crates/lab/src"));
    copy_tree(
        &root.join("vendor/burn-flex/src"),
        &scratch.join("vendor/burn-flex/src"),
    );
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock")).unwrap();

    let script = scratch.join("build-script");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let built = Command::new(rustc)
        .args(["--edition", "2024", "-O", "-o"])
        .arg(&script)
        .arg(manifest.join("build.rs"))
        .output()
        .expect("rustc runs");
    assert!(
        built.status.success(),
        "compiling build.rs: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let ran = Command::new(&script)
        .env("CARGO_MANIFEST_DIR", scratch.join("crates/lab"))
        .output()
        .expect("the build script runs");
    let printed = String::from_utf8_lossy(&ran.stdout);
    let stamp = printed
        .lines()
        .find_map(|l| l.strip_prefix("cargo:rustc-env=UPBRINGING_ENGINE_BUILD="))
        .expect("the script prints the stamp");
    let _ = std::fs::remove_dir_all(scratch.parent().unwrap().parent().unwrap());
    assert_eq!(
        stamp,
        upbringing_lab::ENGINE_BUILD,
        "a copy at another path stamps another build"
    );
}
