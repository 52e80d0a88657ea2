// Adding to the library: picking and dropping files, what is already there filtered out,
// guessed titles with candidates, searching and pasting an id, a title that has a file, the
// disk too small, the queue (pause, reorder, cancel), going offline and reloading mid-upload.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, VIDEO_HEAD, browser, loggedIn, movie, randomFile, server, sha256, until } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-files-'));
after(() => b.close());

/// The upload page of a fresh server, logged in as its admin.
async function uploadPage(env = {}, options = {}) {
  const s = await server(env);
  const api = await Api.admin(s.url);
  const { ctx, page } = await loggedIn(b, s, 'admin', 'correct horse', options);
  await page.goto(`${s.url}/upload/`);
  // Ready once the page's script listens for picked and dropped files.
  await page.waitForSelector('#drop[data-ready="1"]');
  return { s, api, ctx, page };
}

const item = (page, name) => page.locator('.uitem', { has: page.locator('.uname', { hasText: name }) });

/// Slows the page's uploads down to `bytesPerSecond` (Chromium's network emulation).
async function throttle(ctx, page, bytesPerSecond) {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
  return cdp;
}

test('picked files are identified, confirmed, queued and uploaded byte for byte', async () => {
  const { s, api, page } = await uploadPage();
  try {
    const matrix = movie(files, 'The.Matrix.1999.1080p.BluRay.x264-GRP.mp4');
    await page.setInputFiles('#files', matrix);
    const it = item(page, 'The.Matrix.1999');
    await it.locator('.guess em').waitFor();
    assert.equal(await it.locator('.guess em').textContent(), 'The Matrix');
    // The candidates come with posters; the best is chosen already.
    const first = it.locator('.cand').first();
    assert.equal(await first.getAttribute('data-id'), 'tt0133093');
    assert.equal(await first.getAttribute('aria-pressed'), 'true');
    assert.ok(await it.locator('.cand img').count() > 0, 'candidates show posters');
    await it.locator('.confirm').click();
    await it.locator('.ok').waitFor({ timeout: 30000 });
    const stored = path.join(s.media, 'tt0133093/tt0133093.mp4');
    assert.equal(sha256(stored), sha256(matrix), 'byte-identical');

    // The same file picked again is filtered out at once.
    await page.setInputFiles('#files', matrix);
    await page.locator('#skipped-list li', { hasText: 'The.Matrix.1999' }).waitFor();
    assert.equal(await item(page, 'The.Matrix.1999').count(), 1, 'not offered again');

    // Another file of the same title: cancel, replace or add a version; here a version.
    const other = movie(files, 'The Matrix (1999) 4K.mp4', 2, '640x360');
    await page.setInputFiles('#files', other);
    const it2 = item(page, 'The Matrix (1999) 4K');
    await it2.locator('.confirm:not([disabled])').click();
    await it2.locator('.warn', { hasText: 'already has a file' }).waitFor();
    await it2.locator('input.label').fill('4K');
    await it2.locator('.version').click();
    await it2.locator('.ok').waitFor({ timeout: 30000 });
    const movieInfo = await api.call('GET', '/api/library/movies/tt0133093');
    assert.deepEqual(movieInfo.json.files.map((f) => f.label).sort(), ['', '4k']);
  } finally {
    await s.stop();
  }
});

