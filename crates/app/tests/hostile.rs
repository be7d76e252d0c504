//! Hostile input to the page, generated: links (`spec=`, `lock=`, `hide=`
//! and every other key the page reads from its address), the largest
//! experiment a link may carry, and results with names a spreadsheet would
//! run. Nothing may panic, every refusal must say what was wrong in a few
//! lines, memory and time stay bounded, and the counts are printed (run with
//! `--nocapture`, as `scripts/test` does). Deterministic: fixed seeds.
//!
//! Time bounds are generous wall-clock limits on this machine (a case in
//! well under a second), or ratios against a small case of the same shape
//! with slack: what they catch is time that grows with the square of the
//! input, which the old views took (minutes on 1,400 regimes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use upbringing_app::controls::{self, Rules};
use upbringing_app::curves::{self, Series};
use upbringing_app::playground::{Metric, Playground, by_regime, heatmap, takeaway};
use upbringing_app::{query, share};
use upbringing_lab::eval::Condition;
use upbringing_lab::presets;
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::rng::Rng;
use upbringing_lab::spec::{ExperimentSpec, MAX_REGIMES, MAX_SEED};

// ---------------------------------------------------------------------------
// Memory: this thread's heap bytes and their peak (each test runs on a
// thread of its own, so others' allocations do not count).

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// counters are const-initialised thread locals without destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// `f`'s result, the most heap it held at once beyond what was held
/// before, and how long it took.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let peak = PEAK.with(Cell::get) - before;
    (out, peak.max(0) as usize, took)
}

const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Cases.

/// Outcomes of a batch of cases: what was accepted, refused, and the
/// slowest case.
#[derive(Default)]
struct Tally {
    accepted: usize,
    refused: usize,
    slowest: Duration,
}

impl Tally {
    /// Run one case through `door` (true: accepted); a panic names the case.
    fn run(&mut self, what: &dyn Fn() -> String, door: impl FnOnce() -> bool) {
        let start = Instant::now();
        match catch_unwind(AssertUnwindSafe(door)) {
            Ok(true) => self.accepted += 1,
            Ok(false) => self.refused += 1,
            Err(_) => panic!("panicked on {}", what()),
        }
        self.slowest = self.slowest.max(start.elapsed());
    }
}

/// The start of `s`, for a failure message.
fn short(s: &str) -> String {
    let head: String = s.chars().take(80).collect();
    format!("{head:?} ({} bytes)", s.len())
}

fn link_of(json: &[u8]) -> String {
    format!(
        "1.{}",
        URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(json, 9))
    )
}

