//! The Yew app: controls, panels, editor; the flow canvas is drawn imperatively each
//! animation frame (see [`super::flow`]). The app owns a [`Session`] and only reads the engine's
//! state; every change of the simulated world goes through the session.

use super::charts::{column_points, rate_points, Chart, ChartView, Line, SERIES_COLORS};
use super::dom;
use super::flow::{Flow, Hit, OWNER_COLORS};
use super::fmt::{self, thousands};
use super::gallery;
use super::session::{Advance, LoadError, Session, UserAction, FILE_NAME};
use super::share::{self, Params, View};
use super::why;
use crate::report::{DescribeRow, Report};
use crate::scenario::load_str;
use crate::time::{SimTime, MILLIS, SECONDS};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    HtmlCanvasElement, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement,
    KeyboardEvent, MouseEvent,
};
use yew::html::Scope;
use yew::prelude::*;

/// Speeds: simulated seconds per real second.
const MIN_SPEED: f64 = 0.1;
const MAX_SPEED: f64 = 1000.0;
/// Real time the simulation may use per frame (ms).
const SIM_BUDGET_MS: f64 = 9.0;
/// Panels refresh at most this often (ms).
const PANEL_MS: f64 = 125.0;

/// The app's properties: the page parameters.
#[derive(Clone, PartialEq, Properties)]
pub struct AppProps {
    /// Parsed URL parameters.
    pub params: Params,
}

/// Bottom panel tabs of the full app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The consumer-groups table.
    Table,
    /// The scenario editor.
    Editor,
}

/// Messages.
pub enum Msg {
    Frame(f64),
    TogglePlay,
    StepEvent,
    Speed(f64),
    Reset,
    Seed(String),
    Scrub(SimTime),
    EditorInput(String),
    Apply,
    Revert,
    Gallery(String),
    Imported(String, String),
    Export,
    Share,
    CanvasMove(f64, f64),
    CanvasLeave,
    CanvasClick(f64, f64),
    Act(UserAction),
    CloseMenu,
    Key(KeyboardEvent),
    Tab(Tab),
    View(View),
    Continue,
    GotoError,
    DismissNotice,
}

/// What the panels show, rebuilt a few times per second.
#[derive(PartialEq)]
struct Snapshot {
    now: SimTime,
    end: SimTime,
    finished: bool,
    report: Report,
    charts: Vec<Rc<Chart>>,
    narration: Option<(usize, String)>,
    marks: Vec<(SimTime, &'static str, String)>,
    lag: u64,
}

/// The animation-frame callback, shared with itself so it can re-request the next frame.
type FrameCallback = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

struct RafLoop {
    id: Rc<Cell<i32>>,
    closure: FrameCallback,
}

impl Drop for RafLoop {
    fn drop(&mut self) {
        let _ = dom::window().cancel_animation_frame(self.id.get());
        self.closure.borrow_mut().take();
    }
}

fn start_raf(link: Scope<App>) -> RafLoop {
    let closure: FrameCallback = Rc::new(RefCell::new(None));
    let id = Rc::new(Cell::new(0));
    let (inner, inner_id) = (closure.clone(), id.clone());
    *closure.borrow_mut() = Some(Closure::new(move |ts: f64| {
        link.send_message(Msg::Frame(ts));
        if let Some(cb) = inner.borrow().as_ref() {
            inner_id.set(
                dom::window()
                    .request_animation_frame(cb.as_ref().unchecked_ref())
                    .unwrap_or(0),
            );
        }
    }));
    if let Some(cb) = closure.borrow().as_ref() {
        id.set(
            dom::window()
                .request_animation_frame(cb.as_ref().unchecked_ref())
                .unwrap_or(0),
        );
    }
    RafLoop { id, closure }
}

/// The app.
pub struct App {
    params: Params,
    session: Session,
    gallery: Option<&'static str>,
    editor: String,
    editor_error: Option<LoadError>,
    notice: Option<(bool, String)>,
    flow: Flow,
    canvas: NodeRef,
    stage: NodeRef,
    textarea: NodeRef,
    gutter: NodeRef,
    playing: bool,
    speed: f64,
    seek_target: Option<SimTime>,
    last_ts: Option<f64>,
    next_panel: f64,
    next_table: f64,
    paused_step: Option<u32>,
    hover: Option<(Hit, f64, f64)>,
    menu: Option<(Hit, f64, f64)>,
    tab: Tab,
    view: View,
    share_url: Option<String>,
    snapshot: Rc<Snapshot>,
    /// The table's data, and the next version waiting for its frame (see `Msg::Frame`).
    table: Rc<TableFeed>,
    pending_table: Option<TableData>,
    canvas_size: (f64, f64, f64),
    dirty: bool,
    behind: bool,
    posted_height: f64,
    update_ms: f64,
    force_render: bool,
    raf: Option<RafLoop>,
    keydown: Option<Closure<dyn FnMut(KeyboardEvent)>>,
}

/// The first session, its gallery entry, the editor text, an editor error and a notice.
type Initial = (
    Session,
    Option<&'static str>,
    String,
    Option<LoadError>,
    Option<(bool, String)>,
);

fn initial_session(params: &Params) -> Initial {
    let default = gallery::default_entry();
    let load_default =
        |seed| Session::load(default.text, FILE_NAME, seed).expect("the default scenario is valid");
    if let Some(text) = &params.shared_text {
        return match Session::load(text, FILE_NAME, params.seed) {
            Ok(s) => (s, None, text.clone(), None, None),
            Err(e) => (
                load_default(params.seed),
                Some(default.name),
                text.clone(),
                Some(e),
                Some((true, "The shared scenario has an error (see the editor); showing the default scenario instead.".into())),
            ),
        };
    }
    let mut notice = None;
    if params.bad_fragment {
        notice = Some((
            true,
            "The scenario in this link could not be decoded; showing the default scenario.".into(),
        ));
    }
    if let Some(name) = &params.scenario {
        match gallery::find(name) {
            Some(entry) => match Session::load(entry.text, FILE_NAME, params.seed) {
                Ok(s) => return (s, Some(entry.name), entry.text.to_string(), None, notice),
                Err(e) => notice = Some((true, e.message())),
            },
            None => {
                let names: Vec<&str> = gallery::ENTRIES.iter().map(|e| e.name).collect();
                notice = Some((true, format!("No bundled scenario is called \"{name}\" (bundled: {}); showing the default.", names.join(", "))));
            }
        }
    }
    (
        load_default(params.seed),
        Some(default.name),
        default.text.to_string(),
        None,
        notice,
    )
}

impl App {
    fn build_snapshot(&self) -> Snapshot {
        let s = &self.session;
        let report = s.report();
        let series = &s.recorder.metrics.series;
        let world = s.world();
        let mut charts = Vec::new();
        let lag_lines: Vec<Line> = world
            .groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                Some(Line {
                    label: g.name.clone(),
                    color: SERIES_COLORS[i % SERIES_COLORS.len()],
                    points: column_points(series, &format!("lag:{}", g.name), 1.0)?,
                    dashed: false,
                })
            })
            .collect();
        charts.push(Rc::new(Chart {
            id: "lag",
            title: "Consumer lag".into(),
            unit: "",
            lines: lag_lines,
            note: Some("records behind, per group".into()),
        }));
        let mut tp = Vec::new();
        if let Some(points) = rate_points(series, "produced") {
            tp.push(Line {
                label: "in (produced)".into(),
                color: "#57606a",
                points,
                dashed: true,
            });
        }
        for (i, g) in world.groups.iter().enumerate() {
            if let Some(points) = rate_points(series, &format!("processed:{}", g.name)) {
                tp.push(Line {
                    label: g.name.clone(),
                    color: SERIES_COLORS[i % SERIES_COLORS.len()],
                    points,
                    dashed: false,
                });
            }
        }
        charts.push(Rc::new(Chart {
            id: "throughput",
            title: "Throughput".into(),
            unit: "/s",
            lines: tp,
            note: Some("records per second".into()),
        }));
        let lat = &s.ui.latency;
        let lat_lines = [
            ("p50", "#0072B2", false),
            ("p90", "#E69F00", false),
            ("p99", "#D55E00", true),
        ]
        .iter()
        .filter_map(|&(name, color, dashed)| {
            Some(Line {
                label: name.into(),
                color,
                points: column_points(lat, name, 1e-3)?,
                dashed,
            })
        })
        .collect();
        charts.push(Rc::new(Chart {
            id: "latency",
            title: "End-to-end latency".into(),
            unit: "ms",
            lines: lat_lines,
            note: Some("produce → processed".into()),
        }));
        // DLQ depth and outbox backlog, when the scenario has a DLT / an outbox or CDC.
        let has_dlt = world.topics.iter().any(|t| t.name.ends_with(".DLT"));
        let has_outbox = world
            .producers
            .iter()
            .any(|p| !matches!(p.publisher, crate::engine::world::Publisher::Direct(_)));
        for (prefix, id, title, shown) in [
            ("dlq:", "dlq", "DLQ depth", has_dlt),
            ("backlog:", "outbox", "Outbox backlog", has_outbox),
        ] {
            if !shown {
                continue;
            }
            let mut lines: Vec<Line> = series
                .names
                .iter()
                .filter(|n| n.starts_with(prefix))
                .enumerate()
                .filter_map(|(i, n)| {
                    Some(Line {
                        label: n[prefix.len()..].to_string(),
                        color: SERIES_COLORS[i % SERIES_COLORS.len()],
                        points: column_points(series, n, 1.0)?,
                        dashed: false,
                    })
                })
                .collect();
            if lines.len() > 1 {
                lines.retain(|l| l.points.iter().any(|p| p.1 > 0.0));
            }
            charts.push(Rc::new(Chart {
                id,
                title: title.into(),
                unit: "",
                lines,
                note: Some(if id == "dlq" {
                    "records in dead-letter topics".into()
                } else {
                    "events not yet published".into()
                }),
            }));
        }
        let narration = s
            .narration_at(s.now())
            .map(|i| (i, s.scenario.steps[i].say.clone()));
        let mut marks: Vec<(SimTime, &'static str, String)> = s
            .scenario
            .steps
            .iter()
            .map(|st| (st.at.0.micros(), "step", st.say.clone()))
            .collect();
        for a in &s.scenario.timeline {
            let who = match (&a.group, a.instance, &a.producer) {
                (Some(g), Some(i), _) => format!("{g} #{i}"),
                (Some(g), None, _) => g.clone(),
                (_, _, Some(p)) => p.clone(),
                _ => String::new(),
            };
            marks.push((
                a.at.0.micros(),
                "action",
                format!("{} {who} at {}", a.action.name(), a.at.0),
            ));
        }
        Snapshot {
            now: s.now(),
            end: s.end(),
            finished: s.finished(),
            lag: report.groups.iter().map(|g| g.lag).sum(),
            report,
            charts,
            narration,
            marks,
        }
    }

