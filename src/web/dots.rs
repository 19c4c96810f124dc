//! The moving dots, rasterised in wasm into RGBA buffers and blitted onto the flow canvas with
//! a few `putImageData` + `drawImage` calls.
//!
//! Drawing thousands of dots as canvas path ops (`rect`/`arc` into one path per colour) costs
//! little in JavaScript but a lot when Chromium rasterises the recorded path: with the software
//! canvas (no GPU) 6,000 dots took 4–6 ms of the renderer's main thread per frame, more than
//! the rest of the frame together. Here each dot is a lookup in a prepared coverage mask (the
//! same anti-aliased squares and circles), and only the regions with dots are blitted: records
//! travel between the boxes, so the dots form a few vertical bands.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d as Ctx, HtmlCanvasElement, ImageData};

/// One dot to draw: centre in device pixels, colour index, and whether it has a ring.
#[derive(Clone, Copy, Debug)]
pub struct Spot {
    /// Centre x (device px).
    pub x: f32,
    /// Centre y (device px).
    pub y: f32,
    /// Index into the palette.
    pub color: u8,
    /// A redelivery: drawn with a ring.
    pub ring: bool,
}

/// How the dots look.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Radius (device px): the circle's radius, or the square's half side.
    pub r: f32,
    /// Squares (many dots) instead of circles.
    pub squares: bool,
    /// Ring radius (device px).
    pub ring_r: f32,
    /// Ring stroke width (device px).
    pub ring_w: f32,
}

/// `#RRGGBB` to bytes.
pub fn rgb(hex: &str) -> [u8; 3] {
    let h = hex.trim_start_matches('#');
    let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    [byte(0), byte(2), byte(4)]
}

/// A pixel region `[x0, x1) × [y0, y1)` in the canvas's device pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Left.
    pub x0: u32,
    /// Top.
    pub y0: u32,
    /// Right (exclusive).
    pub x1: u32,
    /// Bottom (exclusive).
    pub y1: u32,
}

impl Bounds {
    /// Width.
    pub fn w(&self) -> u32 {
        self.x1 - self.x0
    }
    /// Height.
    pub fn h(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// One region with dots and where its pixels start in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Where on the canvas.
    pub bounds: Bounds,
    /// Its first pixel in [`Rasterizer::pixels`] (rows of `bounds.w()` pixels).
    pub offset: usize,
}

/// Columns (device px) for finding the regions, and the gap (in columns) that splits them.
const COL: f32 = 32.0;
const GAP_COLS: usize = 2;

/// Sub-pixel positions per axis that dot shapes are prepared for (a dot's centre is rounded
/// to a quarter pixel: invisible, and every dot is then a lookup in a ready coverage mask).
const SUB: usize = 4;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Square(f32),
    Disc(f32),
    /// Radius and stroke width.
    Ring(f32, f32),
}

impl Shape {
    fn reach(self) -> f32 {
        match self {
            Shape::Square(r) | Shape::Disc(r) => r,
            Shape::Ring(r, w) => r + w / 2.0,
        }
    }

    /// Coverage of the pixel `[x, x+1] × [y, y+1]` by the shape centred at the origin: the
    /// area for squares (as a canvas anti-aliases a rect), a one-pixel ramp at the edge of
    /// discs and rings.
    fn coverage(self, x: f32, y: f32) -> f32 {
        let c = match self {
            Shape::Square(r) => {
                let cx = (x + 1.0).min(r) - x.max(-r);
                let cy = (y + 1.0).min(r) - y.max(-r);
                cx.max(0.0) * cy.max(0.0)
            }
            Shape::Disc(r) => r + 0.5 - (x + 0.5).hypot(y + 0.5),
            Shape::Ring(r, w) => w / 2.0 + 0.5 - ((x + 0.5).hypot(y + 0.5) - r).abs(),
        };
        c.clamp(0.0, 1.0)
    }
}

/// Coverage masks (0–255) of one shape at each of the `SUB × SUB` sub-pixel offsets.
#[derive(Default)]
struct Masks {
    key: Option<(bool, u32, u32)>,
    /// Pixels from the mask's top-left corner to the shape's centre pixel.
    half: i32,
    size: usize,
    cov: Vec<u8>,
    /// Per sub-pixel offset, the columns and rows with any coverage: `[i0, i1) × [j0, j1)`.
    extent: Vec<[usize; 4]>,
}