/// Every preset and exercise start: the valid experiments links are made of.
fn valid_specs() -> Vec<ExperimentSpec> {
    let mut specs: Vec<ExperimentSpec> = presets::list()
        .into_iter()
        .map(|(name, _)| presets::preset(&name).unwrap())
        .collect();
    specs.extend(upbringing_lab::exercise::all().into_iter().map(|e| e.start));
    specs
}

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// Text of any kind: ASCII, separators, markup, controls, multi-byte.
fn random_text(rng: &mut Rng, n: usize) -> String {
    const PIECES: [&str; 16] = [
        "a", "Z", "0", "9", ".", ",", "=", "&", "%", " ", "\t", "\u{0}", "é", "😀", "<script>", "\u{202e}",
    ];
    (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

/// A hostile JSON value to put somewhere in a spec.
fn hostile_value(rng: &mut Rng, target: &Value) -> Value {
    match rng.below(13) {
        0 => u64::MAX.into(),
        1 => (-1).into(),
        2 => 1e308.into(),
        3 => 0.into(),
        4 => (MAX_SEED + 1).into(),
        5 => Value::Null,
        6 => "".into(),
        7 => "=HYPERLINK(\"x\")".repeat(50).into(),
        8 => Value::Array(vec![]),
        9 => Value::Object(Default::default()),
        10 => true.into(),
        11 => match target {
            Value::Array(a) if !a.is_empty() => {
                let mut a = a.clone();
                for _ in 0..1 + rng.below(40) {
                    a.push(a[0].clone());
                }
                Value::Array(a)
            }
            Value::Object(m) if !m.is_empty() => {
                let mut m = m.clone();
                let key = m.keys().nth(rng.below(m.len())).cloned().unwrap();
                m.remove(&key);
                Value::Object(m)
            }
            other => other.clone(),
        },
        _ => match target {
            Value::Number(n) => (n.as_f64().unwrap_or(0.0) * 1e6 + 1.0).into(),
            Value::String(s) => format!("{s}{}", "x".repeat(rng.below(3000))).into(),
            other => other.clone(),
        },
    }
}

/// `v` with one node somewhere replaced by a hostile value.
fn mutate(v: &mut Value, rng: &mut Rng) {
    // Walk down a random path, stopping at random, then replace the node there.
    let mut path: Vec<Value> = vec![];
    let mut node = &*v;
    loop {
        let (step, next) = match node {
            Value::Object(m) if !m.is_empty() && rng.below(4) != 0 => {
                let k = m.keys().nth(rng.below(m.len())).unwrap();
                (Value::from(k.as_str()), &m[k])
            }
            Value::Array(a) if !a.is_empty() && rng.below(4) != 0 => {
                let i = rng.below(a.len());
                (Value::from(i), &a[i])
            }
            _ => break,
        };
        path.push(step);
        node = next;
    }
    let replacement = hostile_value(rng, node);
    let target = path.iter().fold(v, |node, step| match step {
        Value::String(k) => &mut node[k.as_str()],
        _ => &mut node[step.as_u64().unwrap() as usize],
    });
    *target = replacement;
}

/// One random `spec=` value, and what kind it is.
fn random_link(rng: &mut Rng, valid: &[(String, Value)]) -> (&'static str, String) {
    let (good, json) = &valid[rng.below(valid.len())];
    match rng.below(10) {
        0 => {
            let n = rng.below(300);
            ("random text", random_text(rng, n))
        }
        1 => {
            let n = rng.below(3000);
            let data: String = (0..n).map(|_| BASE64URL[rng.below(64)] as char).collect();
            ("random base64url", format!("1.{data}"))
        }
        2 => {
            let n = rng.below(2000);
            (
                "random packed bytes",
                format!("1.{}", URL_SAFE_NO_PAD.encode(random_bytes(rng, n))),
            )
        }
        3 => {
            let n = rng.below(4000);
            ("deflated random bytes", link_of(&random_bytes(rng, n)))
        }
        4 => {
            let cut = rng.below(good.len());
            ("a valid link truncated", good[..cut].to_string())
        }
        5 => {
            let mut bytes = good.clone().into_bytes();
            for _ in 0..1 + rng.below(3) {
                let at = 2 + rng.below(bytes.len() - 2);
                bytes[at] = BASE64URL[rng.below(64)];
            }
            (
                "a valid link with characters flipped",
                String::from_utf8(bytes).unwrap(),
            )
        }
        6 | 7 => {
            let mut v = json.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut v, rng);
            }
            (
                "a valid spec mutated, then packed",
                link_of(v.to_string().as_bytes()),
            )
        }
        8 => {
            let prefix = ["", "0.", "2.", "1", "1..", "01.", " 1.", "1.=", "10."][rng.below(9)];
            let data = good.strip_prefix("1.").unwrap();
            ("a valid link under another format", format!("{prefix}{data}"))
        }
        _ => {
            // Deflated valid JSON with a tail, or zlib-wrapped instead of raw.
            let mut packed = miniz_oxide::deflate::compress_to_vec(json.to_string().as_bytes(), 6);
            if rng.chance(0.5) {
                let n = 1 + rng.below(50);
                packed.extend(random_bytes(rng, n));
            } else {
                packed = miniz_oxide::deflate::compress_to_vec_zlib(json.to_string().as_bytes(), 6);
            }
            (
                "valid JSON packed another way",
                format!("1.{}", URL_SAFE_NO_PAD.encode(packed)),
            )
        }
    }
}

/// What a refused link's message must be: about the link, and short.
fn assert_link_refusal(e: &str, input: &str) {
    assert!(
        e.starts_with("the link's experiment"),
        "{e:.200} for {}",
        short(input)
    );
    assert!(e.chars().count() <= 360, "{} chars for {}", e.len(), short(input));
}

