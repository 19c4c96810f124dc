//! Scenario errors that point at the exact place in the file and suggest the fix.

use std::fmt;

/// What class of mistake a [`ScenarioError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not valid TOML / JSON (a missing quote, an unclosed table, ...).
    Syntax,
    /// A field name the format does not know (usually a typo; the hint names the closest one).
    UnknownField,
    /// A value of the wrong type or form (`partitions = "twelve"`, `duration = "5 parsecs"`).
    BadValue,
    /// A required field is absent.
    MissingField,
    /// Well-formed but inconsistent or out of range: zero partitions, a group on a missing
    /// topic, an absurd size, an assertion on an unknown metric.
    Invalid,
    /// The file could not be read at all.
    Io,
}

/// One clear error about a scenario file: `file:line:column: field.path: message`, the offending
/// source line with a caret, and a hint when there is an obvious fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The class of mistake.
    pub kind: ErrorKind,
    /// The file name as given by the user (or `<input>`).
    pub file: String,
    /// 1-based line (0 when unknown, e.g. for I/O errors).
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// The field path, e.g. `group[1].topic` (empty for the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
    /// The source line the error points into.
    pub source_line: Option<String>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": error")?;
        if !self.path.is_empty() {
            write!(f, " in `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(line) = &self.source_line {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            write!(f, "\n {pad} |\n {number} | {line}\n {pad} | ")?;
            let caret_at = self.column.saturating_sub(1);
            let prefix: String = line
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{prefix}^")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

impl ScenarioError {
    /// An error without a position (the file could not be read).
    pub fn io(file: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            kind: ErrorKind::Io,
            file: file.to_string(),
            line: 0,
            column: 0,
            path: String::new(),
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    /// The one-line form `file:line:col: path: message` used in UIs next to an editor.
    pub fn short(&self) -> String {
        let path = if self.path.is_empty() {
            String::new()
        } else {
            format!(" `{}`", self.path)
        };
        format!(
            "{}:{}:{}:{} {}",
            self.file, self.line, self.column, path, self.message
        )
    }
}

/// The known name closest to `input` (by Jaro–Winkler similarity), if any is close enough to be
/// a plausible typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("partitons", ["name", "partitions", "retention"]),
            Some("partitions".to_string())
        );
        assert_eq!(did_you_mean("zzz", ["name", "partitions"]), None);
    }

    #[test]
    fn display_shows_location_snippet_and_hint() {
        let error = ScenarioError {
            kind: ErrorKind::UnknownField,
            file: "a.toml".into(),
            line: 3,
            column: 1,
            path: "topic[0].partitons".into(),
            message: "unknown field `partitons`".into(),
            hint: Some("did you mean `partitions`?".into()),
            source_line: Some("partitons = 12".into()),
        };
        let text = error.to_string();
        assert!(text.starts_with("a.toml:3:1: error in `topic[0].partitons`: unknown field"));
        assert!(text.contains(" 3 | partitons = 12"));
        assert!(text.contains("hint: did you mean `partitions`?"));
    }
}
