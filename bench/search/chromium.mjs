// The first search query in headless Chromium: serves a rendered site on 127.0.0.1, opens its
// search page in a fresh browser context (empty cache) for each query, and measures the time
// from the call to search() until its first page of results (as the search page shows it), and
// the bytes the page fetched until then. Twice for each query: once the page has settled (no
// request for half a second, as when a person has typed the query), and at the page's load
// event, while the page's own scripts still start and fetch (the worst case).
// usage: node chromium.mjs SITE_DIR query...
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [site, ...queries] = process.argv.slice(2);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
const server = http.createServer(async (req, res) => {
  let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (p.endsWith('/')) p += 'index.html';
  try {
    const body = await readFile(path.join(site, p));
    res.writeHead(200, { 'Content-Type': types[path.extname(p)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const first = async (q, waitUntil) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/search/`, { waitUntil });
  // The bodies of the search files answered until the first page shows.
  const bodies = [];
  page.on('response', (r) => {
    if (r.url().includes('/search/t/') || r.url().includes('/search/d/') || r.url().includes('/search/manifest')) {
      bodies.push(r.body().then((b) => b.length, () => 0));
    }
  });
  const result = await page.evaluate(async (q) => {
    const { search } = await import('/assets/search.js');
    const getJson = async (p) => { const r = await fetch(p); return r.ok ? r.json() : null; };
    // Until the first page of results is there, as the search page shows it.
    const t = performance.now();
    const found = await new Promise((done) => {
      search(q, getJson, 24, done).then(done);
    });
    return { ms: performance.now() - t, first: found[0]?.id ?? null, n: found.length };
  }, q);
  const bytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
  await context.close();
  return { q, ...result, kb: bytes / 1000 };
};
const settled = [];
const loading = [];
for (const q of queries) {
  settled.push(await first(q, 'networkidle'));
  loading.push(await first(q, 'load'));
}
await browser.close();
server.close();
console.log(`${'query'.padEnd(20)} ${'settled'.padStart(10)} ${'at load'.padStart(10)} ${'bytes'.padStart(10)}`);
settled.forEach((r, i) => console.log(`${r.q.padEnd(20)} ${r.ms.toFixed(1).padStart(7)} ms ${loading[i].ms.toFixed(1).padStart(7)} ms ${r.kb.toFixed(1).padStart(7)} KB  ${r.n} results`));
const summary = (rows) => {
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  return `median ${ms[Math.floor(ms.length / 2)].toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`;
};
const kb = Math.max(...settled.map((r) => r.kb), ...loading.map((r) => r.kb));
console.log(`first query in Chromium over ${queries.length} queries: once the page has settled ${summary(settled)}; at its load event ${summary(loading)}; at most ${kb.toFixed(1)} KB`);
