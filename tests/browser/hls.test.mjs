// Transcoding in the browser: a movie no browser plays (MPEG-2 and AC-3 in Matroska) gets a note
// instead of a player; an admin switches transcoding on in Settings after the hardware check;
// the HLS ladder then plays in Chromium through hls.js, and the quality menu switches the
// picture between the ladder's rungs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, browser, loggedIn, server, until } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-hls-'));
let s;
after(async () => { await b.close(); await s?.stop(); });

function unplayable(seconds) {
  const out = path.join(files, 'source.mkv');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=1280x720:r=25:d=${seconds}`,
    '-f', 'lavfi', '-i', `sine=f=440:d=${seconds}`, '-c:v', 'mpeg2video', '-q:v', '4', '-c:a', 'ac3', out]);
  return readFileSync(out);
}

// The video element's state, for a failure's message.
const state = (video) => video.evaluate((v) => {
  const ranges = Array.from({ length: v.buffered.length }, (_, i) => `${v.buffered.start(i).toFixed(2)}-${v.buffered.end(i).toFixed(2)}`);
  return `at ${v.currentTime.toFixed(2)} s, paused ${v.paused}, ended ${v.ended}, ready ${v.readyState}, network ${v.networkState}, ${v.videoWidth}×${v.videoHeight}, buffered [${ranges}], quality ${document.getElementById('quality').value}${v.error ? `, error ${v.error.message}` : ''}`;
});

const inView = (box, viewport) => box && box.y >= 0 && box.y + Math.min(box.height, 40) <= viewport.height;

test('a movie browsers cannot play is transcoded once switched on, and its ladder plays and switches quality', async () => {
  s = await server();
  const api = await Api.admin(s.url);
  await api.upload('Unplayable.2012.mkv', unplayable(20), 'tt0000740');
  await until('ffprobe\'s verdict', async () => (await api.call('GET', '/api/library/movies/tt0000740')).json?.files?.[0]?.playable === 'transcode', 30);
  const page = path.join(s.site, 'movie/tt0000740.html');
  await until('the movie page', () => { try { return readFileSync(page, 'utf8').includes('needs converting'); } catch { return false; } }, 60);

  const { page: tab } = await loggedIn(b, s, 'admin', 'correct horse', { viewport: { width: 1280, height: 800 } });
  // What the player says of the stream, told when a wait below fails.
  const said = [];
  tab.on('console', (m) => { if (m.type() !== 'log') said.push(`${m.type()}: ${m.text()}`); });
  // Before: a note, and no player that would never start.
  await tab.goto(`${s.url}/movie/tt0000740/`);
  const note = tab.locator('#player-note');
  await note.waitFor({ state: 'visible' });
  assert.match(await note.innerText(), /needs converting/);
  assert.equal(await tab.locator('#player').isVisible(), false);

  // Settings: the measured check first, then the switch.
  await tab.goto(`${s.url}/settings/`);
  const hw = tab.locator('#hardware');
  await until('the hardware check', async () => /× real time/.test(await hw.innerText()), 60);
  assert.ok(inView(await hw.boundingBox(), tab.viewportSize()), 'the check is on the first screen');
  const box = tab.getByLabel('Transcode movies into adaptive streams');
  assert.equal(await box.isChecked(), false, 'off by default');
  await box.check();
  await tab.locator('#transcoding button').click();
  await until('saved', async () => (await tab.locator('#transcoding .status').innerText()) === 'Saved.');

  await until('the ladder', async () => {
    const jobs = (await api.call('GET', '/api/transcodes')).json.jobs;
    const j = jobs.find((x) => x.content_id === 'tt0000740');
    if (j?.state === 'failed') throw new Error(`transcoding failed: ${j.error}`);
    return j?.state === 'done';
  }, 240);
  await until('the page with the ladder', () => readFileSync(page, 'utf8').includes('data-hls='), 60);

  await tab.goto(`${s.url}/movie/tt0000740/`);
  const video = tab.locator('#player');
  await video.waitFor({ state: 'visible' });
  assert.equal(await note.isVisible(), false);
  const quality = tab.locator('#quality');
  await quality.waitFor({ state: 'visible' });
  const options = await quality.locator('option').allInnerTexts();
  assert.deepEqual(options, ['Auto', '720p', '480p'], 'the ladder never goes above the source, and there is no original to play');
  await tab.evaluate(() => { const v = document.getElementById('player'); v.muted = true; return v.play(); });
  await until('playback of the ladder', async () => (await video.evaluate((v) => v.currentTime)) > 1, 30);

  for (const [label, height] of [['480p', 480], ['720p', 720]]) {
    // From near the start, so that the switch never meets the end of the movie.
    await video.evaluate((v) => { v.currentTime = 1; return v.play(); });
    await quality.selectOption({ label });
    // Watching on (from the start again should the short movie end first) until the picture
    // is the chosen quality's.
    await until(`the picture at ${label}`, async () => video.evaluate((v, h) => {
      if (v.ended || v.paused) { v.currentTime = 1; v.play(); }
      return v.videoHeight === h;
    }, height), 60).catch(async (e) => { throw new Error(`${e.message}; ${await state(video)}; ${said.join(' | ')}`); });
    const at = await video.evaluate((v) => v.currentTime);
    await until(`playing on at ${label}`, async () => (await video.evaluate((v) => v.currentTime)) > at + 0.5, 30);
  }
  // hls.js makes no worker the pages' policy refuses (it recovered from one dying that way
  // through a path that depends on timing, and once a change of quality never showed).
  assert.deepEqual(said.filter((m) => m.startsWith('error')), [], 'the page says no error');
});