#[test]
fn share_links_random_damaged_and_mutated_are_refused_with_a_reason_or_validate() {
    const CASES: usize = 6000;
    let mut rng = Rng::new(31);
    let valid: Vec<(String, Value)> = valid_specs()
        .iter()
        .map(|s| (share::encode(s), serde_json::to_value(s).unwrap()))
        .collect();
    let mut by_kind: std::collections::BTreeMap<&str, Tally> = Default::default();
    let start = Instant::now();
    for case in 0..CASES {
        let (kind, input) = random_link(&mut rng, &valid);
        by_kind
            .entry(kind)
            .or_default()
            .run(
                &|| format!("case {case} ({kind}): {}", short(&input)),
                || match share::decode(&input) {
                    Ok(spec) => {
                        spec.validate().expect("decode validates");
                        assert_eq!(share::decode(&share::encode(&spec)).unwrap(), spec, "round trip");
                        true
                    }
                    Err(e) => {
                        assert_link_refusal(&e, &input);
                        false
                    }
                },
            );
    }
    let took = start.elapsed();
    for (kind, t) in &by_kind {
        println!(
            "spec= links, {kind}: {} accepted, {} refused (slowest {:.1} ms)",
            t.accepted,
            t.refused,
            t.slowest.as_secs_f64() * 1e3
        );
    }
    let accepted: usize = by_kind.values().map(|t| t.accepted).sum();
    let slowest = by_kind.values().map(|t| t.slowest).max().unwrap();
    println!(
        "spec= links: {CASES} generated, {accepted} accepted, {} refused, in {:.2} s",
        CASES - accepted,
        took.as_secs_f64()
    );
    assert!(accepted > 0 && accepted < CASES, "both outcomes are reached");
    assert!(slowest < Duration::from_secs(1), "slowest case {slowest:?}");
}

#[test]
fn a_deflate_bomb_stops_at_the_size_cap_in_bounded_memory_and_time() {
    // Deflate packs at most ~1,032:1, so the largest bomb a link within the
    // length cap can carry unpacks to ~50 MB: here ~48 MiB of one byte
    // behind the start of a spec, in ~62,000 characters.
    let mut json = br#"{"version":1,"name":""#.to_vec();
    json.resize(48 * MIB, b'a');
    let bomb = link_of(&json);
    drop(json);
    assert!(bomb.len() < 64 * 1024, "{} chars: fits the link cap", bomb.len());
    let (out, peak, took) = measured(|| share::decode(&bomb));
    let err = out.unwrap_err();
    assert!(err.contains("unpacks to more than 1048576 bytes"), "{err}");
    println!(
        "deflate bomb: {} chars would unpack to 48 MiB; refused at the 1 MiB cap, peak {:.2} MiB, {:.1} ms",
        bomb.len(),
        peak as f64 / MIB as f64,
        took.as_secs_f64() * 1e3
    );
    assert!(peak < 3 * MIB, "inflating held {peak} bytes at once");
    assert!(took < Duration::from_secs(1), "{took:?}");
    // A link long enough to unpack to gigabytes is not even read: the
    // length cap refuses it before anything is decoded or allocated.
    let long = format!("1.{}", "A".repeat(100 * MIB));
    let (out, peak, took) = measured(|| share::decode(&long));
    assert!(out.unwrap_err().contains("at most 65536 are read"));
    assert!(
        peak < 64 * 1024 && took < Duration::from_millis(100),
        "{peak} bytes, {took:?}"
    );
    // Bombs of other shapes: many small blocks, a stored block claiming
    // more than it has, and a valid spec followed by a bomb.
    let spec = presets::preset("quick").unwrap().to_json();
    let mut tail = spec.clone().into_bytes();
    tail.extend(std::iter::repeat_n(b' ', 40 * MIB));
    let stored = format!(
        "1.{}",
        URL_SAFE_NO_PAD.encode([0b001, 0xff, 0xff, 0x00, 0x00, b'{'])
    );
    for (what, link) in [
        ("a spec padded to 40 MiB", link_of(&tail)),
        ("a short stored block", stored),
    ] {
        let (out, peak, took) = measured(|| share::decode(&link));
        let err = out.unwrap_err();
        assert_link_refusal(&err, &link);
        assert!(
            peak < 3 * MIB && took < Duration::from_secs(1),
            "{what}: {peak} bytes, {took:?}"
        );
    }
}