impl Masks {
    fn prepare(&mut self, shape: Shape) {
        let key = Some(match shape {
            Shape::Square(r) => (true, r.to_bits(), 0),
            Shape::Disc(r) => (false, r.to_bits(), 0),
            Shape::Ring(r, w) => (false, r.to_bits(), w.to_bits()),
        });
        if key == self.key {
            return;
        }
        self.key = key;
        self.half = shape.reach().ceil() as i32 + 1;
        self.size = 2 * self.half as usize + 2;
        let n = self.size;
        self.cov = vec![0; SUB * SUB * n * n];
        self.extent = vec![[n, 0, n, 0]; SUB * SUB];
        for fy in 0..SUB {
            for fx in 0..SUB {
                // The centre of the quarter-pixel bin, relative to the mask's corner.
                let cx = self.half as f32 + (fx as f32 + 0.5) / SUB as f32;
                let cy = self.half as f32 + (fy as f32 + 0.5) / SUB as f32;
                let mask = &mut self.cov[(fy * SUB + fx) * n * n..][..n * n];
                let e = &mut self.extent[fy * SUB + fx];
                for j in 0..n {
                    for i in 0..n {
                        let c = shape.coverage(i as f32 - cx, j as f32 - cy);
                        let v = (c * 255.0 + 0.5) as u8;
                        mask[j * n + i] = v;
                        if v > 0 {
                            *e = [e[0].min(i), e[1].max(i + 1), e[2].min(j), e[3].max(j + 1)];
                        }
                    }
                }
            }
        }
    }
}

/// Paints `color` (`0x00BBGGRR`) with coverage `cov` (1–255) over the pixel `p` (`0xAABBGGRR`:
/// RGBA bytes, not premultiplied, as `ImageData` holds them): the union with the same colour
/// (one path per colour, as a canvas fill would), source-over otherwise.
#[inline(always)]
fn blend(p: u32, cov: u8, color: u32) -> u32 {
    let a = (p >> 24) as u8;
    if cov == 255 || a == 0 || p & 0x00FF_FFFF == color {
        return color | (a.max(cov) as u32) << 24;
    }
    let c = cov as u32;
    let under = a as u32 * (255 - c) / 255;
    let out = c + under;
    let mix = |shift: u32| {
        let (src, dst) = ((color >> shift) & 0xFF, (p >> shift) & 0xFF);
        ((src * c + dst * under + out / 2) / out) << shift
    };
    mix(0) | mix(8) | mix(16) | out << 24
}

/// Rasterises dots into RGBA buffers, one per region with dots.
#[derive(Default)]
pub struct Rasterizer {
    buf: Vec<u32>,
    regions: Vec<Region>,
    /// Per column: x and y extent of its dots' centres, and its region.
    cols: Vec<([f32; 4], usize)>,
    dot: Masks,
    ring: Masks,
}

impl Rasterizer {
    /// Rasterises the spots over a `width × height` canvas: the dots colour by colour in
    /// palette order, then the rings on top. Returns the regions with dots.
    pub fn rasterize(
        &mut self,
        spots: &[Spot],
        style: &Style,
        palette: &[[u8; 3]],
        ring: [u8; 3],
        width: u32,
        height: u32,
    ) -> &[Region] {
        self.find_regions(spots, style, width, height);
        let n = self.regions.last().map_or(0, |r| {
            r.offset + r.bounds.w() as usize * r.bounds.h() as usize
        });
        if self.buf.len() == n {
            self.buf.fill(0);
        } else {
            // Not `resize`: at opt-level "z" that is a byte loop, this is a memset.
            self.buf = vec![0; n];
        }
        if n == 0 {
            return &self.regions;
        }
        self.dot.prepare(if style.squares {
            Shape::Square(style.r)
        } else {
            Shape::Disc(style.r)
        });
        let pack = |c: [u8; 3]| u32::from_le_bytes([c[0], c[1], c[2], 0]);
        for (c, &color) in palette.iter().enumerate() {
            let color = pack(color);
            for s in spots.iter().filter(|s| s.color as usize == c) {
                let region = self.regions[self.cols[column(s.x, self.cols.len())].1];
                stamp(&mut self.buf, region, &self.dot, s, color);
            }
        }
        if spots.iter().any(|s| s.ring) {
            self.ring.prepare(Shape::Ring(style.ring_r, style.ring_w));
            for s in spots.iter().filter(|s| s.ring) {
                let region = self.regions[self.cols[column(s.x, self.cols.len())].1];
                stamp(&mut self.buf, region, &self.ring, s, pack(ring));
            }
        }
        &self.regions
    }

