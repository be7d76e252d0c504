//! Trained prefixes shipped with the page (`web/precomputed/prefixes/`):
//! the flagship's (the default preset's) pretraining at the seeds the
//! exercises use (its first five),
//! trained by this page's own worker on the CPU fallback
//! (`tests/make-prefixes.mjs`), so a student's new design starts from them
//! and trains only what differs. Exact f32 weights: a design run from them
//! gets the counts it would get training them itself.
//!
//! `manifest.json` names the engine build and backend they were trained by
//! and the prefix keys there are, each in `<key>.bin` (`Checkpoint::to_bytes`'s
//! format, written by the script in JavaScript). A manifest of
//! another build or backend is refused as a whole, with a note (the page
//! trains those prefixes itself), and a file is used only if its bytes have
//! the content hash the manifest gives (FNV-1a, 64 bits: it catches a stale
//! or damaged file; whoever could replace a file could replace the manifest
//! too, so a cryptographic hash would add nothing) and only for the key it
//! says it is. Fetched only when a run needs one.

use serde::Deserialize;

/// What `manifest.json` says.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// `VERSION+ENGINE_BUILD` of the engine that trained them.
    pub engine: String,
    /// `BackendKind::name` of the backend that trained them.
    pub backend: String,
    /// Prefix keys (16 hex digits) with a file `<key>.bin` beside the manifest.
    pub prefixes: Vec<String>,
    /// Each file's content hash (`spec::fnv1a` of its bytes, 16 hex
    /// digits), by key. A file without one is not used.
    #[serde(default)]
    pub hashes: std::collections::BTreeMap<String, String>,
}

impl Manifest {
    /// Do `bytes` have the content hash the manifest gives the file of `key`?
    pub fn intact(&self, key: &str, bytes: &[u8]) -> bool {
        self.hashes.get(key) == Some(&format!("{:016x}", upbringing_lab::spec::fnv1a(bytes)))
    }

    /// `Err`: why these prefixes cannot stand in for ones trained here.
    pub fn usable(&self, engine: &str, backend: &str) -> Result<(), String> {
        if self.engine != engine || self.backend != backend {
            return Err(format!(
                "the trained phases shipped with this page were made by engine {} on {}, and this one is {engine} on {backend}: \
                 this browser trains them itself",
                self.engine, self.backend
            ));
        }
        Ok(())
    }
}

#[cfg(target_family = "wasm")]
mod fetch {
    use std::cell::RefCell;
    use std::rc::Rc;

    use upbringing_lab::checkpoint::Checkpoint;
    use upbringing_lab::{BackendKind, ENGINE_BUILD, VERSION};
    use wasm_bindgen_futures::JsFuture;

    use super::Manifest;

    /// Under the page's assets (`v/<hash>/` in a built site).
    const DIR: &str = "precomputed/prefixes/";

    thread_local! {
        /// The absolute URL of the page's assets, from `Request::Init`.
        static ASSETS: RefCell<String> = const { RefCell::new(String::new()) };
        /// The manifest once fetched (`None` inside: there is none).
        static MANIFEST: RefCell<Option<Rc<Option<Manifest>>>> = const { RefCell::new(None) };
    }

    async fn bytes(url: &str) -> Option<Vec<u8>> {
        let response = crate::http::get(url).await?;
        let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
        Some(js_sys::Uint8Array::new(&buffer).to_vec())
    }

    pub fn set_assets(url: String) {
        ASSETS.with(|a| *a.borrow_mut() = url);
    }

    fn url(file: &str) -> String {
        ASSETS.with(|a| format!("{}{DIR}{file}", a.borrow()))
    }

    async fn manifest() -> Rc<Option<Manifest>> {
        if let Some(m) = MANIFEST.with(|m| m.borrow().clone()) {
            return m;
        }
        let found = bytes(&url("manifest.json"))
            .await
            .and_then(|b| serde_json::from_slice(&b).ok());
        let m = Rc::new(found);
        MANIFEST.with(|slot| *slot.borrow_mut() = Some(m.clone()));
        m
    }

