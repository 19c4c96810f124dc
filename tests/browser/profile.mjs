// Profiles the wasm engine in headless Chromium: where a run spends its time, per function.
//
//   bash scripts/profile-browser SCENARIO.toml [REPEAT]    (builds target/profdist first)
//   CALLERS=malloc bash scripts/profile-browser ...        also: who calls functions matching "malloc"
//   PLAIN=1 bash scripts/profile-browser ...               plain runs (`runScenario`), no session
//
// Runs the scenario to its end through the JS API (`new Evflow(text).runToEnd()`, the session
// the app uses; or, with PLAIN=1, `runScenario(text)`: both are timed by the browser benchmark)
// once to warm up, then REPEAT times under the DevTools CPU profiler (100 µs sampling) and
// prints self time per wasm function. The build it loads keeps the wasm name section (no
// wasm-opt), so the names are Rust paths. This is how the checkpoint costs fixed in the
// performance issue were found: log and series clones, then per-entity table copies in malloc.
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, openApiPage, serveDirectory } from './common.mjs';

const DIST = path.resolve(process.env.EVFLOW_DIST || 'target/profdist');
const [file, repeatArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tests/browser/profile.mjs SCENARIO.toml [REPEAT]');
  process.exit(2);
}
const text = fs.readFileSync(file, 'utf8');
const repeat = Number(repeatArg || 1);
const top = Number(process.env.TOP || 30);

const { server, base } = await serveDirectory(DIST);
const browser = await launchChromium();
try {
  const page = await openApiPage(browser, base);
  const plain = process.env.PLAIN === '1';
  // One run to the end, timed: a plain `runScenario`, or the app's seekable session.
  await page.evaluate(() => {
    window.runOnce = (text, plain) => {
      const t0 = performance.now();
      if (plain) {
        window.evflow.runScenario(text);
      } else {
        const sim = new window.evflow.Evflow(text);
        sim.runToEnd();
        sim.free();
      }
      return Math.round(performance.now() - t0);
    };
  });
  // Untimed and unprofiled: V8 compiles wasm with its baseline compiler first and optimizes
  // hot functions in the background while they run.
  await page.evaluate(([text, plain]) => window.runOnce(text, plain), [text, plain]);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  const walls = await page.evaluate(
    ([text, repeat, plain]) => Array.from({ length: repeat }, () => window.runOnce(text, plain)),
    [text, repeat, plain],
  );
  const { profile } = await cdp.send('Profiler.stop');

  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n);
  const name = (n) => (n.callFrame.functionName || n.callFrame.url || '(anonymous)').replace(/::h[0-9a-f]{16}$/, '');
  const self = new Map();
  const callers = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] || 0;
    const node = nodes.get(id);
    total += dt;
    self.set(name(node), (self.get(name(node)) || 0) + dt);
    if (process.env.CALLERS && name(node).includes(process.env.CALLERS)) {
      const chain = [];
      for (let p = parent.get(node.id); p && chain.length < 4; p = parent.get(p.id)) chain.push(name(p));
      const key = chain.join(' <- ');
      callers.set(key, (callers.get(key) || 0) + dt);
    }
  });
  console.log(`${file}: ${plain ? 'runScenario' : 'runToEnd'} wall ms ${walls.join(' ')}`);
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  for (const [fn, t] of sorted(self).slice(0, top)) {
    console.log(`${((100 * t) / total).toFixed(2).padStart(6)}%  ${fn}`);
  }
  if (process.env.CALLERS) {
    console.log(`\ncallers of *${process.env.CALLERS}* (ms):`);
    for (const [chain, t] of sorted(callers).slice(0, 10)) console.log(`${(t / 1000).toFixed(1).padStart(8)}  ${chain}`);
  }
} finally {
  await browser.close();
  server.close();
}