/// Values for any key: limits, hostile text, links, lists.
fn random_value(rng: &mut Rng, links: &[(String, Value)]) -> String {
    match rng.below(12) {
        0 => [
            "0", "1", "5000", "5001", "256", "257", "-1", "1e3", " 7", "0x10", "", "+5",
        ][rng.below(12)]
        .into(),
        1 => [
            "9007199254740991",
            "9007199254740992",
            "18446744073709551615",
            "18446744073709551616",
        ][rng.below(4)]
        .into(),
        2 => {
            let n = rng.below(200);
            random_text(rng, n)
        }
        3 => "9".repeat(rng.below(200_000)),
        4 => random_link(rng, links).1,
        5 => {
            let items = [
                "seeds",
                "r1",
                "r2.p3.steps",
                "json",
                "presets",
                "import",
                "regimes",
                "r1000.p1000",
                "bogus",
            ];
            (0..rng.below(20))
                .map(|_| items[rng.below(items.len())])
                .collect::<Vec<_>>()
                .join(",")
        }
        6 => ",".repeat(rng.below(50_000)),
        7 => presets::list()[rng.below(presets::list().len())].0.clone(),
        8 => upbringing_lab::exercise::all()[0].slug.to_string(),
        9 => [
            "cpu", "auto", "gpu", "webgpu", "flex", "CPU", "true", "1", "0", "false",
        ][rng.below(10)]
        .into(),
        10 => "x".repeat(rng.below(1 << 20)),
        _ => "<img src=x onerror=alert(1)>".into(),
    }
}

/// The keys the page reads from its address (`url_settings` in main.rs), and others.
const KEYS: [&str; 14] = [
    "backend", "steps", "batch", "seed", "preset", "smoke", "spec", "embed", "exercise", "lock", "hide",
    "zzz", "", "spec ",
];