    /// Rebuilds the panels' snapshot and, unless `defer_table`, the table's data; deferred, the
    /// table's data waits in `pending_table` for [`App::publish_table`].
    fn refresh_panels(&mut self, defer_table: bool) {
        self.snapshot = Rc::new(self.build_snapshot());
        self.pending_table = Some(TableData::of(&self.snapshot.report, self.session.world()));
        if !defer_table {
            self.publish_table();
        }
    }

    fn refresh(&mut self) {
        self.refresh_panels(false);
    }

    /// Shows the pending table data (re-rendering the table alone).
    fn publish_table(&mut self) {
        if let Some(data) = self.pending_table.take() {
            self.table.publish(data);
        }
    }

    fn new_session(&mut self, session: Session, gallery: Option<&'static str>) {
        self.session = session;
        self.gallery = gallery;
        self.reset_view();
    }

    fn reset_view(&mut self) {
        self.session.collect_flow = !self.flow.reduced_motion;
        self.seek_target = None;
        self.paused_step = None;
        self.menu = None;
        self.hover = None;
        self.flow.clear();
        self.dirty = true;
        self.refresh();
    }

    fn seek(&mut self, t: SimTime) {
        self.force_render = true;
        self.seek_target = Some(t.min(self.session.end()));
        self.paused_step = None;
        self.flow.clear();
        self.dirty = true;
    }

    fn sync_url(&self) {
        let base = dom::page_base();
        let mut query = Vec::new();
        if let Some(name) = self.gallery {
            query.push(format!("scenario={name}"));
        }
        if let Some(seed) = self.session.seed_override {
            query.push(format!("seed={seed}"));
        }
        if self.params.player {
            query.push("mode=player".into());
        }
        let mut url = base;
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        if self.gallery.is_none() {
            url.push_str("#s=");
            url.push_str(&share::encode(&self.session.text));
        }
        dom::replace_url(&url);
    }

    /// Advances the simulation for one frame.
    fn simulate(&mut self, dt_ms: f64) {
        let start = dom::now_ms();
        let deadline = start + SIM_BUDGET_MS;
        self.behind = false;
        if let Some(target) = self.seek_target {
            loop {
                match self.session.seek(target, 8_192) {
                    Advance::Reached => {
                        self.seek_target = None;
                        self.force_render = true;
                        self.next_panel = 0.0;
                        break;
                    }
                    _ if dom::now_ms() > deadline => break,
                    _ => {}
                }
            }
            self.dirty = true;
            return;
        }
        if !self.playing {
            return;
        }
        if self.session.finished() {
            self.playing = false;
            return;
        }
        let goal =
            self.session.now() + (dt_ms / 1000.0 * self.speed * SECONDS as f64).round() as u64;
        loop {
            match self.session.advance(goal, 4_096, true) {
                Advance::Reached => break,
                Advance::Budget => {
                    if dom::now_ms() > deadline {
                        self.behind = true;
                        break;
                    }
                }
                Advance::PausedAtStep(step) => {
                    self.playing = false;
                    self.paused_step = Some(step);
                    self.next_panel = 0.0;
                    break;
                }
            }
        }
        if self.session.finished() {
            self.playing = false;
            self.next_panel = 0.0;
        }
        let sim_ms = dom::now_ms() - start;
        self.flow.stats.sim_ms = self.flow.stats.sim_ms * 0.9 + sim_ms * 0.1;
    }

