// Every page as a person sees it, at 360 px and 1920 px, in the light and the dark colour scheme:
// nothing marked hidden shows, text and controls are readable (WCAG AA contrast, from the
// computed colours), no page scrolls sideways, nothing fails (console errors, failed requests),
// and the movie page's Play button is on the first screen.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, browser, loggedIn, movie, profileBrowser, rendered, server, until } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-pages-'));
let s;
after(async () => { await b.close(); await s?.stop(); });

// What the page shows that breaks a rule; run in the page.
function inspect() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = (c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  // The colour behind an element: its own and its ancestors' backgrounds, laid over each other.
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== 'none') return null; // a picture or gradient: not judged here
      const c = parse(cs.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let base = [255, 255, 255, 1];
    for (const l of layers.reverse()) base = over(l, base);
    return base;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const problems = [];
  const visible = (el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  for (const el of document.querySelectorAll('[hidden]')) {
    if (visible(el)) problems.push(`hidden but shown: <${el.tagName.toLowerCase()} id="${el.id}" class="${el.className}">`);
  }
  const judged = new Set();
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('video, svg, select option')) continue;
    const control = el.matches('input:not([type=checkbox]):not([type=radio]):not([type=range]), select, textarea, button');
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!control && !text) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const cs = getComputedStyle(el);
    const fg = parse(cs.color);
    const bg = behind(el);
    if (!fg || !bg) continue;
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    const need = large ? 3 : 4.5;
    const got = ratio(over(fg, bg), bg);
    const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}`;
    if (got < need && !judged.has(what)) {
      judged.add(what);
      problems.push(`contrast ${got.toFixed(2)} < ${need}: ${what} "${(el.textContent || el.value || '').trim().slice(0, 30)}"`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${window.innerWidth}`);
  }
  return problems;
}

test('every page is readable and whole at 360 and 1920 px in both colour schemes', async () => {
  s = await server();
  const api = await Api.admin(s.url);
  await api.upload('The.Matrix.1999.mp4', readFileSync(movie(files, 'matrix.mp4', 3)), 'tt0133093');
  await api.upload('Alien.1979.mp4', readFileSync(movie(files, 'alien.mp4', 3)), 'tt0078748');
  await api.upload('No.Such.Film.2003.mp4', readFileSync(movie(files, 'none.mp4', 3)), 'tt0000760');
  await rendered(s, ['tt0133093', 'tt0078748', 'tt0000760']);
  // A genre page, once the metadata made one.
  const genre = await until('a genre page', async () => {
    const html = await (await fetch(`${s.receiver}/genre/`, { headers: { Cookie: api.cookie } })).text();
    return html.match(/href="(\/genre\/[^"/]+\/)"/)?.[1];
  }, 60);
  const pages = ['/', '/az/', '/genre/', '/decade/', '/collection/', '/search/', '/search/?q=matrix', '/search/?q=zzzqqq',
    '/upload/', '/monitor/', '/users/', '/settings/', '/account/', '/movie/tt0133093/', '/movie/tt0000760/', '/no/such/page/'];
  pages.push(genre);
  const all = [];
  for (const scheme of ['light', 'dark']) {
    for (const width of [360, 1920]) {
      const viewport = { width, height: width < 500 ? 740 : 1080 };
      const { ctx, page } = await loggedIn(b, s, 'admin', 'correct horse', { viewport, colorScheme: scheme });
      const failed = [];
      page.on('console', (m) => { if (m.type() === 'error') failed.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => failed.push(`script: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400 && !r.url().endsWith('/no/such/page/')) failed.push(`${r.status()} ${r.url()}`);
      });
      for (const p of pages) {
        failed.length = 0;
        const resp = await page.goto(`${s.url}${p}`);
        if (p === '/no/such/page/') {
          assert.equal(resp.status(), 404);
          assert.match(await page.locator('h1').innerText(), /Page not found/, 'the site\'s own 404 page');
        }
        await page.waitForLoadState('networkidle');
        await page.waitForTimeout(150);
        const problems = await page.evaluate(inspect);
        // A missing page's 404 is the point; the console reports it as an error, nothing else may.
        const real = failed.filter((f) => !(p === '/no/such/page/' && f.startsWith('console: Failed to load resource')));
        for (const x of [...problems, ...real]) all.push(`${scheme} ${width}px ${p}: ${x}`);
        if (p.startsWith('/movie/tt0133093')) {
          const box = await page.locator('#play').boundingBox();
          if (!box || box.y + box.height > viewport.height) all.push(`${scheme} ${width}px ${p}: the Play button is not on the first screen`);
        }
      }
      await ctx.close();
    }
  }
  // The pages before a login: no site menu, and readable.
  for (const scheme of ['light', 'dark']) {
    const ctx = await b.newContext({ viewport: { width: 360, height: 740 }, colorScheme: scheme });
    const page = await ctx.newPage();
    await page.goto(`${s.url}/monitor/`);
    await page.waitForURL(/\/login\/\?next=\/monitor\/$/);
    assert.equal(await page.locator('header nav').first().isVisible(), false, 'no site menu before a login');
    for (const x of await page.evaluate(inspect)) all.push(`${scheme} login: ${x}`);
    // Logging in goes back to the page asked for.
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'correct horse');
    await Promise.all([page.waitForURL(`${s.url}/monitor/`), page.click('#login button')]);
    await ctx.close();
  }
  assert.deepEqual(all, [], all.join('\n'));
});

test('on a phone the menu keeps every place, and Log out is in the header', async () => {
  if (!s) { s = await server(); await Api.admin(s.url); }
  const { ctx, page } = await loggedIn(b, s, 'admin', 'correct horse', { viewport: { width: 360, height: 740 } });
  await page.goto(`${s.url}/`);
  const menu = page.locator('nav.narrow summary');
  await menu.click();
  for (const name of ['Library', 'Genres', 'Collections', 'Upload', 'Monitor', 'Users', 'Settings', 'Account']) {
    await until(`${name} in the menu`, () => page.locator('nav.narrow .menu-list').getByRole('link', { name, exact: true }).isVisible(), 10);
  }
  await page.locator('nav.narrow .logout').click();
  await page.waitForURL(`${s.url}/login/`);
  await page.goto(`${s.url}/account/`);
  await page.waitForURL(/\/login\//);
  await ctx.close();
});

test('the site installs as an app, and says so when the server cannot be reached', async () => {
  if (!s) { s = await server(); await Api.admin(s.url); }
  const ctx = await profileBrowser(mkdtempSync(path.join(os.tmpdir(), 'oott-profile-')));
  const page = await ctx.newPage();
  await page.goto(`${s.url}/login/`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'correct horse');
  await Promise.all([page.waitForURL(`${s.url}/`), page.click('#login button')]);
  assert.ok(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => Boolean(r.active))), 'the service worker runs');
  const cdp = await ctx.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], `the manifest is valid: ${JSON.stringify(manifest.errors)}`);
  assert.equal(JSON.parse(manifest.data).name, 'Open OTT');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], `Chromium can install it: ${JSON.stringify(installabilityErrors)}`);
  // Offline: the page of the app shell, not the browser's error.
  await page.reload();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await ctx.setOffline(true);
  await page.goto(`${s.url}/az/`).catch(() => {});
  await page.locator('h1').waitFor();
  assert.equal(await page.locator('h1').innerText(), 'Offline');
  assert.match(await page.locator('.lead').innerText(), /cannot be reached/);
  await ctx.setOffline(false);
  await ctx.close();
});
