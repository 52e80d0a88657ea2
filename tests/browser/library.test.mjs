// The library in the browser: the home page's endless rows and carousels, playing a movie
// (seek, versions, subtitles) and editing one's own view of it, search as you type, collections,
// the monitor, and every page at 360 px and 1920 px without horizontal scrolling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, browser, loggedIn, movie, rendered, server, shots, until, videoBytes } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-lib-'));
let s;
let api;

before(async () => {
  s = await server();
  api = await Api.admin(s.url);
  await api.upload('The.Matrix.1999.mp4', readFileSync(movie(files, 'matrix.mp4', 6)), 'tt0133093');
  await api.upload('Alien.1979.mp4', readFileSync(movie(files, 'alien.mp4', 3)), 'tt0078748');
  // A subtitle (SRT, served as WebVTT), then a second version: the page renders again with both.
  const srt = new TextEncoder().encode('1\n00:00:00,000 --> 00:00:05,000\nWake up, Neo.\n');
  const sub = await api.call('POST', '/api/library/subtitles/tt0133093?lang=en', srt);
  assert.equal(sub.status, 200, sub.text);
  await api.upload('The.Matrix.1999.720p.mp4', readFileSync(movie(files, 'matrix720.mp4', 3, '640x360')), 'tt0133093', '&mode=version&label=720p');
  // More titles, known only by their ids, so the home page has rows beyond the first ones.
  for (let i = 0; i < 12; i++) {
    await api.upload(`Extra ${i}.mp4`, videoBytes(2000 + i, i), `tt90000${String(i).padStart(2, '0')}`);
  }
  await rendered(s, ['tt0133093', 'tt0078748']);
  await until('the metadata', async () => (await api.call('GET', '/api/library/movies/tt0133093')).json?.metadata?.title === 'The Matrix');
  await until('the second version on the page', () => readFileSync(path.join(s.site, 'movie/tt0133093.html'), 'utf8').includes('720p'));
  await until('the title on the page', () => readFileSync(path.join(s.site, 'movie/tt0133093.html'), 'utf8').includes('The Matrix'));
});
after(async () => { await b.close(); await s?.stop(); });

test('the home page loads more rows as one scrolls, and carousels move by keys and buttons', async () => {
  const { page } = await loggedIn(b, s, 'admin', 'correct horse', { viewport: { width: 800, height: 500 } });
  const index = JSON.parse(readFileSync(path.join(s.site, 'rows/index.json'), 'utf8'));
  const first = await page.locator('section.row').count();
  assert.ok(index.rows.length > first, `more rows (${index.rows.length}) than the page starts with (${first})`);
  for (let i = 0; i < 20 && (await page.locator('section.row').count()) < index.rows.length; i++) {
    await page.mouse.wheel(0, 3000);
    await page.waitForTimeout(200);
  }
  assert.equal(await page.locator('section.row').count(), index.rows.length, 'every row arrived');
  assert.equal(await page.locator('.card img').first().getAttribute('loading'), 'lazy');
  // Arrow keys move the focus along a carousel; the buttons scroll it.
  const track = page.locator('.carousel').first();
  await track.locator('.card').first().focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => [...document.activeElement.parentElement.children].indexOf(document.activeElement)), 1);
  await page.evaluate(() => window.scrollTo(0, 0));
  const wide = page.locator('.rowwrap', { has: page.locator('.card:nth-child(8)') }).first();
  const before = await wide.locator('.carousel').evaluate((e) => e.scrollLeft);
  await wide.locator('button.next').click();
  await until('the carousel to scroll', async () => (await wide.locator('.carousel').evaluate((e) => e.scrollLeft)) > before);
});

test('the movie page plays, seeks, offers versions and subtitles', async () => {
  const { page } = await loggedIn(b, s);
  await page.goto(`${s.url}/movie/tt0133093/`);
  const video = page.locator('#player');
  await video.waitFor();
  assert.equal(await page.locator('#version option').count(), 2);
  assert.equal(await page.locator('#player track[srclang="en"]').count(), 1);
  await page.evaluate(() => { const v = document.getElementById('player'); v.muted = true; return v.play(); });
  await until('playback', async () => (await video.evaluate((v) => v.currentTime)) > 0.5, 20);
  await video.evaluate((v) => { v.currentTime = 4; });
  await until('the seek', async () => (await video.evaluate((v) => !v.seeking && v.currentTime >= 4)), 20);
  // Another version keeps the position.
  const src = await page.locator('#version option').nth(1).getAttribute('value');
  await page.selectOption('#version', src);
  await until('the other version', async () => (await video.evaluate((v) => v.currentSrc)).endsWith(src));
  await until('the subtitle track', async () => (await page.evaluate(() => document.getElementById('player').textTracks.length)) === 1);
});

