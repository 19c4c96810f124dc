// What the e2e tests and the browser benchmark share: how headless Chromium is launched
// (offline, Debian's /usr/bin/chromium) and the frame-time measurement of the animated app,
// which the e2e test asserts (the performance issue's 60 fps target) and bench.mjs prints.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.toml': 'text/plain; charset=utf-8',
};

/** A new page on the JS API example (api.html), once its module has loaded. */
export async function openApiPage(browser, base) {
  const page = await browser.newPage();
  await page.goto(base + 'api.html');
  await page.waitForSelector('body[data-ready="1"]');
  return page;
}

/** Serves `dir` (a Trunk build) on a free local port, uncached; a directory serves its
 * index.html. Resolves to `{ server, base }` with `base` ending in `/`. */
export async function serveDirectory(dir) {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    let file = path.normalize(path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end('not found'); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}/` };
}

/** Debian's Chromium, headless, with nothing that reaches the network. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The seed topology at 3,000 records/s over 24 partitions with 0.2 ms handlers and no
 * narration or checks: about 6,000 events in flight on screen. */
export function stressScenario(seedScenario) {
  return seedScenario
    .replace('rate = "200/s"', 'rate = "3000/s"')
    .replace('partitions = 12', 'partitions = 24')
    .replace('processing = "exp(8ms)"', 'processing = "0.2ms"')
    .replace('processing = "exp(4ms)"', 'processing = "0.2ms"')
    .replace(/\[\[step\]\][\s\S]*?(?=\[\[step\]\]|\[expect\])/g, '')
    .replace(/\[expect\][\s\S]*$/, '');
}

export const VSYNC_MS = 1000 / 60;

/** rAF intervals over `frames` frames of an app page that is playing. An interval is a whole
 * number of vsyncs (16.67 ms at 60 Hz) give or take performance.now()'s 0.1 ms coarsening: a
 * frame that misses its vsync shows up as ~33 ms. Returns the figures, with each frame's
 * main-thread cost (`p95_frame_work_ms`, `max_frame_work_ms`) and the app's own per-frame work
 * (draw, simulate, update) as it reports it in data attributes. */
export async function measureFrames(page, frames = 300) {
  const samples = await page.evaluate((frames) => new Promise((resolve) => {
    const times = [];
    const work = [];
    const dots = [];
    let last = performance.now();
    // A message posted from a frame's rAF callback is handled once the frame's main-thread
    // work is done (every rAF callback, the app's included, then style, layout, paint and
    // commit): its arrival minus the frame's start is what the frame cost, which the
    // vsync-paced intervals cannot show. An upper bound: it also counts any task queued ahead
    // of the message, so it is for comparing builds in one sitting, not an assertion.
    const channel = new MessageChannel();
    channel.port1.onmessage = (message) => {
      work.push(performance.now() - message.data);
      if (work.length === frames) resolve({ times, work, dots });
    };
    function tick(ts) {
      times.push(ts - last);
      last = ts;
      channel.port2.postMessage(ts);
      dots.push(Number(document.querySelector('.app').dataset.dots));
      if (times.length < frames) requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
  }), frames);
  const percentile95 = (values) => {
    const sorted = [...values.slice(5)].sort((a, b) => a - b);
    return { sorted, p95: sorted[Math.floor(sorted.length * 0.95)] };
  };
  const { sorted, p95 } = percentile95(samples.times);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const late = sorted.filter((t) => t > 1.5 * VSYNC_MS).length;
  const work = percentile95(samples.work);
  const dots = Math.round(samples.dots.reduce((a, b) => a + b, 0) / samples.dots.length);
  const app = await page.$eval('.app', (e) => ({ draw: Number(e.dataset.drawMs), sim: Number(e.dataset.simMs), update: Number(e.dataset.updateMs) }));
  return {
    mean_frame_ms: +mean.toFixed(2), p95_frame_ms: +p95.toFixed(2), fps: +(1000 / mean).toFixed(1),
    late_frames: `${late}/${sorted.length}`, late,
    p95_frame_work_ms: +work.p95.toFixed(2), max_frame_work_ms: +work.sorted[work.sorted.length - 1].toFixed(2),
    dots_in_flight: dots, min_dots: Math.min(...samples.dots),
    draw_ms: app.draw, sim_ms: app.sim, update_ms: app.update,
  };
}
