// The upload page: pick or drop files; those already in the library drop out at once and half
// uploaded ones are offered for resuming; each file shows its guessed title with candidates to
// confirm, pick, search for or replace with a pasted IMDb id; a title that has a file asks to
// cancel, replace or add a version; confirmed files upload one at a time from a queue that can
// be paused, resumed, reordered and cancelled. Chunks are Blob slices sized to take about half
// a second each, so memory stays flat; a dropped connection or a reload resumes from the
// server's offset.
import { call, esc, failure as fail, setCsrf } from './api.js';
import { fold } from './search.js';

const API = '/api/library/upload/';
const MIN_CHUNK = 256 * 1024;
const MAX_CHUNK = 64 * 1024 * 1024;
const TARGET_SECONDS = 0.5;

const items = [];
let running = false;
let paused = false;
// What the uploads did, for anyone curious (and the tests): chunk sizes and speeds.
export const stats = { chunks: [], bytes: 0, seconds: 0 };
window.oottUpload = stats;

const el = (id) => document.getElementById(id);
const mib = (n) => `${(n / 1048576).toFixed(n < 10485760 ? 1 : 0)} MiB`;
const size = (n) => (n >= 1073741824 ? `${(n / 1073741824).toFixed(2)} GiB` : mib(n));


// ---- picking -------------------------------------------------------------------------------

// Subtitle files picked or dropped with the movies, waiting for the movie they belong to
// (`Movie.2019.1080p.en.srt` goes with `Movie.2019.1080p.mkv`, in English).
const subtitles = [];
const SUBTITLE = /\.(srt|vtt)$/i;

/// The movie name a subtitle file belongs to, and its language (`en` when the name has none).
function subtitleOf(name) {
  const stem = name.replace(SUBTITLE, '');
  const m = stem.match(/^(.*)[._ -]([a-z]{2,3}(?:-[a-z]{2})?)$/i);
  return m ? { stem: m[1], lang: m[2].toLowerCase() } : { stem, lang: 'en' };
}

const stemOf = (name) => name.replace(/\.[^.]+$/, '');

/// Sends the subtitles that belong to a movie just filed under `contentId`.
async function sendSubtitles(item) {
  const mine = subtitles.filter((s) => !s.sent && subtitleOf(s.file.name).stem.toLowerCase() === stemOf(item.name).toLowerCase());
  for (const s of mine) {
    const { lang } = subtitleOf(s.file.name);
    const { r, data } = await call('POST', `/api/library/subtitles/${item.contentId}?lang=${encodeURIComponent(lang)}`, s.file);
    s.sent = true;
    item.subtitles = [...(item.subtitles ?? []), r.ok ? lang : `${lang} (${fail(data, r).message})`];
  }
}

async function addFiles(list) {
  const all = [...list].filter((f) => f.size > 0);
  subtitles.push(...all.filter((f) => SUBTITLE.test(f.name)).map((file) => ({ file, sent: false })));
  const files = all.filter((f) => !SUBTITLE.test(f.name));
  if (!files.length) return;
  const known = new Set(items.filter((i) => i.state !== 'done' && i.state !== 'cancelled').map((i) => `${i.name}\u0000${i.size}\u0000${i.lastModified}`));
  const fresh = files.filter((f) => !known.has(`${f.name}\u0000${f.size}\u0000${f.lastModified}`));
  if (!fresh.length) return;
  const { r, data } = await call('POST', `${API}info`, fresh.map((f) => ({ name: f.name, size: f.size, last_modified: f.lastModified })));
  if (!r.ok) { notice(fail(data, r).message, true); return; }
  const toGuess = [];
  data.files.forEach((info, i) => {
    const f = fresh[i];
    if (info.status === 'complete') {
      el('skipped').hidden = false;
      el('skipped-list').insertAdjacentHTML('beforeend', `<li>${esc(f.name)}: already in the library as <a href="/movie/${esc(info.content_id)}/">${esc(info.content_id)}</a></li>`);
      return;
    }
    const item = { file: f, name: f.name, size: f.size, lastModified: f.lastModified, offset: info.offset ?? 0, state: 'identify', candidates: [], contentId: null, mode: 'new', label: '' };
    if (info.status === 'partial') {
      Object.assign(item, { state: 'resumable', uploadId: info.upload_id, contentId: info.content_id });
    } else {
      toGuess.push(item);
    }
    items.push(item);
  });
  showSpace(data);
  render();
  showUnfinished();
  if (toGuess.length) await guess(toGuess);
}

