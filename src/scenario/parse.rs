//! Reading a scenario from TOML or JSON text into the serde model, with every error mapped to
//! `file:line:column`, the field path, and a fix.

use super::error::{did_you_mean, ErrorKind, ScenarioError};
use super::json_locate::{self, line_col, PathSegment};
use super::model::Scenario;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::ops::Range;

/// The two text formats of scenario files (same model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TOML, the primary format (comments allowed).
    Toml,
    /// JSON, for generated scenarios.
    Json,
}

impl Format {
    /// JSON for `*.json`, TOML otherwise.
    pub fn from_file_name(file: &str) -> Self {
        if file.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// The largest scenario text accepted (a scenario is a description, not data).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// A scenario text with its name, able to turn a path or byte offset into a located error.
pub struct Source<'a> {
    /// The name used in messages.
    pub file: &'a str,
    /// The text.
    pub text: &'a str,
    /// Its format.
    pub format: Format,
}

impl Source<'_> {
    /// An error at a byte range.
    pub fn error_at(
        &self,
        kind: ErrorKind,
        span: Option<Range<usize>>,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ScenarioError {
        let (line, column) = match &span {
            Some(span) => line_col(self.text, span.start),
            None => (1, 1),
        };
        let source_line = self
            .text
            .lines()
            .nth(line.saturating_sub(1))
            .map(|l| l.trim_end_matches('\r').to_string());
        ScenarioError {
            kind,
            file: self.file.to_string(),
            line,
            column,
            path: path.to_string(),
            message: message.into(),
            hint,
            source_line,
        }
    }

    /// An error about the value at `path` (or its key, for `at_key`), located in the text.
    pub fn error_at_path(
        &self,
        kind: ErrorKind,
        path: &[PathSegment],
        at_key: bool,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ScenarioError {
        let span = match self.format {
            Format::Json if at_key => json_locate::locate_key(self.text, path),
            Format::Json => json_locate::locate(self.text, path),
            Format::Toml => toml_locate(self.text, path, at_key),
        };
        self.error_at(kind, span, &display_path(path), message, hint)
    }
}

/// `group[1].topic` from path segments.
pub fn display_path(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathSegment::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Byte range of the value (or key) at `path` in a TOML text, or of its deepest existing
/// ancestor (the document start when not even the first key exists). Uses `toml_edit`, which
/// keeps the span of everything it parses.
pub fn toml_locate(text: &str, path: &[PathSegment], at_key: bool) -> Option<Range<usize>> {
    let document = toml_edit::ImDocument::parse(text).ok()?;
    if path.is_empty() {
        return Some(0..0);
    }
    locate_below(document.as_item(), path, at_key).or(Some(0..0))
}

fn item_span(item: &toml_edit::Item) -> Option<Range<usize>> {
    match item {
        toml_edit::Item::Value(value) => value.span(),
        toml_edit::Item::Table(table) => table.span(),
        toml_edit::Item::ArrayOfTables(tables) => tables.span(),
        toml_edit::Item::None => None,
    }
}

/// Looks up `path` below a table or inline table (`entry` finds a key's entry in it).
fn locate_in_map<'a>(
    own_span: Option<Range<usize>>,
    entry: impl FnOnce(&str) -> Option<(&'a toml_edit::Key, &'a toml_edit::Item)>,
    path: &[PathSegment],
    at_key: bool,
) -> Option<Range<usize>> {
    let Some((PathSegment::Key(key), rest)) = path.split_first() else {
        return own_span;
    };
    let (k, value) = entry(key)?;
    if rest.is_empty() {
        return if at_key {
            k.span()
        } else {
            item_span(value).or(k.span())
        };
    }
    locate_below(value, rest, at_key)
        .or(item_span(value))
        .or(k.span())
}

fn locate_in_table(
    table: &toml_edit::Table,
    path: &[PathSegment],
    at_key: bool,
) -> Option<Range<usize>> {
    locate_in_map(table.span(), |k| table.get_key_value(k), path, at_key)
}

fn locate_in_inline(
    table: &toml_edit::InlineTable,
    path: &[PathSegment],
    at_key: bool,
) -> Option<Range<usize>> {
    locate_in_map(table.span(), |k| table.get_key_value(k), path, at_key)
}

fn locate_below(
    item: &toml_edit::Item,
    path: &[PathSegment],
    at_key: bool,
) -> Option<Range<usize>> {
    match (item, path.first()?) {
        (toml_edit::Item::Table(table), PathSegment::Key(_)) => {
            locate_in_table(table, path, at_key)
        }
        (toml_edit::Item::Value(toml_edit::Value::InlineTable(table)), PathSegment::Key(_)) => {
            locate_in_inline(table, path, at_key)
        }
        (toml_edit::Item::ArrayOfTables(tables), PathSegment::Index(index)) => {
            let table = tables.get(*index)?;
            if path.len() == 1 {
                table.span()
            } else {
                locate_in_table(table, &path[1..], at_key).or(table.span())
            }
        }
        (toml_edit::Item::Value(toml_edit::Value::Array(array)), PathSegment::Index(index)) => {
            let value = array.get(*index)?;
            match (value, path.len()) {
                (_, 1) => value.span(),
                (toml_edit::Value::InlineTable(table), _) => {
                    locate_in_inline(table, &path[1..], at_key).or(value.span())
                }
                _ => value.span(),
            }
        }
        _ => None,
    }
}

/// Converts `serde_path_to_error`'s path into our segments.
fn segments_of(path: &serde_path_to_error::Path) -> Vec<PathSegment> {
    path.iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => Some(PathSegment::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(PathSegment::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => {
                Some(PathSegment::Key(variant.clone()))
            }
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// The path of an unknown field ends with the field's own name (serde_path_to_error may or may
/// not have recorded it already).
fn with_unknown_field(
    mut path: Vec<PathSegment>,
    kind: ErrorKind,
    unknown: Option<String>,
) -> Vec<PathSegment> {
    if let (ErrorKind::UnknownField, Some(name)) = (kind, unknown) {
        if path.last() != Some(&PathSegment::Key(name.clone())) {
            path.push(PathSegment::Key(name));
        }
    }
    path
}

/// Classifies a serde message and, for unknown fields and variants, suggests the closest
/// expected name (serde lists them in the message: "expected one of `a`, `b`").
fn classify(message: &str) -> (ErrorKind, Option<String>, Option<String>) {
    let quoted = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = message
        .strip_prefix("unknown field ")
        .or_else(|| message.strip_prefix("unknown variant "))
    {
        let names = quoted(rest);
        let unknown = names.first().cloned();
        let expected: Vec<&str> = names.iter().skip(1).map(String::as_str).collect();
        let hint = unknown
            .as_deref()
            .and_then(|u| did_you_mean(u, expected.iter().copied()));
        let hint = match hint {
            Some(name) => Some(format!("did you mean `{name}`?")),
            None if !expected.is_empty() => {
                Some(format!("expected one of: {}", expected.join(", ")))
            }
            None => None,
        };
        let kind = if message.starts_with("unknown field") {
            ErrorKind::UnknownField
        } else {
            ErrorKind::BadValue
        };
        return (kind, hint, unknown);
    }
    if message.starts_with("missing field") {
        return (ErrorKind::MissingField, None, None);
    }
    if message.starts_with("invalid type: string") && message.contains("expected u") {
        return (
            ErrorKind::BadValue,
            Some("write a whole number without quotes, e.g. 12".into()),
            None,
        );
    }
    if message.starts_with("invalid type") && message.contains("expected a string") {
        return (
            ErrorKind::BadValue,
            Some("quote the value, e.g. \"250ms\" or \"200/s\"".into()),
            None,
        );
    }
    (ErrorKind::BadValue, None, None)
}

/// Parses scenario text. Never panics; every failure is one located [`ScenarioError`].
pub fn parse_scenario(text: &str, file: &str, format: Format) -> Result<Scenario, ScenarioError> {
    let source = Source { file, text, format };
    if text.len() > MAX_SOURCE_BYTES {
        return Err(source.error_at(
            ErrorKind::Invalid,
            None,
            "",
            format!(
                "the file is {} bytes; scenarios are limited to {MAX_SOURCE_BYTES}",
                text.len()
            ),
            Some("describe records with producers and rates instead of listing them".into()),
        ));
    }
    match format {
        Format::Toml => parse_toml(&source),
        Format::Json => parse_json(&source),
    }
}

fn parse_toml(source: &Source) -> Result<Scenario, ScenarioError> {
    let tree = toml::from_str::<Tree>(source.text).map_err(|error| {
        let message = error.message().trim().to_string();
        let (_, hint, _) = classify(&message);
        source.error_at(ErrorKind::Syntax, error.span(), "", message, hint)
    })?;
    typed(source, tree.0)
}

fn parse_json(source: &Source) -> Result<Scenario, ScenarioError> {
    let mut deserializer = serde_json::Deserializer::from_str(source.text);
    let tree = Tree::deserialize(&mut deserializer).map_err(|error| {
        let full = error.to_string();
        // serde_json appends " at line L column C"; keep the message clean.
        let message = full
            .rsplit_once(" at line ")
            .map(|(m, _)| m.to_string())
            .unwrap_or(full);
        let (kind, hint, _) = classify(&message);
        let kind = if error.is_syntax() || error.is_eof() {
            ErrorKind::Syntax
        } else {
            kind
        };
        // serde_json reports 1-based line and column of where it stopped.
        let offset = offset_of(source.text, error.line(), error.column());
        source.error_at(kind, Some(offset..offset), "", message, hint)
    })?;
    deserializer.end().map_err(|error| {
        let offset = offset_of(source.text, error.line(), error.column());
        source.error_at(
            ErrorKind::Syntax,
            Some(offset..offset),
            "",
            "trailing characters after the scenario",
            None,
        )
    })?;
    typed(source, tree.0)
}

/// Reads the typed model from the parsed tree, turning serde's complaint into an error located
/// at the offending field (its key for an unknown field, else its value).
fn typed(source: &Source, tree: serde_json::Value) -> Result<Scenario, ScenarioError> {
    serde_path_to_error::deserialize(tree).map_err(|error| {
        let path = segments_of(error.path());
        let message = error.into_inner().to_string();
        let (kind, hint, unknown) = classify(&message);
        let full_path = with_unknown_field(path, kind, unknown);
        source.error_at_path(
            kind,
            &full_path,
            kind == ErrorKind::UnknownField,
            message,
            hint,
        )
    })
}

/// The parsed text of a scenario as a JSON-like tree: both formats are read into it before
/// the typed model is read from it, so the model's (large, generic) deserializer exists once
/// in the program instead of once per format — a quarter of the wasm bundle. Unlike
/// `serde_json::Value`'s own reader it rejects a key given twice, as the typed model does.
struct Tree(serde_json::Value);

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor).map(Tree)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a scenario value")
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(value)
            .map(serde_json::Value::Number)
            .ok_or_else(|| E::custom(format!("{value} is not a finite number")))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        Tree::deserialize(deserializer).map(|tree| tree.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Tree(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
            }
            let Tree(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// Byte offset of 1-based `line`, `column` (serde_json's columns count bytes; `column` 0 means
/// the line start).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
