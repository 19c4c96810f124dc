//! Small SVG line charts over simulated time (a few polylines each, so SVG is cheap here).

use super::fmt::{compact, short_float};
use crate::metrics::Series;
use crate::time::SimTime;
use std::rc::Rc;
use yew::prelude::*;

/// Series colours (Okabe–Ito order).
pub const SERIES_COLORS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
];

/// One line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// Stroke colour.
    pub color: &'static str,
    /// `(seconds, value)` points.
    pub points: Vec<(f64, f64)>,
    /// Dashed stroke (for "in" vs "out" and percentiles).
    pub dashed: bool,
}

/// A chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Stable id (test hook and key).
    pub id: &'static str,
    /// Title.
    pub title: String,
    /// Unit shown after legend values.
    pub unit: &'static str,
    /// Lines.
    pub lines: Vec<Line>,
    /// Scale values for display (e.g. µs → ms).
    pub note: Option<String>,
}

/// Picks at most `max` rows of a series (every k-th, always keeping the last).
fn thin_indices(len: usize, max: usize) -> Vec<usize> {
    if len <= max {
        return (0..len).collect();
    }
    let step = len.div_ceil(max);
    let mut v: Vec<usize> = (0..len).step_by(step).collect();
    if v.last() != Some(&(len - 1)) {
        v.push(len - 1);
    }
    v
}

/// Values of a column at the chosen rows, as `(seconds, value)`.
pub fn column_points(series: &Series, column: &str, scale: f64) -> Option<Vec<(f64, f64)>> {
    let column = series.column_index(column)?;
    let idx = thin_indices(series.len(), 400);
    Some(
        idx.iter()
            .map(|&i| {
                (
                    series.time(i) as f64 / 1e6,
                    series.value(i, column) as f64 * scale,
                )
            })
            .collect(),
    )
}

/// The per-second rate of a cumulative column, over windows of at least one second (so the
/// line reads as a trend, not sampling noise).
pub fn rate_points(series: &Series, column: &str) -> Option<Vec<(f64, f64)>> {
    let column = series.column_index(column)?;
    let n = series.len();
    let mut out = Vec::new();
    if n < 2 {
        return Some(out);
    }
    let span = series.time(n - 1) - series.time(0);
    let window = (span / 150).max(1_000_000);
    let mut a = 0;
    for b in 1..n {
        let dt = series.time(b) - series.time(a);
        if dt >= window || b == n - 1 {
            if dt > 0 {
                let rise = series
                    .value(b, column)
                    .saturating_sub(series.value(a, column));
                out.push((series.time(b) as f64 / 1e6, rise as f64 / (dt as f64 / 1e6)));
            }
            a = b;
        }
    }
    Some(out)
}

fn nice_max(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    let m = x / p;
    let n = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    n * p
}

/// Props of [`ChartView`].
#[derive(Clone, PartialEq, Properties)]
pub struct ChartProps {
    /// The chart.
    pub chart: Rc<Chart>,
    /// Right end of the x axis (the scenario's duration).
    pub end: SimTime,
    /// The current time (a cursor line).
    pub now: SimTime,
}

const W: f64 = 600.0;
const H: f64 = 140.0;

/// One chart.
#[function_component(ChartView)]
pub fn chart_view(props: &ChartProps) -> Html {
    let chart = &props.chart;
    let x_max = (props.end as f64 / 1e6).max(1e-6);
    let y_raw = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let y_max = nice_max(y_raw);
    let px = |t: f64| (t / x_max * W).clamp(0.0, W);
    let py = |v: f64| H - 2.0 - (v / y_max).clamp(0.0, 1.0) * (H - 6.0);
    let grid: Html = (1..4)
        .map(|k| {
            let y = H * k as f64 / 4.0;
            html! { <line x1="0" x2={W.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} class="grid" /> }
        })
        .collect();
    let lines: Html = chart
        .lines
        .iter()
        .map(|l| {
            let pts: String = l
                .points
                .iter()
                .map(|&(t, v)| format!("{:.1},{:.1} ", px(t), py(v)))
                .collect();
            html! {
                <polyline points={pts} fill="none" stroke={l.color} stroke-width="1.75"
                    stroke-dasharray={if l.dashed { "5 3" } else { "" }}
                    vector-effect="non-scaling-stroke" stroke-linejoin="round" />
            }
        })
        .collect();
    let cursor = px(props.now as f64 / 1e6);
    let legend: Html = chart
        .lines
        .iter()
        .map(|l| {
            let last = l.points.last().map(|p| p.1).unwrap_or(0.0);
            html! {
                <span class="legend-item">
                    <i class={classes!("swatch", l.dashed.then_some("dashed"))} style={format!("--c:{}", l.color)}></i>
                    {&l.label}
                    <b>{format!("{} {}", short_float(last.round()), chart.unit).trim().to_string()}</b>
                </span>
            }
        })
        .collect();
    html! {
        <figure class="chart" data-chart={chart.id}>
            <figcaption>
                <span class="chart-title">{&chart.title}</span>
                if let Some(note) = &chart.note { <span class="chart-note">{note}</span> }
            </figcaption>
            <div class="chart-legend">{legend}</div>
            <div class="plot">
                <div class="y-axis"><span>{compact(y_max)}</span><span>{compact(y_max / 2.0)}</span><span>{"0"}</span></div>
                <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img" aria-label={chart.title.clone()}>
                    {grid}
                    <line x1="0" x2={W.to_string()} y1={(H - 0.5).to_string()} y2={(H - 0.5).to_string()} class="axis" />
                    {lines}
                    <line x1={format!("{cursor:.1}")} x2={format!("{cursor:.1}")} y1="0" y2={H.to_string()} class="cursor" vector-effect="non-scaling-stroke" />
                </svg>
            </div>
            <div class="x-axis"><span>{"0 s"}</span><span>{format!("{} s", short_float(x_max / 2.0))}</span><span>{format!("{} s", short_float(x_max))}</span></div>
        </figure>
    }
}
