//! Map a path inside a JSON document to the byte span of the value at that path.
//!
//! Scenario files are deserialized with a full JSON parser, which reports *syntax*
//! errors with a position but knows nothing about *semantic* validation that happens
//! afterwards ("`rate` must be positive", "unknown stream `foo`", ...). Those errors
//! carry a logical path such as `streams[2].rate`; this module turns such a path back
//! into a byte range of the original text so the error can be reported as
//! `file:line:column`.
//!
//! The implementation is a small, allocation-light recursive-descent scanner. It only
//! understands as much JSON as it needs to:
//!
//! * it walks down the containers named by the path, decoding object keys (including
//!   every escape form, `\uXXXX` and surrogate pairs) so they compare by value;
//! * it *skips* every value it does not descend into, checking the JSON grammar while
//!   doing so (strings, numbers, `true`/`false`/`null`, nested containers);
//! * it never looks beyond the point where the answer is known, so text after the
//!   located value is not validated.
//!
//! Robustness guarantees:
//!
//! * no function in this module panics, whatever the input;
//! * container nesting is capped at [`MAX_DEPTH`] levels, beyond which the scanner
//!   gives up (returns `None`) instead of risking a stack overflow;
//! * every returned range lies within the source and on `char` boundaries, so it can
//!   be used to slice the `&str` directly.
//!
//! Conventions worth knowing:
//!
//! * **Duplicate keys** resolve to the *first* occurrence. (`serde_json` rejects
//!   duplicate fields of structs outright and keeps the last one for maps; for error
//!   reporting on documents that deserialized successfully, either choice points at a
//!   definition of the key, and "first" lets the scan stop early.)
//! * A leading UTF-8 byte-order mark is skipped; offsets still refer to `source`.
//! * Lone UTF-16 surrogates in `\u` escapes are decoded leniently as U+FFFD rather
//!   than rejected.

use std::ops::Range;

/// Maximum number of nested containers (objects/arrays) the scanner will enter.
///
/// A document whose scanned part nests deeper than this makes [`locate`] and
/// [`locate_key`] return `None`.
pub const MAX_DEPTH: usize = 128;

/// One step of a path into a document: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// Member of an object, compared against the *decoded* key text.
    Key(String),
    /// Zero-based element of an array.
    Index(usize),
}

impl From<&str> for PathSegment {
    fn from(key: &str) -> Self {
        PathSegment::Key(key.to_owned())
    }
}

impl From<String> for PathSegment {
    fn from(key: String) -> Self {
        PathSegment::Key(key)
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        PathSegment::Index(index)
    }
}

/// Byte range of the value found at `path` in `source` (a JSON text), or of the
/// deepest ancestor that exists when the path goes further than the document does
/// (so an error about a missing field points at the object that lacks it).
///
/// The range covers the value's text exactly: from its first byte (`{`, `[`, `"`,
/// a digit, `-`, `t`, `f` or `n`) to just after its last byte, without surrounding
/// whitespace. An empty path designates the root value.
///
/// A segment that does not fit the value it is applied to (a key applied to an array
/// or a scalar, an index applied to an object or a scalar) is treated like a missing
/// path: the span of that value is returned.
///
/// Returns `None` only if `source` is not parseable up to the point where the answer
/// is known, or if it nests deeper than [`MAX_DEPTH`] along the way. Never panics.
#[must_use]
pub fn locate(source: &str, path: &[PathSegment]) -> Option<Range<usize>> {
    walk(source, path).map(|found| found.value)
}

/// Like [`locate`], but when the last segment of `path` is an object key that exists
/// in the document, return the span of the *key* (the quoted name, quotes included)
/// instead of its value. This is where an "unknown field" error should point.
///
/// In every other case (empty path, last segment an index, key missing, path
/// deeper than the document) this returns exactly what [`locate`] returns, so the
/// caller always gets the most precise location available.
#[must_use]
pub fn locate_key(source: &str, path: &[PathSegment]) -> Option<Range<usize>> {
    walk(source, path).map(|found| found.key.unwrap_or(found.value))
}

