// A movie whose codecs browsers play but whose container they do not (Matroska with H.264 and
// AAC) is remuxed to MP4 in the background; its page then plays that copy in Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, browser, loggedIn, movie, server, until } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-remux-'));
let s;
after(async () => { await b.close(); await s?.stop(); });

test('a Matroska movie is remuxed and plays in Chromium', async () => {
  s = await server();
  const api = await Api.admin(s.url);
  await api.upload('Remuxed.2010.mkv', readFileSync(movie(files, 'remux.mkv', 4)), 'tt0000730');
  const page = path.join(s.site, 'movie/tt0000730.html');
  await until('the remuxed copy on the page', () => {
    try { return readFileSync(page, 'utf8').includes('/media/tt0000730/tt0000730.remux.mp4'); } catch { return false; }
  }, 60);
  const info = await api.call('GET', '/api/library/movies/tt0000730');
  assert.equal(info.json.files[0].playable, 'remux');
  assert.equal(info.json.files[0].container, 'matroska');
  const { page: tab } = await loggedIn(b, s);
  await tab.goto(`${s.url}/movie/tt0000730/`);
  const video = tab.locator('#player');
  await video.waitFor();
  assert.ok((await video.evaluate((v) => v.currentSrc || v.querySelector('source')?.src || v.src)).endsWith('.remux.mp4'));
  await tab.evaluate(() => { const v = document.getElementById('player'); v.muted = true; return v.play(); });
  await until('playback of the remuxed copy', async () => (await video.evaluate((v) => v.currentTime)) > 0.5, 20);
});