    /// The pixels of the last [`Rasterizer::rasterize`] (`0xAABBGGRR`, i.e. RGBA bytes).
    pub fn pixels(&self) -> &[u32] {
        &self.buf
    }

    /// The regions of the last [`Rasterizer::rasterize`].
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Groups the dots into regions: runs of `COL`-wide columns with dots, split where at
    /// least `GAP_COLS` columns have none; each region spans its dots' extent plus their reach.
    fn find_regions(&mut self, spots: &[Spot], style: &Style, width: u32, height: u32) {
        self.regions.clear();
        let ncols = (width as f32 / COL).ceil().max(1.0) as usize;
        self.cols.clear();
        self.cols
            .resize(ncols, ([f32::MAX, f32::MIN, f32::MAX, f32::MIN], 0));
        for s in spots {
            let e = &mut self.cols[column(s.x, ncols)].0;
            *e = [e[0].min(s.x), e[1].max(s.x), e[2].min(s.y), e[3].max(s.y)];
        }
        let reach = style.r.max(style.ring_r + style.ring_w / 2.0) + 2.0;
        let clip = |v: f32, max: u32| v.clamp(0.0, max as f32) as u32;
        let mut open: Option<[f32; 4]> = None;
        let mut gap = 0;
        let mut offset = 0;
        let mut close = |e: [f32; 4], regions: &mut Vec<Region>| {
            let bounds = Bounds {
                x0: clip((e[0] - reach).floor(), width),
                x1: clip((e[1] + reach).ceil(), width),
                y0: clip((e[2] - reach).floor(), height),
                y1: clip((e[3] + reach).ceil(), height),
            };
            // Keep empty (clipped away) regions too: columns point at them by index.
            let bounds = if bounds.x1 > bounds.x0 && bounds.y1 > bounds.y0 {
                bounds
            } else {
                Bounds {
                    x1: bounds.x0,
                    y1: bounds.y0,
                    ..bounds
                }
            };
            regions.push(Region { bounds, offset });
            offset += bounds.w() as usize * bounds.h() as usize;
        };
        for c in 0..ncols {
            let e = self.cols[c].0;
            if e[0] > e[1] {
                gap += 1;
                if gap >= GAP_COLS {
                    if let Some(o) = open.take() {
                        close(o, &mut self.regions);
                    }
                }
                continue;
            }
            gap = 0;
            open = Some(match open {
                Some(o) => [
                    o[0].min(e[0]),
                    o[1].max(e[1]),
                    o[2].min(e[2]),
                    o[3].max(e[3]),
                ],
                None => e,
            });
            self.cols[c].1 = self.regions.len();
        }
        if let Some(o) = open {
            close(o, &mut self.regions);
        }
    }
}

/// The column of `x` (clamped to the canvas).
fn column(x: f32, ncols: usize) -> usize {
    ((x / COL).max(0.0) as usize).min(ncols - 1)
}

