// Watching in Chromium: the place in a movie is saved as it plays and offered after a reload and
// in another browser of the same person; 90% played counts as watched; the home page's
// "Continue watching" row and the cards' marks follow; another person sees none of it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, browser, loggedIn, movie, rendered, server, until } from './support.mjs';

const b = await browser();
const files = mkdtempSync(path.join(os.tmpdir(), 'oott-watch-'));
let s;
after(async () => { await b.close(); await s?.stop(); });

const at = (tab) => tab.locator('#player').evaluate((v) => v.currentTime);

test('the place in a movie is kept per person, resumed, and 90% is watched', async () => {
  s = await server();
  const api = await Api.admin(s.url);
  await api.upload('Long.Walk.2001.mp4', readFileSync(movie(files, 'long.mp4', 60, '160x120')), 'tt0000750');
  await api.upload('Other.Film.2002.mp4', readFileSync(movie(files, 'other.mp4', 2, '160x120')), 'tt0000751');
  const r = await api.call('POST', '/api/users', { username: 'mia', password: 'long enough', role: 'member' });
  assert.equal(r.status, 201, r.text);
  await rendered(s, ['tt0000750', 'tt0000751']);

  const { ctx, page: tab } = await loggedIn(b, s);
  await tab.goto(`${s.url}/movie/tt0000750/`);
  const play = tab.locator('#play');
  await play.waitFor({ state: 'visible' });
  assert.equal(await play.innerText(), '▶ Play', 'nothing to resume yet');
  assert.equal(await tab.locator('#start-over').isVisible(), false);
  // Played, then sought to 0:41: the place is saved.
  await tab.locator('#player').evaluate((v) => { v.muted = true; return v.play(); });
  await until('playback', async () => (await at(tab)) > 0.5);
  await tab.locator('#player').evaluate((v) => { v.currentTime = 41; });
  await until('the place saved', async () => {
    const t = (await api.call('GET', '/api/users/me/progress')).json.titles.find((x) => x.content_id === 'tt0000750');
    return t && t.position_s >= 41;
  });
  await tab.locator('#player').evaluate((v) => v.pause());

  // After a reload, and in another browser of the same person: offered, and it resumes there.
  for (const page of [tab, (await loggedIn(b, s)).page]) {
    await page.goto(`${s.url}/movie/tt0000750/`);
    const button = page.locator('#play');
    await until('the offer to resume', async () => /^▶ Resume from 0:4[1-3]$/.test(await button.innerText()));
    const box = await button.boundingBox();
    assert.ok(box.y + box.height <= page.viewportSize().height, 'Resume is on the first screen');
    assert.ok(await page.locator('#start-over').isVisible());
    await page.locator('#player').evaluate((v) => { v.muted = true; });
    await button.click();
    await until('playing from the place', async () => (await at(page)) >= 41);
    await page.locator('#player').evaluate((v) => v.pause());
  }

  // Home: Continue watching first, with the card's progress.
  await tab.goto(`${s.url}/`);
  const row = tab.locator('#continue');
  await row.waitFor({ state: 'visible' });
  assert.equal(await tab.locator('main .row').first().getAttribute('id'), 'continue');
  assert.equal(await row.locator('h2').innerText(), 'Continue watching');
  assert.deepEqual(await row.locator('.card .t').allInnerTexts(), ['Long Walk 2001']);
  assert.ok(await row.locator('.card .mark.progress').isVisible(), 'the card shows how far');

  // 90%: watched; the row goes and the card says so.
  await tab.goto(`${s.url}/movie/tt0000750/`);
  const toggle = tab.locator('#watched-toggle');
  await toggle.waitFor({ state: 'visible' });
  assert.equal(await toggle.innerText(), 'Mark as watched');
  await tab.locator('#player').evaluate((v) => { v.muted = true; v.currentTime = 55; });
  await until('watched', async () => (await toggle.innerText()) === 'Watched ✓');
  await tab.goto(`${s.url}/`);
  await tab.locator('a.card[href="/movie/tt0000750/"] .watched-mark').first().waitFor({ state: 'visible' });
  assert.equal(await tab.locator('#continue').count(), 0, 'nothing left to continue');
  // Unmarked by hand.
  await tab.goto(`${s.url}/movie/tt0000750/`);
  await until('the toggle', async () => (await toggle.innerText()) === 'Watched ✓');
  await toggle.click();
  await until('unwatched', async () => (await toggle.innerText()) === 'Mark as watched');
  assert.equal((await api.call('GET', '/api/users/me/progress')).json.titles[0].watched, false);

  // Another person sees none of it.
  const { page: other } = await loggedIn(b, s, 'mia', 'long enough');
  await other.goto(`${s.url}/`);
  await other.locator('a.card').first().waitFor();
  await other.waitForLoadState('networkidle');
  assert.equal(await other.locator('#continue').count(), 0);
  assert.equal(await other.locator('a.card .mark').count(), 0);
  await other.goto(`${s.url}/movie/tt0000750/`);
  await other.waitForLoadState('networkidle');
  assert.equal(await other.locator('#play').innerText(), '▶ Play');
  assert.equal(await other.locator('#start-over').isVisible(), false);
  await ctx.close();
});

test('keys act on the player', async () => {
  const { ctx, page } = await loggedIn(b, s);
  await page.goto(`${s.url}/movie/tt0000750/`);
  const v = page.locator('#player');
  await v.waitFor({ state: 'visible' });
  await until('the movie known', async () => (await v.evaluate((x) => x.readyState)) >= 1);
  await v.evaluate((x) => { x.muted = true; x.currentTime = 5; });
  await page.locator('h1').click();
  await page.keyboard.press('k');
  await until('playing after k', async () => !(await v.evaluate((x) => x.paused)));
  await page.keyboard.press(' ');
  await until('paused after space', async () => v.evaluate((x) => x.paused));
  const at = await v.evaluate((x) => x.currentTime);
  await page.keyboard.press('ArrowRight');
  await until('10 s on', async () => Math.abs((await v.evaluate((x) => x.currentTime)) - (at + 10)) < 0.5);
  await page.keyboard.press('ArrowLeft');
  await until('10 s back', async () => Math.abs((await v.evaluate((x) => x.currentTime)) - at) < 0.5);
  await page.keyboard.press('m');
  assert.equal(await v.evaluate((x) => x.muted), false, 'm unmutes');
  await v.evaluate((x) => { x.volume = 0.5; });
  await page.keyboard.press('ArrowDown');
  assert.ok(Math.abs((await v.evaluate((x) => x.volume)) - 0.4) < 0.01, 'down lowers the volume');
  // The volume is remembered on the next visit.
  await page.reload();
  await v.waitFor({ state: 'visible' });
  await until('the volume remembered', async () => Math.abs((await v.evaluate((x) => x.volume)) - 0.4) < 0.01);
  await ctx.close();
});
