//! Small browser helpers (no Yew).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The window (the app only runs in a page).
pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

/// The document.
pub fn document() -> web_sys::Document {
    window().document().expect("a document")
}

/// `performance.now()` in ms.
pub fn now_ms() -> f64 {
    window()
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// `devicePixelRatio`, at least 1.
pub fn dpr() -> f64 {
    window().device_pixel_ratio().max(1.0)
}

/// Whether the person asked the system for reduced motion.
pub fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// `location.search` and `location.hash`.
pub fn location_parts() -> (String, String) {
    let loc = window().location();
    (
        loc.search().unwrap_or_default(),
        loc.hash().unwrap_or_default(),
    )
}

/// Origin + path of the page (no query, no fragment).
pub fn page_base() -> String {
    let loc = window().location();
    format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

/// Replaces the address bar's URL without reloading.
pub fn replace_url(url: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(url));
    }
}

/// Whether the page runs inside an iframe.
pub fn in_iframe() -> bool {
    let w = window();
    match (
        w.parent().ok().flatten(),
        w.self_().dyn_into::<web_sys::Window>().ok(),
    ) {
        (Some(parent), Some(me)) => !js_sys::Object::is(&parent, &me),
        _ => false,
    }
}

/// Tells the embedding page our content height (`www/embed.js` listens).
pub fn post_height(height: f64) {
    let w = window();
    if let Ok(Some(parent)) = w.parent() {
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"type".into(), &"evflow:height".into());
        let _ = js_sys::Reflect::set(&msg, &"height".into(), &height.into());
        let name = w.name().unwrap_or_default();
        let _ = js_sys::Reflect::set(&msg, &"frame".into(), &name.into());
        let _ = parent.post_message(&msg, "*");
    }
}

/// Offers `text` as a download named `name`.
pub fn download(name: &str, text: &str, mime: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document().create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Copies `text` to the clipboard (best effort: needs a secure context).
pub fn copy(text: &str) {
    let clipboard = window().navigator().clipboard();
    let _ = clipboard.write_text(text);
}

/// Shows a fixed error panel (used by the panic hook: the app may be unusable then).
pub fn show_fatal(message: &str) {
    let doc = document();
    if doc.get_element_by_id("evflow-fatal").is_some() {
        return;
    }
    let Ok(panel) = doc.create_element("div") else {
        return;
    };
    panel.set_id("evflow-fatal");
    panel.set_attribute("role", "alert").ok();
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    panel.set_inner_html(&format!(
        "<div class=\"fatal-box\"><h2>Something went wrong in the simulator</h2>\
         <p>The page hit an internal error and stopped. Your scenario is still in the address bar \
         if you shared it; reloading starts again.</p><pre>{escaped}</pre>\
         <button onclick=\"location.reload()\">Reload</button></div>"
    ));
    if let Some(body) = doc.body() {
        let _ = body.append_child(&panel);
    }
}