    fn draw(&mut self, ts: f64) {
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else {
            return;
        };
        let Some(stage) = self.stage.cast::<HtmlElement>() else {
            return;
        };
        let width = (stage.client_width() as f64).max(320.0);
        let height = self.flow.height_for(self.session.world(), width);
        let dpr = dom::dpr();
        let (bw, bh) = ((width * dpr).round() as u32, (height * dpr).round() as u32);
        if self.canvas_size != (width, height, dpr) || canvas.width() != bw || canvas.height() != bh
        {
            canvas.set_width(bw);
            canvas.set_height(bh);
            let _ = canvas
                .style()
                .set_property("height", &format!("{height}px"));
            self.canvas_size = (width, height, dpr);
            self.dirty = true;
        }
        self.flow.ingest(&mut self.session, ts);
        let animating = self.playing || self.seek_target.is_some() || self.flow.stats.dots > 0;
        if !(animating || self.dirty) {
            return;
        }
        // Opaque: the flow view paints its whole area white first, so the compositor need
        // not blend the canvas over the page (without a GPU that blend costs ~1.5 ms a frame).
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"alpha".into(), &false.into());
        let Ok(Some(ctx)) = canvas.get_context_with_context_options("2d", &options) else {
            return;
        };
        let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() else {
            return;
        };
        let t0 = dom::now_ms();
        self.flow
            .draw(&ctx, &self.session, width, dpr, ts, self.hover.map(|h| h.0));
        let draw_ms = dom::now_ms() - t0;
        self.flow.stats.draw_ms = self.flow.stats.draw_ms * 0.9 + draw_ms * 0.1;
        self.dirty = false;
    }

    fn act(&mut self, action: UserAction) {
        self.menu = None;
        let describe = action.describe(self.session.world());
        let editor_in_sync = self.editor == self.session.text;
        match self.session.record(action) {
            Ok(at) => {
                self.gallery = None;
                if editor_in_sync {
                    self.editor = self.session.text.clone();
                    self.editor_error = None;
                }
                self.seek(at);
                self.notice = Some((false, format!("Recorded: {describe} at {}. It is now a [[timeline]] action of the scenario, so Export and Share replay it.", crate::time::Duration(at))));
                self.sync_url();
            }
            Err(e) => self.notice = Some((true, e.message())),
        }
    }

    fn apply_editor(&mut self) {
        let file =
            if self.session.file.ends_with(".json") && self.editor.trim_start().starts_with('{') {
                self.session.file.clone()
            } else {
                FILE_NAME.to_string()
            };
        match Session::load(&self.editor, &file, self.session.seed_override) {
            Ok(session) => {
                let gallery = gallery::ENTRIES
                    .iter()
                    .find(|e| e.text == self.editor)
                    .map(|e| e.name);
                self.editor_error = None;
                self.new_session(session, gallery);
                self.notice = Some((
                    false,
                    "Scenario applied: the run restarted from 0 s.".into(),
                ));
                self.sync_url();
            }
            Err(e) => {
                self.notice = Some((
                    true,
                    format!(
                        "Not applied: {}. The last good scenario keeps running.",
                        e.message().lines().next().unwrap_or_default()
                    ),
                ));
                self.editor_error = Some(e);
            }
        }
    }

    fn validate_editor(&mut self) {
        let file = if self.editor.trim_start().starts_with('{') {
            "scenario.json"
        } else {
            FILE_NAME
        };
        self.editor_error = if self.editor.len() > super::session::limits::TEXT_BYTES {
            Some(LoadError::TooLarge(format!(
                "The scenario is {} KB; the web app accepts up to {} KB.",
                self.editor.len() / 1024,
                super::session::limits::TEXT_BYTES / 1024
            )))
        } else {
            load_str(&self.editor, file)
                .err()
                .map(|e| LoadError::Scenario(Box::new(e)))
        };
    }

    fn goto_error(&self) {
        let (Some((line, col)), Some(ta)) = (
            self.editor_error.as_ref().and_then(|e| e.position()),
            self.textarea.cast::<HtmlTextAreaElement>(),
        ) else {
            return;
        };
        let mut offset = 0usize;
        for (i, l) in self.editor.split('\n').enumerate() {
            if i + 1 == line {
                offset += l
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(|c| c.len_utf16())
                    .sum::<usize>();
                break;
            }
            offset += l.chars().map(|c| c.len_utf16()).sum::<usize>() + 1;
        }
        let _ = ta.focus();
        let _ = ta.set_selection_range(offset as u32, offset as u32 + 1);
        let line_h = 19.0;
        ta.set_scroll_top((((line as f64) - 4.0) * line_h).max(0.0) as i32);
    }

    fn key(&mut self, ctx: &Context<Self>, e: KeyboardEvent) -> bool {
        if let Some(target) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let tag = target.tag_name().to_ascii_lowercase();
            if matches!(tag.as_str(), "textarea" | "input" | "select")
                || target.has_attribute("contenteditable")
            {
                return false;
            }
            // A focused button handles Space / Enter itself (a click).
            if matches!(tag.as_str(), "button" | "a") && matches!(e.key().as_str(), " " | "Enter") {
                return false;
            }
        }
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return false;
        }
        let big = if e.shift_key() { 10 } else { 1 };
        match e.key().as_str() {
            " " | "k" => {
                e.prevent_default();
                ctx.link().send_message(Msg::TogglePlay);
            }
            "ArrowRight" => {
                e.prevent_default();
                let t = self.session.now() + big * SECONDS;
                self.seek(t);
            }
            "ArrowLeft" => {
                e.prevent_default();
                let t = self.session.now().saturating_sub(big * SECONDS);
                self.seek(t);
            }
            "ArrowUp" => {
                e.prevent_default();
                ctx.link()
                    .send_message(Msg::Speed((self.speed * 2.0).min(MAX_SPEED)));
            }
            "ArrowDown" => {
                e.prevent_default();
                ctx.link()
                    .send_message(Msg::Speed((self.speed / 2.0).max(MIN_SPEED)));
            }
            "." | "n" => ctx.link().send_message(Msg::StepEvent),
            "Escape" => {
                self.menu = None;
                return true;
            }
            _ => return false,
        }
        true
    }
}

fn speed_to_slider(speed: f64) -> f64 {
    ((speed / MIN_SPEED).log10() / 4.0 * 1000.0).clamp(0.0, 1000.0)
}

fn slider_to_speed(pos: f64) -> f64 {
    let raw = MIN_SPEED * 10f64.powf(pos / 1000.0 * 4.0);
    // Snap to 1, 2, 5 steps so the label reads well.
    crate::web::fmt::round_1_2_5(raw).clamp(MIN_SPEED, MAX_SPEED)
}

impl Component for App {
    type Message = Msg;
    type Properties = AppProps;

