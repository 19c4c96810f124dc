//! Browser tests of the web app (wasm-bindgen-test in headless Chromium):
//! `cargo test --target wasm32-unknown-unknown --test browser` (scripts/test runs it).
//! On native targets this file is empty.
#![cfg(target_arch = "wasm32")]

use evflow::time::SECONDS;
use evflow::web::session::{Advance, Session, UserAction, FILE_NAME};
use evflow::web::{api, app, gallery, share};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("../golden/trace-hashes.txt");

fn golden(file: &str) -> Option<String> {
    GOLDEN.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        (parts.next() == Some(file))
            .then(|| parts.next().map(str::to_string))
            .flatten()
    })
}

fn seed_text() -> &'static str {
    gallery::find("seed-topology").expect("bundled").text
}

#[wasm_bindgen_test]
fn the_default_scenario_matches_the_golden_trace_hash() {
    let mut s = Session::load(seed_text(), FILE_NAME, None).expect("loads");
    let end = s.end();
    s.run_to(end);
    assert!(s.finished());
    assert_eq!(Some(s.trace_hash()), golden("seed-topology.toml"));
}

#[wasm_bindgen_test]
fn every_bundled_scenario_loads() {
    for entry in gallery::ENTRIES {
        Session::load(entry.text, FILE_NAME, None)
            .unwrap_or_else(|e| panic!("{}: {}", entry.name, e.message()));
        assert!(!gallery::title(entry).is_empty());
    }
    assert_eq!(gallery::find("seed").map(|e| e.name), Some("seed-topology"));
    assert!(gallery::find("no-such-scenario").is_none());
}

#[wasm_bindgen_test]
fn seeking_back_and_forth_replays_identically() {
    let mut straight = Session::load(seed_text(), FILE_NAME, Some(3)).unwrap();
    straight.run_to(27 * SECONDS);
    let at_27 = straight.trace_hash();
    let report_27 = straight.report();

    let mut s = Session::load(seed_text(), FILE_NAME, Some(3)).unwrap();
    // Budgeted advancing (as the animation does) reaches the same state.
    while s.advance(45 * SECONDS, 1_000, false) != Advance::Reached {}
    assert_eq!(s.seek(27 * SECONDS, u64::MAX), Advance::Reached);
    assert_eq!(s.now(), 27 * SECONDS);
    assert_eq!(s.trace_hash(), at_27);
    assert_eq!(s.report(), report_27);
    // Forward again over the computed stretch, then to the end.
    s.run_to(60 * SECONDS);
    let mut whole = Session::load(seed_text(), FILE_NAME, Some(3)).unwrap();
    whole.run_to(60 * SECONDS);
    assert_eq!(s.trace_hash(), whole.trace_hash());
}

#[wasm_bindgen_test]
fn pausing_steps_stop_the_animation_where_the_scenario_asks() {
    let mut s = Session::load(seed_text(), FILE_NAME, None).unwrap();
    let mut result = Advance::Budget;
    while result == Advance::Budget {
        result = s.advance(60 * SECONDS, 10_000, true);
    }
    // The seed scenario's second step (20 s) pauses.
    assert_eq!(result, Advance::PausedAtStep(1));
    assert_eq!(s.now(), 20 * SECONDS);
    assert_eq!(s.narration_at(s.now()), Some(1));
}

#[wasm_bindgen_test]
fn recorded_actions_become_timeline_entries_that_replay_identically() {
    let mut s = Session::load(seed_text(), FILE_NAME, None).unwrap();
    s.run_to(5 * SECONDS + 123_456);
    assert!(s.can(UserAction::Crash {
        group: 1,
        instance: 0
    }));
    assert!(!s.can(UserAction::Restart {
        group: 1,
        instance: 0
    }));
    let at = s
        .record(UserAction::Crash {
            group: 1,
            instance: 0,
        })
        .unwrap();
    assert_eq!(at, 5 * SECONDS + 123_000, "rounded down to the millisecond");
    assert!(s.text.contains("[[timeline]]  # recorded in the web app\nat = \"5.123s\"\naction = \"crash\"\ngroup = \"inventory-service\"\ninstance = 0\n"));
    s.run_to(at);
    s.record(UserAction::AddInstance { group: 0 }).unwrap();
    assert_eq!(s.recorded_actions, 2);
    s.run_to(60 * SECONDS);
    // The exported text, loaded afresh, gives the same run.
    let mut replay = Session::load(&s.text, FILE_NAME, None).unwrap();
    replay.run_to(60 * SECONDS);
    assert_eq!(replay.trace_hash(), s.trace_hash());
    assert_eq!(s.world().groups[0].instances.len(), 4);
    assert!(s.report().counters.rebalances >= 2);
}

