//! The bundled scenarios (`scenarios/*.toml`), compiled into the app.
//!
//! `scripts/test` checks that every file in `scenarios/` is listed here.

/// One bundled scenario: its gallery name (the file stem) and text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The file stem, used in `?scenario=NAME` and `data-evflow-scenario="NAME"`.
    pub name: &'static str,
    /// The TOML text.
    pub text: &'static str,
}

macro_rules! gallery {
    ($($name:literal),* $(,)?) => {
        &[$(Entry { name: $name, text: include_str!(concat!("../../scenarios/", $name, ".toml")) }),*]
    };
}

/// Every bundled scenario; the first is the default.
pub const ENTRIES: &[Entry] = gallery![
    "seed-topology",
    "hot-key",
    "ordering-keys",
    "rebalance-eager-vs-cooperative",
    "retries-dlq",
    "idempotency",
    "outbox-cdc",
    "notification-vs-ecst",
    "eventual-consistency",
    "ecommerce-pipeline",
];

/// The default scenario (the seed article's topology).
pub fn default_entry() -> Entry {
    ENTRIES[0]
}

/// Finds a scenario by name; also accepts the name with `.toml`, or a unique prefix
/// (`?scenario=seed` finds `seed-topology`).
pub fn find(name: &str) -> Option<Entry> {
    let name = name.trim().trim_end_matches(".toml");
    if let Some(e) = ENTRIES.iter().find(|e| e.name.eq_ignore_ascii_case(name)) {
        return Some(*e);
    }
    let mut prefixed = ENTRIES
        .iter()
        .filter(|e| e.name.starts_with(name) && !name.is_empty());
    match (prefixed.next(), prefixed.next()) {
        (Some(e), None) => Some(*e),
        _ => None,
    }
}

/// The title of a bundled scenario (its `name = "..."` line), falling back to the file stem.
pub fn title(entry: &Entry) -> String {
    entry
        .text
        .lines()
        .find_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("name")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            rest.strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_string)
        })
        .unwrap_or_else(|| entry.name.to_string())
}
