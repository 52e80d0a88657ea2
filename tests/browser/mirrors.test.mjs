// Streaming from the nearest server: a movie page measures which of the library's servers (this
// one and the mirrors `oott-agent sync` keeps) answers fastest from the browser, plays the file
// from it and says so; with that mirror gone, it plays from this server. The primary here sits
// behind a proxy that delays every answer, so that the mirror is the nearer one. The monitor
// page shows the mirror's state.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, NGINX, agentBin, browser, freePort, loggedIn, movie, rendered, server, until, waitForPort } from './support.mjs';

const b = await browser();
const dir = mkdtempSync(path.join(os.tmpdir(), 'oott-mirrors-'));
const stops = [];
after(async () => {
  await b.close();
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
});

/// A proxy in front of `target` that holds every request `ms` before passing it on.
function slowProxy(target, ms) {
  const t = new URL(target);
  const srv = http.createServer((req, res) => {
    setTimeout(() => {
      const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      req.pipe(up);
    }, ms);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`,
    stop: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
  })));
}

/// An rsync daemon with one writable module, `oott`, on `port`.
async function rsyncDaemon(module, port) {
  mkdirSync(module, { recursive: true });
  const conf = `${module}.conf`;
  writeFileSync(conf, `use chroot = no\nsocket options = TCP_NODELAY\n[oott]\n    path = ${module}\n    read only = no\n    uid = ${process.getuid()}\n    gid = ${process.getgid()}\n`);
  const child = spawn('rsync', ['--daemon', '--no-detach', '--address=127.0.0.1', `--port=${port}`, `--config=${conf}`, '--log-file=/dev/null'], { stdio: 'ignore' });
  await waitForPort(port);
  return () => new Promise((r) => { if (child.exitCode !== null) r(); else { child.once('exit', r); child.kill(); } });
}

const played = (page) => page.locator('#player').evaluate((v) => v.currentTime);

test('the monitor shows the mirror; a movie streams from the mirror that answers fastest, and from this server without it', async () => {
  const [rsyncPort, mirrorPort] = [await freePort(), await freePort()];
  const mirrorWeb = `http://127.0.0.1:${mirrorPort}`;
  const config = path.join(dir, 'oott.toml');
  writeFileSync(config, `[[mirror]]\nname = "attic"\nurl = "rsync://127.0.0.1:${rsyncPort}/oott"\nweb = "${mirrorWeb}"\n`);
  const s = await server({ OOTT_CONFIG: config });
  stops.push(() => s.stop());
  const api = await Api.admin(s.url);
  await api.upload('Long.Walk.2001.mp4', readFileSync(movie(dir, 'long.mp4', 30, '160x120')), 'tt0000750');
  await rendered(s, ['tt0000750']);
  const far = await slowProxy(s.url, 250);
  stops.push(far.stop);
  const { ctx, page } = await loggedIn(b, { url: far.url });

  // The mirror: the agent's push (with the session just made), served by a mirror receiver.
  const module = path.join(dir, 'mirror');
  stops.push(await rsyncDaemon(module, rsyncPort));
  execFileSync(agentBin, ['sync', '--once'], {
    env: { PATH: process.env.PATH, HOME: dir, OOTT_CONFIG: config, OOTT_MEDIA_ROOT: s.media, OOTT_DATA_DIR: s.env.OOTT_DATA_DIR },
  });
  // The monitor page shows the mirror as the agent last found it.
  const mon = await ctx.newPage();
  await mon.goto(`${s.url}/monitor/`);
  const row = mon.locator('#mirrors tbody tr', { hasText: 'attic' });
  await row.waitFor({ state: 'visible' });
  await row.scrollIntoViewIfNeeded();
  const cells = await row.locator('th, td').allInnerTexts();
  assert.deepEqual([cells[0], cells[1], cells[3], cells[4].split(',')[0]], ['attic', 'reachable', 'up to date', '0 files'], cells.join(' | '));
  assert.notEqual(cells[2], 'never', 'a last push');
  await mon.close();

  const roots = path.join(module, 'media/1');
  const m = await server({
    OOTT_MODE: 'mirror', OOTT_DATA_DIR: path.join(module, 'data'), OOTT_MEDIA_ROOT: roots, OOTT_MEDIA_ROOTS: roots,
    ...(NGINX ? { OOTT_NGINX_PORT: String(mirrorPort) } : { OOTT_PORT: String(mirrorPort) }),
  });
  assert.equal(m.url, mirrorWeb, 'the mirror answers where the primary says it does');

  await page.goto(`${far.url}/movie/tt0000750/`);
  const from = page.locator('#player-from');
  await from.waitFor({ state: 'visible', timeout: 15000 });
  assert.equal(await from.innerText(), 'Streaming from attic');
  // Said just below the player, where a person watching looks.
  await from.scrollIntoViewIfNeeded();
  const [box, player] = [await from.boundingBox(), await page.locator('#player').boundingBox()];
  const gap = box.y - (player.y + player.height);
  assert.ok(gap >= 0 && gap < 80, `just below the player (${gap} px)`);
  assert.ok(box.y >= 0 && box.y + box.height <= page.viewportSize().height, 'in view');
  const src = await page.locator('#player').evaluate((v) => v.currentSrc);
  assert.ok(src.startsWith(`${mirrorWeb}/media/`), src);
  await page.locator('#player').evaluate((v) => { v.muted = true; return v.play(); });
  await until('playback from the mirror', async () => (await played(page)) > 0.5);

  // The mirror gone: a new visit measures again and plays from this server.
  await m.stop();
  const other = await ctx.newPage();
  await other.goto(`${far.url}/movie/tt0000750/`);
  await until('the player set up', () => other.locator('#player').evaluate((v, base) => v.currentSrc.startsWith(base), far.url));
  assert.equal(await other.locator('#player-from').isVisible(), false, 'no mirror named');
  await other.locator('#player').evaluate((v) => { v.muted = true; return v.play(); });
  await until('playback from this server', async () => (await played(other)) > 0.5).catch(async (e) => {
    const state = await other.locator('#player').evaluate((v) => ({ src: v.currentSrc, t: v.currentTime, rs: v.readyState, ns: v.networkState, err: v.error?.code, paused: v.paused }));
    throw new Error(`${e.message}: ${JSON.stringify(state)}`);
  });
});