/// Paints one spot's mask into `buf`, clipped to its region.
fn stamp(buf: &mut [u32], region: Region, m: &Masks, s: &Spot, color: u32) {
    let b = region.bounds;
    let (w, h) = (b.w() as i32, b.h() as i32);
    let qx = (s.x * SUB as f32).floor() as i32;
    let qy = (s.y * SUB as f32).floor() as i32;
    let v = qy.rem_euclid(SUB as i32) as usize * SUB + qx.rem_euclid(SUB as i32) as usize;
    // The mask's top-left pixel in the region.
    let x0 = qx.div_euclid(SUB as i32) - m.half - b.x0 as i32;
    let y0 = qy.div_euclid(SUB as i32) - m.half - b.y0 as i32;
    let n = m.size;
    let mask = &m.cov[v * n * n..][..n * n];
    let [i0, i1, j0, j1] = m.extent[v];
    let i0 = i0.max((-x0).max(0) as usize);
    let i1 = i1.min((w - x0).max(0) as usize);
    let j0 = j0.max((-y0).max(0) as usize);
    let j1 = j1.min((h - y0).max(0) as usize);
    if i0 >= i1 {
        return;
    }
    for j in j0..j1 {
        let line = &mask[j * n + i0..j * n + i1];
        let start =
            region.offset + (y0 + j as i32) as usize * w as usize + (x0 + i0 as i32) as usize;
        for (p, &cov) in buf[start..start + line.len()].iter_mut().zip(line) {
            if cov != 0 {
                *p = blend(*p, cov, color);
            }
        }
    }
}

/// The rasteriser and the offscreen canvas its regions go through.
#[derive(Default)]
pub struct DotLayer {
    raster: Rasterizer,
    canvas: Option<(HtmlCanvasElement, Ctx)>,
    canvas_size: (u32, u32),
}

impl DotLayer {
    /// Draws the spots onto `ctx`, whose canvas is `width × height` device px. Leaves the
    /// context's transform at identity; the caller sets its own afterwards if it draws more.
    /// The colours are the palette (indexed by [`Spot::color`]) and the ring colour.
    pub fn draw(
        &mut self,
        ctx: &Ctx,
        spots: &[Spot],
        style: &Style,
        (palette, ring): (&[[u8; 3]], [u8; 3]),
        (width, height): (u32, u32),
    ) {
        if spots.is_empty() {
            return;
        }
        let Some((canvas, octx)) = self.offscreen() else {
            return;
        };
        self.raster
            .rasterize(spots, style, palette, ring, width, height);
        // The regions side by side on the offscreen canvas.
        let regions = &self.raster.regions;
        let need = regions
            .iter()
            .fold((0, 0), |(w, h), r| (w + r.bounds.w(), h.max(r.bounds.h())));
        let (cw, ch) = self.canvas_size;
        if cw < need.0 || ch < need.1 {
            // Grow only (a resize reallocates); leave room for the next frames.
            let size = (cw.max(need.0 + 64), ch.max(need.1 + 64));
            canvas.set_width(size.0);
            canvas.set_height(size.1);
            self.canvas_size = size;
        }
        // The pixels go to putImageData as a view of wasm memory (no copy); nothing
        // allocates between taking the view and the last use.
        let Ok(memory) = wasm_bindgen::memory().dyn_into::<js_sys::WebAssembly::Memory>() else {
            return;
        };
        let heap = memory.buffer();
        let base = self.raster.buf.as_ptr() as u32;
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let mut sx = 0;
        for r in regions {
            let (w, h) = (r.bounds.w(), r.bounds.h());
            if w == 0 || h == 0 {
                continue;
            }
            let bytes = js_sys::Uint8ClampedArray::new_with_byte_offset_and_length(
                &heap,
                base + r.offset as u32 * 4,
                w * h * 4,
            );
            let Ok(image) = ImageData::new_with_js_u8_clamped_array_and_sh(&bytes, w, h) else {
                continue;
            };
            let _ = octx.put_image_data(&image, sx as f64, 0.0);
            let _ = ctx
                .draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                    &canvas,
                    sx as f64,
                    0.0,
                    w as f64,
                    h as f64,
                    r.bounds.x0 as f64,
                    r.bounds.y0 as f64,
                    w as f64,
                    h as f64,
                );
            sx += w;
        }
    }

    fn offscreen(&mut self) -> Option<(HtmlCanvasElement, Ctx)> {
        if self.canvas.is_none() {
            let canvas: HtmlCanvasElement = super::dom::document()
                .create_element("canvas")
                .ok()?
                .dyn_into()
                .ok()?;
            canvas.set_width(1);
            canvas.set_height(1);
            let ctx: Ctx = canvas.get_context("2d").ok()??.dyn_into().ok()?;
            self.canvas = Some((canvas, ctx));
            self.canvas_size = (1, 1);
        }
        self.canvas.clone()
    }
}
