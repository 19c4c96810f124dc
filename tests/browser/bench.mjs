// Browser benchmark of the wasm engine (the performance issue's in-browser figures).
//
//   node tests/browser/bench.mjs [--simpy BLOCKING_RPS,NONBLOCKING_RPS]
//   node tests/browser/bench.mjs --only blocking|nonblocking|pipeline_1m|frames
//
// Serves dist/ (build it first: `trunk build --release`), opens www/api.html in headless
// Chromium and, through the JS API, times complete runs (plain `runScenario` runs: records/s
// and the SimPy ratio; and seekable `Evflow` sessions: session_*) of:
//   - benches/scenarios/simpy-blocking.toml and simpy-topics.toml (records/s; with --simpy,
//     records/s of the SimPy baseline measured separately, also the ratio: scripts/bench-simpy
//     --browser instead alternates --only runs with SimPy's, round by round),
//   - benches/scenarios/pipeline-1m.toml (about a million records through five services),
//   - "seek": after a whole run of the 1M-record pipeline, `runUntil` to 12 times just before a
//     checkpoint (the longest replays there are: the session restores the checkpoint before,
//     rebuilds its per-entity tables from the journal, and replays 1/64 of the run), in an
//     order that jumps backwards and forwards; the slowest and the median,
//   - "frames": rAF frame times of the app (index.html, 1280×900) animating the seed topology
//     at 3,000 records/s, about 6,000 events in flight (the e2e test asserts p95 < 16.7 ms):
//     the vsync-paced intervals (p95_frame_ms, late frames) and each frame's main-thread cost
//     (p95_frame_work_ms: from the frame's start until its rendering is done; an upper
//     bound, for comparing builds).
// Prints one JSON object; with --only, just that scenario's figures. Not part of
// scripts/test: figures, not assertions.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, measureFrames, openApiPage, serveDirectory, stressScenario } from './common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// EVFLOW_DIST: another build to measure (e.g. one made with a different opt-level).
const DIST = process.env.EVFLOW_DIST ? path.resolve(process.env.EVFLOW_DIST) : path.join(ROOT, 'dist');
const read = (p) => fs.readFileSync(path.join(ROOT, p), 'utf8');

const simpyArg = process.argv.indexOf('--simpy');
const simpy = simpyArg > 0 ? process.argv[simpyArg + 1].split(',').map(Number) : null;
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : null;
if (only !== null && !['blocking', 'nonblocking', 'pipeline_1m', 'frames'].includes(only)) {
  console.error(`--only takes blocking, nonblocking, pipeline_1m or frames, not ${only}`);
  process.exit(2);
}

const { server, base } = await serveDirectory(DIST);

const browser = await launchChromium();
try {
  const page = await openApiPage(browser, base);
  const texts = {
    blocking: read('benches/scenarios/simpy-blocking.toml'),
    nonblocking: read('benches/scenarios/simpy-topics.toml'),
    pipeline: read('benches/scenarios/pipeline-1m.toml'),
  };
  const figures = only === 'frames' ? {} : await page.evaluate(([texts, only]) => {
    const { Evflow, runScenario } = window.evflow;
    // Two ways a page runs a scenario to its end: `runScenario` (one call, a plain run as
    // `evflow run` makes it: the engine's speed, compared with SimPy) and a seekable `Evflow`
    // session (what the app does: checkpoints every 1/64 of the run, journaled entity writes,
    // the page's own latency windows). Median wall time of `repeat` runs of each, alternated,
    // after one untimed run of each: V8 first compiles wasm with its baseline compiler and
    // optimizes hot functions in the background while they run (`evflow bench` warms up too).
    const time = (text, repeat) => {
      runScenario(text);
      const warm = new Evflow(text);
      warm.runToEnd();
      warm.free();
      const plain = [];
      const session = [];
      let report;
      let hash;
      for (let i = 0; i < repeat; i++) {
        let t0 = performance.now();
        report = runScenario(text);
        plain.push(performance.now() - t0);
        t0 = performance.now();
        const sim = new Evflow(text);
        sim.runToEnd();
        session.push(performance.now() - t0);
        hash = sim.traceHash();
        sim.free();
      }
      if (hash !== report.trace_hash) throw new Error(`session hash ${hash} != runScenario hash ${report.trace_hash}`);
      const median = (walls) => walls.sort((a, b) => a - b)[Math.floor(walls.length / 2)];
      const records = report.counters.produced;
      const plainMs = median(plain);
      const sessionMs = median(session);
      return {
        records,
        trace_hash: report.trace_hash,
        median_ms: +plainMs.toFixed(1),
        records_per_s: Math.round(records / (plainMs / 1000)),
        session_median_ms: +sessionMs.toFixed(1),
        session_records_per_s: Math.round(records / (sessionMs / 1000)),
      };
    };
    // Medians of 9 and 5 runs: with 5 and 3 the figures moved by 10-20% between runs of the script.
    const scenarios = { blocking: [texts.blocking, 9], nonblocking: [texts.nonblocking, 9], pipeline_1m: [texts.pipeline, 5] };
    if (only) return { [only]: time(...scenarios[only]) };
    const out = {};
    for (const [name, [text, repeat]] of Object.entries(scenarios)) out[name] = time(text, repeat);
    // Seek: worst cases, just before checkpoints k/64 (k visited out of order).
    const sim = new Evflow(texts.pipeline);
    sim.runToEnd();
    const seeks = [];
    for (let i = 1; i <= 12; i++) {
      const k = (i * 23) % 64;
      const t0 = performance.now();
      sim.runUntil(((k + 1) * sim.duration) / 64 - 0.000001);
      seeks.push(performance.now() - t0);
    }
    sim.free();
    seeks.sort((a, b) => a - b);
    out.seek_ms = +seeks[seeks.length - 1].toFixed(1);
    out.seek_median_ms = +seeks[seeks.length / 2].toFixed(1);
    return out;
  }, [texts, only]);
  if (only === null || only === 'frames') {
    const stress = await page.evaluate((t) => window.evflow.encodeScenario(t), stressScenario(read('scenarios/seed-topology.toml')));
    const app = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await app.goto(`${base}index.html?speed=1#s=${stress}`);
    await app.waitForSelector('.app[data-ready="1"]', { timeout: 30_000 });
    await app.waitForFunction(() => Number(document.querySelector('.app').dataset.now) >= 2_000_000, null, { timeout: 30_000 });
    const { late, ...frames } = await measureFrames(app, 300);
    figures.frames = frames;
    if (simpy && only === null) {
      [['blocking', simpy[0]], ['nonblocking', simpy[1]]].forEach(([mode, rps]) => {
        figures[mode].ratio_vs_simpy = +(figures[mode].records_per_s / rps).toFixed(1);
        figures[mode].session_ratio_vs_simpy = +(figures[mode].session_records_per_s / rps).toFixed(1);
      });
    }
  }
  console.log(JSON.stringify(figures, null, 2));
} finally {
  await browser.close();
  server.close();
}
