// The movie page's player. It plays the version picked: through its HLS ladder when the server
// made one (hls.js, or the browser's own HLS), offering Auto, each quality of the ladder and the
// original file; else the file as it is (or its MP4 copy). A version no browser plays as it is,
// and that has no ladder yet, gets a note instead of a player that would never start.

import { api } from './api.js';

const QUALITY = { '2160p': 2160, '1080p': 1080, '720p': 720, '480p': 480 };
let hls = null;
let hlsLib;

// The server files are streamed from: of this one and its mirrors (`/api/servers`), the one
// that answers fastest from this browser, measured once in a while and kept for the session;
// this one (`url` empty) when no other answers, and from the moment a mirror fails to play.
const SERVER_KEY = 'oott-stream-server';
const HERE = { name: '', url: '' };
let server = HERE;

// How long a server takes to answer a small request (the better of two: the first also opens
// the connection); Infinity when it does not answer within 2 s.
async function answerTime(url) {
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 2000);
    const t0 = performance.now();
    try {
      await fetch(`${url}/assets/ping?${Date.now()}`, { mode: url ? 'no-cors' : 'same-origin', cache: 'no-store', credentials: 'include', signal: stop.signal });
      best = Math.min(best, performance.now() - t0);
    } catch {
      return Infinity;
    } finally {
      clearTimeout(timer);
    }
  }
  return best;
}

// The server picked earlier in this session, if it is recent.
function keptServer() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(SERVER_KEY) || 'null');
    if (kept && Date.now() - kept.at < 10 * 60 * 1000) return kept.server;
  } catch { /* measured again */ }
  return null;
}

async function pickServer() {
  let servers = [];
  try { servers = (await api('GET', '/api/servers')).servers || []; } catch { return HERE; }
  if (servers.length < 2) return HERE;
  const times = await Promise.all(servers.map((s) => answerTime(s.url)));
  let best = 0;
  times.forEach((t, i) => { if (t < times[best]) best = i; });
  const pick = times[best] === Infinity ? HERE : { name: servers[best].name, url: servers[best].url };
  sessionStorage.setItem(SERVER_KEY, JSON.stringify({ at: Date.now(), server: pick }));
  return pick;
}

// Says where the film streams from, when that is a mirror.
function showServer() {
  const from = document.getElementById('player-from');
  if (!from) return;
  from.hidden = !server.url;
  from.textContent = server.url ? `Streaming from ${server.name}` : '';
}

// hls.js, loaded once, and only for a version that has a ladder; null when it is not there.
function loadHls() {
  if (hlsLib !== undefined) return hlsLib;
  hlsLib = new Promise((resolve) => {
    if (window.Hls) { resolve(window.Hls); return; }
    const s = document.createElement('script');
    s.src = '/assets/hls.min.js';
    s.onload = () => resolve(window.Hls || null);
    s.onerror = () => resolve(null);
    document.head.append(s);
  });
  return hlsLib;
}

function note(text) {
  const n = document.getElementById('player-note');
  if (!n) return;
  n.hidden = !text;
  n.textContent = text || '';
}

// Plays from `src` at `at` seconds, once the browser knows the file: from the picked server,
// and from this one if that fails.
function directFrom(player, src, at, playing) {
  if (hls) { hls.destroy(); hls = null; }
  const remote = server.url && src.startsWith('/') ? server.url + src : '';
  const want = new URL(remote || src, location.href).href;
  showServer();
  const known = () => {
    if (at > 0) player.currentTime = at;
    if (playing) player.play().catch(() => {});
  };
  // The file the page opened with is not loaded again (that would stop a play already begun).
  if (player.currentSrc === want && player.readyState >= 1) known();
  else {
    if (player.currentSrc !== want) player.src = want;
    player.addEventListener('loadedmetadata', known, { once: true });
  }
  if (!remote) return;
  player.addEventListener('error', () => {
    if (player.currentSrc !== want) return;
    player.removeEventListener('loadedmetadata', known);
    server = HERE;
    sessionStorage.setItem(SERVER_KEY, JSON.stringify({ at: Date.now(), server: HERE }));
    directFrom(player, src, player.currentTime || at, playing || !player.paused);
  }, { once: true });
}