/// 1-based line and column of `byte_offset` in `source`.
///
/// The column is counted in `char`s (Unicode scalar values), not bytes, so text with
/// multi-byte characters before the offset is handled correctly; a tab counts as one
/// column. Lines are separated by `\n` (a `\r` of a CRLF pair is an ordinary char at
/// the end of its line), which matches both JSON and TOML.
///
/// Offsets past the end are clamped to `source.len()`; an offset inside a multi-byte
/// character is moved back to that character's start. Never panics.
#[must_use]
pub fn line_col(source: &str, byte_offset: usize) -> (usize, usize) {
    let mut offset = byte_offset.min(source.len());
    while !source.is_char_boundary(offset) {
        // Terminates: offset 0 is always a char boundary.
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Result of walking a path: the value (or deepest existing ancestor) and, when the
/// last segment was a key that was found, the span of that key.
struct Found {
    value: Range<usize>,
    key: Option<Range<usize>>,
}

/// Outcome of searching a container for one member or element.
enum Lookup {
    /// The scanner is positioned at the start of the wanted value. For objects the
    /// span of the matching key is included.
    Present(Option<Range<usize>>),
    /// The container was scanned to its end without finding the wanted entry; the
    /// scanner is positioned just after the closing bracket.
    Absent,
}

/// Follow `path` through `source`. See [`locate`] for the semantics.
fn walk(source: &str, path: &[PathSegment]) -> Option<Found> {
    let mut scanner = Scanner::new(source);
    scanner.skip_bom();
    scanner.skip_ws();

    let mut key_span = None;
    // Number of containers entered so far along the path.
    let mut depth = 0;

    for segment in path {
        let start = scanner.pos;
        let lookup = match (scanner.peek()?, segment) {
            (b'{', PathSegment::Key(wanted)) => {
                depth = enter(depth)?;
                scanner.find_member(wanted, depth)?
            }
            (b'[', PathSegment::Index(wanted)) => {
                depth = enter(depth)?;
                scanner.find_element(*wanted, depth)?
            }
            // The path asks for more structure than this value has: report the value.
            _ => {
                scanner.skip_value(depth)?;
                return Some(Found {
                    value: start..scanner.pos,
                    key: None,
                });
            }
        };
        match lookup {
            Lookup::Present(key) => key_span = key,
            Lookup::Absent => {
                return Some(Found {
                    value: start..scanner.pos,
                    key: None,
                });
            }
        }
    }

    let start = scanner.pos;
    scanner.skip_value(depth)?;
    Some(Found {
        value: start..scanner.pos,
        key: key_span,
    })
}

/// Account for entering one more container, failing beyond [`MAX_DEPTH`].
fn enter(depth: usize) -> Option<usize> {
    (depth < MAX_DEPTH).then_some(depth + 1)
}

/// Cursor over the bytes of a JSON text.
///
/// All methods return `None` on malformed or truncated input. Positions only ever
/// stop on ASCII bytes that delimit tokens (or the end of input), which keeps every
/// position a `char` boundary of the underlying `&str`.
struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a str) -> Self {
        Scanner {
            src,
            bytes: src.as_bytes(),
            pos: 0,
        }
    }

    /// Byte at the cursor, if any.
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Consume and return the byte at the cursor.
    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    /// Consume `expected` or fail.
    fn expect(&mut self, expected: u8) -> Option<()> {
        (self.bump()? == expected).then_some(())
    }

    fn skip_bom(&mut self) {
        if self.src.starts_with('\u{feff}') {
            self.pos += '\u{feff}'.len_utf8();
        }
    }

    /// Skip JSON insignificant whitespace.
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// After a member or element: consume the separator (and following whitespace)
    /// and return `true` if another entry follows, or consume `close` and return
    /// `false` if the container ends here.
    fn next_entry(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        match self.bump()? {
            b',' => {
                self.skip_ws();
                Some(true)
            }
            byte if byte == close => Some(false),
            _ => None,
        }
    }

    /// With the cursor on `{`, look for the first member whose decoded key equals
    /// `wanted`. `depth` counts the object itself.
    fn find_member(&mut self, wanted: &str, depth: usize) -> Option<Lookup> {
        self.expect(b'{')?;
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Lookup::Absent);
        }
        let mut key = String::new();
        loop {
            key.clear();
            let key_start = self.pos;
            self.string(Some(&mut key))?;
            let key_span = key_start..self.pos;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            if key == wanted {
                return Some(Lookup::Present(Some(key_span)));
            }
            self.skip_value(depth)?;
            if !self.next_entry(b'}')? {
                return Some(Lookup::Absent);
            }
        }
    }

    /// With the cursor on `[`, move to element number `wanted`. `depth` counts the
    /// array itself.
    fn find_element(&mut self, wanted: usize, depth: usize) -> Option<Lookup> {
        self.expect(b'[')?;
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Lookup::Absent);
        }
        let mut index = 0;
        loop {
            if index == wanted {
                return Some(Lookup::Present(None));
            }
            self.skip_value(depth)?;
            if !self.next_entry(b']')? {
                return Some(Lookup::Absent);
            }
            index += 1;
        }
    }

    /// Skip one complete value starting at the cursor. `depth` is the number of
    /// containers already open around it.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.skip_container(b'}', true, enter(depth)?),
            b'[' => self.skip_container(b']', false, enter(depth)?),
            b'"' => self.string(None),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Skip an object (`is_object`) or array whose opening bracket is at the cursor.
    /// `depth` already includes this container.
    fn skip_container(&mut self, close: u8, is_object: bool, depth: usize) -> Option<()> {
        self.pos += 1; // the opening bracket, checked by the caller
        self.skip_ws();
        if self.peek()? == close {
            self.pos += 1;
            return Some(());
        }
        loop {
            if is_object {
                self.string(None)?;
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
            }
            self.skip_value(depth)?;
            if !self.next_entry(close)? {
                return Some(());
            }
        }
    }

    /// Consume the exact keyword `word`.
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let rest = self.bytes.get(self.pos..)?;
        if rest.starts_with(word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    /// Consume a run of ASCII digits, returning how many there were.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Consume a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.bump()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// Consume a string whose opening quote is at the cursor, appending its decoded
    /// contents to `out` when given.
    fn string(&mut self, mut out: Option<&mut String>) -> Option<()> {
        self.expect(b'"')?;
        // Start of the current run of characters that need no decoding.
        let mut run_start = self.pos;
        loop {
            match self.peek()? {
                b'"' => {
                    push_str(&mut out, self.src.get(run_start..self.pos)?);
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => {
                    push_str(&mut out, self.src.get(run_start..self.pos)?);
                    self.pos += 1;
                    let decoded = self.escape()?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(decoded);
                    }
                    run_start = self.pos;
                }
                // Unescaped control characters are not allowed inside JSON strings.
                0x00..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// Decode the escape sequence following a backslash (already consumed).
    fn escape(&mut self) -> Option<char> {
        let decoded = match self.bump()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xd800..=0xdbff => self.low_surrogate(unit),
                    0xdc00..=0xdfff => char::REPLACEMENT_CHARACTER,
                    // Not a surrogate, hence always a valid scalar value.
                    _ => char::from_u32(u32::from(unit))?,
                }
            }
            _ => return None,
        };
        Some(decoded)
    }

    /// After a high surrogate `high`, consume a following `\uXXXX` low surrogate if
    /// present and combine both; otherwise yield U+FFFD and leave the input alone.
    fn low_surrogate(&mut self, high: u16) -> char {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.starts_with(b"\\u") {
            let saved = self.pos;
            self.pos += 2;
            if let Some(low @ 0xdc00..=0xdfff) = self.hex4() {
                let scalar =
                    0x1_0000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(low) - 0xdc00);
                return char::from_u32(scalar).unwrap_or(char::REPLACEMENT_CHARACTER);
            }
            self.pos = saved;
        }
        char::REPLACEMENT_CHARACTER
    }

    /// Consume exactly four hexadecimal digits.
    fn hex4(&mut self) -> Option<u16> {
        let mut value = 0u32;
        for _ in 0..4 {
            value = (value << 4) | char::from(self.bump()?).to_digit(16)?;
        }
        // Four hex digits always fit; the conversion cannot fail.
        u16::try_from(value).ok()
    }
}