#[wasm_bindgen_test]
fn broken_scenarios_report_line_and_column() {
    let broken = seed_text().replace("partitions = 12", "partitons = 12");
    let line = broken
        .lines()
        .position(|l| l.starts_with("partitons"))
        .unwrap()
        + 1;
    let err = Session::load(&broken, FILE_NAME, None)
        .err()
        .expect("rejected");
    assert_eq!(err.position(), Some((line, 1)));
    assert!(
        err.message()
            .starts_with(&format!("scenario.toml:{line}:1:")),
        "{}",
        err.message()
    );
    let huge = seed_text().replace("partitions = 12", "partitions = 5000");
    let err = Session::load(&huge, FILE_NAME, None)
        .err()
        .expect("too large for the page");
    assert!(
        err.message().contains("the web app draws up to"),
        "{}",
        err.message()
    );
}

#[wasm_bindgen_test]
fn share_links_round_trip() {
    let text = seed_text();
    let url = share::share_url("http://h/app/", text, Some(9));
    let (query, fragment) = url.split_once('#').unwrap();
    let params = share::parse(query.split_once('?').map(|x| x.1).unwrap_or(""), fragment);
    assert_eq!(params.shared_text.as_deref(), Some(text));
    assert_eq!(params.seed, Some(9));
    let p = share::parse(
        "?scenario=seed-topology&autoplay=0&mode=player&view=table&speed=2.5",
        "",
    );
    assert_eq!(p.scenario.as_deref(), Some("seed-topology"));
    assert!(!p.autoplay && p.player);
    assert_eq!(p.view, share::View::Table);
    assert_eq!(p.speed, Some(2.5));
    assert!(
        share::parse("", "#s=%%%not-lz").bad_fragment
            || share::parse("", "#s=%%%not-lz").shared_text.is_none()
    );
    assert_eq!(
        share::parse("?scenario=a%20b+c", "").scenario.as_deref(),
        Some("a b c")
    );
}

#[wasm_bindgen_test]
fn the_js_api_runs_reports_and_rejects() {
    let report = api::run_scenario(seed_text(), "10s".into(), 7.into()).expect("runs");
    let hash = js_sys::Reflect::get(&report, &"trace_hash".into())
        .unwrap()
        .as_string()
        .unwrap();
    let mut sim = api::JsEvflow::new(seed_text(), 7.into()).unwrap();
    sim.run_until(10.0.into()).unwrap();
    assert_eq!(sim.trace_hash(), hash);
    assert_eq!(sim.now(), 10.0);
    sim.crash("payment-service", 2).unwrap();
    assert!(sim.scenario_text().contains("action = \"crash\""));
    assert!(sim.crash("nope", 0).is_err());
    let err = api::JsEvflow::new("duration = 5", wasm_bindgen::JsValue::UNDEFINED)
        .err()
        .expect("error");
    let line = js_sys::Reflect::get(&err, &"line".into()).unwrap().as_f64();
    assert_eq!(line, Some(1.0));
    assert!(api::validate_scenario(seed_text()).is_null());
    assert_eq!(api::gallery_names()[0], "seed-topology");
    assert_eq!(
        api::decode_scenario(&api::encode_scenario("x = 1")).as_deref(),
        Some("x = 1")
    );
}

async fn frames(n: u32) {
    for _ in 0..n {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window()
                .unwrap()
                .request_animation_frame(&resolve)
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }
}

fn mount(params: share::Params) -> (web_sys::Element, yew::AppHandle<app::App>) {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    root.set_attribute("style", "width: 1200px").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle =
        yew::Renderer::<app::App>::with_root_and_props(root.clone(), app::AppProps { params })
            .render();
    (root, handle)
}