    /// The shipped checkpoint for `prefix`, if the page ships one this
    /// engine can use; `Err` is the note for a refused manifest.
    pub async fn recall(kind: BackendKind, prefix: u64) -> Result<Option<Checkpoint>, String> {
        let manifest = manifest().await;
        let Some(m) = manifest.as_ref() else {
            return Ok(None);
        };
        let key = format!("{prefix:016x}");
        if !m.prefixes.contains(&key) {
            return Ok(None);
        }
        m.usable(&format!("{VERSION}+{ENGINE_BUILD}"), kind.name())?;
        let Some(b) = bytes(&url(&format!("{key}.bin"))).await else {
            return Ok(None);
        };
        // A file that is not the one shipped, or not this prefix's, is not
        // used (the engine trains it).
        if !m.intact(&key, &b) {
            return Ok(None);
        }
        Ok(Checkpoint::from_bytes(&b, prefix).ok())
    }
}

#[cfg(target_family = "wasm")]
pub use fetch::{recall, set_assets};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_prefixes_are_the_flagship_s_pretraining_made_by_this_engine() {
        use upbringing_lab::spec::prefix_keys;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/precomputed/prefixes/");
        let m: Manifest =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}manifest.json")).unwrap()).unwrap();
        let engine = format!("{}+{}", upbringing_lab::VERSION, upbringing_lab::ENGINE_BUILD);
        assert!(
            m.usable(&engine, "flex").is_ok(),
            "the shipped prefixes were made by engine {}, this is {engine}: the page would train them itself. \
             Make them again: bash -c 'source scripts/env.sh; build_page' && node tests/make-prefixes.mjs",
            m.engine
        );
        let spec = upbringing_lab::presets::preset(upbringing_lab::presets::FLAGSHIP).unwrap();
        let control = spec.regimes.iter().find(|r| r.name == "control").unwrap();
        let mut expected: Vec<String> = spec.seeds[..5]
            .iter()
            .map(|&seed| format!("{:016x}", prefix_keys(&spec, seed, &control.phases[..1])[0]))
            .collect();
        expected.sort();
        assert_eq!(m.prefixes, expected);
        let mut total = 0;
        for key in &m.prefixes {
            let bytes = std::fs::read(format!("{dir}{key}.bin")).unwrap();
            assert!(
                m.intact(key, &bytes),
                "{key}.bin does not have the content hash its manifest gives"
            );
            total += bytes.len();
            let c = upbringing_lab::checkpoint::Checkpoint::from_bytes(
                &bytes,
                u64::from_str_radix(key, 16).unwrap(),
            )
            .unwrap();
            assert_eq!(
                c.stages.len(),
                upbringing_lab::eval::Condition::STAGES.len(),
                "scored with it"
            );
        }
        // The budget is 3 MB compressed; f32 weights barely compress.
        assert!(total < 3 << 20, "{total} bytes shipped");
    }

    #[test]
    fn a_manifest_of_another_build_or_backend_is_refused_with_a_note() {
        let m = Manifest {
            engine: "0.1.0+aaaa".into(),
            backend: "flex".into(),
            prefixes: vec![],
            hashes: [(
                "00000000000000ab".to_string(),
                format!("{:016x}", upbringing_lab::spec::fnv1a(b"weights")),
            )]
            .into(),
        };
        assert!(m.intact("00000000000000ab", b"weights"));
        assert!(!m.intact("00000000000000ab", b"weighty"), "a changed file");
        assert!(
            !m.intact("00000000000000ac", b"weights"),
            "a file the manifest gives no hash"
        );
        assert!(m.usable("0.1.0+aaaa", "flex").is_ok());
        assert!(
            m.usable("0.1.0+bbbb", "flex")
                .unwrap_err()
                .contains("trains them itself")
        );
        assert!(m.usable("0.1.0+aaaa", "wgpu").is_err());
    }
}