// The quality menu of a ladder: Auto, each rung from the highest, and the original when
// browsers play it.
function fillQualities(levels, plays) {
  const q = document.getElementById('quality');
  const rungs = levels.map((l, i) => ({ i, h: l.height || 0 })).sort((a, b) => b.h - a.h);
  q.innerHTML = '';
  q.append(new Option('Auto', 'auto'));
  for (const r of rungs) q.append(new Option(r.h ? `${r.h}p` : `Quality ${r.i + 1}`, String(r.i)));
  if (plays) q.append(new Option('Original', 'original'));
  document.getElementById('quality-pick').hidden = false;
  return rungs;
}

// The quality the person prefers, among the ladder's: the highest rung not above it.
function preferred(pref, rungs, plays) {
  if (pref === 'original') return plays ? 'original' : 'auto';
  const limit = QUALITY[pref];
  if (!limit) return 'auto';
  const fit = rungs.find((r) => r.h > 0 && r.h <= limit) || rungs[rungs.length - 1];
  return fit ? String(fit.i) : 'auto';
}

async function attach(player, opt, settings, at = 0, playing = false) {
  if (hls) { hls.destroy(); hls = null; }
  const pick = document.getElementById('quality-pick');
  if (pick) pick.hidden = true;
  const from = document.getElementById('player-from');
  if (from) from.hidden = true;
  note('');
  player.hidden = false;
  const plays = opt.hasAttribute('data-plays');
  const ladder = opt.dataset.hls;
  if (ladder) {
    const Hls = await loadHls();
    if (Hls && Hls.isSupported()) {
      // No worker: the pages' policy allows scripts from the site only, not the blob: worker
      // hls.js would make. It died on the policy each time, and hls.js fell back to the page's
      // own thread through an error path whose outcome depends on timing (a change of quality
      // once never showed). A ladder of fragmented MP4 needs no transmuxing worth a thread.
      hls = new Hls({ startPosition: at > 0 ? at : -1, capLevelToPlayerSize: false, enableWorker: false });
      const mine = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
        if (hls !== mine) return;
        const rungs = fillQualities(data.levels, plays);
        const q = document.getElementById('quality');
        q.value = preferred(settings.preferred_quality, rungs, plays);
        if (q.value === 'original') directFrom(player, opt.value, at, playing);
        else {
          hls.currentLevel = q.value === 'auto' ? -1 : Number(q.value);
          if (playing) player.play().catch(() => {});
        }
      });
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (hls !== mine) return;
        if (!data.fatal) { console.warn(`hls.js recovers from ${data.details}`); return; }
        if (plays) {
          note('Adaptive streaming failed here; playing the file as it is.');
          directFrom(player, opt.value, player.currentTime, !player.paused);
        } else note(`This version could not be streamed (${data.details}).`);
      });
      hls.loadSource(ladder);
      hls.attachMedia(player);
      return;
    }
    if (player.canPlayType('application/vnd.apple.mpegurl')) {
      directFrom(player, ladder, at, playing);
      return;
    }
  }
  if (!plays) {
    player.removeAttribute('src');
    player.load();
    player.hidden = true;
    const others = [...document.getElementById('version').options].some((o) => o !== opt && (o.hasAttribute('data-plays') || o.dataset.hls));
    note(`Browsers cannot play this version as it is: it needs converting, which the server does once an admin switches transcoding on.${others ? ' Pick another version to watch now.' : ''}`);
    return;
  }
  directFrom(player, opt.value, at, playing);
}

// A change of quality keeps the place and whether it was playing.
function onQuality(player, settings) {
  const q = document.getElementById('quality');
  q.addEventListener('change', () => {
    const opt = document.getElementById('version').selectedOptions[0];
    const at = player.currentTime;
    const playing = !player.paused;
    if (q.value === 'original') { directFrom(player, opt.value, at, playing); return; }
    if (!hls) {
      // Back from the original to the ladder.
      const want = q.value;
      attach(player, opt, { ...settings, preferred_quality: 'auto' }, at, playing).then(() => {
        if (!hls) return;
        hls.once(window.Hls.Events.MANIFEST_PARSED, () => {
          q.value = want;
          hls.currentLevel = want === 'auto' ? -1 : Number(want);
        });
      });
      return;
    }
    hls.currentLevel = q.value === 'auto' ? -1 : Number(q.value);
  });
}

