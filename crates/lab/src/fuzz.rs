//! Hostile input, generated, for the tests of every front door (the engine's
//! and the page's): a valid JSON document mutated at random (extreme
//! numbers, wrong types, missing or repeated parts), deterministically.
//! Here, not in a test file, so both crates' tests share one generator.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

use crate::rng::Rng;

/// Every path (object keys and array indices) in `v`, depth first.
fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                paths(x, at, out);
                at.pop();
            }
        }
        // Long arrays (rows, transcripts, logs): a few elements stand for all.
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(3) {
                at.push(i.to_string());
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).expect("a path from `paths`"),
        Value::Array(a) => &mut a[k.parse::<usize>().expect("an index")],
        _ => unreachable!("paths only descend into containers"),
    })
}

/// One random mutation of `v`, described.
pub fn mutate(v: &mut Value, rng: &mut Rng) -> String {
    let mut all = vec![];
    paths(v, &mut vec![], &mut all);
    let path = &all[rng.below(all.len())];
    let target = node(v, path).clone();
    let replacement: Value = match rng.below(14) {
        0 => u64::MAX.into(),
        1 => (1u64 << 63).into(),
        2 => (-1).into(),
        3 => 1e308.into(),
        4 => 0.into(),
        5 => (1u64 << 53).into(),
        6 => Value::Null,
        7 => "".into(),
        8 => "=HYPERLINK(\"x\")".repeat(100).into(),
        9 => Value::Array(vec![]),
        10 => Value::Object(Default::default()),
        11 => true.into(),
        // Repeat a container's first element, or drop one of its keys.
        12 => match target {
            Value::Array(mut a) if !a.is_empty() => {
                a.push(a[0].clone());
                Value::Array(a)
            }
            Value::Object(mut m) if !m.is_empty() => {
                let key = m.keys().nth(rng.below(m.len())).cloned().expect("non-empty");
                m.remove(&key);
                Value::Object(m)
            }
            other => other,
        },
        _ => match target {
            Value::Number(n) => (-n.as_f64().unwrap_or(0.0) * 1e6).into(),
            other => other,
        },
    };
    let what = format!("{} <- {}", path.join("."), short(&replacement));
    *node(v, path) = replacement;
    what
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(60).collect()
}

/// `cases` mutations of the `bases`, each through `door` (true: accepted,
/// false: refused; it asserts what each outcome must satisfy). A panic is
/// reported with the mutations that caused it. Returns (accepted, refused).
pub fn fuzz(cases: usize, seed: u64, bases: &[Value], door: impl Fn(&str) -> bool) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases {
        let mut v = bases[rng.below(bases.len())].clone();
        let what: Vec<String> = (0..1 + rng.below(3)).map(|_| mutate(&mut v, &mut rng)).collect();
        let text = v.to_string();
        match catch_unwind(AssertUnwindSafe(|| door(&text))) {
            Ok(true) => accepted += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("case {case} panicked: {what:?}"),
        }
    }
    (accepted, refused)
}
