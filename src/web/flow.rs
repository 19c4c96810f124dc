//! The flow view: one `<canvas>` with the topology (producers → topics as partition lanes →
//! consumer groups and their instances) and the records moving as dots.
//!
//! Everything is drawn from the world's state each frame; dots are spawned from the engine's
//! events (`Produced`, `Processed`, ...) and live for a fixed real time, so the animation reads
//! the same at 0.1× and at 1000×. The dots are rasterised in wasm and blitted in a few
//! `drawImage` calls ([`super::dots`]), which keeps thousands of them smooth without a GPU.

use super::dots::{rgb, DotLayer, Spot, Style};
use super::fmt::thousands;
use super::session::{FlowEvent, Session};
use crate::engine::world::{InstanceState, Publisher, World};
use crate::observer::SimEvent;
use web_sys::CanvasRenderingContext2d as Ctx;

/// Event-type colours (Okabe–Ito, colour-blind safe); a producer's records use its index.
pub const EVENT_COLORS: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
];
/// Owner colours (Paul Tol's "muted" scheme, colour-blind safe); instance `i` of every group.
pub const OWNER_COLORS: [&str; 9] = [
    "#88CCEE", "#CC6677", "#DDCC77", "#117733", "#332288", "#AA4499", "#44AA99", "#999933",
    "#882255",
];
/// Failure / stall colour (vermillion).
pub const FAIL: &str = "#D55E00";

const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const LINE: &str = "#d1d9e0";
const LANE: &str = "#f3f5f7";
const FONT: &str = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif";
const MONO: &str =
    "ui-monospace, 'SF Mono', 'Cascadia Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace";

/// How long a dot travels, in real milliseconds.
const DOT_MS: f64 = 650.0;
/// Most dots alive at once.
pub const MAX_DOTS: usize = 12_000;

/// An axis-aligned rectangle in CSS pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x && x <= self.x + self.w && y >= self.y && y <= self.y + self.h
    }
    fn mid_y(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// What is under the pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// A producer box.
    Producer(u16),
    /// A partition lane (its label).
    Lane { topic: u16, partition: u32 },
    /// A group's bar on a lane (the owner of that partition in that group).
    Owner { group: u16, slot: u32 },
    /// A consumer instance row.
    Instance { group: u16, instance: u16 },
    /// The "add instance" row of a group.
    AddInstance { group: u16 },
}

#[derive(Clone, Debug, Default)]
struct TopicBox {
    rect: Rect,
    lane_x0: f64,
    lane_x1: f64,
    rows_y: f64,
    row_h: f64,
}

#[derive(Clone, Debug, Default)]
struct GroupBox {
    rect: Rect,
    rows: Vec<Rect>,
    add: Rect,
}

/// Positions of everything, recomputed each frame from the world and the width.
#[derive(Clone, Debug, Default)]
struct Layout {
    width: f64,
    height: f64,
    narrow: bool,
    producers: Vec<Rect>,
    topics: Vec<TopicBox>,
    groups: Vec<GroupBox>,
}

const PAD: f64 = 16.0;
const CAPTION_H: f64 = 22.0;
const TOPIC_HEAD: f64 = 30.0;
const GROUP_HEAD: f64 = 42.0;
const INSTANCE_H: f64 = 24.0;
const ADD_H: f64 = 24.0;
const LEO_W: f64 = 58.0;
const LABEL_W: f64 = 34.0;

fn producer_height(p: &crate::engine::world::Producer) -> f64 {
    if matches!(p.publisher, Publisher::Direct(None)) {
        50.0
    } else {
        68.0
    }
}

