//! Scenario files: the format ([`model`]), reading TOML/JSON with located errors ([`parse`]),
//! semantic checks ([`validate`]) and `[expect]` assertions ([`expect`]).

// A `ScenarioError` carries the file name, position, path, message, hint and source line; it
// is returned once per load, never on a hot path, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod error;
pub mod expect;
pub mod json_locate;
pub mod model;
pub mod parse;
pub mod validate;

pub use error::{ErrorKind, ScenarioError};
pub use model::Scenario;
pub use parse::Format;

use expect::Check;
use parse::Source;

/// A scenario that parsed and validated, with its parsed assertions.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The scenario.
    pub scenario: Scenario,
    /// The `[expect]` checks.
    pub checks: Vec<Check>,
}

/// Parses and validates scenario text. `file` names it in messages and picks the format
/// (`*.json` is JSON, anything else TOML). Never panics.
pub fn load_str(text: &str, file: &str) -> Result<Loaded, ScenarioError> {
    let format = Format::from_file_name(file);
    let scenario = parse::parse_scenario(text, file, format)?;
    let source = Source { file, text, format };
    let checks = validate::validate(&scenario, &source)?;
    Ok(Loaded { scenario, checks })
}

/// The JSON Schema of the scenario format (for editor completion), pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
