//! URLs: the page's parameters (`?scenario=`, `&seed=`, `&autoplay=`, `&mode=`, `&view=`,
//! `&speed=`) and the scenario compressed into the fragment (`#s=...`, lz-string's
//! URI-safe encoding, so a page's script can decode it with the lz-string JS library too).

/// Which main view a player shows (and which tab the full app opens on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum View {
    /// The animated topology.
    #[default]
    Flow,
    /// Charts over time.
    Lag,
    /// The consumer-groups table.
    Table,
}

impl View {
    /// The URL value.
    pub fn name(self) -> &'static str {
        match self {
            View::Flow => "flow",
            View::Lag => "lag",
            View::Table => "table",
        }
    }
    fn parse(text: &str) -> Option<View> {
        match text {
            "flow" => Some(View::Flow),
            "lag" | "charts" => Some(View::Lag),
            "table" => Some(View::Table),
            _ => None,
        }
    }
}

/// The page's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// `?scenario=NAME` (a gallery name).
    pub scenario: Option<String>,
    /// The scenario text from the fragment (`#s=...`).
    pub shared_text: Option<String>,
    /// The fragment held something that did not decode.
    pub bad_fragment: bool,
    /// `&seed=N`.
    pub seed: Option<u64>,
    /// `&autoplay=1|0` (the full app plays by default; so does a player).
    pub autoplay: bool,
    /// `&mode=player`: no editor, compact controls.
    pub player: bool,
    /// `&view=flow|lag|table`.
    pub view: View,
    /// `&speed=X`: simulated seconds per real second.
    pub speed: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: None,
            shared_text: None,
            bad_fragment: false,
            seed: None,
            autoplay: true,
            player: false,
            view: View::Flow,
            speed: None,
        }
    }
}

/// Parses `search` (`?a=b&c=d`, with or without `?`) and `hash` (`#s=...`).
pub fn parse(search: &str, hash: &str) -> Params {
    let mut params = Params::default();
    for (key, value) in pairs(search.trim_start_matches('?')) {
        match key.as_str() {
            "scenario" => params.scenario = Some(value),
            "seed" => params.seed = value.trim().parse().ok(),
            "autoplay" => params.autoplay = !matches!(value.as_str(), "0" | "false" | "no"),
            "mode" => params.player = value == "player",
            "view" => params.view = View::parse(&value).unwrap_or_default(),
            "speed" => {
                params.speed = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
            }
            _ => {}
        }
    }
    for (key, value) in pairs(hash.trim_start_matches('#')) {
        if key == "s" {
            match decode(&value) {
                Some(text) => params.shared_text = Some(text),
                None => params.bad_fragment = true,
            }
        }
    }
    params
}

fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compresses scenario text for the fragment (lz-string `compressToEncodedURIComponent`).
pub fn encode(text: &str) -> String {
    lz_str::compress_to_encoded_uri_component(text)
}

/// The inverse of [`encode`]; `None` if the data is not valid.
pub fn decode(data: &str) -> Option<String> {
    let wide = lz_str::decompress_from_encoded_uri_component(data.trim())?;
    String::from_utf16(&wide).ok().filter(|t| !t.is_empty())
}

/// The share URL of `text` on the page at `base` (origin + path, no query or fragment), keeping
/// the seed when one was chosen.
pub fn share_url(base: &str, text: &str, seed: Option<u64>) -> String {
    let query = seed.map(|s| format!("?seed={s}")).unwrap_or_default();
    format!("{base}{query}#s={}", encode(text))
}
