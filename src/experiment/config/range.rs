//! Sweep ranges: `{ from = 0.6, to = 1.2, steps = 7 }` (inclusive, linear)
//! or with `scale = "log"` (geometric), over numbers or durations.
//!
//! Invariants: `from` and `to` are checked as values of the swept key
//! (numbers in its range, integer keys after rounding, durations with a
//! unit, `> 0` for a log scale), so every value between them is valid too;
//! the first value is `from` and the last `to`, exactly; intermediate values
//! are clamped between them; `steps` is 2 to 100,000, or 1 with
//! `from == to`; two values equal after rounding are an error (the range
//! asks for more steps than the key can hold); nothing here panics (no
//! unchecked cast, no division by zero).

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::error::{toml_quote, ConfigError};
use super::layer::Setting;
use super::scalar::{check_keys, choice, duration, get, integer, invalid, number_of, wrong_type};
use super::schema::{Kind, NumberRange};
use super::sweep::SweptValue;
use super::to_toml::{exact_duration, float};
use super::Source;
use crate::dist::Dist;
use crate::time::Nanos;

/// The most values a range may have.
const MAX_STEPS: u64 = 100_000;

const KEYS: &[&str] = &["from", "to", "steps", "scale"];
const SCALES: &[&str] = &["linear", "log"];
const ENDS_ARE_SINGLE: &str = "the ends of a range are single durations";

/// What the ends of a range are read as.
enum Ends {
    Integer { min: u64, max: u64 },
    Number(NumberRange),
    Duration { positive: bool, dist: bool },
}

/// Expands the range table `table` (at `span`) of the key shown as `shown`
/// (`sweep.workload.zipf_s`) into settings and their swept values.
pub(crate) fn read_range(
    source: &Source,
    shown: &str,
    kind: Kind,
    span: &Range<usize>,
    table: &DeTable<'_>,
) -> Result<Vec<(Setting, SweptValue)>, ConfigError> {
    check_keys(source, shown, table, KEYS, "a range")?;
    let ends = match kind {
        Kind::Integer { min, max } => Ends::Integer { min, max },
        Kind::Number(range) => Ends::Number(range),
        Kind::Duration { positive, .. } => Ends::Duration {
            positive,
            dist: false,
        },
        Kind::Dist => Ends::Duration {
            positive: false,
            dist: true,
        },
        Kind::Bool
        | Kind::Choice(_)
        | Kind::Architectures
        | Kind::Path
        | Kind::Profile
        | Kind::MmppStates
        | Kind::Names(_) => {
            return Err(invalid(
                source,
                shown,
                span,
                "a range needs a key that takes a number or a duration; list the values \
                 to sweep instead, such as [true, false] or [\"blocked\", \"allowed\"]",
            ))
        }
    };
    let (Some(from), Some(to), Some(steps)) =
        (get(table, "from"), get(table, "to"), get(table, "steps"))
    else {
        return Err(ConfigError::at(
            source,
            span,
            super::ErrorKind::Missing,
            Some(shown.to_string()),
            format!(
                "`{shown}`: a range needs `from`, `to` and `steps` (and optionally \
                 scale = \"log\"), such as {{ from = 0.6, to = 1.2, steps = 4 }}"
            ),
        ));
    };
    let log = match get(table, "scale") {
        Some(scale) => choice(source, &format!("{shown}.scale"), scale, SCALES)? == "log",
        None => false,
    };
    let steps_key = format!("{shown}.steps");
    let steps = integer(source, &steps_key, steps, 1, MAX_STEPS)?;
    let read_end =
        |name: &str, value| read_end(source, &format!("{shown}.{name}"), &ends, log, value);
    let (a, b) = (read_end("from", from)?, read_end("to", to)?);
    if (steps == 1) != (a == b) {
        let detail = if steps == 1 {
            format!(
                "steps = 1 needs from == to, found from = {} and to = {}; \
                 use steps >= 2 to go from one to the other",
                a.show(),
                b.show()
            )
        } else {
            format!(
                "from and to are both {}: a range from a value to itself has steps = 1",
                a.show()
            )
        };
        return Err(invalid(source, &steps_key, &steps_span(table), detail));
    }
    let mut out: Vec<(Setting, SweptValue)> = Vec::new();
    for i in 0..steps {
        let item = value_at(&ends, point(a, b, i, steps, log));
        if let Some((_, last)) = out.last() {
            if last.cell == item.1.cell {
                let what = match ends {
                    Ends::Integer { .. } => "after rounding to whole numbers",
                    Ends::Number(_) => "after rounding to 12 significant digits",
                    Ends::Duration { .. } => "after rounding to 6 significant digits",
                };
                return Err(invalid(
                    source,
                    shown,
                    span,
                    format!(
                        "the range gives {} twice {what}: use fewer steps, or list the values",
                        item.1.cell
                    ),
                ));
            }
        }
        out.push(item);
    }
    Ok(out)
}

