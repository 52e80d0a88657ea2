// The movie page's player. It plays the version picked: through its HLS ladder when the server
// made one (hls.js, or the browser's own HLS), offering Auto, each quality of the ladder and the
// original file; else the file as it is (or its MP4 copy). A version no browser plays as it is,
// and that has no ladder yet, gets a note instead of a player that would never start.

const QUALITY = { '2160p': 2160, '1080p': 1080, '720p': 720, '480p': 480 };
let hls = null;
let hlsLib;

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

// Plays from `src` at `at` seconds, once the browser knows the file.
function directFrom(player, src, at, playing) {
  if (hls) { hls.destroy(); hls = null; }
  player.src = src;
  player.addEventListener('loadedmetadata', () => {
    if (at > 0) player.currentTime = at;
    if (playing) player.play().catch(() => {});
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
  note('');
  player.hidden = false;
  const plays = opt.hasAttribute('data-plays');
  const ladder = opt.dataset.hls;
  if (ladder) {
    const Hls = await loadHls();
    if (Hls && Hls.isSupported()) {
      hls = new Hls({ startPosition: at > 0 ? at : -1, capLevelToPlayerSize: false });
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
        if (!data.fatal || hls !== mine) return;
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

export function start(settings = {}) {
  const player = document.getElementById('player');
  const select = document.getElementById('version');
  if (!player || !select) return;
  preferVersion(select, settings.preferred_quality);
  select.addEventListener('change', () => {
    attach(player, select.selectedOptions[0], settings, player.currentTime, !player.paused);
  });
  onQuality(player, settings);
  attach(player, select.selectedOptions[0], settings).then(() => {
    for (const t of player.textTracks) t.mode = settings.subtitle_language && t.language === settings.subtitle_language ? 'showing' : 'disabled';
    if (settings.autoplay && !player.hidden) player.play().catch(() => {});
  });
}