/// Append `s` to the decoding buffer, if one is being filled.
fn push_str(out: &mut Option<&mut String>, s: &str) {
    if let Some(out) = out.as_deref_mut() {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a path (an array of segments) from string keys and indices:
    /// `path!["a", 0, "b"]`.
    macro_rules! path {
        ($($seg:expr),* $(,)?) => { [$(PathSegment::from($seg)),*] };
    }

    /// Text of the located value, for readable assertions.
    fn text<'a>(source: &'a str, path: &[PathSegment]) -> Option<&'a str> {
        locate(source, path).map(|r| &source[r])
    }

    fn key_text<'a>(source: &'a str, path: &[PathSegment]) -> Option<&'a str> {
        locate_key(source, path).map(|r| &source[r])
    }

    const NESTED: &str = r#"  {"a": {"b": [10, {"c": true}, "x", [], {}]},
        "d" : null, "e": -1.5e+3, "f": [ [1, 2], [3, [4, 5]] ] }  "#;

    #[test]
    fn nested_objects_and_arrays() {
        assert_eq!(text(NESTED, &path!["a", "b", 1, "c"]), Some("true"));
        assert_eq!(text(NESTED, &path!["a", "b", 0]), Some("10"));
        assert_eq!(text(NESTED, &path!["a", "b", 1]), Some(r#"{"c": true}"#));
        assert_eq!(text(NESTED, &path!["a", "b", 2]), Some(r#""x""#));
        assert_eq!(text(NESTED, &path!["a", "b", 3]), Some("[]"));
        assert_eq!(text(NESTED, &path!["a", "b", 4]), Some("{}"));
        assert_eq!(
            text(NESTED, &path!["a", "b"]),
            Some(r#"[10, {"c": true}, "x", [], {}]"#)
        );
        assert_eq!(text(NESTED, &path!["d"]), Some("null"));
        assert_eq!(text(NESTED, &path!["e"]), Some("-1.5e+3"));
        assert_eq!(text(NESTED, &path!["f", 1, 1, 0]), Some("4"));
        assert_eq!(text(NESTED, &path!["f", 1, 1, 1]), Some("5"));
        assert_eq!(text(NESTED, &path!["f", 0]), Some("[1, 2]"));
        // Empty path: the root value, without surrounding whitespace.
        let root = text(NESTED, &[]).unwrap();
        assert!(root.starts_with("{\"a\"") && root.ends_with("] }"));
        assert_eq!(text("  42 ", &[]), Some("42"));
    }

    #[test]
    fn scalars_and_number_forms() {
        let src = r#"[0, -0, 12, 3.25, 1e9, 2E-3, -7.0e+12, true, false, null, "s"]"#;
        let expected = [
            "0", "-0", "12", "3.25", "1e9", "2E-3", "-7.0e+12", "true", "false", "null", "\"s\"",
        ];
        for (i, want) in expected.iter().enumerate() {
            assert_eq!(text(src, &path![i]), Some(*want), "element {i}");
        }
    }

    #[test]
    fn keys_with_escapes_compare_decoded() {
        let src = r#"{"a\"b": 1, "\u00e9t\u00E9": 2, "tab\tkey": 3, "\ud83d\ude00": 4,
                      "a\/b": 5, "back\\slash": 6, "\b\f\n\r": 7, "plain": 8}"#;
        assert_eq!(text(src, &path!["a\"b"]), Some("1"));
        assert_eq!(text(src, &path!["été"]), Some("2"));
        assert_eq!(text(src, &path!["tab\tkey"]), Some("3"));
        assert_eq!(text(src, &path!["😀"]), Some("4"));
        assert_eq!(text(src, &path!["a/b"]), Some("5"));
        assert_eq!(text(src, &path!["back\\slash"]), Some("6"));
        assert_eq!(text(src, &path!["\u{8}\u{c}\n\r"]), Some("7"));
        assert_eq!(text(src, &path!["plain"]), Some("8"));
        // The raw (escaped) spelling must not match.
        assert_eq!(locate(src, &path![r"\u00e9t\u00E9"]), locate(src, &[]));
        // The key span covers the escaped source text, quotes included.
        assert_eq!(key_text(src, &path!["été"]), Some(r#""\u00e9t\u00E9""#));
    }

    #[test]
    fn lone_surrogates_decode_leniently() {
        let src = r#"{"\ud800": 1, "\udc00x": 2, "\ud800\u0041": 3}"#;
        assert_eq!(text(src, &path!["\u{fffd}"]), Some("1"));
        assert_eq!(text(src, &path!["\u{fffd}x"]), Some("2"));
        assert_eq!(text(src, &path!["\u{fffd}A"]), Some("3"));
    }

    #[test]
    fn non_ascii_values_are_skipped() {
        let src = r#"{"名前": "日本語 ✓ 😀", "x": ["é", "\"ü\""], "y": 1}"#;
        assert_eq!(text(src, &path!["名前"]), Some("\"日本語 ✓ 😀\""));
        assert_eq!(text(src, &path!["x", 1]), Some(r#""\"ü\"""#));
        assert_eq!(text(src, &path!["y"]), Some("1"));
    }

    #[test]
    fn unicode_before_target_counts_columns_in_chars() {
        let src = "{\n  \"名前\": \"日本語\", \"x\": 1\n}";
        let value = locate(src, &path!["x"]).unwrap();
        assert_eq!(&src[value.clone()], "1");
        // Line 2: `  "名前": "日本語", "x": 1` -- the `1` is the 21st char.
        assert_eq!(line_col(src, value.start), (2, 21));
        let key = locate_key(src, &path!["x"]).unwrap();
        assert_eq!(line_col(src, key.start), (2, 16));
        // Byte columns would have been much larger.
        assert!(value.start - (src.find('\n').unwrap() + 1) > 20);
    }

    #[test]
    fn missing_path_points_at_deepest_ancestor() {
        let a = r#"{"b": [10, {"c": true}, "x", [], {}]}"#;
        let b = r#"[10, {"c": true}, "x", [], {}]"#;
        // Missing key: the object that lacks it.
        assert_eq!(text(NESTED, &path!["a", "zzz"]), Some(a));
        assert_eq!(text(NESTED, &path!["a", "zzz", "deeper", 3]), Some(a));
        // Index out of range: the array.
        assert_eq!(text(NESTED, &path!["a", "b", 99]), Some(b));
        assert_eq!(text(NESTED, &path!["a", "b", 3, 0]), Some("[]"));
        assert_eq!(text(NESTED, &path!["a", "b", 4, "k"]), Some("{}"));
        // Path continues below a scalar: the scalar.
        assert_eq!(text(NESTED, &path!["a", "b", 0, "zzz"]), Some("10"));
        assert_eq!(text(NESTED, &path!["d", 0]), Some("null"));
        // Kind mismatch: key on an array, index on an object.
        assert_eq!(text(NESTED, &path!["a", "b", "c"]), Some(b));
        assert_eq!(text(NESTED, &path!["a", 0]), Some(a));
        // Missing at the root.
        assert_eq!(locate(NESTED, &path!["nope"]), locate(NESTED, &[]));
    }

    #[test]
    fn locate_key_spans() {
        assert_eq!(key_text(NESTED, &path!["a", "b", 1, "c"]), Some("\"c\""));
        assert_eq!(key_text(NESTED, &path!["d"]), Some("\"d\""));
        // A key that is found but followed by more (missing) path: the value rules.
        assert_eq!(key_text(NESTED, &path!["d", "x"]), Some("null"));
        // Last segment an index: same as locate.
        assert_eq!(key_text(NESTED, &path!["a", "b", 0]), Some("10"));
        // Key after an index after a key: only the last segment matters.
        assert_eq!(key_text(NESTED, &path!["f", 0]), Some("[1, 2]"));
        // Missing key: the enclosing object.
        assert_eq!(
            key_text(NESTED, &path!["a", "b", 1, "zz"]),
            Some(r#"{"c": true}"#)
        );
        // Empty path: the root.
        assert_eq!(locate_key(NESTED, &[]), locate(NESTED, &[]));
    }

    #[test]
    fn duplicate_keys_use_first_occurrence() {
        let src = r#"{"k": 1, "k": 2}"#;
        assert_eq!(locate(src, &path!["k"]), Some(6..7));
        assert_eq!(locate_key(src, &path!["k"]), Some(1..4));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let src = "\u{feff}{\"a\": 1}";
        assert_eq!(text(src, &path!["a"]), Some("1"));
        assert_eq!(text(src, &[]), Some("{\"a\": 1}"));
    }

    #[test]
    fn malformed_inputs_return_none() {
        let cases = [
            "",
            "   ",
            "{",
            "[",
            "}",
            "]",
            ",",
            ":",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\" 1}",
            "{a: 1}",
            "{'a': 1}",
            "{\"a\":1,}",
            "{,}",
            "[1,",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1;2]",
            "\"unterminated",
            "\"bad escape \\q\"",
            "\"\\u12\"",
            "\"\\u12G4\"",
            "\"\\",
            "\"ctrl \u{1} char\"",
            "\"raw\nnewline\"",
            "tru",
            "nul",
            "fals",
            "True",
            "-",
            "+1",
            "1.",
            ".5",
            "1e",
            "1e+",
            "-x",
            "[1}",
            "{\"a\":1]",
            "\u{feff}",
            "@",
            "é",
        ];
        for case in cases {
            assert_eq!(locate(case, &[]), None, "root of {case:?}");
            assert_eq!(locate_key(case, &[]), None, "root key of {case:?}");
        }
        // Truncated somewhere before the target.
        assert_eq!(locate(r#"{"a": [1, 2"#, &path!["a", 5]), None);
        assert_eq!(locate(r#"{"a": [1, 2"#, &path!["b"]), None);
        assert_eq!(locate(r#"{"a": "x"#, &path!["a"]), None);
        // Broken text after the target does not matter ("parseable up to that point").
        assert_eq!(text(r#"{"a": 1, "b": ]]]"#, &path!["a"]), Some("1"));
        assert_eq!(text("[1,]", &path![0]), Some("1"));
        assert_eq!(locate("[1,]", &path![1]), None);
    }

    #[test]
    fn every_truncation_of_a_valid_document() {
        let full = "{\"α\": [1, {\"k\\u00e9\": \"v\\\"😀\"}, -2.5e3, true, null], \"z\": {}}";
        assert!(locate(full, &[]).is_some());
        let paths: [Vec<PathSegment>; 5] = [
            path![].to_vec(),
            path!["α", 1, "ké"].to_vec(),
            path!["z", "q"].to_vec(),
            path!["α", 4].to_vec(),
            path!["α", 9].to_vec(),
        ];
        for cut in (0..full.len()).filter(|&i| full.is_char_boundary(i)) {
            let prefix = &full[..cut];
            assert_eq!(locate(prefix, &[]), None, "prefix {prefix:?}");
            for path in &paths {
                check_ranges(prefix, path);
            }
        }
        assert_eq!(text(full, &path!["α", 1, "ké"]), Some("\"v\\\"😀\""));
    }

    /// Call the public functions and check that any returned range is sliceable.
    fn check_ranges(source: &str, path: &[PathSegment]) {
        for range in [locate(source, path), locate_key(source, path)]
            .into_iter()
            .flatten()
        {
            assert!(
                range.start <= range.end && range.end <= source.len(),
                "{range:?}"
            );
            assert!(
                source.get(range.clone()).is_some(),
                "{range:?} in {source:?}"
            );
            let (line, col) = line_col(source, range.start);
            assert!(line >= 1 && col >= 1);
        }
    }

    /// Minimal deterministic pseudo-random generator (64-bit LCG, Knuth's MMIX
    /// constants), returning the high bits which have the best statistical quality.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }

        /// Uniform-ish value in `0..n` (`n > 0`).
        fn below(&mut self, n: usize) -> usize {
            self.next() as usize % n
        }
    }

    /// Bytes the fuzzer splices in: JSON punctuation, escape material, keyword
    /// letters, whitespace, a control char and fragments of multi-byte UTF-8.
    const ALPHABET: &[u8] =
        b"{}[]\":,\\/u0123456789abcdefABCDEF-+.eEtrufalsn \n\t\r\x01\xc3\xa9\xf0\x9f";

    #[test]
    fn fuzz_mutated_snippets_never_panic() {
        let seeds: [&[u8]; 6] = [
            NESTED.as_bytes(),
            br#"{"a\"b": 1, "\u00e9": [true, false, null], "\ud83d\ude00": "x"}"#,
            "{\"名前\": \"日本語\", \"x\": [1, -0.5e-7, {\"y\": []}]}".as_bytes(),
            b"[[[[[[[[[[1]]]]]]]]]]",
            br#"{"k": 1, "k": {"k": [{"k": "\\\"\/"}]}}"#,
            b"  \"just a string\\n\"  ",
        ];
        let paths: [Vec<PathSegment>; 8] = [
            path![].to_vec(),
            path!["a"].to_vec(),
            path!["a", "b", 1, "c"].to_vec(),
            path!["x", 2, "y"].to_vec(),
            path!["k", "k", 0, "k"].to_vec(),
            path![0, 0, 0, 0, 0, 0, 0, 0, 0, 0].to_vec(),
            path!["a\"b"].to_vec(),
            path!["名前"].to_vec(),
        ];

        let mut rng = Lcg(0x5eed_1234_abcd_0042);
        for _ in 0..20_000 {
            let mut bytes = seeds[rng.below(seeds.len())].to_vec();
            for _ in 0..=rng.below(4) {
                let len = bytes.len();
                match rng.below(5) {
                    0 if len > 0 => {
                        let at = rng.below(len);
                        bytes[at] = ALPHABET[rng.below(ALPHABET.len())];
                    }
                    1 => {
                        let at = rng.below(len + 1);
                        bytes.insert(at, ALPHABET[rng.below(ALPHABET.len())]);
                    }
                    2 if len > 0 => {
                        bytes.remove(rng.below(len));
                    }
                    3 => bytes.truncate(rng.below(len + 1)),
                    _ if len > 0 => {
                        // Duplicate a random slice in place.
                        let from = rng.below(len);
                        let to = from + rng.below(len - from + 1);
                        let chunk = bytes[from..to].to_vec();
                        let at = rng.below(len + 1);
                        bytes.splice(at..at, chunk);
                    }
                    _ => {}
                }
            }
            let source = String::from_utf8_lossy(&bytes);
            for path in &paths {
                check_ranges(&source, path);
            }
            let offset = rng.below(source.len() + 8);
            let (line, col) = line_col(&source, offset);
            assert!(line >= 1 && col >= 1 && col <= source.chars().count() + 1);
        }
    }

    fn nested_arrays(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn nesting_up_to_the_cap_works() {
        let src = nested_arrays(MAX_DEPTH);
        assert_eq!(locate(&src, &[]), Some(0..src.len()));
        let path = vec![PathSegment::Index(0); MAX_DEPTH];
        assert_eq!(text(&src, &path), Some("1"));
        // Skipping a deep sibling counts the depth of the enclosing containers too.
        let src = format!("[{}, 2]", nested_arrays(MAX_DEPTH - 1));
        assert_eq!(text(&src, &path![1]), Some("2"));
    }

    #[test]
    fn nesting_beyond_the_cap_returns_none() {
        let src = nested_arrays(MAX_DEPTH + 1);
        assert_eq!(locate(&src, &[]), None);
        assert_eq!(
            locate(&src, &vec![PathSegment::Index(0); MAX_DEPTH + 1]),
            None
        );
        assert_eq!(
            locate(&src, &vec![PathSegment::Index(0); MAX_DEPTH + 5]),
            None
        );
        // The sibling is unreachable because the deep one before it cannot be skipped.
        let src = format!("[{}, 2]", nested_arrays(MAX_DEPTH));
        assert_eq!(locate(&src, &path![1]), None);
        // But a target before the deep part is still found.
        let src = format!("[2, {}]", nested_arrays(MAX_DEPTH));
        assert_eq!(text(&src, &path![0]), Some("2"));
        // Objects count as well.
        let deep_obj = format!(
            "{}1{}",
            "{\"a\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(locate(&deep_obj, &[]), None);
        assert_eq!(
            locate(&deep_obj, &vec![PathSegment::from("a"); MAX_DEPTH + 1]),
            None
        );
        // Pathological, unterminated input far beyond any stack: no overflow.
        let huge = "[".repeat(1_000_000);
        assert_eq!(locate(&huge, &[]), None);
        assert_eq!(locate(&huge, &vec![PathSegment::Index(0); 1_000]), None);
    }

    #[test]
    fn line_col_basics() {
        let src = "ab\ncd\n\nxyz";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 1), (1, 2));
        assert_eq!(line_col(src, 2), (1, 3)); // the newline itself ends line 1
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 6), (3, 1));
        assert_eq!(line_col(src, 7), (4, 1));
        assert_eq!(line_col(src, 9), (4, 3));
        // Clamped to the end.
        assert_eq!(line_col(src, 10), (4, 4));
        assert_eq!(line_col(src, usize::MAX), (4, 4));
        assert_eq!(line_col("", 5), (1, 1));
    }

    #[test]
    fn line_col_unicode_crlf_and_toml() {
        let src = "é😀x";
        assert_eq!(line_col(src, 2), (1, 2)); // after `é` (2 bytes)
        assert_eq!(line_col(src, 6), (1, 3)); // after `😀` (4 bytes)
                                              // Inside a multi-byte char: snaps back to its start.
        assert_eq!(line_col(src, 1), (1, 1));
        assert_eq!(line_col(src, 4), (1, 2));
        // CRLF: the `\r` belongs to the previous line.
        let crlf = "a\r\nb";
        assert_eq!(line_col(crlf, 3), (2, 1));
        assert_eq!(line_col(crlf, 1), (1, 2));
        // Generic over text: works on TOML just as well.
        let toml = "[scenario]\nname = \"démo\"\nrate = -1\n";
        let at = toml.find("-1").unwrap();
        assert_eq!(line_col(toml, at), (3, 8));
        let at = toml.find("\"démo\"").unwrap();
        assert_eq!(line_col(toml, at), (2, 8));
    }
}
