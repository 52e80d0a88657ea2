// What the browser tests share: the real receiver (built by `cargo test`) on port 0 with its own
// data, behind a real nginx configured by `oott-receiver nginx-config` where nginx is installed;
// the IMDb stand-in; headless Chromium; ffmpeg-made movies; and API calls as the admin.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target');
const receiverBin = path.join(target, 'debug/oott-receiver');
export const agentBin = path.join(target, 'debug/oott-agent');
const replayBin = path.join(target, 'debug/examples/imdb_replay');
export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
export const shots = path.join(target, 'browser-shots');

for (const [bin, what] of [[receiverBin, 'oott-receiver'], [replayBin, 'the imdb_replay example']]) {
  if (!existsSync(bin)) throw new Error(`${what} is not built at ${bin}: run the browser tests through \`make test\``);
}

/// Starts a program and waits for its `listening on http://ADDR` line.
function startProcess(bin, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 30000);
    child.stderr.on('data', (d) => { if (process.env.OOTT_TEST_LOGS) process.stderr.write(d); });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s/]+)/);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1], out: () => out }); }
    });
    child.on('exit', (code) => reject(new Error(`${bin} exited (${code}): ${out}`)));
  });
}

let replay;
/// The IMDb stand-in, one for the whole test file.
export async function imdb() {
  if (!replay) {
    replay = await startProcess(replayBin, [], process.env);
    // It lives as long as the test file: nothing of it keeps node from ending, and it goes too.
    replay.child.stdout.destroy();
    replay.child.stderr.destroy();
    replay.child.unref();
    process.on('exit', () => replay.child.kill());
  }
  return replay.url;
}

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export async function waitForPort(port) {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`nothing listens on ${port}`);
}