test('a person edits their own view of a title, and only they see it', async () => {
  const { page } = await loggedIn(b, s);
  await page.goto(`${s.url}/movie/tt0078748/`);
  await page.click('#edit-meta');
  await page.fill('#meta-form input[name=title]', 'Alien (my copy)');
  await page.click('#meta-form button:not([type])');
  await page.waitForSelector('h1:text("Alien (my copy)")');
  await page.reload();
  await page.waitForSelector('h1:text("Alien (my copy)")');
  // A member sees IMDb's title.
  await api.call('POST', '/api/users', { username: 'mia', password: 'member password' });
  const other = await loggedIn(b, s, 'mia', 'member password');
  await other.page.goto(`${s.url}/movie/tt0078748/`);
  await other.page.waitForSelector('#edit-meta');
  assert.equal(await other.page.textContent('h1'), 'Alien');
});

test('search finds titles as one types', async () => {
  const { page } = await loggedIn(b, s);
  await page.goto(`${s.url}/search/`);
  await page.locator('#q').pressSequentially('matr', { delay: 50 });
  await page.waitForSelector('#results .card[href="/movie/tt0133093/"]');
  await page.fill('#q', 'alien');
  await page.waitForSelector('#results .card[href="/movie/tt0078748/"]');
  assert.equal(await page.locator('#results .card[href="/movie/tt0133093/"]').count(), 0);
});

test('an admin creates, renames, fills, reorders and deletes a collection', async () => {
  const { page } = await loggedIn(b, s);
  await page.goto(`${s.url}/collection/`);
  await page.fill('#collections-admin .create input', 'Friday nights');
  await page.click('#collections-admin .create button');
  const coll = page.locator('.coll', { has: page.locator('.cname', { hasText: 'Friday nights' }) });
  await coll.waitFor();
  for (const id of ['tt0133093', 'tt0078748']) {
    await coll.locator('.add select').selectOption(id);
    await coll.locator('.add button').click();
    await coll.locator(`li[data-id="${id}"]`).waitFor();
  }
  const find = async () => (await api.call('GET', '/api/library/collection/')).json.collections.find((c) => c.name.startsWith('Friday'));
  assert.deepEqual((await find()).content, ['tt0133093', 'tt0078748']);
  await coll.locator('li[data-id="tt0078748"] .t-up').click();
  await until('the new order', async () => (await find()).content[0] === 'tt0078748');
  // The list is drawn again after each change: wait for it before typing into it.
  await until('the new order on the page', async () => (await coll.locator('.titles li').first().getAttribute('data-id')) === 'tt0078748');
  await coll.locator('.rename input').fill('Friday night films');
  await coll.locator('.rename button:not([type])').click();
  await until('the new name', async () => (await find())?.name === 'Friday night films');
  const renamed = page.locator('.coll', { has: page.locator('.cname', { hasText: 'Friday night films' }) });
  await renamed.locator('li[data-id="tt0133093"] .t-remove').click();
  await until('one title left', async () => (await find()).content.length === 1);
  page.once('dialog', (d) => d.accept());
  await renamed.locator('.c-delete').click();
  await until('the collection gone', async () => !(await find()));
  // A member without the grant sees no editing.
  await api.call('POST', '/api/users', { username: 'mia', password: 'member password' });
  const other = await loggedIn(b, s, 'mia', 'member password');
  await other.page.goto(`${s.url}/collection/`);
  await other.page.waitForTimeout(500);
  assert.equal(await other.page.locator('#collections-admin').count(), 0);
});

test('the monitor shows the disk, the library and the traffic as charts', async () => {
  const { page } = await loggedIn(b, s);
  await page.goto(`${s.url}/monitor/`);
  await page.waitForSelector('#stat-titles');
  const m = (await api.call('GET', '/api/monitor')).json;
  assert.equal(Number(await page.textContent('#stat-titles')), m.library.titles);
  assert.equal(Number(await page.textContent('#stat-files')), m.library.files);
  assert.equal(Number(await page.textContent('#stat-hd')), m.library.hd_files);
  for (const chart of ['svg.bar', 'svg.pie', 'svg.spark']) assert.ok(await page.locator(chart).count() > 0, chart);
  // A server whose disk has no room left for uploads warns.
  const full = await server({ OOTT_DISK_RESERVE: '100000 TiB' });
  try {
    await Api.admin(full.url);
    const p2 = (await loggedIn(b, full)).page;
    await p2.goto(`${full.url}/monitor/`);
    await p2.waitForSelector('#monitor.filling .warn');
  } finally {
    await full.stop();
  }
});