    fn create(ctx: &Context<Self>) -> Self {
        let params = ctx.props().params.clone();
        let (session, gallery, editor, editor_error, notice) = initial_session(&params);
        let report0 = session.report();
        let mut flow = Flow::default();
        flow.reduced_motion = dom::prefers_reduced_motion();
        let tab = if editor_error.is_some() {
            Tab::Editor
        } else {
            Tab::Table
        };
        let mut app = App {
            playing: params.autoplay,
            speed: params.speed.unwrap_or(1.0).clamp(MIN_SPEED, MAX_SPEED),
            view: params.view,
            params,
            session,
            gallery,
            editor,
            editor_error,
            notice,
            flow,
            canvas: NodeRef::default(),
            stage: NodeRef::default(),
            textarea: NodeRef::default(),
            gutter: NodeRef::default(),
            seek_target: None,
            last_ts: None,
            next_panel: 0.0,
            next_table: 0.0,
            paused_step: None,
            hover: None,
            menu: None,
            tab,
            share_url: None,
            snapshot: Rc::new(Snapshot {
                now: 0,
                end: 0,
                finished: false,
                report: report0,
                charts: Vec::new(),
                narration: None,
                marks: Vec::new(),
                lag: 0,
            }),
            table: Rc::default(),
            pending_table: None,
            canvas_size: (0.0, 0.0, 0.0),
            dirty: true,
            behind: false,
            posted_height: 0.0,
            update_ms: 0.0,
            force_render: false,
            raf: None,
            keydown: None,
        };
        app.session.collect_flow = !app.flow.reduced_motion;
        app.refresh();
        app
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            self.raf = Some(start_raf(ctx.link().clone()));
            let link = ctx.link().clone();
            let closure = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                link.send_message(Msg::Key(e))
            });
            let _ = dom::window()
                .add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref());
            self.keydown = Some(closure);
        }
        self.dirty = true;
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        self.raf = None;
        if let Some(closure) = self.keydown.take() {
            let _ = dom::window()
                .remove_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref());
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Frame(ts) => {
                let dt = self
                    .last_ts
                    .map_or(0.0, |last| (ts - last).clamp(0.0, 100.0));
                self.last_ts = Some(ts);
                if dt > 0.0 {
                    self.flow.stats.frame_ms = if self.flow.stats.frame_ms == 0.0 {
                        dt
                    } else {
                        self.flow.stats.frame_ms * 0.95 + dt * 0.05
                    };
                }
                let t0 = dom::now_ms();
                self.simulate(dt);
                self.draw(ts);
                if ts >= self.next_panel {
                    self.next_panel = ts + PANEL_MS;
                    let before = (self.snapshot.now, self.snapshot.finished);
                    // While the flow animates, the table (the costliest DOM update: a table
                    // layout) is shown half a period later, in a frame of its own.
                    let animating = self.playing || self.seek_target.is_some();
                    self.refresh_panels(animating);
                    self.next_table = ts + PANEL_MS / 2.0;
                    if dom::in_iframe() {
                        let h = dom::document()
                            .get_element_by_id(super::ROOT_ID)
                            .map(|e| e.scroll_height() as f64)
                            .unwrap_or(0.0);
                        if (h - self.posted_height).abs() > 1.0 {
                            self.posted_height = h;
                            dom::post_height(h);
                        }
                    }
                    let render = before != (self.snapshot.now, self.snapshot.finished)
                        || self.playing
                        || self.seek_target.is_some()
                        || std::mem::take(&mut self.force_render);
                    self.update_ms = self.update_ms * 0.9 + (dom::now_ms() - t0) * 0.1;
                    return render;
                }
                if self.pending_table.is_some() && ts >= self.next_table {
                    // Only the table re-renders, not the app.
                    self.publish_table();
                }
                self.update_ms = self.update_ms * 0.9 + (dom::now_ms() - t0) * 0.1;
                false
            }
            Msg::TogglePlay => {
                if self.playing {
                    self.playing = false;
                } else {
                    if self.session.finished() {
                        self.seek(0);
                    }
                    self.paused_step = None;
                    self.playing = true;
                }
                self.next_panel = 0.0;
                true
            }
            Msg::Continue => {
                self.paused_step = None;
                self.playing = true;
                true
            }
            Msg::StepEvent => {
                self.playing = false;
                self.paused_step = None;
                if self.seek_target.is_none() {
                    self.session.step_event();
                }
                self.dirty = true;
                self.refresh();
                true
            }
            Msg::Speed(s) => {
                self.speed = s.clamp(MIN_SPEED, MAX_SPEED);
                true
            }
            Msg::Reset => {
                self.seek(0);
                self.refresh();
                true
            }
            Msg::Seed(text) => {
                let seed = text.trim().parse::<u64>().ok();
                match self.session.restart(seed) {
                    Ok(()) => {
                        self.reset_view();
                        self.sync_url();
                    }
                    Err(e) => self.notice = Some((true, e.message())),
                }
                true
            }
            Msg::Scrub(t) => {
                self.seek(t);
                true
            }
            Msg::EditorInput(text) => {
                self.editor = text;
                self.validate_editor();
                true
            }
            Msg::Apply => {
                self.apply_editor();
                true
            }
            Msg::Revert => {
                self.editor = self.session.text.clone();
                self.editor_error = None;
                true
            }
            Msg::Gallery(name) => {
                if let Some(entry) = gallery::find(&name) {
                    match Session::load(entry.text, FILE_NAME, self.session.seed_override) {
                        Ok(s) => {
                            self.editor = entry.text.to_string();
                            self.editor_error = None;
                            self.new_session(s, Some(entry.name));
                            self.notice = None;
                            self.playing = true;
                            self.sync_url();
                        }
                        Err(e) => self.notice = Some((true, e.message())),
                    }
                }
                true
            }
            Msg::Imported(name, text) => {
                self.editor = text;
                self.tab = Tab::Editor;
                let file = if name.to_ascii_lowercase().ends_with(".json") {
                    "scenario.json".to_string()
                } else {
                    FILE_NAME.to_string()
                };
                match Session::load(&self.editor, &file, self.session.seed_override) {
                    Ok(s) => {
                        self.editor_error = None;
                        self.new_session(s, None);
                        self.notice = Some((false, format!("Imported {name}.")));
                        self.sync_url();
                    }
                    Err(e) => {
                        self.notice = Some((
                            true,
                            format!(
                                "{name} was not loaded: {}",
                                e.message().lines().next().unwrap_or_default()
                            ),
                        ));
                        self.editor_error = Some(e);
                    }
                }
                true
            }
            Msg::Export => {
                let stem = self.gallery.map(str::to_string).unwrap_or_else(|| {
                    let title = self.session.title().to_ascii_lowercase();
                    let slug: String = title
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect();
                    let slug = slug
                        .split('-')
                        .filter(|s| !s.is_empty())
                        .take(6)
                        .collect::<Vec<_>>()
                        .join("-");
                    if slug.is_empty() {
                        "scenario".into()
                    } else {
                        slug
                    }
                });
                let ext = if self.session.file.ends_with(".json") {
                    "json"
                } else {
                    "toml"
                };
                dom::download(&format!("{stem}.{ext}"), &self.session.text, "text/plain");
                true
            }
            Msg::Share => {
                let url = share::share_url(
                    &dom::page_base(),
                    &self.session.text,
                    self.session.seed_override,
                );
                dom::replace_url(&url);
                dom::copy(&url);
                self.share_url = Some(url);
                true
            }
            Msg::CanvasMove(x, y) => {
                let hit = self.flow.hit(x, y);
                let changed = hit != self.hover.map(|h| h.0);
                self.hover = hit.map(|h| (h, x, y));
                self.dirty = true;
                changed || hit.is_some()
            }
            Msg::CanvasLeave => {
                self.hover = None;
                self.dirty = true;
                true
            }
            Msg::CanvasClick(x, y) => {
                match self.flow.hit(x, y) {
                    Some(hit @ (Hit::Instance { .. } | Hit::Producer(_))) => {
                        self.menu = Some((hit, x, y))
                    }
                    Some(Hit::AddInstance { group }) => self.act(UserAction::AddInstance { group }),
                    _ => self.menu = None,
                }
                true
            }
            Msg::Act(action) => {
                self.act(action);
                true
            }
            Msg::CloseMenu => {
                self.menu = None;
                true
            }
            Msg::Key(e) => self.key(ctx, e),
            Msg::Tab(tab) => {
                self.tab = tab;
                true
            }
            Msg::View(view) => {
                self.view = view;
                self.canvas_size = (0.0, 0.0, 0.0);
                true
            }
            Msg::GotoError => {
                self.tab = Tab::Editor;
                self.goto_error();
                false
            }
            Msg::DismissNotice => {
                self.notice = None;
                self.share_url = None;
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let snap = &self.snapshot;
        let player = self.params.player;
        let class = classes!("app", if player { "player" } else { "full" });
        let hash = self.session.trace_hash();
        html! {
            <div class={class}
                data-ready="1"
                data-now={snap.now.to_string()}
                data-finished={snap.finished.to_string()}
                data-playing={self.playing.to_string()}
                data-seeking={self.seek_target.is_some().to_string()}
                data-trace-hash={hash}
                data-seed={self.session.seed().to_string()}
                data-steps={self.session.steps().to_string()}
                data-update-ms={format!("{:.2}", self.update_ms)}
                data-dots={self.flow.stats.dots.to_string()}
                data-frame-ms={format!("{:.2}", self.flow.stats.frame_ms)}
                data-draw-ms={format!("{:.2}", self.flow.stats.draw_ms)}
                data-sim-ms={format!("{:.2}", self.flow.stats.sim_ms)}>
                { self.view_header(ctx) }
                { self.view_controls(ctx) }
                { self.view_narration(ctx) }
                { self.view_notice(ctx) }
                if player {
                    { self.view_player_main(ctx) }
                } else {
                    <main class="workspace">
                        <div class="main-col">
                            <section class="stage-card panel">
                                { self.view_stage(ctx) }
                            </section>
                            <section class="bottom panel">
                                <div class="tabs" role="tablist">
                                    <button role="tab" class={classes!("tab", (self.tab == Tab::Table).then_some("active"))} aria-selected={(self.tab == Tab::Table).to_string()} onclick={ctx.link().callback(|_| Msg::Tab(Tab::Table))}>{"Consumer groups"}</button>
                                    <button role="tab" class={classes!("tab", (self.tab == Tab::Editor).then_some("active"))} aria-selected={(self.tab == Tab::Editor).to_string()} onclick={ctx.link().callback(|_| Msg::Tab(Tab::Editor))} data-tab="editor">
                                        {"Scenario"}
                                        if self.editor_error.is_some() { <span class="tab-badge error">{"error"}</span> }
                                        else if self.editor != self.session.text { <span class="tab-badge">{"edited"}</span> }
                                    </button>
                                    <span class="tab-spacer"></span>
                                    if self.tab == Tab::Table {
                                        <span class="tab-note">{"kafka-consumer-groups --describe, live"}</span>
                                    }
                                </div>
                                if self.tab == Tab::Table { { self.view_table() } } else { { self.view_editor(ctx) } }
                            </section>
                        </div>
                        <aside class="side">
                            { self.view_counters() }
                            { self.view_charts() }
                        </aside>
                    </main>
                    { self.view_footer() }
                }
            </div>
        }
    }
}

