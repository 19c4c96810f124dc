//! The JavaScript API (wasm-bindgen) for pages that drive the engine themselves:
//!
//! ```js
//! import init, { Evflow, runScenario, galleryNames, galleryText } from './evflow-web.js';
//! await init();
//! const sim = new Evflow(galleryText('seed-topology'), 7n === 7n ? 7 : undefined);
//! sim.runUntil('30s');
//! console.log(sim.report().describe, sim.traceHash());
//! ```
//!
//! Errors are thrown as `Error`s whose message is `scenario.toml:LINE:COL: ...`, with `line`
//! and `column` properties.

use super::gallery;
use super::session::{self, LoadError, Session, UserAction, FILE_NAME};
use crate::time::{parse_duration, SimTime};
use wasm_bindgen::prelude::*;

fn js_error(e: &LoadError) -> JsValue {
    let err = js_sys::Error::new(&e.message());
    if let Some((line, column)) = e.position() {
        let _ = js_sys::Reflect::set(&err, &"line".into(), &(line as u32).into());
        let _ = js_sys::Reflect::set(&err, &"column".into(), &(column as u32).into());
    }
    err.into()
}

fn parse_time(value: &JsValue) -> Result<SimTime, JsValue> {
    if let Some(seconds) = value.as_f64() {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(js_sys::Error::new("time must be a non-negative number of seconds").into());
        }
        return Ok((seconds * 1e6).round() as SimTime);
    }
    if let Some(text) = value.as_string() {
        return parse_duration(&text)
            .map(|d| d.micros())
            .map_err(|e| js_sys::Error::new(&format!("bad time \"{text}\": {e}")).into());
    }
    Err(
        js_sys::Error::new("time must be seconds (number) or a duration string like \"30s\"")
            .into(),
    )
}

fn parse_seed(seed: &JsValue) -> Result<Option<u64>, JsValue> {
    if seed.is_undefined() || seed.is_null() {
        return Ok(None);
    }
    if let Some(n) = seed.as_f64() {
        if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 {
            return Ok(Some(n as u64));
        }
    }
    if let Some(text) = seed.as_string() {
        if let Ok(n) = text.trim().parse::<u64>() {
            return Ok(Some(n));
        }
    }
    if seed.is_bigint() {
        if let Some(text) = js_sys::BigInt::from(seed.clone())
            .to_string(10)
            .ok()
            .and_then(|s| s.as_string())
        {
            if let Ok(n) = text.parse::<u64>() {
                return Ok(Some(n));
            }
        }
    }
    Err(js_sys::Error::new("seed must be a non-negative integer (number, string or BigInt)").into())
}

/// The file name errors are reported under: TOML, or JSON if the text starts with `{`.
fn file_name(text: &str) -> &'static str {
    if text.trim_start().starts_with('{') {
        "scenario.json"
    } else {
        FILE_NAME
    }
}

fn json(value: &impl serde::Serialize) -> JsValue {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// A simulation a page drives itself.
#[wasm_bindgen(js_name = Evflow)]
pub struct JsEvflow {
    session: Session,
}

#[wasm_bindgen(js_class = Evflow)]
impl JsEvflow {
    /// Loads scenario text (TOML; JSON if it starts with `{`), with an optional seed override.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str, seed: JsValue) -> Result<JsEvflow, JsValue> {
        let seed = parse_seed(&seed)?;
        let session = Session::load(text, file_name(text), seed).map_err(|e| js_error(&e))?;
        Ok(JsEvflow { session })
    }

    /// Runs (or rewinds, via checkpoints) to `time`: seconds, or a duration string ("30s").
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(&mut self, time: JsValue) -> Result<(), JsValue> {
        let t = parse_time(&time)?;
        self.session.run_to(t);
        Ok(())
    }

    /// Runs to the scenario's end.
    #[wasm_bindgen(js_name = runToEnd)]
    pub fn run_to_end(&mut self) {
        let end = self.session.end();
        self.session.run_to(end);
    }

    /// Current simulated time in seconds.
    #[wasm_bindgen(getter)]
    pub fn now(&self) -> f64 {
        self.session.now() as f64 / 1e6
    }

    /// The scenario's duration in seconds.
    #[wasm_bindgen(getter)]
    pub fn duration(&self) -> f64 {
        self.session.end() as f64 / 1e6
    }

    /// Whether the run reached its end.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.session.finished()
    }

    /// The seed in use.
    #[wasm_bindgen(getter)]
    pub fn seed(&self) -> String {
        self.session.seed().to_string()
    }

    /// The trace hash so far (equal to `evflow run`'s at the end).
    #[wasm_bindgen(js_name = traceHash)]
    pub fn trace_hash(&self) -> String {
        self.session.trace_hash()
    }

    /// The report so far (same fields as `evflow run --format json`).
    pub fn report(&self) -> JsValue {
        json(&self.session.report())
    }

    /// The report as a JSON string.
    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(&self) -> String {
        serde_json::to_string_pretty(&self.session.report()).unwrap_or_default()
    }

    /// The consumer-groups table rows.
    pub fn describe(&self) -> JsValue {
        json(&self.session.report().describe)
    }

    /// The sampled series: `{ names, times_us, columns }`.
    pub fn series(&self) -> JsValue {
        let s = &self.session.recorder.metrics.series;
        json(
            &serde_json::json!({ "names": s.names, "times_us": s.times(), "columns": s.columns() }),
        )
    }

    /// Crashes instance `instance` of group `group` now (recorded as a timeline action).
    pub fn crash(&mut self, group: &str, instance: u16) -> Result<(), JsValue> {
        let g = self.group(group)?;
        self.apply(UserAction::Crash { group: g, instance })
    }

    /// Restarts an instance now (recorded).
    pub fn restart(&mut self, group: &str, instance: u16) -> Result<(), JsValue> {
        let g = self.group(group)?;
        self.apply(UserAction::Restart { group: g, instance })
    }

    /// Adds an instance to a group now (recorded).
    #[wasm_bindgen(js_name = addInstance)]
    pub fn add_instance(&mut self, group: &str) -> Result<(), JsValue> {
        let g = self.group(group)?;
        self.apply(UserAction::AddInstance { group: g })
    }

    /// The scenario text, including recorded actions.
    #[wasm_bindgen(js_name = scenarioText)]
    pub fn scenario_text(&self) -> String {
        self.session.text.clone()
    }
}