fn layout(world: &World, width: f64) -> Layout {
    let narrow = width < 760.0;
    let prod_w = if narrow { 96.0 } else { 148.0 };
    let group_w = if narrow { 176.0 } else { 236.0 };
    let gutter = if narrow { 28.0 } else { 56.0 };
    let top = PAD + CAPTION_H;
    let total_partitions: usize = world.topics.iter().map(|t| t.partitions.len()).sum();
    let row_h = (560.0 / total_partitions.max(1) as f64)
        .clamp(3.0, 22.0)
        .floor();
    let topic_x = PAD + prod_w + gutter;
    let topic_w = (width - PAD - group_w - gutter - topic_x).max(120.0);
    let mut topics = Vec::new();
    let mut y = top;
    for t in &world.topics {
        let h = TOPIC_HEAD + row_h * t.partitions.len() as f64 + 8.0;
        topics.push(TopicBox {
            rect: Rect {
                x: topic_x,
                y,
                w: topic_w,
                h,
            },
            lane_x0: topic_x + 10.0 + if row_h >= 11.0 { LABEL_W } else { 0.0 },
            lane_x1: topic_x + topic_w - 10.0 - if row_h >= 11.0 { LEO_W } else { 0.0 },
            rows_y: y + TOPIC_HEAD,
            row_h,
        });
        y += h + 18.0;
    }
    let topics_bottom = y - 18.0;
    // Groups, stacked on the right.
    let group_x = width - PAD - group_w;
    let mut groups = Vec::new();
    let mut gy = top;
    for g in &world.groups {
        let n = g.instances.len() as f64;
        let h = GROUP_HEAD + n * INSTANCE_H + ADD_H + 6.0;
        let rect = Rect {
            x: group_x,
            y: gy,
            w: group_w,
            h,
        };
        let rows = (0..g.instances.len())
            .map(|i| Rect {
                x: group_x + 6.0,
                y: gy + GROUP_HEAD + i as f64 * INSTANCE_H,
                w: group_w - 12.0,
                h: INSTANCE_H - 2.0,
            })
            .collect();
        let add = Rect {
            x: group_x + 6.0,
            y: gy + GROUP_HEAD + n * INSTANCE_H + 2.0,
            w: group_w - 12.0,
            h: ADD_H - 4.0,
        };
        groups.push(GroupBox { rect, rows, add });
        gy += h + 14.0;
    }
    let groups_bottom = gy - 14.0;
    // Producers, next to their topic.
    let mut producers = Vec::new();
    let mut next_free = top;
    for p in &world.producers {
        let prod_h = producer_height(p);
        let topic = &topics[p.topic as usize];
        let siblings: Vec<usize> = world
            .producers
            .iter()
            .enumerate()
            .filter(|(_, q)| q.topic == p.topic)
            .map(|(i, _)| i)
            .collect();
        let stack_h: f64 = siblings
            .iter()
            .map(|&i| producer_height(&world.producers[i]) + 10.0)
            .sum::<f64>()
            - 10.0;
        let want = (topic.rect.y + (TOPIC_HEAD + topic.row_h * 3.0).min(topic.rect.h / 2.0)
            - stack_h / 2.0)
            .max(top);
        let index_in_stack = siblings
            .iter()
            .position(|&i| std::ptr::eq(&world.producers[i], p))
            .unwrap_or(0);
        let above: f64 = siblings[..index_in_stack]
            .iter()
            .map(|&i| producer_height(&world.producers[i]) + 10.0)
            .sum();
        let y = (want + above).max(next_free);
        producers.push(Rect {
            x: PAD,
            y,
            w: prod_w,
            h: prod_h,
        });
        next_free = y + prod_h + 10.0;
    }
    let producers_bottom = next_free - 10.0;
    let height = topics_bottom
        .max(groups_bottom)
        .max(producers_bottom)
        .max(top + 120.0)
        + PAD;
    Layout {
        width,
        height,
        narrow,
        producers,
        topics,
        groups,
    }
}

#[derive(Clone, Copy)]
struct Dot {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    born: f64,
    color: u8,
    ring: bool,
}

/// Frame statistics for the perf figures and the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// Dots alive in the last frame.
    pub dots: usize,
    /// Draw time of the last frame (ms).
    pub draw_ms: f64,
    /// Exponential average of the frame interval (ms).
    pub frame_ms: f64,
    /// Exponential average of the simulation time per frame (ms).
    pub sim_ms: f64,
}

/// The flow view's state between frames.
pub struct Flow {
    dots: Vec<Dot>,
    windows: Vec<f64>,
    flash: Vec<Vec<(f64, bool)>>,
    layout: Layout,
    hits: Vec<(Rect, Hit)>,
    /// Skip animation (prefers-reduced-motion).
    pub reduced_motion: bool,
    /// Frame statistics.
    pub stats: Stats,
    spawn_counter: u64,
    spots: Vec<Spot>,
    layer: DotLayer,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            dots: Vec::with_capacity(4096),
            windows: Vec::new(),
            flash: Vec::new(),
            layout: Layout::default(),
            hits: Vec::new(),
            reduced_motion: false,
            stats: Stats::default(),
            spawn_counter: 0,
            spots: Vec::new(),
            layer: DotLayer::default(),
        }
    }
}

/// The lane x of `offset` given the log-end offset and the topic's window.
fn lane_x(tb: &TopicBox, end: u64, offset: u64, window: f64) -> f64 {
    let behind = end.saturating_sub(offset) as f64;
    let x = tb.lane_x1 - behind / window * (tb.lane_x1 - tb.lane_x0);
    x.max(tb.lane_x0)
}

/// The y band of group `sub` (0-based among the topic's subscribers) in a lane row.
fn sub_band(tb: &TopicBox, partition: u32, sub: usize, subs: usize) -> (f64, f64) {
    let row_y = tb.rows_y + partition as f64 * tb.row_h;
    let inner = (tb.row_h - 4.0).max(1.0);
    let h = inner / subs.max(1) as f64;
    (row_y + 2.0 + sub as f64 * h, h)
}

impl Flow {
    /// The canvas height (CSS px) the current world needs at `width`.
    pub fn height_for(&mut self, world: &World, width: f64) -> f64 {
        self.layout = layout(world, width);
        self.layout.height
    }

    /// Forgets dots and flashes (after a seek or a new scenario).
    pub fn clear(&mut self) {
        self.dots.clear();
        self.flash.clear();
        self.windows.clear();
    }

    /// What is at `(x, y)` (CSS px in the canvas).
    pub fn hit(&self, x: f64, y: f64) -> Option<Hit> {
        self.hits
            .iter()
            .rev()
            .find(|(r, _)| r.contains(x, y))
            .map(|(_, h)| *h)
    }

    /// The hit regions as JSON (for the end-to-end tests).
    pub fn hits_json(&self) -> String {
        let items: Vec<String> = self
            .hits
            .iter()
            .filter_map(|(r, h)| {
                let (kind, a, b) = match *h {
                    Hit::Instance { group, instance } => ("instance", group as u32, instance as u32),
                    Hit::AddInstance { group } => ("add", group as u32, 0),
                    Hit::Producer(p) => ("producer", p as u32, 0),
                    Hit::Lane { topic, partition } if partition < 4 => ("lane", topic as u32, partition),
                    _ => return None,
                };
                Some(format!(
                    r#"{{"kind":"{kind}","a":{a},"b":{b},"x":{:.0},"y":{:.0},"w":{:.0},"h":{:.0}}}"#,
                    r.x, r.y, r.w, r.h
                ))
            })
            .collect();
        format!("[{}]", items.join(","))
    }