impl App {
    fn view_header(&self, ctx: &Context<Self>) -> Html {
        let title = self.session.title();
        if self.params.player {
            let full = {
                let mut url = dom::page_base();
                match self.gallery {
                    Some(name) => url.push_str(&format!("?scenario={name}")),
                    None => url.push_str(&format!("#s={}", share::encode(&self.session.text))),
                }
                url
            };
            let tab = |v: View, label: &'static str| {
                html! {
                    <button class={classes!("seg", (self.view == v).then_some("active"))} data-view={v.name()} onclick={ctx.link().callback(move |_| Msg::View(v))}>{label}</button>
                }
            };
            return html! {
                <header class="topbar compact">
                    <span class="brand" aria-hidden="true">{"evflow"}</span>
                    <span class="title" title={title.clone()}>{title}</span>
                    <span class="spacer"></span>
                    <div class="segmented" role="tablist">{tab(View::Flow, "Flow")}{tab(View::Lag, "Charts")}{tab(View::Table, "Table")}</div>
                    <a class="open-full" href={full} target="_blank" rel="noopener">{"Open ↗"}</a>
                </header>
            };
        }
        let onselect = ctx.link().callback(|e: Event| {
            Msg::Gallery(e.target_unchecked_into::<HtmlSelectElement>().value())
        });
        let onimport = {
            let link = ctx.link().clone();
            Callback::from(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let Some(file) = input.files().and_then(|f| f.get(0)) else {
                    return;
                };
                let name = file.name();
                let link = link.clone();
                input.set_value("");
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                        link.send_message(Msg::Imported(
                            name,
                            text.as_string().unwrap_or_default(),
                        ));
                    }
                });
            })
        };
        html! {
            <header class="topbar">
                <span class="brand"><span class="logo" aria-hidden="true"></span>{"evflow"}</span>
                <label class="scenario-pick">
                    <span class="visually-hidden">{"Scenario"}</span>
                    <select onchange={onselect} aria-label="Bundled scenarios">
                        if self.gallery.is_none() { <option selected=true value="">{"Custom scenario"}</option> }
                        { for gallery::ENTRIES.iter().map(|e| html! {
                            <option value={e.name} selected={self.gallery == Some(e.name)}>{gallery::title(e)}</option>
                        }) }
                    </select>
                </label>
                <span class="description" title={self.session.scenario.description.clone().unwrap_or_default()}>
                    { self.session.scenario.description.clone().unwrap_or_default() }
                </span>
                <span class="spacer"></span>
                <label class="btn ghost">{"Import"}<input type="file" accept=".toml,.json,text/plain" class="visually-hidden" onchange={onimport} /></label>
                <button class="btn ghost" onclick={ctx.link().callback(|_| Msg::Export)}>{"Export"}</button>
                <button class="btn primary" data-action="share" onclick={ctx.link().callback(|_| Msg::Share)}>{"Share"}</button>
            </header>
        }
    }

    fn view_controls(&self, ctx: &Context<Self>) -> Html {
        let snap = &self.snapshot;
        let end_ms = (snap.end / MILLIS).max(1);
        let now_ms = snap.now / MILLIS;
        let scrub = ctx.link().callback(|e: InputEvent| {
            let v: f64 = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse()
                .unwrap_or(0.0);
            Msg::Scrub((v * MILLIS as f64) as SimTime)
        });
        let speed = ctx.link().callback(|e: InputEvent| {
            let v: f64 = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse()
                .unwrap_or(500.0);
            Msg::Speed(slider_to_speed(v))
        });
        let seed = ctx
            .link()
            .callback(|e: Event| Msg::Seed(e.target_unchecked_into::<HtmlInputElement>().value()));
        let marks: Html = snap
            .marks
            .iter()
            .map(|(t, kind, label)| {
                let left = *t as f64 / snap.end.max(1) as f64 * 100.0;
                html! { <i class={classes!("mark", *kind)} style={format!("left:{left:.3}%")} title={label.clone()}></i> }
            })
            .collect();
        let play_label = if self.playing {
            "Pause"
        } else if snap.finished {
            "Replay"
        } else {
            "Play"
        };
        html! {
            <section class={classes!("controls", self.params.player.then_some("compact"))} aria-label="Playback">
                <button class="icon-btn play" data-action="play" aria-label={play_label} title={format!("{play_label} (Space)")} onclick={ctx.link().callback(|_| Msg::TogglePlay)}>
                    if self.playing { <svg viewBox="0 0 16 16" aria-hidden="true"><rect x="3" y="2" width="3.5" height="12" rx="1"/><rect x="9.5" y="2" width="3.5" height="12" rx="1"/></svg> }
                    else { <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2.5v11a.5.5 0 0 0 .77.42l8.5-5.5a.5.5 0 0 0 0-.84l-8.5-5.5A.5.5 0 0 0 4 2.5z"/></svg> }
                </button>
                <button class="icon-btn" data-action="step" aria-label="Step to the next event" title="Step to the next event (.)" onclick={ctx.link().callback(|_| Msg::StepEvent)}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 2.5v11a.5.5 0 0 0 .77.42L11 9v4.5h2v-11h-2V7L3.77 2.08A.5.5 0 0 0 3 2.5z"/></svg>
                </button>
                <button class="icon-btn" data-action="reset" aria-label="Reset to 0 s" title="Reset to 0 s" onclick={ctx.link().callback(|_| Msg::Reset)}>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M8 3a5 5 0 1 1-4.9 6h1.55A3.5 3.5 0 1 0 8 4.5V7L4.5 3.75 8 .5V3z"/></svg>
                </button>
                <div class="timeline">
                    <div class="marks" aria-hidden="true">{marks}</div>
                    <input type="range" class="scrubber" aria-label="Simulated time" min="0" max={end_ms.to_string()} step="1" value={now_ms.to_string()} oninput={scrub} />
                </div>
                <span class="clock" data-testid="clock"><b>{fmt::clock(snap.now)}</b><span class="of">{format!(" / {}", fmt::clock(snap.end))}</span></span>
                <label class="speed" title="Simulated time per real second (↑/↓)">
                    <span class="label">{"Speed"}</span>
                    <input type="range" min="0" max="1000" step="1" value={format!("{:.0}", speed_to_slider(self.speed))} oninput={speed} aria-label="Speed" />
                    <span class={classes!("speed-value", self.behind.then_some("behind"))} title={if self.behind { "The simulation cannot keep up with this speed in real time" } else { "" }}>{fmt::speed(self.speed)}</span>
                </label>
                if !self.params.player {
                    <label class="seed" title="Seed of the run (the scenario's seed when empty)">
                        <span class="label">{"Seed"}</span>
                        <input type="number" min="0" value={self.session.seed().to_string()} onchange={seed} aria-label="Seed" />
                    </label>
                }
            </section>
        }
    }

    fn view_narration(&self, ctx: &Context<Self>) -> Html {
        let steps = self.session.scenario.steps.len();
        let Some((i, text)) = &self.snapshot.narration else {
            if steps == 0 {
                return html! {};
            }
            return html! { <section class="narration muted" aria-live="polite"><span class="step-no">{"Lesson"}</span><p>{"Captions appear here as the run reaches the scenario's steps."}</p></section> };
        };
        let paused_here = self.paused_step.is_some();
        html! {
            <section class={classes!("narration", paused_here.then_some("paused"))} aria-live="polite" data-step={i.to_string()}>
                <span class="step-no">{format!("Step {} of {steps}", i + 1)}</span>
                <p>{text}</p>
                if paused_here {
                    <button class="btn primary small" data-action="continue" onclick={ctx.link().callback(|_| Msg::Continue)}>{"Continue ▸"}</button>
                }
            </section>
        }
    }

    fn view_notice(&self, ctx: &Context<Self>) -> Html {
        let share = self.share_url.as_ref().map(|url| {
            html! {
                <div class="notice info share" role="status">
                    <span>{"Link copied (the scenario is in the link): "}</span>
                    <input class="share-url" readonly=true value={url.clone()} onfocus={Callback::from(|e: FocusEvent| { let i: HtmlInputElement = e.target_unchecked_into(); i.select(); })} />
                    <button class="close" aria-label="Dismiss" onclick={ctx.link().callback(|_| Msg::DismissNotice)}>{"×"}</button>
                </div>
            }
        });
        let notice = self.notice.as_ref().map(|(error, text)| {
            html! {
                <div class={classes!("notice", if *error { "error" } else { "info" })} role={if *error { "alert" } else { "status" }}>
                    <span>{text}</span>
                    <button class="close" aria-label="Dismiss" onclick={ctx.link().callback(|_| Msg::DismissNotice)}>{"×"}</button>
                </div>
            }
        });
        html! { <>{for share}{for notice}</> }
    }

    fn view_stage(&self, ctx: &Context<Self>) -> Html {
        let onmove = ctx
            .link()
            .callback(|e: MouseEvent| Msg::CanvasMove(e.offset_x() as f64, e.offset_y() as f64));
        let onclick = ctx
            .link()
            .callback(|e: MouseEvent| Msg::CanvasClick(e.offset_x() as f64, e.offset_y() as f64));
        let onleave = ctx.link().callback(|_| Msg::CanvasLeave);
        let world = self.session.world();
        let tooltip = self.hover.filter(|_| self.menu.is_none()).map(|(hit, x, y)| {
            let card = match hit {
                Hit::Lane { topic, partition } => why::partition(world, topic, partition),
                Hit::Owner { group, slot } => why::owner(world, group, slot),
                Hit::Instance { group, instance } => why::instance(world, group, instance),
                Hit::Producer(p) => why::producer(world, &self.session.scenario, p),
                Hit::AddInstance { group } => why::Card {
                    title: format!("Scale {} out", world.groups[group as usize].name),
                    lines: vec!["Adds an instance: it joins, the group rebalances and partitions move.".into()],
                    code: Vec::new(),
                },
            };
            let width = self.canvas_size.0;
            let left = if x > width - 380.0 { (x - 372.0).max(4.0) } else { x + 14.0 };
            html! {
                <div class="tooltip" role="tooltip" style={format!("left:{left:.0}px;top:{:.0}px", y + 14.0)} data-testid="why">
                    <div class="tt-title">{&card.title}</div>
                    { for card.lines.iter().map(|l| html! { <div class="tt-line">{l}</div> }) }
                    if !card.code.is_empty() { <pre class="tt-code">{card.code.join("\n")}</pre> }
                </div>
            }
        });
        let menu = self.menu.map(|(hit, x, y)| {
            let item = |label: &'static str, key: &'static str, action: UserAction, hint: &'static str| {
                let enabled = self.session.can(action);
                html! {
                    <button role="menuitem" disabled={!enabled} data-menu={key} onclick={ctx.link().callback(move |_| Msg::Act(action))}>
                        <b>{label}</b><span>{hint}</span>
                    </button>
                }
            };
            let (title, items) = match hit {
                Hit::Instance { group, instance } => {
                    let g = &world.groups[group as usize];
                    let mut items = vec![
                        item("Crash", "crash", UserAction::Crash { group, instance }, "no goodbye: its partitions stall until the session times out"),
                        item("Stop", "stop", UserAction::Stop { group, instance }, "clean shutdown: it leaves and the group rebalances at once"),
                        item("Restart", "restart", UserAction::Restart { group, instance }, "joins again as a new member"),
                    ];
                    if self.session.has_dead_letters(group) {
                        items.push(item("Replay dead letters", "replay-dlq", UserAction::ReplayDlq { group }, "re-publish the group's DLT records to their topic"));
                    }
                    (g.instances[instance as usize].name.clone(), items)
                }
                Hit::Producer(producer) => {
                    let p = &world.producers[producer as usize];
                    let mut items = vec![
                        item("Pause", "pause", UserAction::PauseProducer { producer }, "stop producing"),
                        item("Resume", "resume", UserAction::ResumeProducer { producer }, "produce again"),
                    ];
                    if self.session.can(UserAction::CrashRelay { producer }) {
                        items.push(item("Crash the outbox relay", "crash-relay", UserAction::CrashRelay { producer }, "rows wait in the outbox until it restarts"));
                    }
                    if self.session.can(UserAction::CrashConnector { producer }) {
                        items.push(item("Crash the CDC connector", "crash-connector", UserAction::CrashConnector { producer }, "it restarts from its last flushed offset"));
                    }
                    (p.name.clone(), items)
                }
                _ => (String::new(), Vec::new()),
            };
            html! {
                <div class="menu" role="menu" style={format!("left:{:.0}px;top:{:.0}px", (x - 10.0).max(4.0).min(self.canvas_size.0 - 250.0), y + 8.0)}>
                    <div class="menu-title">{title}</div>
                    {for items}
                    <button class="menu-cancel" onclick={ctx.link().callback(|_| Msg::CloseMenu)}>{"Cancel"}</button>
                </div>
            }
        });
        let dependencies: Html = world
            .dependencies
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let dependency = i as u16;
                let (label, action) = if d.down {
                    ("End outage", UserAction::OutageEnd { dependency })
                } else {
                    ("Start outage", UserAction::OutageStart { dependency })
                };
                html! {
                    <span class={classes!("dependency", d.down.then_some("down"))} data-dependency={d.name.clone()}>
                        <i class="status"></i><b>{&d.name}</b>{if d.down { " down" } else { " up" }}
                        <button class="btn ghost small" onclick={ctx.link().callback(move |_| Msg::Act(action))}>{label}</button>
                    </span>
                }
            })
            .collect();
        let legend: Html = world
            .event_types
            .iter()
            .enumerate()
            .map(|(i, name)| html! { <span class="legend-item"><i class="dot" style={format!("--c:{}", super::flow::EVENT_COLORS[i % super::flow::EVENT_COLORS.len()])}></i>{name}</span> })
            .collect();
        html! {
            <>
                <div class="stage" ref={self.stage.clone()}>
                    <canvas ref={self.canvas.clone()} class="flow-canvas" aria-label="Event flow: producers, topic partitions and consumer groups"
                        onmousemove={onmove} onclick={onclick} onmouseleave={onleave}
                        data-hits={self.flow.hits_json()}></canvas>
                    {for tooltip}
                    {for menu}
                    if self.seek_target.is_some() { <div class="seeking">{"Replaying to the chosen moment…"}</div> }
                </div>
                <div class="stage-legend">
                    {legend}
                    <span class="legend-item"><i class="bar"></i>{"records not yet committed, coloured by the partition's owner"}</span>
                    <span class="legend-item"><i class="tick"></i>{"committed offset"}</span>
                    <span class="legend-item"><i class="ring"></i>{"redelivered (duplicate)"}</span>
                    <span class="legend-hint">{"Hover for why · click an instance or a producer for actions"}</span>
                </div>
                if !world.dependencies.is_empty() {
                    <div class="dependencies"><span class="dep-title">{"Downstream dependencies"}</span>{dependencies}</div>
                }
            </>
        }
    }

    fn view_counters(&self) -> Html {
        let c = &self.snapshot.report.counters;
        let item = |key: &'static str,
                    label: &'static str,
                    value: String,
                    tone: Option<&'static str>,
                    title: &'static str| {
            html! {
                <div class={classes!("counter", tone)} data-counter={key} title={title}>
                    <span class="value">{value}</span>
                    <span class="label">{label}</span>
                </div>
            }
        };
        let warn = |n: u64| if n > 0 { Some("warn") } else { None };
        html! {
            <section class="counters panel" aria-label="Counters">
                {item("produced", "produced", thousands(c.produced), None, "records appended by producers")}
                {item("processed", "processed", thousands(c.processed), None, "records processed over all groups (with redeliveries)")}
                {item("lag", "total lag", thousands(self.snapshot.lag), None, "records not yet committed, over all groups")}
                {item("duplicates", "duplicates", thousands(c.duplicates), warn(c.duplicates), "records processed again after a rebalance (at-least-once)")}
                {item("lost", "lost", thousands(c.lost), if c.lost > 0 { Some("bad") } else { None }, "records a group never processed (retention or offset reset)")}
                {item("rebalances", "rebalances", thousands(c.rebalances), None, "completed rebalances after the groups formed")}
                {item("crashes", "crashes", thousands(c.crashes), warn(c.crashes), "instance crashes")}
                {item("out-of-order", "out of order", thousands(c.out_of_order), warn(c.out_of_order), "an earlier event of an entity was processed after a later one")}
                {item("phantom", "phantom", thousands(c.phantom), if c.phantom > 0 { Some("bad") } else { None }, "events published whose database transaction never committed (dual write)")}
                {item("dead-lettered", "dead-lettered", thousands(c.dead_lettered), warn(c.dead_lettered), "records sent to a dead-letter topic")}
            </section>
        }
    }

    fn view_charts(&self) -> Html {
        let snap = &self.snapshot;
        html! {
            <section class="charts">
                { for snap.charts.iter().map(|c| html! { <ChartView key={c.id} chart={c.clone()} end={snap.end} now={snap.now} /> }) }
            </section>
        }
    }

    fn view_table(&self) -> Html {
        html! { <DescribeTable feed={self.table.clone()} /> }
    }

    fn view_editor(&self, ctx: &Context<Self>) -> Html {
        let oninput = ctx.link().callback(|e: InputEvent| {
            Msg::EditorInput(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        });
        let onkeydown = ctx.link().batch_callback(|e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key() == "Enter" {
                e.prevent_default();
                Some(Msg::Apply)
            } else {
                None
            }
        });
        let gutter = self.gutter.clone();
        let onscroll = Callback::from(move |e: Event| {
            let ta: HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(g) = gutter.cast::<HtmlElement>() {
                g.set_scroll_top(ta.scroll_top());
            }
        });
        let error_line = self
            .editor_error
            .as_ref()
            .and_then(|e| e.position())
            .map(|p| p.0);
        let lines = self.editor.split('\n').count();
        let gutter_html: Html = (1..=lines)
            .map(|n| html! { <div class={classes!((Some(n) == error_line).then_some("err"))}>{n}</div> })
            .collect();
        let dirty = self.editor != self.session.text;
        let status = match &self.editor_error {
            Some(e) => {
                let message = e.message();
                html! {
                    <div class="editor-error" role="alert" data-testid="editor-error">
                        <button class="goto" onclick={ctx.link().callback(|_| Msg::GotoError)} title="Show it in the editor">
                            { e.position().map(|(l, c)| format!("line {l}, column {c}")).unwrap_or_else(|| "error".into()) }
                        </button>
                        <pre>{message}</pre>
                        <p class="kept">{"The last good scenario keeps running."}</p>
                    </div>
                }
            }
            None if dirty => {
                html! { <div class="editor-ok">{"✓ Valid. Apply to restart the run with it (Ctrl+Enter)."}</div> }
            }
            None => {
                html! { <div class="editor-ok muted">{"✓ This is the running scenario. Actions you take on the canvas are appended as [[timeline]] entries."}</div> }
            }
        };
        html! {
            <div class="editor">
                <div class="editor-bar">
                    <span class="file">{&self.session.file}</span>
                    <span class="spacer"></span>
                    <button class="btn ghost small" disabled={!dirty} onclick={ctx.link().callback(|_| Msg::Revert)}>{"Revert"}</button>
                    <button class="btn primary small" data-action="apply" disabled={!dirty || self.editor_error.is_some()} onclick={ctx.link().callback(|_| Msg::Apply)}>{"Apply"}</button>
                </div>
                <div class="editor-body">
                    <div class="gutter" ref={self.gutter.clone()} aria-hidden="true">{gutter_html}</div>
                    <textarea ref={self.textarea.clone()} spellcheck="false" autocomplete="off" aria-label="Scenario TOML"
                        value={self.editor.clone()} {oninput} {onkeydown} {onscroll} data-testid="editor" />
                </div>
                {status}
            </div>
        }
    }

    fn view_player_main(&self, ctx: &Context<Self>) -> Html {
        let main = match self.view {
            View::Flow => {
                html! { <section class="stage-card panel">{ self.view_stage(ctx) }</section> }
            }
            View::Lag => html! { <section class="charts-grid">{ self.view_charts() }</section> },
            View::Table => html! { <section class="panel">{ self.view_table() }</section> },
        };
        html! {
            <>
                {main}
                { self.view_counters() }
            </>
        }
    }

    fn view_footer(&self) -> Html {
        let s = &self.session;
        html! {
            <footer class="footer">
                <span>{format!("seed {}", s.seed())}</span>
                <span>{format!("{} kernel events", thousands(s.steps()))}</span>
                <span title="Equals `evflow run`'s trace hash for the same scenario and seed once the run reaches its end">
                    {"trace "}<code data-testid="trace-hash">{s.trace_hash()}</code>
                    if self.snapshot.finished { {" (complete)"} }
                </span>
                <span class="spacer"></span>
                <span class="keys">{"Space play/pause · ←/→ ∓1 s (Shift ∓10 s) · . step · ↑/↓ speed"}</span>
            </footer>
        }
    }
}