#[wasm_bindgen_test]
async fn the_app_renders_topology_table_and_charts() {
    let (root, handle) = mount(share::Params {
        autoplay: false,
        ..Default::default()
    });
    frames(4).await;
    let rows = root
        .query_selector_all("[data-testid=describe] tbody tr")
        .unwrap()
        .length();
    assert_eq!(rows, 24);
    assert!(root.query_selector("canvas.flow-canvas").unwrap().is_some());
    assert_eq!(root.query_selector_all(".chart").unwrap().length(), 3);
    let app_el = root.query_selector(".app").unwrap().unwrap();
    assert_eq!(app_el.get_attribute("data-now").as_deref(), Some("0"));
    // Step to the next event with the button.
    let step: web_sys::HtmlElement = root
        .query_selector("[data-action=step]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    step.click();
    frames(3).await;
    let steps: u64 = app_el.get_attribute("data-steps").unwrap().parse().unwrap();
    assert!(steps > 0, "the step button processed kernel events");
    let hits = root
        .query_selector("canvas")
        .unwrap()
        .unwrap()
        .get_attribute("data-hits")
        .unwrap();
    assert!(hits.contains("\"kind\":\"instance\""), "{hits}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_broken_shared_scenario_shows_its_error_and_runs_the_default() {
    let broken = seed_text().replace("duration = \"60s\"", "duration = \"60 parsecs\"");
    let line = broken
        .lines()
        .position(|l| l.starts_with("duration"))
        .unwrap()
        + 1;
    let (root, handle) = mount(share::Params {
        autoplay: false,
        shared_text: Some(broken),
        ..Default::default()
    });
    frames(3).await;
    let error = root
        .query_selector("[data-testid=editor-error]")
        .unwrap()
        .expect("the editor shows the error");
    let text = error.text_content().unwrap();
    assert!(text.contains(&format!("scenario.toml:{line}:")), "{text}");
    assert!(root.query_selector(".notice.error").unwrap().is_some());
    // The default scenario runs underneath.
    assert_eq!(
        root.query_selector_all("[data-testid=describe] tbody tr")
            .unwrap()
            .length(),
        0,
        "table tab is not open"
    );
    assert!(root.query_selector("canvas.flow-canvas").unwrap().is_some());
    handle.destroy();
    root.remove();
}

// The dots rasteriser (src/web/dots.rs).

use evflow::web::dots::{rgb, Rasterizer, Spot, Style};

const DOT_STYLE: Style = Style {
    r: 2.2,
    squares: true,
    ring_r: 4.2,
    ring_w: 1.5,
};

fn spot(x: f32, y: f32, color: u8, ring: bool) -> Spot {
    Spot { x, y, color, ring }
}

/// The RGBA bytes of canvas pixel `(x, y)` after `raster.rasterize`.
fn pixel(raster: &Rasterizer, x: u32, y: u32) -> [u8; 4] {
    for r in raster.regions() {
        let b = r.bounds;
        if (b.x0..b.x1).contains(&x) && (b.y0..b.y1).contains(&y) {
            let i = r.offset + ((y - b.y0) * b.w() + (x - b.x0)) as usize;
            return raster.pixels()[i].to_le_bytes();
        }
    }
    [0; 4]
}

#[wasm_bindgen_test]
fn dot_colours_parse() {
    assert_eq!(rgb("#0072B2"), [0x00, 0x72, 0xB2]);
    assert_eq!(rgb("#D55E00"), [0xD5, 0x5E, 0x00]);
}

#[wasm_bindgen_test]
fn a_dot_square_covers_its_area() {
    let mut raster = Rasterizer::default();
    raster.rasterize(
        &[spot(10.5, 10.5, 0, false)],
        &DOT_STYLE,
        &[[255, 0, 0]],
        [0; 3],
        100,
        100,
    );
    assert_eq!(raster.regions().len(), 1);
    let total: f32 = raster
        .pixels()
        .iter()
        .map(|p| (p >> 24) as f32 / 255.0)
        .sum();
    assert!((total - 4.4 * 4.4).abs() < 0.1, "{total}");
    assert_eq!(
        pixel(&raster, 10, 10),
        [255, 0, 0, 255],
        "the centre is covered"
    );
    assert_eq!(
        pixel(&raster, 10, 14)[3],
        0,
        "3.5 px below the centre is not"
    );
}

#[wasm_bindgen_test]
fn dot_regions_are_clipped_and_split_at_gaps() {
    let mut raster = Rasterizer::default();
    let regions = raster.rasterize(
        &[spot(1.0, 98.0, 0, true)],
        &DOT_STYLE,
        &[[0; 3]],
        [0; 3],
        100,
        100,
    );
    assert_eq!((regions[0].bounds.x0, regions[0].bounds.y1), (0, 100));
    let near = [spot(10.0, 10.0, 0, false), spot(40.0, 50.0, 0, false)];
    assert_eq!(
        raster
            .rasterize(&near, &DOT_STYLE, &[[0; 3]], [0; 3], 400, 100)
            .len(),
        1
    );
    let far = [spot(10.0, 10.0, 0, false), spot(300.0, 50.0, 0, false)];
    let regions = raster
        .rasterize(&far, &DOT_STYLE, &[[9, 9, 9]], [0; 3], 400, 100)
        .to_vec();
    assert_eq!(regions.len(), 2);
    assert!(
        regions[0].bounds.x1 < 100 && regions[1].bounds.x0 > 250,
        "{regions:?}"
    );
    assert_eq!(pixel(&raster, 300, 50), [9, 9, 9, 255]);
    assert!(raster
        .rasterize(&[], &DOT_STYLE, &[[0; 3]], [0; 3], 400, 100)
        .is_empty());
}

#[wasm_bindgen_test]
fn later_dot_colours_paint_over() {
    let mut raster = Rasterizer::default();
    let spots = [spot(5.0, 5.0, 1, false), spot(5.0, 5.0, 0, false)];
    raster.rasterize(
        &spots,
        &DOT_STYLE,
        &[[255, 0, 0], [0, 0, 255]],
        [0; 3],
        20,
        20,
    );
    assert_eq!(
        pixel(&raster, 5, 5),
        [0, 0, 255, 255],
        "colour 1 is drawn after colour 0"
    );
}