    /// Turns the session's new events into dots and flashes.
    pub fn ingest(&mut self, session: &mut Session, now_ms: f64) {
        let events: Vec<FlowEvent> = std::mem::take(&mut session.flow);
        let world = session.world();
        self.ensure_shape(world);
        if self.reduced_motion {
            for (_, e) in &events {
                if let SimEvent::InstanceCrashed { group, instance } = *e {
                    self.flash_at(group, instance, now_ms, true);
                }
            }
            return;
        }
        let free = MAX_DOTS.saturating_sub(self.dots.len());
        let movers = events
            .iter()
            .filter(|(_, e)| matches!(e, SimEvent::Produced { .. } | SimEvent::Processed { .. }))
            .count();
        let stride = if movers > free {
            movers.div_ceil(free.max(1)) as u64
        } else {
            1
        };
        let n = events.len().max(1) as f64;
        let mut last_consumer: Option<(u16, u16)> = None;
        for (k, (_, e)) in events.iter().enumerate() {
            // Spread a frame's events over the frame so bursts do not move in lockstep.
            let born = now_ms - 16.0 * (1.0 - k as f64 / n);
            match *e {
                SimEvent::Produced {
                    producer,
                    topic,
                    partition,
                    record,
                    ..
                } => {
                    self.spawn_counter += 1;
                    if self.spawn_counter % stride != 0 {
                        continue;
                    }
                    let Some(tb) = self.layout.topics.get(topic as usize) else {
                        continue;
                    };
                    let row_y = tb.rows_y + (partition as f64 + 0.5) * tb.row_h;
                    let jitter = ((self.spawn_counter * 7919) % 17) as f64 - 8.0;
                    // A root publish comes from its producer; a re-publish (retry topic, DLT,
                    // pipeline step) from the instance that handled the record just before.
                    let root = world
                        .producers
                        .get(producer as usize)
                        .is_some_and(|p| p.topic == topic)
                        && record.attempts == 0;
                    let x1 = if root || last_consumer.is_none() {
                        tb.rect.x
                    } else {
                        tb.rect.x + tb.rect.w
                    };
                    let (x0, y0) = match (root, last_consumer) {
                        (false, Some((g, i))) => match self
                            .layout
                            .groups
                            .get(g as usize)
                            .and_then(|gb| gb.rows.get(i as usize))
                        {
                            Some(r) => (r.x, r.mid_y()),
                            None => (tb.rect.x, tb.rect.y + 10.0),
                        },
                        _ => match self.layout.producers.get(producer as usize) {
                            Some(src) => (src.x + src.w, src.mid_y() + jitter),
                            None => (tb.rect.x, tb.rect.y + 10.0),
                        },
                    };
                    self.dots.push(Dot {
                        x0: x0 as f32,
                        y0: y0 as f32,
                        x1: x1 as f32,
                        y1: row_y as f32,
                        born,
                        color: (record.event_type as usize % EVENT_COLORS.len()) as u8,
                        ring: false,
                    });
                }
                SimEvent::Processed {
                    group,
                    instance,
                    topic,
                    partition,
                    offset,
                    record,
                    duplicate,
                    ..
                } => {
                    last_consumer = Some((group, instance));
                    self.flash_at(group, instance, now_ms, false);
                    self.spawn_counter += 1;
                    if self.spawn_counter % stride != 0 {
                        continue;
                    }
                    let (Some(tb), Some(gb)) = (
                        self.layout.topics.get(topic as usize),
                        self.layout.groups.get(group as usize),
                    ) else {
                        continue;
                    };
                    let Some(row) = gb.rows.get(instance as usize) else {
                        continue;
                    };
                    let t = &world.topics[topic as usize];
                    let subs = t.subscribers.len();
                    let sub = t
                        .subscribers
                        .iter()
                        .position(|&(g, _)| g == group)
                        .unwrap_or(0);
                    let (band_y, band_h) = sub_band(tb, partition, sub, subs);
                    let end = t.partitions[partition as usize].end_offset();
                    let window = self.windows.get(topic as usize).copied().unwrap_or(100.0);
                    let _ = (end, offset, window);
                    self.dots.push(Dot {
                        x0: (tb.rect.x + tb.rect.w) as f32,
                        y0: (band_y + band_h / 2.0) as f32,
                        x1: row.x as f32,
                        y1: row.mid_y() as f32,
                        born,
                        color: (record.event_type as usize % EVENT_COLORS.len()) as u8,
                        ring: duplicate,
                    });
                }
                SimEvent::InstanceCrashed { group, instance } => {
                    self.flash_at(group, instance, now_ms, true)
                }
                SimEvent::AttemptFailed {
                    group, instance, ..
                } => {
                    last_consumer = Some((group, instance));
                    self.flash_at(group, instance, now_ms, true)
                }
                _ => {}
            }
        }
    }

    fn ensure_shape(&mut self, world: &World) {
        if self.windows.len() != world.topics.len() {
            self.windows = vec![50.0; world.topics.len()];
        }
        if self.flash.len() != world.groups.len()
            || self
                .flash
                .iter()
                .zip(&world.groups)
                .any(|(f, g)| f.len() != g.instances.len())
        {
            self.flash = world
                .groups
                .iter()
                .map(|g| vec![(f64::NEG_INFINITY, false); g.instances.len()])
                .collect();
        }
    }