/// What the consumer-groups table shows.
#[derive(Default, PartialEq)]
struct TableData {
    rows: Vec<DescribeRow>,
    groups: Vec<GroupState>,
}

/// A group's line above the table.
#[derive(PartialEq)]
struct GroupState {
    name: String,
    rebalancing: bool,
    generation: u32,
    assignor: &'static str,
}

impl TableData {
    fn of(report: &Report, world: &crate::engine::world::World) -> Self {
        TableData {
            rows: report.describe.clone(),
            groups: world
                .groups
                .iter()
                .map(|g| GroupState {
                    name: g.name.clone(),
                    rebalancing: g.rebalancing(),
                    generation: g.generation,
                    assignor: g.config.assignor.name(),
                })
                .collect(),
        }
    }
}

/// The table's data, shared by the app and the table: publishing new data re-renders the
/// table alone (the app's own renders skip the table, whose props never change).
#[derive(Default)]
struct TableFeed {
    data: RefCell<Rc<TableData>>,
    redraw: RefCell<Option<UseForceUpdateHandle>>,
}

impl TableFeed {
    fn publish(&self, data: TableData) {
        if *self.data.borrow().as_ref() == data {
            return;
        }
        *self.data.borrow_mut() = Rc::new(data);
        if let Some(redraw) = self.redraw.borrow().as_ref() {
            redraw.force_update();
        }
    }
}

