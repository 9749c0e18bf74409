//! Expected failures (`testbed/expected-failures.toml`): rows of `validate`
//! known to fail, each with its reason, so that CI is green and honest
//! while the model is being fixed. An expected failure that fails is
//! reported as such and does not fail the validation; one that passes is
//! flagged (`UNEXPECTED PASS`) and does fail it, so that stale entries are
//! deleted as the model improves; an entry marked `strict = false` (a
//! failure whose size depends on how busy the machine is) shows its pass
//! without failing.
//!
//! ```toml
//! [[expected]]
//! architecture = "hybrid"
//! row = "delegated fraction"
//! reason = "PGLite's init blocks the DO's thread: requests wait instead of delegating"
//! ```

use std::path::Path;

use serde::Deserialize;

use super::compare::{row_names, Comparison, Verdict};
use super::results::ARCHITECTURES;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub architecture: String,
    pub row: String,
    pub reason: String,
    /// true (the default): a pass fails the validation (the entry is stale).
    /// false: for rows whose failure depends on how busy the machine is (a
    /// cross-tenant wait that a quiet machine can hide); a pass is shown
    /// and does not fail.
    #[serde(default = "strict_default")]
    pub strict: bool,
}

fn strict_default() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    expected: Vec<Expected>,
}

/// Reads and checks an expected-failures file: every architecture and row
/// must be one `validate` prints (the nearest is suggested), each listed once.
pub fn read(path: &Path) -> anyhow::Result<Vec<Expected>> {
    let text = crate::experiment::config::read_text_file(path).map_err(|e| {
        anyhow::anyhow!("{}: cannot read the expected failures: {e}", path.display())
    })?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> anyhow::Result<Vec<Expected>> {
    let file: File =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let rows = row_names();
    for (i, e) in file.expected.iter().enumerate() {
        let at = format!("{}: [[expected]] number {}", path.display(), i + 1);
        if !ARCHITECTURES.contains(&e.architecture.as_str()) {
            anyhow::bail!(
                "{at}: architecture {:?} is not one of {}",
                e.architecture,
                ARCHITECTURES.join(", ")
            );
        }
        if !rows.contains(&e.row) {
            let nearest = rows
                .iter()
                .min_by_key(|r| strsim::levenshtein(r, &e.row))
                .map_or(String::new(), |r| format!(" (nearest: {r:?})"));
            anyhow::bail!(
                "{at}: row {:?} is not a row validate prints{nearest}",
                e.row
            );
        }
        if e.reason.trim().is_empty() {
            anyhow::bail!("{at}: reason is empty: say why the row fails");
        }
        if file.expected[..i]
            .iter()
            .any(|o| o.architecture == e.architecture && o.row == e.row)
        {
            anyhow::bail!("{at}: {} / {} is listed twice", e.architecture, e.row);
        }
    }
    Ok(file.expected)
}

/// Relabels the verdicts of `rows` (of `architecture`) listed in `expected`.
pub fn apply(architecture: &str, rows: &mut [Comparison], expected: &[Expected]) {
    for row in rows.iter_mut() {
        let Some(e) = expected
            .iter()
            .find(|e| e.architecture == architecture && e.row == row.row)
        else {
            continue;
        };
        row.verdict = match row.verdict {
            Verdict::Fail => Verdict::ExpectedFail,
            Verdict::Pass if e.strict => Verdict::UnexpectedPass,
            Verdict::Pass => Verdict::ListedPass,
            other => other,
        };
        row.reason = Some(e.reason.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::compare::Tolerance;

    fn row(name: &str, verdict: Verdict) -> Comparison {
        Comparison {
            row: name.into(),
            sim: 1.0,
            testbed: 1.0,
            testbed_ci: (1.0, 1.0),
            testbed_n: 1,
            sim_n: 1,
            tolerance: Tolerance::Count {
                relative: 0.0,
                absolute: 0.0,
            },
            verdict,
            reason: None,
        }
    }

    #[test]
    fn expected_failures_relabel_and_stale_entries_fail() {
        let p = Path::new("x.toml");
        let e = parse(
            p,
            "[[expected]]\narchitecture = \"hybrid\"\nrow = \"delegated fraction\"\nreason = \"r\"\n\
             [[expected]]\narchitecture = \"hybrid\"\nrow = \"p50 all\"\nreason = \"r2\"\n\
             [[expected]]\narchitecture = \"hybrid\"\nrow = \"p90 all\"\nreason = \"r3\"\nstrict = false\n",
        )
        .unwrap();
        let mut rows = vec![
            row("delegated fraction", Verdict::Fail),
            row("p50 all", Verdict::Pass),
            row("DO starts", Verdict::Fail),
            row("p90 all", Verdict::Pass),
        ];
        apply("hybrid", &mut rows, &e);
        assert_eq!(rows[0].verdict, Verdict::ExpectedFail);
        assert!(!rows[0].verdict.fails());
        assert_eq!(rows[1].verdict, Verdict::UnexpectedPass);
        assert!(rows[1].verdict.fails());
        assert_eq!(rows[2].verdict, Verdict::Fail);
        assert_eq!(rows[3].verdict, Verdict::ListedPass);
        assert!(!rows[3].verdict.fails());
        let mut other = vec![row("delegated fraction", Verdict::Fail)];
        apply("thin", &mut other, &e);
        assert_eq!(other[0].verdict, Verdict::Fail);
    }

    #[test]
    fn bad_entries_are_named() {
        let p = Path::new("x.toml");
        let typo = parse(p, "[[expected]]\narchitecture = \"hybrid\"\nrow = \"delegated fractoin\"\nreason = \"r\"\n");
        assert!(typo
            .unwrap_err()
            .to_string()
            .contains("nearest: \"delegated fraction\""));
        let arch = parse(
            p,
            "[[expected]]\narchitecture = \"hybird\"\nrow = \"DO starts\"\nreason = \"r\"\n",
        );
        assert!(arch
            .unwrap_err()
            .to_string()
            .contains("x.toml: [[expected]] number 1"));
        let unknown = parse(
            p,
            "[[expected]]\narchitecture = \"thin\"\nrow = \"DO starts\"\nreason = \"r\"\nwhy = 1\n",
        );
        assert!(unknown.is_err());
        assert_eq!(parse(p, "").unwrap(), vec![]);
    }
}