test('dropped files can be searched for, or given a pasted IMDb link', async () => {
  const { s, page } = await uploadPage();
  try {
    // A drop of a file made in the page.
    await page.evaluate((head) => {
      const dt = new DataTransfer();
      const bytes = new Uint8Array(300000).fill(7);
      bytes.set(head);
      dt.items.add(new File([bytes], 'holiday video final.mkv', { type: 'video/x-matroska', lastModified: 1700000000000 }));
      const zone = document.getElementById('drop');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [...VIDEO_HEAD]);
    const it = item(page, 'holiday video final');
    await it.locator('.find input').waitFor();
    await it.locator('.find input').fill('alien');
    await it.locator('.find button').click();
    await it.locator('.cand[data-id="tt0078748"]').waitFor();
    // A pasted IMDb address is taken as it is.
    await it.locator('.find input').fill('https://www.imdb.com/title/tt0078748/?ref_=fn');
    await it.locator('.find button').click();
    await until('the pasted id', async () => (await it.locator('.cand').count()) === 1 && (await it.locator('.cand').getAttribute('data-id')) === 'tt0078748');
    await it.locator('.confirm').click();
    await it.locator('.ok').waitFor({ timeout: 30000 });
    assert.ok(existsSync(path.join(s.media, 'tt0078748/tt0078748.mkv')));
  } finally {
    await s.stop();
  }
});

test('a selection the disk cannot hold is refused before anything is sent', async () => {
  const { s, page } = await uploadPage({ OOTT_LIBRARY_QUOTA: '1 MiB' });
  try {
    const big = randomFile(files, 'Alien.1979.mkv', 3 << 20);
    await page.setInputFiles('#files', big);
    await page.locator('#space:not([hidden])').waitFor();
    assert.match(await page.textContent('#space'), /do not fit/);
    const it = item(page, 'Alien.1979');
    await it.locator('.confirm:not([disabled])').click();
    await page.waitForTimeout(500);
    assert.equal(await it.locator('.ustate').textContent(), 'Waiting, number 1 in the queue');
    const staged = path.join(s.media, '.uploads');
    assert.deepEqual(existsSync(staged) ? readdirSync(staged) : [], [], 'no upload was started');
  } finally {
    await s.stop();
  }
});

test('the queue uploads one at a time and can be paused, reordered and cancelled', async () => {
  const { s, api, page } = await uploadPage();
  try {
    const names = ['Alien.1979.mkv', 'The.Matrix.1999.mkv', 'Alien.1979.Directors.Cut.mkv'];
    const paths = names.map((n, i) => randomFile(files, n, (1 << 20) + i));
    await page.click('#pause').catch(() => {});
    await page.setInputFiles('#files', paths);
    for (const n of names) await item(page, n).locator('.confirm:not([disabled])').waitFor();
    // Paused before the first confirmation: everything waits in the queue.
    await page.evaluate(() => document.getElementById('pause').click());
    await item(page, 'Alien.1979.mkv').locator('.confirm').click();
    await item(page, 'The.Matrix.1999').locator('.confirm').click();
    const cut = item(page, 'Alien.1979.Directors.Cut.mkv');
    await cut.locator('.confirm').click();
    await until('three queued', async () => (await page.locator('.s-queued').count()) === 3);
    // The Matrix moves to the front; the first Alien is cancelled.
    await item(page, 'The.Matrix.1999').locator('.up').click();
    await until('the Matrix first', async () => (await page.locator('.s-queued .uname').first().textContent()).startsWith('The.Matrix'));
    await item(page, 'Alien.1979.mkv').locator('.cancel').click();
    await page.click('#resume');
    await item(page, 'The.Matrix.1999').locator('.ok').waitFor({ timeout: 30000 });
    await cut.locator('.ok').waitFor({ timeout: 30000 });
    assert.equal(await item(page, 'Alien.1979.mkv').count(), 0, 'the cancelled file is gone');
    // Cancelled, the plain Alien was never filed; the Director's Cut was, as the only file.
    const alien = await api.call('GET', '/api/library/movies/tt0078748');
    assert.deepEqual(alien.json.files.map((f) => f.original_name), ['Alien.1979.Directors.Cut.mkv']);
  } finally {
    await s.stop();
  }
});

test('an upload that goes offline resumes from the server offset, with chunks sized to the link', async () => {
  const { s, ctx, page } = await uploadPage();
  try {
    const file = randomFile(files, 'The.Matrix.1999.Remastered.mkv', 24 << 20);
    const cdp = await throttle(ctx, page, 4 << 20);
    await page.setInputFiles('#files', file);
    const it = item(page, 'Remastered');
    await it.locator('.confirm:not([disabled])').click();
    await until('a quarter uploaded', async () => Number((await it.locator('.upct').textContent().catch(() => '0')).replace('%', '')) >= 25);
    // Offline as Playwright makes it, and on the session that throttles (which would override it).
    await ctx.setOffline(true);
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await it.locator('.error', { hasText: 'connection lost' }).waitFor().catch(async (e) => {
      throw new Error(`${e.message}\nthe item says: ${await it.textContent()}`);
    });
    await page.waitForTimeout(1500);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 << 20 });
    await ctx.setOffline(false);
    await it.locator('.ok').waitFor({ timeout: 60000 });
    assert.equal(sha256(path.join(s.media, 'tt0133093/tt0133093.mkv')), sha256(file));
    const stats = await page.evaluate(() => window.oottUpload);
    const sizes = stats.chunks.map((c) => c.size);
    console.log(`throttled to 4 MiB/s: chunk sizes ${sizes.map((n) => (n / 1048576).toFixed(2)).join(', ')} MiB`);
    // On a slow link the chunks shrink from where they start (8 MiB), and none grows past it.
    // Chromium's throttling lets bursts through, so the seconds per chunk vary (logged, not bound).
    console.log(`seconds per chunk: ${stats.chunks.map((c) => c.seconds.toFixed(2)).join(', ')}`);
    assert.ok(Math.min(...sizes) <= 4 << 20, `chunks shrank on a 4 MiB/s link: ${sizes}`);
    assert.ok(Math.max(...sizes) <= 8 << 20, `no chunk grew past the start: ${sizes}`);
  } finally {
    await s.stop();
  }
});