impl JsEvflow {
    fn group(&self, name: &str) -> Result<u16, JsValue> {
        self.session
            .world()
            .groups
            .iter()
            .position(|g| g.name == name)
            .map(|i| i as u16)
            .ok_or_else(|| js_sys::Error::new(&format!("no consumer group \"{name}\"")).into())
    }

    fn apply(&mut self, action: UserAction) -> Result<(), JsValue> {
        let at = self.session.record(action).map_err(|e| js_error(&e))?;
        self.session.run_to(at);
        Ok(())
    }
}

/// Runs scenario text to `until` (default: its end) and returns the report object. A one-shot
/// run: no checkpoints (nothing can seek in it), so it costs what `evflow run` costs.
#[wasm_bindgen(js_name = runScenario)]
pub fn run_scenario(text: &str, until: JsValue, seed: JsValue) -> Result<JsValue, JsValue> {
    let seed = parse_seed(&seed)?;
    let until = if until.is_undefined() || until.is_null() {
        None
    } else {
        Some(parse_time(&until)?)
    };
    let report = session::run_text(text, file_name(text), seed, until).map_err(|e| js_error(&e))?;
    Ok(json(&report))
}

/// Checks scenario text: `null` when valid, else `{ message, line, column }`.
#[wasm_bindgen(js_name = validateScenario)]
pub fn validate_scenario(text: &str) -> JsValue {
    let file = if text.trim_start().starts_with('{') {
        "scenario.json"
    } else {
        FILE_NAME
    };
    match crate::scenario::load_str(text, file) {
        Ok(_) => JsValue::NULL,
        Err(e) => json(
            &serde_json::json!({ "message": e.short(), "line": e.line, "column": e.column, "hint": e.hint }),
        ),
    }
}

/// Names of the bundled scenarios.
#[wasm_bindgen(js_name = galleryNames)]
pub fn gallery_names() -> Vec<String> {
    gallery::ENTRIES
        .iter()
        .map(|e| e.name.to_string())
        .collect()
}

/// The text of a bundled scenario (`undefined` if there is none by that name).
#[wasm_bindgen(js_name = galleryText)]
pub fn gallery_text(name: &str) -> Option<String> {
    gallery::find(name).map(|e| e.text.to_string())
}

/// The share fragment (`s=...` value) of scenario text.
#[wasm_bindgen(js_name = encodeScenario)]
pub fn encode_scenario(text: &str) -> String {
    super::share::encode(text)
}

/// The inverse of `encodeScenario`.
#[wasm_bindgen(js_name = decodeScenario)]
pub fn decode_scenario(data: &str) -> Option<String> {
    super::share::decode(data)
}

/// The evflow version.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Panics on purpose (tests check that the page then shows its error panel, not a dead page).
#[wasm_bindgen(js_name = __panicForTests)]
pub fn panic_for_tests() {
    panic!("a deliberate panic from the tests");
}