/// A receiver with its own media root and data directory (and nginx in front where installed).
export async function server(extraEnv = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oott-browser-'));
  const env = { PATH: process.env.PATH, HOME: dir };
  Object.assign(env, {
    OOTT_HOST: '127.0.0.1', OOTT_PORT: '0', OOTT_MEDIA_ROOT: path.join(dir, 'media'), OOTT_DATA_DIR: path.join(dir, 'data'),
    OOTT_DISK_RESERVE: '0', OOTT_NGINX: 'off', OOTT_IMDB_URL: await imdb(), OOTT_IMDB_SUGGEST_URL: await imdb(),
    OOTT_WIKIDATA_URL: '', OOTT_FETCH_GAP_MS: '0', OOTT_METADATA_RETRY: '1', OOTT_LOG: 'warn', ...extraEnv,
  });
  const rx = await startProcess(receiverBin, [], env);
  const s = { dir, env, media: env.OOTT_MEDIA_ROOT, site: path.join(env.OOTT_DATA_DIR, 'site'), receiver: rx.url, url: rx.url, procs: [rx.child] };
  // The receiver renders the site in the background after it starts; on a busy machine a page
  // opened before that first render would be a 404. Tests start once it is there.
  for (let i = 0; !['login', 'setup', 'upload'].every((p) => existsSync(path.join(s.site, p, 'index.html'))); i++) {
    if (i > 600) throw new Error('the site was not rendered within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  if (NGINX) {
    const port = extraEnv.OOTT_NGINX_PORT ? Number(extraEnv.OOTT_NGINX_PORT) : await freePort();
    const conf = execFileSync(receiverBin, ['nginx-config'], { env: { ...env, OOTT_PORT: new URL(rx.url).port, OOTT_NGINX_PORT: String(port) } });
    const prefix = path.join(env.OOTT_DATA_DIR, 'nginx');
    mkdirSync(prefix, { recursive: true });
    writeFileSync(path.join(prefix, 'browser.conf'), conf);
    const ng = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'browser.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'inherit'] });
    s.procs.push(ng);
    await waitForPort(port);
    s.url = `http://127.0.0.1:${port}`;
  }
  s.stop = async () => {
    await Promise.all(s.procs.reverse().map((p) => new Promise((r) => {
      if (p.exitCode !== null) { r(); return; }
      p.once('exit', r);
      p.kill('SIGTERM');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  return s;
}

/// An API client holding a session, as a browser would.
export class Api {
  constructor(base) { this.base = base; this.cookie = ''; this.csrf = ''; }
  async call(method, p, body, headers = {}) {
    const h = { Cookie: this.cookie, 'X-CSRF-Token': this.csrf, ...headers };
    let payload = body;
    if (body !== undefined && !(body instanceof Uint8Array)) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
    const r = await fetch(this.base + p, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    if (r.headers.get('set-cookie')) this.cookie = r.headers.get('set-cookie').split(';')[0];
    if (json?.csrf_token) this.csrf = json.csrf_token;
    return { status: r.status, json, text };
  }
  static async admin(base, user = 'admin', password = 'correct horse') {
    const a = new Api(base);
    const r = await a.call('POST', '/api/auth/setup', { username: user, password });
    if (r.status !== 201) throw new Error(`setup: ${r.status} ${r.text}`);
    return a;
  }
  /// Uploads bytes under a title in 1 MiB chunks; answers the end response.
  async upload(name, bytes, id, extra = '') {
    const q = `type=init&name=${encodeURIComponent(name)}&size=${bytes.length}&last_modified=1700000000000&id=${id}${extra}`;
    const init = await this.call('POST', `/api/library/upload/?${q}`);
    if (init.status !== 201) throw new Error(`init: ${init.status} ${init.text}`);
    const u = init.json.upload_id;
    for (let off = 0; off < bytes.length; off += 1 << 20) {
      const part = bytes.subarray(off, Math.min(off + (1 << 20), bytes.length));
      const r = await this.call('POST', `/api/library/upload/?type=chunk&offset=${off}&uploadId=${u}`, part);
      if (r.status !== 200) throw new Error(`chunk: ${r.status} ${r.text}`);
    }
    const end = await this.call('POST', `/api/library/upload/?type=end&uploadId=${u}`);
    if (end.status !== 200) throw new Error(`end: ${end.status} ${end.text}`);
    return end.json;
  }
}

/// Polls `f` until it answers something truthy.
export async function until(what, f, secs = 30) {
  const end = Date.now() + secs * 1000;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/// Waits until the renderer has written a page for each title.
export async function rendered(s, ids) {
  await until(`movie pages of ${ids}`, () => ids.every((id) => existsSync(path.join(s.site, `movie/${id}.html`))));
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];

export async function browser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
}

/// A browser with a profile of its own on disk (not incognito: what installing an app needs).
export async function profileBrowser(dir) {
  return chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', args: ARGS });
}

/// A browser context logged in as `user`.
export async function loggedIn(b, s, user = 'admin', password = 'correct horse', options = {}) {
  const ctx = await b.newContext(options);
  const page = await ctx.newPage();
  await page.goto(`${s.url}/login/`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${s.url}/`), page.click('#login button')]);
  return { ctx, page };
}

/// An H.264/AAC MP4 of `seconds` made by ffmpeg (a test pattern and a tone).
export function movie(dir, name, seconds = 4, size = '320x240') {
  const out = path.join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=${size}:rate=25`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-shortest', '-movflags', '+faststart', out]);
  return out;
}

/// The head of a one-frame YUV4MPEG2 video (51 bytes): ffprobe reads a file that starts with it
/// as a video whatever follows, and the receiver files only videos.
export const VIDEO_HEAD = Buffer.concat([Buffer.from('YUV4MPEG2 W2 H2 F25:1 Ip A1:1 C420jpeg\nFRAME\n'),
  Buffer.from([16, 16, 16, 16, 128, 128])]);

/// `size` bytes of a video: the video head, then bytes all `fill`.
export function videoBytes(size, fill = 7) {
  const buf = Buffer.alloc(size, fill);
  VIDEO_HEAD.copy(buf, 0);
  return new Uint8Array(buf);
}

/// A video file of `size` bytes: the video head, then pseudo-random bytes.
export function randomFile(dir, name, size) {
  const out = path.join(dir, name);
  const buf = Buffer.alloc(size);
  let x = 0x2545f491 ^ size;
  for (let i = 0; i + 4 <= size; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; buf.writeInt32LE(x | 0, i); }
  VIDEO_HEAD.copy(buf, 0);
  writeFileSync(out, buf);
  return out;
}

export const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