test('a page reloaded mid-upload offers the file for resuming and finishes it', async () => {
  const { s, ctx, page } = await uploadPage();
  try {
    const file = randomFile(files, 'Alien.1979.Remastered.mkv', 16 << 20);
    await throttle(ctx, page, 4 << 20);
    await page.setInputFiles('#files', file);
    const it = item(page, 'Alien.1979.Remastered');
    await it.locator('.confirm:not([disabled])').click();
    await until('a third uploaded', async () => Number((await it.locator('.upct').textContent().catch(() => '0')).replace('%', '')) >= 33);
    await page.reload();
    await page.waitForSelector('#drop[data-ready="1"]');
    // After the reload the page says what is left, by title, before the file is chosen again.
    const left = page.locator('#unfinished-list li');
    await left.first().waitFor();
    assert.match(await left.first().innerText(), /^Alien \(1979\) \(Alien\.1979\.Remastered\.mkv\): [0-9.]+ MiB of 16 MiB\. Choose the file again to resume\.$/);
    await page.setInputFiles('#files', file);
    await it.locator('.resume').waitFor();
    assert.equal(await page.locator('#unfinished').isVisible(), false, 'listed once, in the queue');
    assert.match(await it.textContent(), /Half uploaded/);
    await it.locator('.resume').click();
    await it.locator('.ok').waitFor({ timeout: 60000 });
    assert.equal(sha256(path.join(s.media, 'tt0078748/tt0078748.mkv')), sha256(file));
  } finally {
    await s.stop();
  }
});

test('throughput on loopback straight to the receiver', async () => {
  const s = await server();
  try {
    await Api.admin(s.receiver);
    const direct = { ...s, url: s.receiver };
    const { page } = await loggedIn(b, direct);
    await page.goto(`${s.receiver}/upload/`);
    await page.waitForSelector('#drop[data-ready="1"]');
    const file = randomFile(files, 'The.Matrix.1999.Big.mkv', 512 << 20);
    await page.setInputFiles('#files', file);
    const it = item(page, 'Big');
    await it.locator('.confirm:not([disabled])').click();
    await it.locator('.ok').waitFor({ timeout: 240000 });
    const stats = await page.evaluate(() => window.oottUpload);
    const mbs = stats.bytes / 1e6 / stats.seconds;
    const sizes = [...new Set(stats.chunks.map((c) => Math.round(c.size / 1048576)))];
    console.log(`browser upload on loopback: ${mbs.toFixed(0)} MB/s over ${stats.chunks.length} chunks; chunk sizes (MiB): ${sizes.join(', ')}`);
    assert.ok(Math.max(...sizes) >= 32, `on a fast link the chunks grow well past the first 8 MiB: ${sizes}`);
    assert.equal(sha256(path.join(s.media, 'tt0133093/tt0133093.mkv')), sha256(file));
  } finally {
    await s.stop();
  }
});