    fn flash_at(&mut self, group: u16, instance: u16, now_ms: f64, failure: bool) {
        if let Some(slot) = self
            .flash
            .get_mut(group as usize)
            .and_then(|g| g.get_mut(instance as usize))
        {
            if failure || !slot.1 || now_ms - slot.0 > 600.0 {
                *slot = (now_ms, failure);
            }
        }
    }

    /// Draws a frame. `width` is the canvas's CSS width; `hover` is highlighted.
    pub fn draw(
        &mut self,
        ctx: &Ctx,
        session: &Session,
        width: f64,
        dpr: f64,
        now_ms: f64,
        hover: Option<Hit>,
    ) {
        let start = now_ms;
        let world = session.world();
        self.ensure_shape(world);
        self.layout = layout(world, width);
        let l = self.layout.clone();
        self.hits.clear();
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, l.width, l.height);
        self.update_windows(world);
        self.draw_captions(ctx, &l);
        self.draw_connectors(ctx, world, &l);
        self.draw_producers(ctx, session, &l, hover);
        self.draw_topics(ctx, world, &l, hover);
        self.draw_groups(ctx, world, &l, now_ms, hover);
        let device = (
            (l.width * dpr).round() as u32,
            (l.height * dpr).round() as u32,
        );
        self.draw_dots(ctx, now_ms, dpr, device);
        let _ = start;
    }

    fn update_windows(&mut self, world: &World) {
        for (t, topic) in world.topics.iter().enumerate() {
            let mut worst = 0u64;
            for &(g, base) in &topic.subscribers {
                let group = &world.groups[g as usize];
                for p in 0..topic.partitions.len() {
                    let gp = &group.partitions[base as usize + p];
                    let log = &topic.partitions[p];
                    let from = gp.committed.unwrap_or(log.start_offset());
                    worst = worst.max(log.end_offset().saturating_sub(from));
                }
            }
            if topic.subscribers.is_empty() {
                for log in &topic.partitions {
                    worst = worst.max(log.end_offset().saturating_sub(log.start_offset()));
                }
            }
            let target = (worst as f64 * 1.25).max(40.0);
            let w = &mut self.windows[t];
            // Grow quickly, shrink slowly: the lane scale stays calm.
            let k = if target > *w { 0.25 } else { 0.03 };
            *w += (target - *w) * k;
        }
    }

    fn draw_captions(&self, ctx: &Ctx, l: &Layout) {
        ctx.set_font(&format!("600 10px {FONT}"));
        ctx.set_fill_style_str(MUTED);
        ctx.set_text_baseline("alphabetic");
        ctx.set_text_align("left");
        let y = PAD + 8.0;
        if let Some(p) = l.producers.first() {
            let _ = ctx.fill_text("PRODUCERS", p.x, y);
        }
        if let Some(t) = l.topics.first() {
            let _ = ctx.fill_text(
                if l.narrow {
                    "TOPICS"
                } else {
                    "TOPICS · partition logs, newest offset right"
                },
                t.rect.x,
                y,
            );
        }
        if let Some(g) = l.groups.first() {
            let _ = ctx.fill_text("CONSUMER GROUPS", g.rect.x, y);
        }
    }

    fn draw_connectors(&self, ctx: &Ctx, world: &World, l: &Layout) {
        ctx.set_stroke_style_str(LINE);
        ctx.set_line_width(1.5);
        ctx.begin_path();
        for (i, p) in world.producers.iter().enumerate() {
            let (Some(a), Some(t)) = (l.producers.get(i), l.topics.get(p.topic as usize)) else {
                continue;
            };
            curve(
                ctx,
                a.x + a.w,
                a.mid_y(),
                t.rect.x,
                t.rect.y + TOPIC_HEAD / 2.0,
            );
        }
        for (gi, g) in world.groups.iter().enumerate() {
            let Some(gb) = l.groups.get(gi) else { continue };
            for &t in &g.topics {
                let tb = &l.topics[t as usize];
                curve(
                    ctx,
                    tb.rect.x + tb.rect.w,
                    tb.rect.y + TOPIC_HEAD / 2.0,
                    gb.rect.x,
                    gb.rect.y + GROUP_HEAD / 2.0,
                );
            }
        }
        ctx.stroke();
    }

    fn draw_producers(&mut self, ctx: &Ctx, session: &Session, l: &Layout, hover: Option<Hit>) {
        let world = session.world();
        for (i, p) in world.producers.iter().enumerate() {
            let r = l.producers[i];
            let hovered = hover == Some(Hit::Producer(i as u16));
            card(ctx, r, hovered);
            let color = EVENT_COLORS[p.event_type as usize % EVENT_COLORS.len()];
            ctx.set_fill_style_str(color);
            ctx.begin_path();
            let _ = ctx.arc(r.x + 14.0, r.y + 17.0, 5.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
            ctx.set_fill_style_str(INK);
            ctx.set_font(&format!("600 12px {FONT}"));
            ctx.set_text_align("left");
            let _ = ctx.fill_text(&ellipsize(ctx, &p.name, r.w - 32.0), r.x + 25.0, r.y + 21.0);
            ctx.set_font(&format!("11px {FONT}"));
            ctx.set_fill_style_str(MUTED);
            let line = if p.paused {
                "paused".to_string()
            } else {
                format!(
                    "{}/s · {}",
                    super::fmt::short_float(p.rate()),
                    thousands(p.produced)
                )
            };
            let _ = ctx.fill_text(&ellipsize(ctx, &line, r.w - 20.0), r.x + 10.0, r.y + 39.0);
            let stage = match &p.publisher {
                Publisher::Direct(None) => None,
                Publisher::Direct(Some(_)) => Some(("dual write".to_string(), false)),
                Publisher::Outbox(relay) => Some((
                    format!("outbox → relay · {}", thousands(relay.backlog())),
                    relay.backlog() > 0,
                )),
                Publisher::Cdc(cdc) => Some((
                    format!("outbox → CDC · {}", thousands(cdc.backlog())),
                    cdc.backlog() > 0,
                )),
            };
            if let Some((text, backlog)) = stage {
                let pill = Rect {
                    x: r.x + 8.0,
                    y: r.y + 46.0,
                    w: r.w - 16.0,
                    h: 15.0,
                };
                ctx.set_fill_style_str(if backlog { "#fff8c5" } else { "#f3f5f7" });
                round_rect(ctx, pill, 3.0);
                ctx.fill();
                ctx.set_fill_style_str(if backlog { "#7a4e00" } else { MUTED });
                ctx.set_font(&format!("10.5px {FONT}"));
                let _ = ctx.fill_text(
                    &ellipsize(ctx, &text, pill.w - 10.0),
                    pill.x + 5.0,
                    pill.y + 11.0,
                );
            }
            self.hits.push((r, Hit::Producer(i as u16)));
        }
    }

    fn draw_topics(&mut self, ctx: &Ctx, world: &World, l: &Layout, hover: Option<Hit>) {
        for (ti, topic) in world.topics.iter().enumerate() {
            let tb = &l.topics[ti];
            card(ctx, tb.rect, false);
            let total: u64 = topic.partitions.iter().map(|p| p.end_offset()).sum();
            ctx.set_text_align("left");
            ctx.set_fill_style_str(INK);
            ctx.set_font(&format!("600 13px {FONT}"));
            let _ = ctx.fill_text(&topic.name, tb.rect.x + 10.0, tb.rect.y + 19.0);
            let mut name_w = ctx
                .measure_text(&topic.name)
                .map(|m| m.width())
                .unwrap_or(60.0);
            let dlt = topic.name.ends_with(".DLT") || topic.name.ends_with("-dlt");
            let retry = topic.name.contains("-retry");
            if dlt || retry {
                let (label, bg, fg) = if dlt {
                    ("DLT", "#fff1e9", "#b3400d")
                } else {
                    ("RETRY", "#fff8c5", "#7a4e00")
                };
                let badge = Rect {
                    x: tb.rect.x + 16.0 + name_w,
                    y: tb.rect.y + 8.0,
                    w: if dlt { 30.0 } else { 42.0 },
                    h: 15.0,
                };
                ctx.set_fill_style_str(bg);
                round_rect(ctx, badge, 3.0);
                ctx.fill();
                ctx.set_fill_style_str(fg);
                ctx.set_font(&format!("700 9.5px {FONT}"));
                let _ = ctx.fill_text(label, badge.x + 5.0, badge.y + 11.0);
                name_w += badge.w + 6.0;
            }
            ctx.set_font(&format!("11px {FONT}"));
            ctx.set_fill_style_str(MUTED);
            let long = format!(
                "{} partitions · {} records",
                topic.partitions.len(),
                thousands(total)
            );
            let room = tb.rect.w - 28.0 - name_w;
            let fits = ctx.measure_text(&long).map(|m| m.width()).unwrap_or(0.0) <= room;
            let summary = if l.narrow || !fits {
                format!("{} · {}", topic.partitions.len(), thousands(total))
            } else {
                format!(
                    "{} partitions · {} records",
                    topic.partitions.len(),
                    thousands(total)
                )
            };
            let _ = ctx.fill_text(&summary, tb.rect.x + 18.0 + name_w, tb.rect.y + 19.0);
            let window = self.windows[ti];
            let labels = tb.row_h >= 11.0;
            let subs = topic.subscribers.len();
            // Lane backgrounds.
            ctx.set_fill_style_str(LANE);
            for p in 0..topic.partitions.len() {
                let y = tb.rows_y + p as f64 * tb.row_h;
                ctx.fill_rect(
                    tb.lane_x0,
                    y + 1.0,
                    tb.lane_x1 - tb.lane_x0,
                    (tb.row_h - 2.0).max(1.0),
                );
            }
            // Offset ticks scroll left as the log grows.
            if tb.row_h >= 6.0 {
                let step = nice_step(window / 4.0);
                ctx.set_stroke_style_str("#e3e8ee");
                ctx.set_line_width(1.0);
                ctx.begin_path();
                for (p, log) in topic.partitions.iter().enumerate() {
                    let end = log.end_offset();
                    let y = tb.rows_y + p as f64 * tb.row_h;
                    let lo = (end as f64 - window).max(0.0);
                    let mut k = (lo / step).ceil() * step;
                    while k <= end as f64 {
                        let x = lane_x(tb, end, k as u64, window).round() + 0.5;
                        ctx.move_to(x, y + 1.0);
                        ctx.line_to(x, y + tb.row_h - 1.0);
                        k += step;
                    }
                }
                ctx.stroke();
            }
            // A topic nobody reads (a DLT): its records pile up.
            if subs == 0 {
                ctx.set_fill_style_str(if dlt { "#f2c4a8" } else { "#d8dee4" });
                for (p, log) in topic.partitions.iter().enumerate() {
                    if log.end_offset() == log.start_offset() {
                        continue;
                    }
                    let y = tb.rows_y + p as f64 * tb.row_h;
                    let x0 = lane_x(tb, log.end_offset(), log.start_offset(), window);
                    ctx.fill_rect(x0, y + 3.0, tb.lane_x1 - x0, (tb.row_h - 6.0).max(1.0));
                }
            }
            // Each group's unconsumed range on each lane, coloured by the partition's owner.
            for (sub, &(g, base)) in topic.subscribers.iter().enumerate() {
                let group = &world.groups[g as usize];
                for (p, log) in topic.partitions.iter().enumerate() {
                    let slot = base as usize + p;
                    let gp = &group.partitions[slot];
                    let end = log.end_offset();
                    let committed = gp.committed.unwrap_or(log.start_offset());
                    let (y, h) = sub_band(tb, p as u32, sub, subs);
                    let x0 = lane_x(tb, end, committed, window);
                    let owner = gp
                        .owner
                        .map(|o| (o.instance, group.instances[o.instance as usize].state));
                    let (fill, tick) = match owner {
                        Some((i, InstanceState::Running)) => (
                            OWNER_COLORS[i as usize % OWNER_COLORS.len()],
                            OWNER_COLORS[i as usize % OWNER_COLORS.len()],
                        ),
                        Some(_) => ("#f2c4a8", FAIL),
                        None => ("#d0d7de", "#8c959f"),
                    };
                    let bar = Rect {
                        x: tb.lane_x0,
                        y,
                        w: tb.lane_x1 - tb.lane_x0,
                        h,
                    };
                    if x0 < tb.lane_x1 {
                        ctx.set_global_alpha(0.55);
                        ctx.set_fill_style_str(fill);
                        ctx.fill_rect(x0, y, tb.lane_x1 - x0, h);
                        ctx.set_global_alpha(1.0);
                    }
                    ctx.set_fill_style_str(tick);
                    ctx.fill_rect((x0 - 1.5).max(tb.lane_x0), y, 3.0, h);
                    if hover
                        == Some(Hit::Owner {
                            group: g,
                            slot: slot as u32,
                        })
                    {
                        ctx.set_stroke_style_str(INK);
                        ctx.set_line_width(1.0);
                        ctx.stroke_rect(
                            bar.x + 0.5,
                            bar.y + 0.5,
                            bar.w - 1.0,
                            (bar.h - 1.0).max(1.0),
                        );
                    }
                    self.hits.push((
                        bar,
                        Hit::Owner {
                            group: g,
                            slot: slot as u32,
                        },
                    ));
                }
            }
            // Labels and log-end offsets.
            for (p, log) in topic.partitions.iter().enumerate() {
                let y = tb.rows_y + p as f64 * tb.row_h;
                let label = Rect {
                    x: tb.rect.x + 4.0,
                    y,
                    w: tb.lane_x0 - tb.rect.x - 4.0,
                    h: tb.row_h,
                };
                let leo = Rect {
                    x: tb.lane_x1,
                    y,
                    w: tb.rect.x + tb.rect.w - tb.lane_x1,
                    h: tb.row_h,
                };
                let hovered = hover
                    == Some(Hit::Lane {
                        topic: ti as u16,
                        partition: p as u32,
                    });
                if labels {
                    ctx.set_font(&format!("{}11px {MONO}", if hovered { "600 " } else { "" }));
                    ctx.set_fill_style_str(if hovered { INK } else { MUTED });
                    ctx.set_text_align("right");
                    let _ =
                        ctx.fill_text(&format!("P{p}"), tb.lane_x0 - 6.0, y + tb.row_h / 2.0 + 4.0);
                    ctx.set_text_align("left");
                    let _ = ctx.fill_text(
                        &thousands(log.end_offset()),
                        tb.lane_x1 + 6.0,
                        y + tb.row_h / 2.0 + 4.0,
                    );
                }
                if hovered {
                    ctx.set_stroke_style_str("#0969da");
                    ctx.set_line_width(1.5);
                    ctx.stroke_rect(
                        tb.lane_x0 - 0.5,
                        y + 0.5,
                        tb.lane_x1 - tb.lane_x0 + 1.0,
                        tb.row_h - 1.0,
                    );
                }
                self.hits.push((
                    label,
                    Hit::Lane {
                        topic: ti as u16,
                        partition: p as u32,
                    },
                ));
                self.hits.push((
                    leo,
                    Hit::Lane {
                        topic: ti as u16,
                        partition: p as u32,
                    },
                ));
            }
        }
        ctx.set_text_align("left");
    }

    fn draw_groups(
        &mut self,
        ctx: &Ctx,
        world: &World,
        l: &Layout,
        now_ms: f64,
        hover: Option<Hit>,
    ) {
        for (gi, g) in world.groups.iter().enumerate() {
            let gb = &l.groups[gi];
            card(ctx, gb.rect, false);
            ctx.set_text_align("left");
            ctx.set_fill_style_str(INK);
            ctx.set_font(&format!("600 13px {FONT}"));
            let _ = ctx.fill_text(
                &ellipsize(ctx, &g.name, gb.rect.w - 90.0),
                gb.rect.x + 10.0,
                gb.rect.y + 19.0,
            );
            let lag = g.total_lag(&world.topics);
            ctx.set_font(&format!("11px {MONO}"));
            ctx.set_text_align("right");
            ctx.set_fill_style_str(if lag > 0 { INK } else { MUTED });
            let _ = ctx.fill_text(
                &format!("lag {}", thousands(lag)),
                gb.rect.x + gb.rect.w - 10.0,
                gb.rect.y + 19.0,
            );
            ctx.set_text_align("left");
            ctx.set_font(&format!("11px {FONT}"));
            if g.rebalancing() {
                let badge = Rect {
                    x: gb.rect.x + 10.0,
                    y: gb.rect.y + 25.0,
                    w: 84.0,
                    h: 14.0,
                };
                ctx.set_fill_style_str("#fff1c2");
                round_rect(ctx, badge, 3.0);
                ctx.fill();
                ctx.set_fill_style_str("#7a4e00");
                ctx.set_font(&format!("600 10px {FONT}"));
                let _ = ctx.fill_text("REBALANCING", badge.x + 6.0, badge.y + 10.5);
                ctx.set_font(&format!("11px {FONT}"));
                ctx.set_fill_style_str(MUTED);
                let text = format!("{} · gen {}", g.config.assignor.name(), g.generation);
                let room = gb.rect.x + gb.rect.w - 10.0 - (badge.x + badge.w + 8.0);
                let _ = ctx.fill_text(
                    &ellipsize(ctx, &text, room),
                    badge.x + badge.w + 8.0,
                    gb.rect.y + 35.0,
                );
            } else {
                ctx.set_fill_style_str(MUTED);
                let text = format!(
                    "{} · generation {} · stable",
                    g.config.assignor.name(),
                    g.generation
                );
                let text = if ctx.measure_text(&text).map(|m| m.width()).unwrap_or(0.0)
                    > gb.rect.w - 20.0
                {
                    format!(
                        "{} · gen {} · stable",
                        g.config.assignor.name(),
                        g.generation
                    )
                } else {
                    text
                };
                let _ = ctx.fill_text(
                    &ellipsize(ctx, &text, gb.rect.w - 20.0),
                    gb.rect.x + 10.0,
                    gb.rect.y + 35.0,
                );
            }
            for (ii, inst) in g.instances.iter().enumerate() {
                let r = gb.rows[ii];
                let hit = Hit::Instance {
                    group: gi as u16,
                    instance: ii as u16,
                };
                if hover == Some(hit) {
                    ctx.set_fill_style_str("#eef4ff");
                    round_rect(ctx, r, 4.0);
                    ctx.fill();
                }
                let color = OWNER_COLORS[ii % OWNER_COLORS.len()];
                let (flash_at, failure) = self
                    .flash
                    .get(gi)
                    .and_then(|f| f.get(ii))
                    .copied()
                    .unwrap_or((f64::NEG_INFINITY, false));
                let age = now_ms - flash_at;
                let cx = r.x + 10.0;
                let cy = r.mid_y();
                match inst.state {
                    InstanceState::Running => {
                        if !self.reduced_motion && age < 180.0 && !failure {
                            ctx.set_fill_style_str(color);
                            ctx.set_global_alpha(0.35);
                            ctx.begin_path();
                            let _ = ctx.arc(cx, cy, 9.0, 0.0, std::f64::consts::TAU);
                            ctx.fill();
                            ctx.set_global_alpha(1.0);
                        }
                        ctx.set_fill_style_str(color);
                        round_rect(
                            ctx,
                            Rect {
                                x: cx - 5.5,
                                y: cy - 5.5,
                                w: 11.0,
                                h: 11.0,
                            },
                            2.5,
                        );
                        ctx.fill();
                    }
                    _ => {
                        ctx.set_stroke_style_str(if inst.state == InstanceState::Crashed {
                            FAIL
                        } else {
                            "#8c959f"
                        });
                        ctx.set_line_width(2.0);
                        ctx.begin_path();
                        ctx.move_to(cx - 4.5, cy - 4.5);
                        ctx.line_to(cx + 4.5, cy + 4.5);
                        ctx.move_to(cx + 4.5, cy - 4.5);
                        ctx.line_to(cx - 4.5, cy + 4.5);
                        ctx.stroke();
                    }
                }
                if failure && age < 450.0 && !self.reduced_motion {
                    ctx.set_global_alpha(1.0 - age / 450.0);
                    ctx.set_stroke_style_str(FAIL);
                    ctx.set_line_width(1.5);
                    round_rect(ctx, r, 4.0);
                    ctx.stroke();
                    ctx.set_global_alpha(1.0);
                }
                let running = inst.state == InstanceState::Running;
                ctx.set_fill_style_str(if running { INK } else { MUTED });
                ctx.set_font(&format!("12px {FONT}"));
                let suffix = match inst.state {
                    InstanceState::Running => "",
                    InstanceState::Crashed => "  crashed",
                    InstanceState::Stopped => "  stopped",
                };
                let name = short_instance_name(&g.name, &inst.name);
                let _ = ctx.fill_text(&name, r.x + 22.0, cy + 4.0);
                if !suffix.is_empty() {
                    let w = ctx.measure_text(&name).map(|m| m.width()).unwrap_or(40.0);
                    ctx.set_fill_style_str(if inst.state == InstanceState::Crashed {
                        FAIL
                    } else {
                        MUTED
                    });
                    ctx.set_font(&format!("600 11px {FONT}"));
                    let _ = ctx.fill_text(suffix, r.x + 22.0 + w, cy + 4.0);
                }
                // Owned partitions, compactly: P4–7.
                let parts = partition_ranges(g, &inst.assigned);
                ctx.set_text_align("right");
                ctx.set_font(&format!("11px {MONO}"));
                ctx.set_fill_style_str(MUTED);
                let _ = ctx.fill_text(
                    &ellipsize(ctx, &parts, r.w * 0.45),
                    r.x + r.w - 6.0,
                    cy + 4.0,
                );
                ctx.set_text_align("left");
                self.hits.push((r, hit));
            }
            let add_hit = Hit::AddInstance { group: gi as u16 };
            ctx.set_fill_style_str(if hover == Some(add_hit) {
                "#0550ae"
            } else {
                "#0969da"
            });
            ctx.set_font(&format!("12px {FONT}"));
            let _ = ctx.fill_text("+ add instance", gb.add.x + 4.0, gb.add.mid_y() + 4.0);
            self.hits.push((Rect { w: 110.0, ..gb.add }, add_hit));
        }
    }

    /// The dots, rasterised in wasm and blitted per region with dots (see [`super::dots`]).
    fn draw_dots(&mut self, ctx: &Ctx, now_ms: f64, dpr: f64, device: (u32, u32)) {
        self.dots.retain(|d| now_ms - d.born < DOT_MS);
        self.stats.dots = self.dots.len();
        if self.dots.is_empty() {
            return;
        }
        let many = self.dots.len() > 4_000;
        let r = match self.dots.len() {
            0..=800 => 3.2,
            801..=2_500 => 2.7,
            _ => 2.2,
        };
        let k = dpr as f32;
        self.spots.clear();
        self.spots.extend(self.dots.iter().map(|d| {
            let t = ((now_ms - d.born) / DOT_MS).clamp(0.0, 1.0) as f32;
            let e = t * t * (3.0 - 2.0 * t);
            Spot {
                x: (d.x0 + (d.x1 - d.x0) * e) * k,
                y: (d.y0 + (d.y1 - d.y0) * e) * k,
                color: d.color,
                ring: d.ring,
            }
        }));
        let style = Style {
            r: r as f32 * k,
            squares: many,
            // Redeliveries (duplicates) get a vermillion ring.
            ring_r: (r as f32 + 2.0) * k,
            ring_w: 1.5 * k,
        };
        let palette = EVENT_COLORS.map(rgb);
        self.layer
            .draw(ctx, &self.spots, &style, (&palette, rgb(FAIL)), device);
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    }
}

