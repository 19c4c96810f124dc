import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, serveDirectory, stressScenario, openApiPage } from './common.mjs';
const { server, base } = await serveDirectory('dist');
const browser = await launchChromium();
const api = await openApiPage(browser, base);
const stress = await api.evaluate((t) => window.evflow.encodeScenario(t), stressScenario(fs.readFileSync('scenarios/seed-topology.toml', 'utf8')));
const app = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
await app.goto(`${base}index.html?speed=1#s=${stress}`);
await app.waitForSelector('.app[data-ready="1"]', { timeout: 30_000 });
await app.waitForFunction(() => Number(document.querySelector('.app').dataset.now) >= 2_000_000, null, { timeout: 30_000 });
await browser.startTracing(app, { path: '/tmp/trace.json', categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink'] });
await app.waitForTimeout(3000);
await browser.stopTracing();
await browser.close(); server.close();
const t = JSON.parse(fs.readFileSync('/tmp/trace.json', 'utf8'));
const ev = t.traceEvents || t;
// main thread: thread of CrRendererMain
const names = ev.filter((e) => e.name === 'thread_name' && e.args && e.args.name === 'CrRendererMain');
const mains = new Set(names.map((e) => `${e.pid}:${e.tid}`));
const agg = {};
for (const e of ev) {
  if (e.ph !== 'X' || !mains.has(`${e.pid}:${e.tid}`)) continue;
  agg[e.name] = (agg[e.name] || 0) + (e.dur || 0) / 1000;
}
for (const [k, v] of Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(1).padStart(8), 'ms', k);
