//! Property tests: no text, `--set` argument or mutation of the default
//! model makes loading panic (errors are fine, panics are not).

use proptest::prelude::*;

use super::{layer, model, pricing};
use crate::experiment::config::*;

/// Values that exercise every reader, valid and not.
const VALUE_SNIPPETS: &[&str] = &[
    "1",
    "-1",
    "0",
    "1.5",
    "nan",
    "-inf",
    "true",
    "\"10ms\"",
    "\"-3s\"",
    "\"abc\"",
    "\"\"",
    "[]",
    "[\"lazy\"]",
    "[\"lazy\", \"lazy\"]",
    "[{ architecture = \"thin\" }, 3]",
    "{}",
    "{ dist = \"uniform\", min = \"5ms\", max = \"1ms\" }",
    "{ dist = \"lognormal\", p1 = \"1ms\", p999 = \"1ms\" }",
    "{ dist = \"lognormal\", mu = 1e308, sigma = 1e-308 }",
    "{ dist = \"empirical\", samples = [] }",
    "{ dist = \"empirical\", file = \"\" }",
    "{ dist = \"normal\", mean = \"1ms\", sd = \"1000d\" }",
    "\"100000000000000000000000d\"",
    "1979-05-27T07:32:00Z",
    "0x7fffffffffffffff",
    "{ architecture = 1 }",
];

fn assignment() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(known_keys()).prop_map(str::to_string),
        "[a-z_.]{1,20}",
    ];
    let value = prop_oneof![
        proptest::sample::select(VALUE_SNIPPETS).prop_map(str::to_string),
        "\\PC{0,12}",
    ];
    (key, value).prop_map(|(k, v)| format!("{k} = {v}"))
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = load(&[model(), pricing(), layer("p.toml", &text)]);
        let _ = load(&[layer("p.toml", &text)]);
    }

    #[test]
    fn arbitrary_assignments_never_panic(lines in proptest::collection::vec(assignment(), 1..6)) {
        let _ = load(&[model(), pricing(), layer("p.toml", &lines.join("\n"))]);
        for line in &lines {
            if let Ok(set) = set_layer(&line.replacen(" = ", "=", 1)) {
                let _ = load(&[model(), pricing(), set]);
            }
        }
    }

    #[test]
    fn arbitrary_set_arguments_never_panic(arg in "\\PC{0,60}") {
        if let Ok(set) = set_layer(&arg) {
            let _ = load(&[model(), pricing(), set]);
        }
    }

    #[test]
    fn mutated_default_model_never_panics(
        edits in proptest::collection::vec((0u8..3, any::<proptest::sample::Index>(), any::<char>()), 1..8)
    ) {
        let mut chars: Vec<char> = DEFAULT_MODEL.chars().collect();
        for (op, at, c) in edits {
            match op {
                0 if !chars.is_empty() => { chars.remove(at.index(chars.len())); }
                1 => { chars.insert(at.index(chars.len() + 1), c); }
                _ if !chars.is_empty() => { let i = at.index(chars.len()); chars[i] = c; }
                _ => {}
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = load(&[layer("m.toml", &text)]);
        let _ = load(&[model(), pricing(), layer("m.toml", &text)]);
    }
}