fn curve(ctx: &Ctx, x0: f64, y0: f64, x1: f64, y1: f64) {
    let mid = (x0 + x1) / 2.0;
    ctx.move_to(x0, y0);
    ctx.bezier_curve_to(mid, y0, mid, y1, x1, y1);
}

fn round_rect(ctx: &Ctx, r: Rect, radius: f64) {
    let rad = radius.min(r.w / 2.0).min(r.h / 2.0);
    ctx.begin_path();
    ctx.move_to(r.x + rad, r.y);
    let _ = ctx.arc_to(r.x + r.w, r.y, r.x + r.w, r.y + r.h, rad);
    let _ = ctx.arc_to(r.x + r.w, r.y + r.h, r.x, r.y + r.h, rad);
    let _ = ctx.arc_to(r.x, r.y + r.h, r.x, r.y, rad);
    let _ = ctx.arc_to(r.x, r.y, r.x + r.w, r.y, rad);
    ctx.close_path();
}

fn card(ctx: &Ctx, r: Rect, hovered: bool) {
    round_rect(
        ctx,
        Rect {
            x: r.x + 0.5,
            y: r.y + 0.5,
            w: r.w - 1.0,
            h: r.h - 1.0,
        },
        6.0,
    );
    ctx.set_fill_style_str("#ffffff");
    ctx.fill();
    ctx.set_stroke_style_str(if hovered { "#0969da" } else { LINE });
    ctx.set_line_width(1.0);
    ctx.stroke();
}