test('every page fits 360 px and 1920 px without horizontal scrolling', async () => {
  mkdirSync(shots, { recursive: true });
  const pages = ['/', '/movie/tt0133093/', '/search/?q=matrix', '/upload/', '/monitor/', '/account/', '/users/', '/collection/', '/genre/', '/az/', '/settings/'];
  for (const [width, colorScheme] of [[360, 'light'], [1920, 'light'], [360, 'dark'], [1920, 'dark']]) {
    const { page } = await loggedIn(b, s, 'admin', 'correct horse', { viewport: { width, height: width === 360 ? 740 : 1080 }, colorScheme });
    for (const p of [...pages, '/login/']) {
      await page.goto(`${s.url}${p}`);
      await page.waitForLoadState('networkidle');
      const name = `${colorScheme}-${width}${p.replace(/[^a-z0-9]+/gi, '_')}.png`;
      await page.screenshot({ path: path.join(shots, name), fullPage: true });
      const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(scroll <= client, `${p} at ${width} px scrolls sideways: ${scroll} > ${client}`);
    }
    // Phones get the compact menu (which keeps every place: pages.test.mjs), not the wide one.
    if (width === 360) assert.equal(await page.locator('nav.wide').isVisible(), false, 'the compact menu on small screens');
    await page.context().close();
  }
});

test('the version a person prefers is the one the page plays', async () => {
  const { page } = await loggedIn(b, s);
  // Once ffprobe has read both versions, the page knows their heights (240 and 360 lines).
  await until('the heights on the page', () => (readFileSync(path.join(s.site, 'movie/tt0133093.html'), 'utf8')
    .match(/data-height=/g) ?? []).length === 2, 60);
  const mine = await page.evaluate(async () => {
    const me = await (await fetch('/api/auth/me')).json();
    const r = await fetch('/api/users/me/settings', {
      method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: JSON.stringify({ preferred_quality: '480p' }),
    });
    return r.status;
  });
  assert.equal(mine, 200);
  await page.goto(`${s.url}/movie/tt0133093/`);
  const picked = page.locator('#version');
  await until('the preferred version', async () => (await picked.evaluate((el) => el.selectedOptions[0]?.dataset.height)) === '360');
  assert.ok((await page.locator('#player').evaluate((v) => v.src)).endsWith(await picked.inputValue()));
  assert.match(await picked.evaluate((el) => el.selectedOptions[0].textContent), /720p · SD/);
});

test('a sequel collection says what is up next, and an admin manages a title from its page', async () => {
  const made = await api.call('POST', '/api/library/collection/', { name: 'Test Saga', type: 'sequel', content: ['tt0078748', 'tt9000001'] });
  assert.equal(made.status, 201, made.text);
  await until('up next on the page', () => readFileSync(path.join(s.site, 'movie/tt0078748.html'), 'utf8').includes('id="up-next"'));
  const { page } = await loggedIn(b, s);
  await page.goto(`${s.url}/movie/tt0078748/`);
  const next = page.locator('#up-next');
  assert.match(await next.innerText(), /^Up next in Test Saga: /);
  assert.equal(await next.locator('a').getAttribute('href'), '/movie/tt9000001/');
  // The last of the saga has nothing after it.
  await page.goto(`${s.url}/movie/tt9000001/`);
  await page.locator('article.movie h1').waitFor();
  assert.equal(await page.locator('#up-next').count(), 0);

  // Manage: refresh, add to a collection, delete one version.
  await page.goto(`${s.url}/movie/tt0133093/`);
  const manage = page.locator('details.manage');
  await manage.locator('summary').click();
  await manage.getByRole('button', { name: 'Refresh the metadata from IMDb' }).click();
  await until('refreshed', async () => /Refreshed/.test(await manage.locator('.status').innerText()));
  await manage.locator('select[name=c]').selectOption({ label: 'Test Saga' });
  await manage.getByRole('button', { name: 'Add to the collection' }).click();
  await until('added', async () => (await manage.locator('.status').innerText()) === 'Added to Test Saga.');
  const saga = (await api.call('GET', `/api/library/collection/${made.json.id}`)).json;
  assert.deepEqual(saga.content, ['tt0078748', 'tt9000001', 'tt0133093']);
  page.once('dialog', (d) => d.accept());
  await manage.locator('li', { hasText: '720p' }).getByRole('button', { name: 'Delete this version' }).click();
  await until('deleted', async () => (await manage.locator('.status').innerText()) === 'The version was deleted.');
  const files = (await api.call('GET', '/api/library/movies/tt0133093')).json.files;
  assert.deepEqual(files.map((f) => f.label), ['']);
});