/// The disk verdict for everything not yet uploaded.
async function recheckSpace() {
  const waiting = items.filter((i) => i.state !== 'done' && i.state !== 'cancelled');
  if (!waiting.length) { showSpace({ fits: true }); return; }
  const { r, data } = await call('POST', `${API}info`, waiting.map((i) => ({ name: i.name, size: i.size, last_modified: i.lastModified })));
  if (r.ok) showSpace(data);
}

let fits = true;
function showSpace(data) {
  fits = data.fits !== false;
  const box = el('space');
  box.hidden = fits;
  if (!fits) {
    box.textContent = `These files do not fit on the server: ${data.reason?.message ?? 'not enough space'}. `
      + `${data.needed_bytes ? `They need ${size(data.needed_bytes)}; ` : ''}remove some before uploading.`;
  }
  render();
}

/// The title a container carries, when it has one: Matroska's segment title (element 0x7BA9)
/// or MP4's `©nam`, looked for in the first and last 256 KiB of the file.
async function containerTitle(file) {
  const part = async (from, to) => new Uint8Array(await file.slice(from, to).arrayBuffer());
  const utf8 = (b) => new TextDecoder('utf-8', { fatal: true }).decode(b);
  const printable = (t) => t && t.length <= 300 && !/[\u0000-\u001f]/.test(t) ? t.trim() : null;
  try {
    const head = await part(0, 256 * 1024);
    if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
      for (let i = 4; i + 3 < head.length; i++) {
        if (head[i] !== 0x7b || head[i + 1] !== 0xa9) continue;
        // The size, as an EBML variable-length number of 1 to 4 bytes.
        const first = head[i + 2];
        const len = first & 0x80 ? 1 : first & 0x40 ? 2 : first & 0x20 ? 3 : first & 0x10 ? 4 : 0;
        if (!len) continue;
        let size = first & (0xff >> len);
        for (let k = 1; k < len; k++) size = size * 256 + head[i + 2 + k];
        const at = i + 2 + len;
        if (size < 1 || size > 300 || at + size > head.length) continue;
        try { const t = printable(utf8(head.subarray(at, at + size))); if (t) return t; } catch { /* not text */ }
      }
      return null;
    }
    const tail = file.size > 512 * 1024 ? await part(file.size - 256 * 1024, file.size) : new Uint8Array();
    for (const b of [head, tail]) {
      for (let i = 0; i + 24 < b.length; i++) {
        // `©nam`, then its `data` atom: size, "data", type and locale (8 bytes), the text.
        if (b[i] !== 0xa9 || b[i + 1] !== 0x6e || b[i + 2] !== 0x61 || b[i + 3] !== 0x6d) continue;
        if (b[i + 8] !== 0x64 || b[i + 9] !== 0x61 || b[i + 10] !== 0x74 || b[i + 11] !== 0x61) continue;
        const size = ((b[i + 4] << 24) | (b[i + 5] << 16) | (b[i + 6] << 8) | b[i + 7]) - 16;
        if (size < 1 || size > 300 || i + 20 + size > b.length) continue;
        try { const t = printable(utf8(b.subarray(i + 20, i + 20 + size))); if (t) return t; } catch { /* not text */ }
      }
    }
  } catch { /* unreadable: the name alone */ }
  return null;
}