fn ellipsize(ctx: &Ctx, text: &str, max: f64) -> String {
    let width = |s: &str| ctx.measure_text(s).map(|m| m.width()).unwrap_or(0.0);
    if width(text) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let candidate: String = chars[..n].iter().collect::<String>() + "…";
        if width(&candidate) <= max {
            return candidate;
        }
    }
    "…".into()
}

fn short_instance_name(group: &str, name: &str) -> String {
    match name.strip_prefix(group) {
        Some(rest) if rest.starts_with('-') => format!("instance {}", &rest[1..]),
        _ => name.to_string(),
    }
}

/// `P0–3, P8` style summary of partition slots (single topic), or `orders-0…` for several.
fn partition_ranges(g: &crate::engine::world::Group, slots: &[u32]) -> String {
    if slots.is_empty() {
        return "—".into();
    }
    // The first subscribed topic as ranges (P0–3, P8); other topics (retry topics, a second
    // subscription) as a count.
    let main = g.topics.first().copied();
    let mut parts: Vec<u32> = Vec::new();
    let mut others = 0;
    for &s in slots {
        let gp = &g.partitions[s as usize];
        if Some(gp.topic) == main {
            parts.push(gp.partition);
        } else {
            others += 1;
        }
    }
    parts.sort_unstable();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let start = parts[i];
        let mut j = i;
        while j + 1 < parts.len() && parts[j + 1] == parts[j] + 1 {
            j += 1;
        }
        if j > i {
            out.push(format!("P{start}–{}", parts[j]));
        } else {
            out.push(format!("P{start}"));
        }
        i = j + 1;
    }
    let mut text = out.join(", ");
    if others > 0 {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("+{others}"));
    }
    text
}

/// A round tick step (1, 2, 5 × 10^k) near `x`.
fn nice_step(x: f64) -> f64 {
    crate::web::fmt::round_1_2_5(x.max(1.0))
}
