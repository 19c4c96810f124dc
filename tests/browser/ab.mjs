// A/B timing of two wasm builds in one headless Chromium, runs alternated so that this VM's
// drifting speed hits both alike (how the opt-level and inlining choices were measured).
//
//   node tests/browser/ab.mjs DIST_A DIST_B [ROUNDS] [SCENARIO.toml ...]
//
// Each round times one plain `runScenario` run of every scenario in A and in B, in turns (after
// one untimed warm-up run of each). Prints the median ms of each build and the median of the
// rounds' B/A ratios per scenario.
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, openApiPage, serveDirectory } from './common.mjs';

const [distA, distB, roundsArg, ...files] = process.argv.slice(2);
if (!distA || !distB) {
  console.error('usage: node tests/browser/ab.mjs DIST_A DIST_B [ROUNDS] [SCENARIO.toml ...]');
  process.exit(2);
}
// An even number of rounds, so that each build runs first in half of them.
const rounds = 2 * Math.ceil(Number(roundsArg || 10) / 2);
const scenarios = files.length
  ? files
  : ['benches/scenarios/simpy-blocking.toml', 'benches/scenarios/simpy-topics.toml'];
const texts = scenarios.map((f) => fs.readFileSync(f, 'utf8'));

const servers = await Promise.all([distA, distB].map((d) => serveDirectory(path.resolve(d))));
const browser = await launchChromium();
try {
  const pages = [];
  for (const { base } of servers) pages.push(await openApiPage(browser, base));
  const once = (page, text) =>
    page.evaluate((text) => {
      const t0 = performance.now();
      window.evflow.runScenario(text);
      return performance.now() - t0;
    }, text);
  for (const page of pages) for (const text of texts) await once(page, text);
  const walls = texts.map(() => [[], []]);
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < texts.length; s++) {
      // A then B in even rounds, B then A in odd ones: whichever runs second in a round was
      // measured up to 10% slower, whichever build it was.
      for (const b of r % 2 ? [1, 0] : [0, 1]) walls[s][b].push(await once(pages[b], texts[s]));
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  scenarios.forEach((file, s) => {
    const [a, b] = walls[s].map(median);
    // The median of the rounds' own ratios: each round's two runs saw the same VM speed.
    const ratio = median(walls[s][1].map((wall, r) => wall / walls[s][0][r]));
    console.log(`${path.basename(file)}: A ${a.toFixed(1)} ms, B ${b.toFixed(1)} ms, B/A ${ratio.toFixed(3)} (median of ${rounds} rounds' ratios)`);
  });
} finally {
  await browser.close();
  for (const { server } of servers) server.close();
}