#[derive(Properties)]
struct TableProps {
    feed: Rc<TableFeed>,
}

impl PartialEq for TableProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.feed, &other.feed)
    }
}

/// The `kafka-consumer-groups --describe` table: a component of its own, re-rendered through
/// its [`TableFeed`] only, so its updates (its layout is the costliest DOM work of a frame)
/// land in other frames than the counters' and charts', without re-rendering the app.
#[function_component(DescribeTable)]
fn describe_table(props: &TableProps) -> Html {
    let redraw = use_force_update();
    {
        let feed = props.feed.clone();
        use_effect_with(Rc::as_ptr(&props.feed) as usize, move |_| {
            *feed.redraw.borrow_mut() = Some(redraw);
            move || {
                feed.redraw.borrow_mut().take();
            }
        });
    }
    let data = props.feed.data.borrow().clone();
    let rows = &data.rows;
    let max_rows = 400;
    let mut last_group = String::new();
    let body: Html = rows
            .iter()
            .take(max_rows)
            .map(|r| {
                let first = r.group != last_group;
                last_group = r.group.clone();
                let owner_color = r
                    .client_id
                    .as_ref()
                    .and_then(|c| c.rsplit('-').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .map(|i| OWNER_COLORS[i % OWNER_COLORS.len()]);
                let lag_class = match r.lag {
                    Some(l) if l >= 1000 => "lag high",
                    Some(l) if l > 0 => "lag some",
                    _ => "lag",
                };
                html! {
                    <tr class={classes!(first.then_some("group-start"))}>
                        <td class="group">{&r.group}</td>
                        <td>{&r.topic}</td>
                        <td class="num">{r.partition}</td>
                        <td class="num">{r.current_offset.map_or("-".into(), |v| v.to_string())}</td>
                        <td class="num">{r.log_end_offset}</td>
                        <td class={classes!("num", lag_class)} data-col="lag">{r.lag.map_or("-".into(), |v| v.to_string())}</td>
                        <td class="consumer">
                            if let Some(c) = owner_color { <i class="swatch" style={format!("--c:{c}")}></i> }
                            {r.consumer_id.clone().unwrap_or_else(|| "-".into())}
                        </td>
                        <td>{r.host.clone().unwrap_or_else(|| "-".into())}</td>
                        <td>{r.client_id.clone().unwrap_or_else(|| "-".into())}</td>
                    </tr>
                }
            })
            .collect();
    let states: Html = data
            .groups
            .iter()
            .map(|g| {
                let state = if g.rebalancing { "PreparingRebalance" } else { "Stable" };
                html! { <span class={classes!("group-state", g.rebalancing.then_some("rebalancing"))} data-group={g.name.clone()} data-generation={g.generation.to_string()}>
                    <b>{&g.name}</b>{format!(" {state} · generation {} · {}", g.generation, g.assignor)}</span> }
            })
            .collect();
    html! {
        <div class="table-wrap">
            <div class="group-states">{states}</div>
            <div class="scroll">
                <table class="describe" data-testid="describe">
                    <thead><tr>
                        <th>{"GROUP"}</th><th>{"TOPIC"}</th><th class="num">{"PARTITION"}</th><th class="num">{"CURRENT-OFFSET"}</th>
                        <th class="num">{"LOG-END-OFFSET"}</th><th class="num">{"LAG"}</th><th>{"CONSUMER-ID"}</th><th>{"HOST"}</th><th>{"CLIENT-ID"}</th>
                    </tr></thead>
                    <tbody>{body}</tbody>
                </table>
                if rows.len() > max_rows { <p class="more">{format!("… {} more rows (the CLI prints them all: evflow run)", rows.len() - max_rows)}</p> }
            </div>
        </div>
    }
}
