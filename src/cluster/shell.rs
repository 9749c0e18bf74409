//! Quoting for the two languages of a Slurm script: the shell (bash) and
//! the `#SBATCH` lines, which sbatch parses itself (double quotes group,
//! a backslash escapes the next character, an unquoted `#` ends the line).

/// Characters that need no quoting in either language.
fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:=,+@%".contains(&b))
}

/// `s` as one bash word: unchanged when plain, else single-quoted (a single
/// quote inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `s` as one argument of an `#SBATCH` line: unchanged when plain, else
/// double-quoted with `"` and `\` escaped.
pub fn sbatch_quote(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_as_they_are() {
        for s in ["--set", "duration=2min", "/a/b-c_d.toml", "1-3%2"] {
            assert_eq!(shell_quote(s), s);
            assert_eq!(sbatch_quote(s), s);
        }
    }

    #[test]
    fn spaces_and_quotes_are_quoted() {
        assert_eq!(shell_quote("/my dir/x"), "'/my dir/x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(sbatch_quote("/my dir/x"), "\"/my dir/x\"");
        assert_eq!(sbatch_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(sbatch_quote("--comment=a#b"), "\"--comment=a#b\"");
    }

    #[test]
    fn a_quoted_word_reads_back_unchanged_in_bash() {
        let tricky = "it's a \"dir\" with $HOME, `x` and \\";
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(tricky)))
            .output();
        // Machines without bash skip the check; the quoting tests above stand.
        if let Ok(out) = out {
            assert_eq!(String::from_utf8_lossy(&out.stdout), tricky);
        }
    }
}
