//! The web app (wasm32 only): a Yew UI over the engine, with a canvas flow view, and a
//! wasm-bindgen JS API for pages that drive the engine themselves.
//!
//! - [`session`] (re-exported from the crate root, where it builds natively too): the run
//!   (scenario text, simulation, recorder, checkpoints); no DOM.
//! - [`flow`]: the canvas view; [`charts`]: SVG charts; [`app`]: the Yew components.
//! - [`why`]: hover explanations; [`share`]: URL parameters and share links;
//!   [`gallery`]: bundled scenarios; [`api`]: the JS API.

pub mod api;
pub mod app;
pub mod charts;
pub mod dom;
pub mod dots;
pub mod flow;
pub mod fmt;
pub mod gallery;
pub use crate::session;
pub mod share;
pub mod why;

use wasm_bindgen::JsCast;

/// The id of the element the app mounts into. Pages without it (the API example) only use
/// the JS API.
pub const ROOT_ID: &str = "evflow-app";

/// Installs the panic hook and mounts the app into `#evflow-app`, if the page has one.
pub fn start() {
    // Yew installs its own hook on render unless given one: ours logs and shows the panel.
    yew::set_custom_panic_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        dom::show_fatal(&info.to_string());
    }));
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(ROOT_ID))
    else {
        return;
    };
    root.set_inner_html("");
    let (search, hash) = dom::location_parts();
    let params = share::parse(&search, &hash);
    if let Ok(el) = root.clone().dyn_into::<web_sys::HtmlElement>() {
        el.set_class_name(if params.player {
            "mode-player"
        } else {
            "mode-full"
        });
    }
    yew::Renderer::<app::App>::with_root_and_props(root, app::AppProps { params }).render();
}