/// An end of a range, or a value of it: a number, or whole nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Number(f64),
    Nanos(Nanos),
}

impl End {
    fn as_f64(self) -> f64 {
        match self {
            End::Number(x) => x,
            End::Nanos(ns) => ns as f64,
        }
    }

    fn show(self) -> String {
        match self {
            End::Number(x) => format!("{x}"),
            End::Nanos(ns) => exact_duration(ns),
        }
    }
}

fn steps_span(table: &DeTable<'_>) -> Range<usize> {
    get(table, "steps").map_or(0..0, |v| v.span())
}

/// Reads `from` or `to` as a number or nanoseconds.
fn read_end(
    source: &Source,
    key: &str,
    ends: &Ends,
    log: bool,
    value: &super::scalar::Value<'_>,
) -> Result<End, ConfigError> {
    let span = value.span();
    let end = match *ends {
        Ends::Integer { min, max } => {
            let expected = format!("a number rounding to an integer from {min} to {max}");
            let Some(x) = number_of(value.get_ref()).filter(|x| x.is_finite()) else {
                return Err(wrong_type(source, key, value, &expected));
            };
            if !(min as f64..=max as f64).contains(&x.round()) {
                return Err(invalid(
                    source,
                    key,
                    &span,
                    format!("expected {expected}, found {x}"),
                ));
            }
            End::Number(x)
        }
        Ends::Number(range) => End::Number(super::scalar::number(source, key, value, range)?),
        Ends::Duration { positive, .. } => {
            if matches!(value.get_ref(), DeValue::Table(_)) {
                return Err(wrong_type(
                    source,
                    key,
                    value,
                    "a duration such as \"10s\" (a range sweeps constant durations; \
                     list distribution tables to sweep distributions)",
                ));
            }
            let ns = duration(source, key, value, ENDS_ARE_SINGLE)?;
            if positive && ns == 0 {
                return Err(invalid(
                    source,
                    key,
                    &span,
                    "expected a duration > 0, found 0",
                ));
            }
            End::Nanos(ns)
        }
    };
    if log && end.as_f64() <= 0.0 {
        return Err(invalid(
            source,
            key,
            &span,
            format!(
                "a range with scale = \"log\" needs from and to > 0, found {}",
                end.show()
            ),
        ));
    }
    Ok(end)
}

/// Value `i` of `steps` from `a` to `b` (both of the same variant).
fn point(a: End, b: End, i: u64, steps: u64, log: bool) -> End {
    let last = steps.saturating_sub(1);
    if i == 0 {
        return a;
    }
    if i >= last {
        return b;
    }
    let (x, y) = (a.as_f64(), b.as_f64());
    let t = i as f64 / last as f64;
    let z = if log {
        (x.ln() + (y.ln() - x.ln()) * t).exp()
    } else {
        x + (y - x) * t
    };
    match (a, b) {
        (End::Nanos(m), End::Nanos(n)) => {
            // Saturating cast; then clamped between the exact ends.
            let ns = significant_nanos(z.round() as Nanos, 6);
            End::Nanos(ns.clamp(m.min(n), m.max(n)))
        }
        _ => End::Number(significant(z, 12).clamp(x.min(y), x.max(y))),
    }
}

/// `ns` rounded to `digits` significant decimal digits.
fn significant_nanos(ns: Nanos, digits: u32) -> Nanos {
    let length = ns.checked_ilog10().map_or(1, |l| l.saturating_add(1));
    if length <= digits {
        return ns;
    }
    let factor = 10u128.pow(length - digits);
    let rounded = (u128::from(ns) + factor / 2) / factor * factor;
    Nanos::try_from(rounded).unwrap_or(Nanos::MAX)
}

/// `x` rounded to `digits` significant digits.
fn significant(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = digits.saturating_sub(1);
    format!("{x:.digits$e}").parse().unwrap_or(x)
}

/// The setting and swept value of range value `value`.
fn value_at(ends: &Ends, value: End) -> (Setting, SweptValue) {
    let x = value.as_f64();
    match *ends {
        Ends::Integer { .. } => {
            // `x` is within the checked ends, so the cast does not saturate
            // (and a saturating cast could not panic anyway).
            let n = x.round() as u64;
            let text = n.to_string();
            let swept = SweptValue {
                toml: text.clone(),
                cell: text,
            };
            (Setting::Integer(n), swept)
        }
        Ends::Number(_) => {
            let swept = SweptValue {
                toml: float(x),
                cell: format!("{x}"),
            };
            (Setting::Number(x), swept)
        }
        Ends::Duration { dist, .. } => {
            let ns = match value {
                End::Nanos(ns) => ns,
                End::Number(x) => x.round() as Nanos,
            };
            let text = exact_duration(ns);
            let swept = SweptValue {
                toml: toml_quote(&text),
                cell: text,
            };
            let setting = if dist {
                Setting::Dist(Dist::Constant(ns))
            } else {
                Setting::Duration(ns)
            };
            (setting, swept)
        }
    }
}