test('subtitles picked with a movie go with it, and the movie page adds more', async () => {
  const { s, api, page } = await uploadPage();
  try {
    const film = movie(files, 'Alien.1979.720p.mkv');
    const srt = path.join(files, 'Alien.1979.720p.fr.srt');
    writeFileSync(srt, '1\r\n00:00:00,500 --> 00:00:02,000\r\nDans l\u2019espace\r\n');
    await page.setInputFiles('#files', [film, srt]);
    assert.equal(await item(page, '.srt').count(), 0, 'a subtitle file is not a movie of the queue');
    const it = item(page, 'Alien.1979');
    await it.locator('.cand[data-id="tt0078748"]').waitFor();
    await it.locator('.confirm').click();
    await it.locator('.ok', { hasText: 'Subtitles: fr' }).waitFor({ timeout: 30000 });
    const listed = await api.call('GET', '/api/library/movies/tt0078748');
    assert.deepEqual(listed.json.subtitles.map((t) => t.lang), ['fr']);

    // On the movie page, one more language, offered by the player at once.
    await until('the movie page', () => existsSync(path.join(s.site, 'movie/tt0078748.html')));
    await page.goto(`${s.url}/movie/tt0078748/`);
    await page.locator('#subtitles-add summary').waitFor();
    const form = page.locator('#add-subtitles');
    assert.equal(await form.isVisible(), false, 'folded until asked for');
    await page.locator('#subtitles-add summary').click();
    assert.ok(await form.isVisible(), 'the control is visible once opened');
    const de = path.join(files, 'de.srt');
    writeFileSync(de, '1\n00:00:00,500 --> 00:00:02,000\nIm Weltraum\n');
    await form.locator('input[type=file]').setInputFiles(de);
    await form.locator('input[name=lang]').fill('de');
    await form.locator('button').click();
    await form.locator('.status', { hasText: 'Added: de.' }).waitFor();
    assert.equal(await page.locator('#player track[srclang="de"]').count(), 1);
  } finally {
    await s.stop();
  }
});

test('five files are identified by title, the sure ones confirmed at once, and a bad version name is refused where it is typed', async () => {
  const { s, api, page } = await uploadPage();
  try {
    const names = ['The.Matrix.1999.mkv', 'Alien.1979.mkv', 'Quiet.Ferns.2011.mkv', 'Nowhere.Bound.2003.mkv', 'Lantern.Keepers.1990.mkv'];
    await page.setInputFiles('#files', names.map((n, i) => randomFile(files, n, (1 << 19) + i)));
    await until('a guess for every file', async () => (await page.locator('.uitem .confirm:not([disabled]), .uitem .warn').count()) === 5, 30);
    assert.equal(await item(page, 'The.Matrix.1999').locator('.confirm').innerText(), 'Confirm The Matrix (1999)');
    assert.equal(await item(page, 'Alien.1979').locator('.confirm').innerText(), 'Confirm Alien (1979)');
    for (const n of names.slice(2)) {
      assert.match(await item(page, n).locator('.warn').innerText(), /No match: search for the title or paste an IMDb link/);
    }
    const all = page.locator('#confirm-all');
    assert.equal(await all.innerText(), 'Confirm all 2 suggested titles');
    await all.click();
    await until('both uploaded', async () => (await page.locator('.s-done').count()) === 2, 60);
    assert.equal(await item(page, 'Alien.1979').locator('.ok').innerText(), 'Uploaded: Alien (1979).');
    assert.match(await page.locator('#upload-notice').innerText(), /^All 2 uploaded\. See them in the library\.$/);

    // Another Alien: a version, whose name is checked before anything is queued.
    await page.setInputFiles('#files', randomFile(files, 'Alien.1979.Directors.Cut.mkv', 1 << 19));
    const cut = item(page, 'Alien.1979.Directors.Cut');
    await cut.locator('.confirm:not([disabled])').click();
    await cut.locator('.warn', { hasText: 'Alien (1979) already has a file' }).waitFor();
    await cut.locator('input.label').fill('720p WEB');
    await cut.locator('.version').click();
    assert.match(await cut.locator('.label-problem').innerText(), /no spaces\): try “720p-web”/);
    assert.equal(await page.locator('.s-queued, .s-uploading').count(), 0, 'nothing was queued');
    await cut.locator('input.label').fill('720p-web');
    await cut.locator('.version').click();
    await until('the version uploaded', async () => (await page.locator('.s-done').count()) === 3, 60);
    const info = await api.call('GET', '/api/library/movies/tt0078748');
    assert.deepEqual(info.json.files.map((f) => f.label).sort(), ['', '720p-web']);
  } finally {
    await s.stop();
  }
});

test('a file whose name says nothing is identified by its own title tag', async () => {
  const { s, page } = await uploadPage();
  try {
    const out = path.join(files, 'DSC_0042.mkv');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=d=1:s=160x120', '-c:v', 'libx264',
      '-preset', 'ultrafast', '-metadata', 'title=The Matrix (1999)', out]);
    await page.setInputFiles('#files', out);
    const it = item(page, 'DSC_0042');
    await it.locator('.confirm:not([disabled])').waitFor();
    assert.equal(await it.locator('.confirm').innerText(), 'Confirm The Matrix (1999)');
    assert.match(await it.locator('.guess').innerText(), /Guessed: The Matrix \(1999\)/);
  } finally {
    await s.stop();
  }
});