/// Guesses each file's title on its own request, four at a time, so that each shows its
/// candidates as soon as they arrive instead of waiting for the slowest.
async function guess(list) {
  const todo = [...list];
  const worker = async () => {
    for (let item = todo.shift(); item; item = todo.shift()) {
      const tag = item.file ? await containerTitle(item.file) : null;
      const { r, data } = await call('POST', '/api/metadata/guess', { names: [item.name], titles: [tag] }).catch(() => ({ r: { ok: false, status: 0 }, data: null }));
      const g = r.ok ? data.results[0] : null;
      item.parsed = g?.parsed ?? null;
      item.candidates = g?.candidates ?? [];
      item.contentId = item.candidates[0]?.id ?? null;
      item.guessed = true;
      item.guessError = g?.error ?? (r.ok ? null : fail(data, r).message);
      render();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

// A title as search compares it: folded the same way, words apart.
const words = (t) => fold(String(t ?? '')).split(/\s+/).filter(Boolean).join(' ');

/// The chosen title as people read it: `The Usual Suspects (1995)`, or its id.
function titleOf(item) {
  const c = item.candidates.find((x) => x.id === item.contentId);
  return c ? `${c.title}${c.year ? ` (${c.year})` : ''}` : item.contentId ?? '';
}

/// Whether the top candidate is clearly the file's title: the server says so, or it has the
/// guessed title and year exactly and is a feature film.
function clearlyAhead(item) {
  const top = item.candidates[0];
  if (!top || item.contentId !== top.id) return false;
  if (typeof top.confident === 'boolean') return top.confident;
  const p = item.parsed;
  return Boolean(p && words(top.title) === words(p.title) && (!p.year || top.year === p.year) && !isSeries(top));
}

const isSeries = (c) => /series|episode/i.test(`${c.kind ?? ''} ${c.kind_label ?? ''}`);

/// A version label as the server takes it (`check_label`): 1 to 32 of a-z, 0-9, - and _.
const labelProblem = (v) => (!v.trim() ? 'Name the version, e.g. 4k or directors-cut.'
  : /^[a-z0-9_-]{1,32}$/.test(v.trim().toLowerCase()) ? ''
    : `A version name has up to 32 letters, digits, - and _ (no spaces): try “${v.trim().toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32)}”.`);

async function searchFor(item, q) {
  if (!q.trim()) return;
  const { r, data } = await call('GET', `/api/metadata/search?q=${encodeURIComponent(q.trim())}`);
  if (!r.ok) { item.guessError = fail(data, r).message; render(); return; }
  item.candidates = data.results;
  item.contentId = data.results[0]?.id ?? null;
  item.guessError = data.results.length ? null : `Nothing found for “${q}”: try another spelling, or paste an IMDb link.`;
  render();
}

/// The identity check: does the chosen title already have a file?
async function confirm(item) {
  if (!item.contentId) return;
  const { r, data } = await call('GET', `/api/library/movies/${item.contentId}`);
  if (r.ok && data.has_file) {
    item.state = 'exists';
    item.existing = data.files ?? [];
  } else {
    queue(item, 'new');
    return;
  }
  render();
}

function queue(item, mode, label = '') {
  Object.assign(item, { mode, label, state: 'queued', error: null });
  render();
  runQueue();
}

// ---- the queue -----------------------------------------------------------------------------

async function runQueue() {
  if (running || paused) return;
  running = true;
  try {
    for (;;) {
      if (paused) break;
      const next = items.find((i) => i.state === 'queued');
      if (!next) break;
      if (!fits) { notice('the selection does not fit on the server', true); break; }
      await upload(next);
    }
  } finally {
    running = false;
    render();
  }
}

async function upload(item) {
  item.state = 'uploading';
  item.error = null;
  render();
  try {
    if (!item.uploadId) {
      const q = new URLSearchParams({ type: 'init', name: item.name, size: item.size, last_modified: item.lastModified, id: item.contentId });
      if (item.mode !== 'new') q.set('mode', item.mode);
      if (item.label) q.set('label', item.label);
      const { r, data } = await call('POST', `${API}?${q}`);
      if (!r.ok) throw Object.assign(fail(data, r), { fatal: true });
      item.uploadId = data.upload_id;
      item.offset = data.offset ?? 0;
      item.chunk = Math.min(data.chunk_size ?? 8 * 1048576, MAX_CHUNK);
    }
    item.chunk = item.chunk ?? 8 * 1048576;
    await sendChunks(item);
    if (item.state !== 'uploading') return;
    const { r, data } = await call('POST', `${API}?type=end&uploadId=${item.uploadId}`);
    if (!r.ok) throw fail(data, r);
    item.state = 'done';
    item.result = data;
    await sendSubtitles(item);
    recheckSpace();
  } catch (e) {
    if (item.state === 'cancelled' || item.state === 'paused') return;
    item.state = e.fatal ? 'error' : 'queued';
    item.error = e.message;
    if (!e.fatal) await waitForNetwork(item);
  }
  render();
}

/// Sends the rest of the file from the server's offset, adapting the chunk size.
async function sendChunks(item) {
  let nr = 0;
  while (item.offset < item.size) {
    if (item.state !== 'uploading') return;
    const end = Math.min(item.offset + item.chunk, item.size);
    const body = item.file.slice(item.offset, end);
    item.abort = new AbortController();
    const t0 = performance.now();
    const path = `${API}?type=chunk&offset=${item.offset}&chunkNr=${nr++}&uploadId=${item.uploadId}`;
    let res;
    try {
      res = await call('POST', path, body, { signal: item.abort.signal });
    } catch (e) {
      if (item.state !== 'uploading') return;
      // The connection broke: wait for it, then ask the server where to go on.
      item.error = 'connection lost; resuming when it is back';
      render();
      await waitForNetwork(item);
      await askOffset(item);
      continue;
    }
    const { r, data } = res;
    if (r.status === 409 && typeof data?.offset === 'number') { item.offset = data.offset; continue; }
    if (!r.ok) {
      const err = fail(data, r);
      err.fatal = r.status < 500 && r.status !== 408 && r.status !== 429;
      throw err;
    }
    const secs = Math.max((performance.now() - t0) / 1000, 0.001);
    const sent = data.offset - item.offset;
    item.offset = data.offset;
    item.error = null;
    stats.chunks.push({ size: sent, seconds: secs });
    stats.bytes += sent;
    stats.seconds += secs;
    item.speed = item.speed ? item.speed * 0.6 + (sent / secs) * 0.4 : sent / secs;
    // Aim at half a second a chunk: small on slow links, large on fast ones.
    const ideal = item.chunk * (TARGET_SECONDS / secs);
    item.chunk = Math.round(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.min(ideal, item.chunk * 2), item.chunk / 2)));
    render();
  }
}

async function askOffset(item) {
  for (;;) {
    try {
      const r = await fetch(`${API}?uploadId=${item.uploadId}`, { method: 'HEAD', credentials: 'same-origin' });
      if (r.ok) { item.offset = Number(r.headers.get('Upload-Offset')); return; }
      if (r.status === 404 || r.status === 410) throw Object.assign(new Error('the server no longer has this upload; start it again'), { fatal: true });
    } catch (e) {
      if (e.fatal) throw e;
    }
    await waitForNetwork(item);
  }
}

/// Resolves when the browser is online again, or after a short wait.
function waitForNetwork(item) {
  return new Promise((resolve) => {
    const done = () => { removeEventListener('online', done); clearTimeout(t); resolve(); };
    const t = setTimeout(done, navigator.onLine ? 1000 : 30000);
    addEventListener('online', done);
    if (item) item.waiting = true;
  }).finally(() => { if (item) item.waiting = false; });
}

function pauseAll() {
  paused = true;
  for (const i of items) if (i.state === 'uploading') { i.state = 'paused'; i.abort?.abort(); }
  render();
}

async function resumeAll() {
  paused = false;
  for (const i of items) {
    if (i.state === 'paused') {
      i.state = 'queued';
      if (i.uploadId) await askOffset(i).catch((e) => { i.state = 'error'; i.error = e.message; });
    }
  }
  render();
  runQueue();
}

function move(item, by) {
  const queued = items.filter((i) => i.state === 'queued');
  const at = queued.indexOf(item);
  const other = queued[at + by];
  if (!other) return;
  const a = items.indexOf(item);
  const b = items.indexOf(other);
  [items[a], items[b]] = [items[b], items[a]];
  render();
}

function cancel(item) {
  const was = item.state;
  item.state = 'cancelled';
  item.abort?.abort();
  if (was !== 'uploading') render();
  recheckSpace();
}

// ---- showing it ----------------------------------------------------------------------------

/// The person's uploads the server holds in part (from an earlier visit or another device):
/// choosing the same file again resumes it.
async function showUnfinished() {
  const { r, data } = await call('GET', '/api/library/uploads');
  if (!r.ok) return;
  const mine = new Set(items.map((i) => i.uploadId).filter(Boolean));
  const left = data.uploads.filter((u) => !mine.has(u.upload_id));
  el('unfinished').hidden = !left.length;
  el('unfinished-list').innerHTML = left.map((u) => `<li data-upload="${esc(u.upload_id)}"><strong>${esc(u.title ?? u.name)}</strong>${u.title ? ` <span class="dim">(${esc(u.name)})</span>` : ''}: ${size(u.offset)} of ${size(u.size)}. Choose the file again to resume.</li>`).join('');
}

function notice(text, bad) {
  const n = el('upload-notice');
  n.textContent = text;
  n.classList.toggle('error', !!bad);
}

function candidateHtml(item, c) {
  const img = c.poster ? `<img src="${esc(c.poster)}" alt="" loading="lazy">` : '<span class="noposter">?</span>';
  const on = c.id === item.contentId ? ' aria-pressed="true"' : ' aria-pressed="false"';
  const series = isSeries(c) ? ` <em class="warn">${esc(c.kind_label ?? 'TV series')}, not a movie</em>` : '';
  return `<button type="button" class="cand" data-id="${esc(c.id)}"${on}>${img}<span>${esc(c.title)}${c.year ? ` (${esc(c.year)})` : ''}</span><small>${c.kind_label && !series ? `${esc(c.kind_label)} · ` : ''}${c.stars ? esc(c.stars) : esc(c.id)}</small>${series}</button>`;
}

function itemHtml(item, n) {
  const pct = item.size ? Math.floor((item.offset / item.size) * 100) : 0;
  const head = `<div class="uhead"><strong class="uname">${esc(item.name)}</strong> <span class="usize">${size(item.size)}</span></div>`;
  let body = '';
  switch (item.state) {
    case 'identify': {
      const guessed = item.parsed ? `Guessed: <em>${esc(item.parsed.title)}</em>${item.parsed.year ? ` (${esc(item.parsed.year)})` : ''}` : 'Looking for the title…';
      const none = item.guessed && !item.candidates.length && !item.guessError ? '<p class="warn">No match: search for the title or paste an IMDb link.</p>' : '';
      body = `<p class="guess">${guessed}</p>
<div class="cands">${item.candidates.map((c) => candidateHtml(item, c)).join('')}</div>
${none}${item.guessError ? `<p class="error">${esc(item.guessError)}</p>` : ''}
<form class="find inline"><input name="q" placeholder="Search a title, or paste an IMDb id or link" aria-label="Search a title"><button>Search</button></form>
<p class="inline"><button type="button" class="confirm"${item.contentId ? '' : ' disabled'}>${item.contentId ? `Confirm ${esc(titleOf(item))}` : 'Pick the title first'}</button> <button type="button" class="cancel">Remove</button></p>`;
      break;
    }
    case 'exists':
      body = `<p class="warn"><a href="/movie/${esc(item.contentId)}/">${esc(titleOf(item))}</a> already has a file${item.existing?.length ? ` (${item.existing.map((f) => esc(f.original_name ?? f.path)).join(', ')})` : ''}.</p>
<p class="inline"><button type="button" class="cancel">Cancel</button> <button type="button" class="replace">Replace it</button>
<input class="label" placeholder="Version name, e.g. 4k" maxlength="40" aria-label="Version name"><button type="button" class="version">Add as a version</button></p>
<p class="error label-problem" role="alert" hidden></p>`;
      break;
    case 'resumable':
      body = `<p>Half uploaded: ${size(item.offset)} of ${size(item.size)} as ${esc(titleOf(item))}.</p>
<p class="inline"><button type="button" class="resume">Resume</button> <button type="button" class="cancel">Remove</button></p>`;
      break;
    case 'done':
      body = `<p class="ok">Uploaded: <a href="/movie/${esc(item.contentId)}/">${esc(titleOf(item))}</a>.${item.subtitles?.length ? ` Subtitles: ${esc(item.subtitles.join(', '))}.` : ''}</p>`;
      break;
    case 'cancelled':
      return '';
    default: {
      const speed = item.speed ? `${mib(item.speed)}/s` : '';
      const left = item.speed ? Math.ceil((item.size - item.offset) / item.speed) : null;
      const eta = left === null ? '' : left > 90 ? `${Math.ceil(left / 60)} min left` : `${left} s left`;
      const label = { queued: `Waiting, number ${n} in the queue`, uploading: 'Uploading', paused: 'Paused', error: 'Failed' }[item.state] ?? item.state;
      body = `<progress max="100" value="${pct}" aria-label="Progress of ${esc(item.name)}"></progress>
<p class="line"><span class="ustate">${label}</span> · <span class="upct">${pct}%</span>${item.state === 'uploading' ? ` · <span class="speed">${speed}</span> · <span class="eta">${eta}</span>` : ''}</p>
${item.error ? `<p class="error">${esc(item.error)}</p>` : ''}
<p class="inline">${item.state === 'queued' ? '<button type="button" class="up" aria-label="Earlier">↑</button><button type="button" class="down" aria-label="Later">↓</button> ' : ''}${item.state === 'error' ? '<button type="button" class="retry">Try again</button> ' : ''}<button type="button" class="cancel">Cancel</button></p>`;
    }
  }
  return `<li class="uitem s-${item.state}" data-i="${items.indexOf(item)}">${head}${body}</li>`;
}

let scheduled = false;
function render() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const active = document.activeElement;
    const keep = active?.closest?.('.uitem') && active.tagName === 'INPUT' ? { i: active.closest('.uitem').dataset.i, cls: active.className || active.name, value: active.value } : null;
    let n = 0;
    el('queue').innerHTML = items.map((i) => itemHtml(i, i.state === 'queued' ? ++n : n)).join('');
    const waiting = items.some((i) => ['queued', 'uploading', 'paused'].includes(i.state));
    el('queue-controls').hidden = !waiting;
    overall();
    el('pause').hidden = paused;
    el('resume').hidden = !paused;
    if (keep) {
      const li = el('queue').querySelector(`.uitem[data-i="${keep.i}"]`);
      const input = li?.querySelector(`input.${keep.cls}, input[name="${keep.cls}"]`);
      if (input) { input.value = keep.value; input.focus(); }
    }
  });
}