#[test]
fn every_query_key_takes_hostile_values_without_harm() {
    const CASES: usize = 3000;
    let mut rng = Rng::new(32);
    let links: Vec<(String, Value)> = valid_specs()
        .iter()
        .map(|s| (share::encode(s), serde_json::to_value(s).unwrap()))
        .collect();
    let mut tally = Tally::default();
    let mut notices = 0;
    let start = Instant::now();
    for case in 0..CASES {
        let pairs: Vec<(&str, String)> = (0..rng.below(14))
            .map(|_| (KEYS[rng.below(KEYS.len())], random_value(&mut rng, &links)))
            .collect();
        let what = || {
            let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", short(v))).collect();
            format!("case {case}: {shown:?}")
        };
        tally.run(&what, || {
            let (s, problems) = query::parse(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            assert!((1..=5000).contains(&s.demo.steps) && (1..=256).contains(&s.demo.batch_size));
            assert!(
                s.demo.seed <= MAX_SEED,
                "a seed the worker message could not carry"
            );
            assert!(presets::preset(&s.preset).is_ok());
            assert!(
                s.exercise
                    .as_deref()
                    .is_none_or(|e| upbringing_lab::exercise::find(e).is_some())
            );
            assert!(s.spec.as_ref().is_none_or(|x| x.validate().is_ok()));
            assert!(s.lock.len() <= 256 && s.hide.len() <= 256);
            // Each notice short, at most 20 and a count.
            assert!(problems.len() <= 21, "{} notices", problems.len());
            for p in &problems {
                assert!(p.chars().count() <= 400, "{} chars: {:.100}", p.len(), p);
                let names_a_key = KEYS.iter().any(|k| !k.is_empty() && p.contains(&format!("{k}=")))
                    || p.starts_with("the link's experiment")
                    || p.ends_with("more settings ignored");
                assert!(names_a_key, "a notice says which setting: {p:.200}");
            }
            notices += problems.len();
            problems.is_empty()
        });
    }
    println!(
        "query strings: {CASES} generated, {} read cleanly, {} with notices ({notices} notices), slowest {:.1} ms, {:.2} s in all",
        tally.accepted,
        tally.refused,
        tally.slowest.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64()
    );
    assert!(tally.accepted > 0 && tally.refused > 0);
    assert!(tally.slowest < Duration::from_secs(1), "{:?}", tally.slowest);
}

#[test]
fn lock_and_hide_lists_of_any_shape_are_read_in_linear_time_with_few_notices() {
    let n = 200_000;
    let shapes: Vec<(&str, String)> = vec![
        ("valid items", vec!["seeds"; n].join(",")),
        (
            "distinct valid parts",
            (0..n)
                .map(|i| format!("r{}.p{}.steps", 1 + i % 1000, 1 + i / 1000 % 1000))
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("unknown items", vec!["nope"; n].join(",")),
        ("separators only", ",".repeat(n)),
        ("blank items", vec![" \t "; n].join(",")),
        ("one 10 MB item", "r1.".to_string() + &"9".repeat(10 * MIB)),
        ("long unknown items", vec!["x".repeat(60); n].join(",")),
        ("over-long items", vec!["y".repeat(100); n].join(",")),
        ("multi-byte items", vec!["é😀"; n].join(",")),
    ];
    for (what, list) in &shapes {
        let small = {
            // The same shape a tenth as long (by items, or by bytes for one item).
            let cut = list.len() / 10;
            let cut = (0..=cut).rev().find(|&i| list.is_char_boundary(i)).unwrap();
            list[..cut].to_string()
        };
        let ((controls, problems), _, t_small) = measured(|| controls::parse_list(&small));
        drop((controls, problems));
        let ((controls, problems), peak, took) = measured(|| controls::parse_list(list));
        println!(
            "lock= of {what} ({:.1} MB): {} controls, {} notices, {:.1} ms (a tenth: {:.1} ms), peak {:.1} MiB",
            list.len() as f64 / 1e6,
            controls.len(),
            problems.len(),
            took.as_secs_f64() * 1e3,
            t_small.as_secs_f64() * 1e3,
            peak as f64 / MIB as f64
        );
        assert!(controls.len() <= 256, "{what}");
        assert!(problems.len() <= 7, "{what}: {problems:?}");
        assert!(
            problems.iter().all(|p| p.chars().count() < 200),
            "{what}: {problems:?}"
        );
        assert!(
            took <= t_small * 30 + Duration::from_millis(50),
            "{what}: {took:?} against {t_small:?}"
        );
        // Through the page's reader, twice over (lock and hide), then the rules.
        let (s, notices) = query::parse([("lock", list.as_str()), ("hide", list.as_str())]);
        assert!(notices.len() <= 14, "{what}: {} notices", notices.len());
        let start = presets::preset("default").unwrap();
        let (p, _) = Playground::with_rules(
            "default",
            start.clone(),
            false,
            Rules::link(&start, s.lock, s.hide),
        );
        let ((), _, took) = measured(|| drop(p.card_actions()));
        assert!(took < Duration::from_secs(1), "{what}: the editor took {took:?}");
    }
}

// ---------------------------------------------------------------------------
// The largest experiment a link may carry.

/// `n` renamed copies of the default experiment's control (the first keeps
/// its name, so every cell is compared with it).
fn copies_of_control(n: usize) -> ExperimentSpec {
    let mut spec = presets::preset("default").unwrap();
    let control = spec.regimes[0].clone();
    spec.regimes = (0..n)
        .map(|i| {
            let mut r = control.clone();
            if i > 0 {
                r.name = format!("control, copy {i}");
            }
            r
        })
        .collect();
    spec
}

fn shipped(name: &str) -> ExperimentResults {
    let path = format!("{}/../../web/precomputed/{name}.json", env!("CARGO_MANIFEST_DIR"));
    ExperimentResults::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Everything the page derives from its results and design on a redraw
/// (heatmap for every metric, takeaway, curves for every series, the
/// stage and depth views by regime, the editor's buttons).
fn every_view(p: &Playground) {
    let (results, _) = p.results.as_ref().expect("answered by the shipped results");
    for m in Metric::ALL {
        assert_eq!(heatmap(results, m).len(), p.spec.regimes.len());
    }
    assert!(takeaway(results).is_some());
    for s in Series::ALL {
        assert_eq!(curves::from_results(results, s).len(), p.spec.regimes.len());
    }
    for (r, share) in by_regime(results) {
        let _ = share.mean_depth(r);
        for phase in 0..share.spec.regimes[0].phases.len() {
            let _ = share.stage(
                r,
                phase,
                Condition::InDistribution,
                upbringing_lab::results::Metric::Gamed,
            );
        }
    }
    assert_eq!(p.card_actions().len(), p.spec.regimes.len());
}

/// A link of `spec` opened: decoded, answered by the shipped results, every view drawn.
fn open(link: &str, default: &ExperimentResults) -> Playground {
    let spec = share::decode(link).expect("a link the engine takes");
    let mut p = Playground::with_spec("default", spec, false);
    p.add_precomputed(vec![default.clone()]);
    every_view(&p);
    p
}

#[test]
fn a_link_of_the_most_regimes_the_engine_takes_opens_in_linear_time() {
    let default = shipped("default");
    let most = copies_of_control(MAX_REGIMES);
    let link = share::encode(&most);
    // One more regime is refused by the engine's cap, with its name.
    let err = share::decode(&share::encode(&copies_of_control(MAX_REGIMES + 1))).unwrap_err();
    assert!(err.contains("MAX_REGIMES"), "{err}");
    let few = share::encode(&copies_of_control(4));
    let (_, _, t_few) = measured(|| open(&few, &default));
    let (p, peak, t_most) = measured(|| open(&link, &default));
    // The editor's buttons as they were judged: a whole-spec validation each.
    let (_, _, t_buttons_old) = measured(|| {
        for r in 0..p.spec.regimes.len() {
            for e in upbringing_app::playground::CardActions::edits(&p.spec, r) {
                let _ = p.allows(&e);
            }
        }
    });
    let (_, _, t_buttons) = measured(|| p.card_actions());
    println!(
        "a link of {MAX_REGIMES} regimes ({} chars) opens with every view in {:.1} ms (4 regimes: {:.1} ms), peak {:.0} MiB; \
         the editor's buttons {:.2} ms (a validation per button: {:.1} ms)",
        link.len(),
        t_most.as_secs_f64() * 1e3,
        t_few.as_secs_f64() * 1e3,
        peak as f64 / MIB as f64,
        t_buttons.as_secs_f64() * 1e3,
        t_buttons_old.as_secs_f64() * 1e3
    );
    // 8 times the regimes: linear is ~8 times the time; quadratic, ~64.
    assert!(
        t_most <= t_few * 24 + Duration::from_millis(200),
        "{t_most:?} against {t_few:?}"
    );
}

#[test]
fn the_views_stay_linear_far_beyond_the_regime_cap() {
    // What the page would draw for results of many regimes (from an engine
    // without the cap, or any file that got past it): 1,400 copies of the
    // control pack into a ~10k-character link and the shipped results
    // answer them. The views once took ~8 s (heatmap) and hours (curves).
    let default = shipped("default");
    let time = |n: usize| {
        let spec = copies_of_control(n);
        let results = ExperimentResults::answer(&[&default], &spec).expect("answered");
        let (_, _, took) = measured(|| {
            for m in Metric::ALL {
                assert_eq!(heatmap(&results, m).len(), n);
            }
            assert!(takeaway(&results).is_some());
            for s in Series::ALL {
                assert_eq!(curves::from_results(&results, s).len(), n);
            }
            for (r, share) in by_regime(&results) {
                let _ = share.mean_depth(r);
                let _ = share.stage(
                    r,
                    1,
                    Condition::InDistribution,
                    upbringing_lab::results::Metric::Gamed,
                );
            }
        });
        took
    };
    let (small, large) = (time(140), time(1400));
    println!(
        "views of 1,400 regimes × 10 seeds: {:.0} ms (140 regimes: {:.0} ms)",
        large.as_secs_f64() * 1e3,
        small.as_secs_f64() * 1e3
    );
    assert!(
        large <= small * 25 + Duration::from_millis(500),
        "{large:?} against {small:?}"
    );
}

// ---------------------------------------------------------------------------
// CSV the page exports (`results.csv()`, what "Download … CSV" writes).

/// Fields of an RFC 4180 CSV text, row by row.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (vec![], vec![], String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "the text ends with a whole row"
    );
    rows
}

#[test]
fn csv_from_the_page_neutralises_formulas_in_every_text_field() {
    let names = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tcmd",
        "\rcmd",
        "plain, with a comma",
        "a \"quote\"",
        "line\nbreak",
    ];
    let mut spec = presets::preset("default").unwrap();
    spec.regimes.truncate(names.len());
    for (r, name) in spec.regimes.iter_mut().zip(names) {
        r.name = name.into();
    }
    spec.validate().expect("the engine takes these names");
    let mut results = ExperimentResults::answer(&[&shipped("default")], &spec).unwrap();
    results.engine = "=cmd|' /C calc'!A0".into();
    results.backend = "+evil".into();
    results.commit = Some("@evil".into());
    // Through the page's import, as a visitor's file would come.
    let mut p = Playground::new("default", false).unwrap();
    p.import(&serde_json::to_string(&results).unwrap()).unwrap();
    let csv = p.results.as_ref().unwrap().0.csv();
    let rows = csv_rows(&csv);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut fields = 0;
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "{row:?}");
        for f in row {
            fields += 1;
            let formula = f.starts_with(['=', '+', '-', '@', '\t', '\r']);
            assert!(
                !formula || f.parse::<f64>().is_ok(),
                "a spreadsheet would run {f:?}"
            );
        }
        let regime = &row[col("regime")];
        assert!(
            names.iter().any(|n| regime == n || *regime == format!("'{n}")),
            "{regime:?}"
        );
        assert_eq!(
            [&row[col("backend")], &row[col("engine")], &row[col("commit")]],
            ["'+evil", "'=cmd|' /C calc'!A0", "'@evil"]
        );
    }
    println!("csv: {} rows, {fields} fields, none a formula", rows.len() - 1);
}

