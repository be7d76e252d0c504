//! The whole experiment in the page's address: `?spec=1.<data>`, where
//! `<data>` is the spec's compact JSON, deflated and base64url-encoded.
//!
//! The leading `1.` is the link format's version (how the spec is packed);
//! the spec's own `version` field says what it means. A link is untrusted
//! input: decoding caps every size, and the result is validated by the
//! engine before anything uses it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use upbringing_lab::spec::ExperimentSpec;

/// The link format written now.
pub const LINK_FORMAT: &str = "1";
/// Longest `spec=` value read (a browser keeps far longer addresses; a spec
/// of every preset regime packs to a few kB).
const MAX_LINK_CHARS: usize = 64 * 1024;
/// Largest JSON a link may inflate to: far above any spec the engine takes
/// (32 regimes of 32 phases is ~300 kB), and the most a link's inflating
/// ever holds. Deflate packs at most ~1,032:1, so a link within
/// `MAX_LINK_CHARS` could unpack to ~50 MB; inflating stops here instead
/// (`decompress_to_vec_with_limit` grows its buffer by doubling up to the
/// limit, never past it).
const MAX_JSON_BYTES: usize = 1 << 20;
/// Longest message about a refused link: the engine's and serde's messages
/// quote what they refuse (a regime's name, an unknown field), and a
/// hand-made link can make that a megabyte.
const MAX_MESSAGE_CHARS: usize = 300;

/// The `spec=` value for `spec`.
pub fn encode(spec: &ExperimentSpec) -> String {
    let json = serde_json::to_vec(spec).expect("a spec always serialises");
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("{LINK_FORMAT}.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// The spec in a `spec=` value, validated, or a message saying what is wrong
/// (at most `MAX_MESSAGE_CHARS` long).
pub fn decode(value: &str) -> Result<ExperimentSpec, String> {
    unpack(value).map_err(clip)
}

fn unpack(value: &str) -> Result<ExperimentSpec, String> {
    if value.len() > MAX_LINK_CHARS {
        return Err(format!(
            "the link's experiment is {} characters long (at most {MAX_LINK_CHARS} are read)",
            value.len()
        ));
    }
    let Some((format, data)) = value.split_once('.') else {
        return Err("the link's experiment is not in a known format (expected \"1.\" and data)".into());
    };
    if format != LINK_FORMAT {
        return Err(format!(
            "the link's experiment uses link format {:?}; this page reads format {LINK_FORMAT}",
            truncate(format)
        ));
    }
    let packed = URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|e| format!("the link's experiment is damaged (not base64url: {e})"))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_BYTES).map_err(|e| {
        match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => format!(
                "the link's experiment cannot be unpacked: it unpacks to more than {MAX_JSON_BYTES} bytes \
                 (no experiment is that large)"
            ),
            status => format!("the link's experiment is damaged (cannot be unpacked: {status:?})"),
        }
    })?;
    let text = std::str::from_utf8(&json).map_err(|_| "the link's experiment is not text".to_string())?;
    ExperimentSpec::from_json(text).map_err(|e| format!("the link's experiment is invalid: {e}"))
}

/// A hostile value may be long: quote only its start.
fn truncate(s: &str) -> String {
    s.chars().take(20).collect()
}

/// `message`, cut to `MAX_MESSAGE_CHARS` with a count of what was left out.
fn clip(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!(
            "{}… ({} more characters)",
            &message[..at],
            message[at..].chars().count()
        ),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use upbringing_lab::presets;

    #[test]
    fn every_preset_round_trips_exactly_and_stays_compact() {
        for (name, _) in presets::list() {
            let spec = presets::preset(&name).unwrap();
            let link = encode(&spec);
            assert!(link.starts_with("1."));
            assert!(
                link.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                "URL-safe without escaping"
            );
            assert!(link.len() < 6000, "{name}: {} chars", link.len());
            assert_eq!(decode(&link).unwrap(), spec, "{name}");
        }
    }

    #[test]
    fn damaged_and_hostile_values_are_refused_with_a_reason() {
        let good = encode(&presets::preset("quick").unwrap());
        let cases = [
            ("", "known format"),
            ("2.abc", "format \"2\""),
            ("1.<script>", "base64"),
            ("1.AAAA", "unpacked"),
            (&good[..good.len() / 2], "damaged"),
            (&"1.".repeat(40_000), "at most"),
        ];
        for (value, why) in cases {
            let err = decode(value).unwrap_err();
            assert!(err.contains(why), "{value:.40}: {err}");
        }
        // Well packed, but not a valid experiment: the engine's message.
        let mut spec = presets::preset("quick").unwrap();
        spec.regimes.clear();
        let packed = miniz_oxide::deflate::compress_to_vec(&serde_json::to_vec(&spec).unwrap(), 6);
        let err = decode(&format!("1.{}", URL_SAFE_NO_PAD.encode(packed))).unwrap_err();
        assert!(err.contains("invalid") && err.contains("regime"), "{err}");
    }

    #[test]
    fn a_deflate_bomb_is_cut_off() {
        let huge = vec![b' '; 4 << 20];
        let packed = miniz_oxide::deflate::compress_to_vec(&huge, 9);
        let value = format!("1.{}", URL_SAFE_NO_PAD.encode(packed));
        assert!(value.len() < MAX_LINK_CHARS);
        let err = decode(&value).unwrap_err();
        assert!(err.contains("more than 1048576 bytes"), "{err}");
    }

    #[test]
    fn a_refusal_quoting_a_huge_name_is_cut_short() {
        let mut spec = presets::preset("quick").unwrap();
        spec.regimes[0].name = "y".repeat(200_000);
        spec.regimes[1].name = spec.regimes[0].name.clone();
        let packed = miniz_oxide::deflate::compress_to_vec(&serde_json::to_vec(&spec).unwrap(), 9);
        let err = decode(&format!("1.{}", URL_SAFE_NO_PAD.encode(packed))).unwrap_err();
        assert!(err.starts_with("the link's experiment is invalid"), "{err:.80}");
        assert!(
            err.chars().count() < MAX_MESSAGE_CHARS + 40,
            "{} chars",
            err.len()
        );
        assert!(err.ends_with("more characters)"), "{err}");
    }
}