/// The line over the queue: how far the whole selection is, and Confirm all suggested.
function overall() {
  const live = items.filter((i) => i.state !== 'cancelled');
  const sending = live.filter((i) => ['queued', 'uploading', 'paused', 'done'].includes(i.state));
  const done = live.filter((i) => i.state === 'done').length;
  const left = sending.filter((i) => i.state !== 'done').reduce((a, i) => a + (i.size - i.offset), 0);
  const speed = live.find((i) => i.state === 'uploading')?.speed;
  const eta = speed ? Math.ceil(left / speed) : null;
  const line = el('upload-notice');
  if (!line.classList.contains('error')) {
    line.innerHTML = !sending.length ? ''
      : done === sending.length ? `All ${done} uploaded. <a href="/az/">See them in the library</a>.`
        : `${done} of ${sending.length} uploaded${eta !== null ? `, ${eta > 90 ? `${Math.ceil(eta / 60)} min` : `${eta} s`} left` : ''}.`;
  }
  const sure = live.filter((i) => i.state === 'identify' && clearlyAhead(i));
  const all = el('confirm-all');
  all.hidden = sure.length < 2;
  all.textContent = `Confirm all ${sure.length} suggested titles`;
}

function onQueueClick(e) {
  const li = e.target.closest('.uitem');
  if (!li) return;
  const item = items[Number(li.dataset.i)];
  const b = e.target.closest('button');
  if (!b || !item) return;
  if (b.classList.contains('cand')) { item.contentId = b.dataset.id; render(); }
  else if (b.classList.contains('confirm')) confirm(item);
  else if (b.classList.contains('replace')) queue(item, 'replace');
  else if (b.classList.contains('version')) {
    const input = li.querySelector('input.label');
    const problem = labelProblem(input.value);
    const box = li.querySelector('.label-problem');
    box.hidden = !problem;
    box.textContent = problem;
    if (problem) { input.focus(); return; }
    queue(item, 'version', input.value.trim().toLowerCase());
  } else if (b.classList.contains('resume') || b.classList.contains('retry')) {
    item.state = 'queued'; item.error = null; render(); runQueue();
  } else if (b.classList.contains('cancel')) cancel(item);
  else if (b.classList.contains('up')) move(item, -1);
  else if (b.classList.contains('down')) move(item, 1);
}

