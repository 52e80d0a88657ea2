// The library view: every title in one grid, sorted and filtered in the browser, checked
// against the API's own list; the letter bar jumps; the choice stays in the address.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, browser, loggedIn, movie, rendered, server, until } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-libview-'));
let s;
after(async () => { await b.close(); await s?.stop(); });

const sortKey = (t) => t.toLowerCase().replace(/^(the|a|an) /, '');

test('the library grid sorts and filters as the API lists the titles', async () => {
  s = await server();
  const api = await Api.admin(s.url);
  await api.upload('The.Matrix.1999.mp4', readFileSync(movie(files, 'matrix.mp4', 2, '640x360')), 'tt0133093');
  await api.upload('Alien.1979.mp4', readFileSync(movie(files, 'alien.mp4', 2, '1280x720')), 'tt0078748');
  await api.upload('Zebra.Crossing.2004.mp4', readFileSync(movie(files, 'zebra.mp4', 2)), 'tt0000770');
  await rendered(s, ['tt0133093', 'tt0078748', 'tt0000770']);
  // Metadata and ffprobe's heights in the view's data.
  await until('the facts in the library files', async () => {
    const h = { headers: { Cookie: api.cookie } };
    const n = (await (await fetch(`${s.receiver}/search/manifest.json`, h)).json()).docs;
    const parts = await Promise.all(Array.from({ length: n }, (_, i) => fetch(`${s.receiver}/library/${i}.json`, h).then((r) => (r.ok ? r.json() : []))));
    const rows = parts.flat();
    return rows.length === 3 && rows.every((r) => r[7].h) && rows.some((r) => r[7].g.length);
  }, 60);
  const listed = (await api.call('GET', '/api/library/movies/?per_page=500')).json.movies;
  assert.equal(listed.length, 3);

  const { page } = await loggedIn(b, s, 'admin', 'correct horse', { viewport: { width: 1280, height: 900 } });
  await page.goto(`${s.url}/az/`);
  const titles = () => page.locator('#library .card .t').allInnerTexts();
  await until('the grid', async () => (await titles()).length === 3);
  assert.deepEqual(await titles(), listed.map((m) => m.title).sort((a, b) => sortKey(a).localeCompare(sortKey(b))), 'by title, articles aside');
  assert.equal(await page.locator('#library-count').innerText(), '3 of 3 titles');

  await page.selectOption('select[name=sort]', 'year');
  assert.deepEqual(await titles(), [...listed].sort((a, b) => (b.year ?? 0) - (a.year ?? 0)).map((m) => m.title), 'newest first');
  assert.equal(await page.locator('#letters').isVisible(), false, 'letters only in title order');
  assert.match(page.url(), /\?sort=year$/);

  // Filters: a genre IMDb gives The Matrix, its decade, a resolution, watched.
  await page.selectOption('select[name=genre]', 'Sci-Fi');
  const sciFi = await titles();
  assert.ok(sciFi.includes('The Matrix') && !sciFi.includes('Zebra Crossing 2004'), sciFi.join());
  await page.selectOption('select[name=genre]', '');
  await page.selectOption('select[name=decade]', '1970s');
  assert.deepEqual(await titles(), ['Alien']);
  await page.selectOption('select[name=decade]', '');
  await page.selectOption('select[name=res]', '700');
  assert.deepEqual(await titles(), ['Alien'], 'only the 720p file');
  await page.selectOption('select[name=res]', 'sd');
  assert.deepEqual((await titles()).sort(), ['The Matrix', 'Zebra Crossing 2004']);
  await page.selectOption('select[name=res]', '');
  await api.call('PUT', '/api/users/me/watched/tt0078748', { watched: true });
  await page.reload();
  await until('the grid again', async () => (await titles()).length === 3);
  assert.equal(await page.locator('select[name=sort]').inputValue(), 'year', 'the view stays in the address');
  await page.selectOption('select[name=watched]', 'yes');
  assert.deepEqual(await titles(), ['Alien']);
  await page.selectOption('select[name=watched]', 'no');
  assert.deepEqual((await titles()).sort(), ['The Matrix', 'Zebra Crossing 2004']);
  await page.check('input[name=subs]');
  assert.equal(await page.locator('#library .empty').innerText(), 'No title matches these filters.');

  // The letter bar jumps to the first title of a letter.
  await page.goto(`${s.url}/az/`);
  await until('the grid', async () => (await titles()).length === 3);
  assert.ok(await page.locator('#letters a[data-letter="Q"].off').count(), 'a letter with no title is off');
  await page.locator('#letters a[data-letter="Z"]').click();
  await until('Z in view', async () => {
    const box = await page.locator('#letter-Z').boundingBox();
    return box && box.y >= 0 && box.y < 300;
  });
});