/// Results files mutated at random (the lab's generator) through the page's
/// door (`Playground::import`, which checks them as the engine does) and,
/// when accepted, through everything the page draws from results. Nothing
/// may panic; a refusal says why.
#[test]
fn mutated_results_files_are_refused_with_a_reason_or_survive_every_page_view() {
    const CASES: usize = 1500;
    let text = |name: &str| {
        let path = format!("{}/../../web/precomputed/{name}.json", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    };
    let bases: Vec<Value> = ["quick", "inoculation"]
        .map(|n| serde_json::from_str(&text(n)).unwrap())
        .to_vec();
    let (accepted, refused) = upbringing_lab::fuzz::fuzz(CASES, 0x9a6e, &bases, |file| {
        let mut p = Playground::with_spec("quick", presets::preset("quick").unwrap(), false);
        match p.import(file) {
            Ok(()) => {
                let (results, _) = p.results.as_ref().expect("an imported file is shown");
                for m in Metric::ALL {
                    let _ = heatmap(results, m);
                }
                let _ = takeaway(results);
                for s in Series::ALL {
                    let _ = curves::from_results(results, s);
                }
                for (r, share) in by_regime(results) {
                    let _ = share.mean_depth(r);
                    let _ = share.stage(
                        r,
                        0,
                        Condition::InDistribution,
                        upbringing_lab::results::Metric::Gamed,
                    );
                }
                let _ = p.card_actions();
                let _ = p.verdict();
                let _ = results.csv();
                true
            }
            Err(why) => {
                assert!(!why.trim().is_empty(), "a refusal says why");
                false
            }
        }
    });
    println!(
        "results files through the page: {CASES} mutated, {accepted} accepted (every view drawn), {refused} refused"
    );
    assert!(accepted > 0 && refused > 0, "both doors exercised");
}