function onQueueSubmit(e) {
  if (!e.target.classList.contains('find')) return;
  e.preventDefault();
  const item = items[Number(e.target.closest('.uitem').dataset.i)];
  searchFor(item, e.target.elements.q.value);
}

export async function start() {
  const me = await fetch('/api/auth/me', { credentials: 'same-origin' });
  if (!me.ok) { location.href = '/login/?next=/upload/'; return; }
  const who = await me.json();
  setCsrf(who.csrf_token);
  // A member without the upload grant learns it before picking anything.
  if (who.user && who.user.role !== 'admin' && !who.user.can_upload) {
    el('drop').innerHTML = '<p class="warn" role="alert">Your account may browse and watch, but not upload. Ask an admin of this server for the upload permission.</p>';
    return;
  }
  const input = el('files');
  input.addEventListener('change', () => { addFiles(input.files); input.value = ''; });
  const zone = el('drop');
  for (const ev of ['dragenter', 'dragover']) zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add('over'); });
  for (const ev of ['dragleave', 'drop']) zone.addEventListener(ev, () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); addFiles(e.dataTransfer.files); });
  el('queue').addEventListener('click', onQueueClick);
  el('queue').addEventListener('submit', onQueueSubmit);
  el('pause').addEventListener('click', pauseAll);
  el('confirm-all').addEventListener('click', () => {
    for (const i of items.filter((x) => x.state === 'identify' && clearlyAhead(x))) confirm(i);
  });
  el('resume').addEventListener('click', resumeAll);
  addEventListener('beforeunload', (e) => { if (items.some((i) => i.state === 'uploading')) e.preventDefault(); });
  showUnfinished();
  // The page takes files from here on (a drop before this would be lost).
  el('drop').dataset.ready = '1';
}
