//! The web app's entry point: Trunk builds this binary to wasm32 and the page runs it. On
//! native targets it is an empty program (the app only exists in the browser).

#[cfg(target_arch = "wasm32")]
fn main() {
    evflow::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