// The version the person prefers: the highest one not above their quality (`1080p`).
function preferVersion(select, pref) {
  const limit = QUALITY[pref];
  if (!limit) return;
  const fits = [...select.options]
    .map((o) => ({ o, h: Number(o.dataset.height) || 0 }))
    .filter(({ h }) => h > 0 && h <= limit)
    .sort((a, b) => b.h - a.h);
  if (fits.length) select.value = fits[0].o.value;
}

// The hero's Play button (Resume, when watch.js found a place) and Start over beside it: the
// player comes into view and plays, with sound.
function playButtons(player) {
  const play = document.getElementById('play');
  const over = document.getElementById('start-over');
  const go = (from) => {
    document.getElementById('watch')?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    const seek = () => { if (from != null) player.currentTime = from; player.play().catch(() => {}); };
    if (from != null && player.readyState < 1) player.addEventListener('loadedmetadata', seek, { once: true });
    else seek();
    player.focus({ preventScroll: true });
    if (play) { play.textContent = '▶ Play'; delete play.dataset.at; }
    if (over) over.hidden = true;
  };
  play?.addEventListener('click', () => go(play.dataset.at ? Number(play.dataset.at) : null));
  over?.addEventListener('click', () => go(0));
}

// The subtitles menu: the person's language first, and chosen when there is one.
function subtitleMenu(player, settings) {
  const menu = document.getElementById('subtitles');
  const show = (lang) => {
    for (const t of player.textTracks) t.mode = lang && t.language === lang ? 'showing' : 'disabled';
  };
  if (!menu) { show(settings.subtitle_language); return; }
  const mine = [...menu.options].find((o) => o.value && o.value === settings.subtitle_language);
  if (mine) { menu.insertBefore(mine, menu.options[1]); menu.value = mine.value; }
  show(menu.value);
  menu.addEventListener('change', () => show(menu.value));
  // Tracks added later (Add subtitles) join the menu.
  player.textTracks.addEventListener('addtrack', (e) => {
    if ([...menu.options].some((o) => o.value === e.track.language)) return;
    menu.append(new Option(e.track.label || e.track.language, e.track.language));
  });
}

// The audio tracks of a ladder (hls.js), the person's language first.
function audioMenu(settings) {
  const pick = document.getElementById('audio-pick');
  const menu = document.getElementById('audio');
  if (!pick || !menu || !hls || !window.Hls) return;
  const mine = hls;
  hls.on(window.Hls.Events.AUDIO_TRACKS_UPDATED, (_, data) => {
    if (hls !== mine) return;
    const tracks = data.audioTracks || [];
    pick.hidden = tracks.length < 2;
    menu.innerHTML = '';
    tracks.forEach((t, i) => menu.append(new Option(t.name || t.lang || `Audio ${i + 1}`, String(i))));
    const want = tracks.findIndex((t) => settings.audio_language && (t.lang || '').startsWith(settings.audio_language));
    if (want >= 0) hls.audioTrack = want;
    menu.value = String(hls.audioTrack >= 0 ? hls.audioTrack : 0);
  });
  menu.onchange = () => { if (hls) hls.audioTrack = Number(menu.value); };
}

// The volume and mute a person last chose, on this device.
function rememberVolume(player) {
  const v = Number(localStorage.getItem('oott-volume'));
  if (localStorage.getItem('oott-volume') !== null && v >= 0 && v <= 1) player.volume = v;
  if (localStorage.getItem('oott-muted') === '1') player.muted = true;
  player.addEventListener('volumechange', () => {
    // Muted for autoplay is not the person's choice.
    if (player.dataset.autoMuted) { delete player.dataset.autoMuted; return; }
    localStorage.setItem('oott-volume', String(player.volume));
    localStorage.setItem('oott-muted', player.muted ? '1' : '0');
  });
}

