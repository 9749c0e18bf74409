//! [`ConfigError`]: one clear message per refused configuration.
//!
//! Invariants: every error names the layer it comes from (a file path,
//! `<embedded models/cloudflare.toml>` or `--set KEY=VALUE`); an error about
//! a key or a value also carries the 1-based line and column of that key or
//! value in the layer's text and the full dotted key (`workload.tenants`,
//! `phases.cache_check.max`, `architectures[2]`). The message says what was
//! expected and what was found. Building an error never panics, whatever the
//! span (out-of-range spans are clamped).

use std::fmt;
use std::ops::Range;

use toml::de::DeValue;

use super::Source;

/// What kind of mistake a [`ConfigError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A file could not be read.
    Read,
    /// The text is not valid TOML.
    Syntax,
    /// A key the schema does not have (possibly misspelt).
    UnknownKey,
    /// A value of the wrong TOML type (a string where a number belongs...).
    WrongType,
    /// A value of the right type but out of range or otherwise refused.
    InvalidValue,
    /// A required key that no layer sets.
    Missing,
    /// Values that are fine alone but not together (warmup >= duration,
    /// duplicate architectures); detected after merging the layers.
    Conflict,
    /// A `--set` argument not of the form `KEY=VALUE`.
    SetForm,
}

/// A configuration error, located in the layer that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    origin: String,
    position: Option<(usize, usize)>,
    key: Option<String>,
    kind: ErrorKind,
    message: String,
}

impl ConfigError {
    /// An error at `span` (byte offsets) of `source`'s text; `message` is the
    /// whole sentence, the key included.
    pub(crate) fn at(
        source: &Source,
        span: &Range<usize>,
        kind: ErrorKind,
        key: Option<String>,
        message: String,
    ) -> ConfigError {
        ConfigError {
            origin: source.name.clone(),
            position: Some(line_column(&source.text, span.start)),
            key,
            kind,
            message,
        }
    }

    /// An error about a value: the message is "`key`: detail".
    pub(crate) fn value(
        source: &Source,
        span: &Range<usize>,
        kind: ErrorKind,
        key: &str,
        detail: impl fmt::Display,
    ) -> ConfigError {
        ConfigError::at(
            source,
            span,
            kind,
            Some(key.to_string()),
            format!("`{key}`: {detail}"),
        )
    }

    /// An error with no position in a text (unreadable file, bad `--set`).
    pub(crate) fn unplaced(
        origin: &str,
        kind: ErrorKind,
        key: Option<String>,
        message: String,
    ) -> ConfigError {
        ConfigError {
            origin: origin.to_string(),
            position: None,
            key,
            kind,
            message,
        }
    }

    /// The same error with `note` appended to its message (such as the
    /// sweep point it was found at).
    pub(crate) fn with_note(mut self, note: &str) -> ConfigError {
        self.message.push_str(note);
        self
    }

    /// The layer the error comes from: a file path, the embedded model's
    /// name, or `--set KEY=VALUE`.
    ///
    /// (This inherent method shadows `std::error::Error::source`, which is
    /// always `None` for a `ConfigError`.)
    pub fn source(&self) -> &str {
        &self.origin
    }

    /// The 1-based line of the offending key or value, if it has one.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// The 1-based column (in characters) of the offending key or value.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }

    /// The full dotted key concerned, such as `phases.cache_check.max`.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The kind of mistake.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the location prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            // A `--set` layer is one line; its name already contains `:`-free
            // text the user typed, so "column N" reads better than `:1:N`.
            Some((1, column)) if self.origin.starts_with("--set ") => {
                write!(f, "{} (column {column}): {}", self.origin, self.message)
            }
            Some((line, column)) => {
                write!(f, "{}:{line}:{column}: {}", self.origin, self.message)
            }
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The 1-based line and column (counted in characters) of byte `offset`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1usize;
    let mut column = 1usize;
    for (index, c) in text.char_indices() {
        if index >= offset {
            break;
        }
        if c == '\n' {
            line = line.saturating_add(1);
            column = 1;
        } else {
            column = column.saturating_add(1);
        }
    }
    (line, column)
}

/// Describes a TOML value for "found ..." (strings quoted and shortened).
pub(crate) fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string {}", quote_short(s)),
        DeValue::Integer(i) => {
            let prefix = match i.radix() {
                2 => "0b",
                8 => "0o",
                16 => "0x",
                _ => "",
            };
            format!("the integer {prefix}{}", i.as_str())
        }
        DeValue::Float(x) => format!("the float {}", x.as_str()),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date-time {d}"),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// `text` as a quoted string, cut to at most 40 characters.
pub(crate) fn quote_short(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{cut:?}...")
    }
}

/// The candidate nearest to `word`, if it is close enough to be a likely
/// misspelling: a small edit distance, or a strong common prefix.
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Long inputs are not misspelt keys, and edit distance is quadratic.
    if word.is_empty() || word.len() > 64 {
        return None;
    }
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // `WORKLOAD` for `workload`: the same key in another case.
    if let Some(same) = candidates.iter().find(|c| c.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    let allowed_edits = match word.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        n => n / 3,
    };
    let by_edits = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .min_by_key(|(distance, _)| *distance);
    if let Some((distance, candidate)) = by_edits {
        if distance <= allowed_edits {
            return Some(candidate);
        }
    }
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score >= 0.88)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
        .or_else(|| containing_words(word, &candidates))
}

/// The shortest candidate whose `_`-separated words contain `word`'s as a
/// run (`rtt` in `client_rtt`, `hit_ratio` in `cache_hit_ratio`): a name
/// given without its qualifier.
fn containing_words<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let wanted: Vec<&str> = lower.split('_').filter(|w| !w.is_empty()).collect();
    if wanted.is_empty() {
        return None;
    }
    candidates
        .iter()
        .filter(|c| {
            let words: Vec<&str> = c.split('_').collect();
            words.len() > wanted.len() && words.windows(wanted.len()).any(|w| w == wanted)
        })
        .min_by_key(|c| c.len())
        .copied()
}

/// `names` as `a, b, c`.
pub(crate) fn list(names: &[&str]) -> String {
    names.join(", ")
}

/// `names` as `"a", "b", "c"`.
pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` as a TOML basic string.
pub(crate) fn toml_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(2));
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nµ = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'µ' is two bytes: the `=` after it is the third character.
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 10_000), (3, 1));
    }

    #[test]
    fn suggests_only_close_names() {
        let keys = ["tenants", "zipf_s", "rate_rps", "arrivals"];
        assert_eq!(nearest("tenats", keys), Some("tenants"));
        assert_eq!(nearest("rate", keys), Some("rate_rps"));
        assert_eq!(nearest("zipf", keys), Some("zipf_s"));
        assert_eq!(nearest("colour", keys), None);
        assert_eq!(nearest("", keys), None);
    }

    #[test]
    fn quoting_escapes_and_shortens() {
        assert_eq!(toml_quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert!(quote_short(&"x".repeat(100)).ends_with("..."));
    }
}
