//! Every share link the page has ever written still opens in today's page
//! (tests/fixtures/links.json: one per distinct shipped spec in the history
//! of web/precomputed/), and today's links round-trip. A link format or spec
//! change that breaks an old link fails here, before a reader's bookmark does.

use upbringing_app::share;
use upbringing_lab::presets;

fn fixture() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/links.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).expect("links.json is JSON")
}

#[test]
fn every_link_the_page_has_written_opens() {
    let doc = fixture();
    let links = doc["links"].as_array().expect("a list of links");
    assert!(links.len() >= 6, "the fixture keeps every shipped spec's link");
    for l in links {
        let (by, link) = (l["written_by"].as_str().unwrap(), l["link"].as_str().unwrap());
        let spec = share::decode(link).unwrap_or_else(|why| {
            panic!(
                "the link written at {by} ({}) no longer opens: {why}",
                l["preset"]
            )
        });
        spec.validate()
            .unwrap_or_else(|e| panic!("the link written at {by} opens as an invalid spec: {e}"));
    }
}

#[test]
fn todays_links_round_trip() {
    for (name, _) in presets::list() {
        let spec = presets::preset(&name).expect("a listed preset");
        let link = share::encode(&spec);
        assert!(link.starts_with(&format!("{}.", share::LINK_FORMAT)));
        assert_eq!(
            share::decode(&link).expect("today's link opens"),
            spec,
            "preset {name}"
        );
    }
}

#[test]
fn a_link_of_an_unknown_format_says_what_to_do() {
    let why = share::decode("2.AAAA").expect_err("format 2 does not exist yet");
    assert!(why.contains('2') && why.contains("format"), "{why}");
}