// Keys act on the player unless a field or menu has the focus.
function keys(player) {
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || player.hidden) return;
    const t = e.target;
    if (t.closest?.('input, textarea, select, button, a, [contenteditable]')) return;
    const k = e.key;
    const act = {
      ' ': () => (player.paused ? player.play().catch(() => {}) : player.pause()),
      k: () => (player.paused ? player.play().catch(() => {}) : player.pause()),
      f: () => (document.fullscreenElement ? document.exitFullscreen() : player.requestFullscreen?.()),
      m: () => { player.muted = !player.muted; },
      ArrowLeft: () => { player.currentTime = Math.max(0, player.currentTime - 10); },
      ArrowRight: () => { player.currentTime = Math.min(player.duration || Infinity, player.currentTime + 10); },
      ArrowUp: () => { player.volume = Math.min(1, player.volume + 0.1); player.muted = false; },
      ArrowDown: () => { player.volume = Math.max(0, player.volume - 0.1); },
      c: () => {
        const menu = document.getElementById('subtitles');
        if (!menu) return;
        const langs = [...menu.options].map((o) => o.value);
        menu.value = langs[(langs.indexOf(menu.value) + 1) % langs.length];
        menu.dispatchEvent(new Event('change'));
      },
    }[k.length === 1 ? k.toLowerCase() : k];
    if (!act) return;
    e.preventDefault();
    act();
  });
}

// The title and poster for the system's media controls, and their actions.
function mediaSession(player) {
  if (!('mediaSession' in navigator) || !window.MediaMetadata) return;
  const poster = document.querySelector('.movie img.poster');
  navigator.mediaSession.metadata = new MediaMetadata({
    title: document.querySelector('.movie h1')?.textContent ?? document.title,
    artwork: poster ? [{ src: poster.src }] : [],
  });
  const set = (a, f) => { try { navigator.mediaSession.setActionHandler(a, f); } catch { /* not offered */ } };
  set('play', () => player.play());
  set('pause', () => player.pause());
  set('seekbackward', () => { player.currentTime = Math.max(0, player.currentTime - 10); });
  set('seekforward', () => { player.currentTime += 10; });
  set('seekto', (d) => { player.currentTime = d.seekTime; });
}

function pictureInPicture(player) {
  const b = document.getElementById('pip');
  if (!b || !document.pictureInPictureEnabled) return;
  b.hidden = false;
  b.addEventListener('click', () => (document.pictureInPictureElement ? document.exitPictureInPicture() : player.requestPictureInPicture()).catch(() => {}));
}

export function start(settings = {}) {
  const player = document.getElementById('player');
  const select = document.getElementById('version');
  if (!player || !select) return;
  preferVersion(select, settings.preferred_quality);
  select.addEventListener('change', () => {
    attach(player, select.selectedOptions[0], settings, player.currentTime, !player.paused).then(() => audioMenu(settings));
  });
  onQuality(player, settings);
  rememberVolume(player);
  // At the end, the next title of a sequel collection is one key press away.
  player.addEventListener('ended', () => document.querySelector('#up-next a')?.focus());
  playButtons(player);
  keys(player);
  mediaSession(player);
  pictureInPicture(player);
  // The player starts at once, from the server picked earlier in the session or from this one;
  // a first pick, once measured, moves a file played as it is that has not started yet.
  const kept = keptServer();
  server = kept || HERE;
  if (!kept) {
    pickServer().then((picked) => {
      if (!picked.url || picked.url === server.url) return;
      server = picked;
      const opt = select.selectedOptions[0];
      if (!hls && opt.hasAttribute('data-plays') && player.paused && player.currentTime === 0) attach(player, opt, settings);
    }, () => {});
  }
  attach(player, select.selectedOptions[0], settings).then(() => {
    audioMenu(settings);
    subtitleMenu(player, settings);
    const play = document.getElementById('play');
    if (play) play.hidden = player.hidden;
    // Autoplay never starts with sound: the browser and the person both expect silence.
    if (settings.autoplay && !player.hidden) {
      if (!player.muted) { player.dataset.autoMuted = '1'; player.muted = true; }
      player.play().catch(() => {});
    }
  });
}
