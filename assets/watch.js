// A person's own watching, on pages that are the same for everyone: where they stopped and what
// they have watched, fetched from the receiver. Cards get a watched mark or a progress bar, the
// home page a "Continue watching" row first, and the movie page offers to resume, saves the
// place as it plays, and marks the title watched or not.
import { api, call } from './api.js';
import { cardHtml } from './card.js';

let states = null;

async function load() {
  if (!states) states = api('GET', '/api/users/me/progress').then((d) => d.titles).catch(() => []);
  return states;
}

// 41:12, or 1:02:03 past the hour.
export function clock(s) {
  const t = Math.max(0, Math.floor(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

// Started, not finished: worth offering to resume.
const started = (w) => !w.watched && w.position_s >= 30 && w.progress < 0.95;

function mark(card, byId) {
  const id = (card.getAttribute('href') || '').split('/')[2];
  const w = byId.get(id);
  card.querySelector('.mark')?.remove();
  card.classList.toggle('watched', Boolean(w?.watched));
  if (!w) return;
  if (w.watched) card.insertAdjacentHTML('beforeend', '<span class="mark watched-mark" title="Watched">Watched</span>');
  else if (w.progress > 0) {
    card.insertAdjacentHTML('beforeend', `<span class="mark progress" title="${Math.round(w.progress * 100)}% watched"><span style="width:${(w.progress * 100).toFixed(1)}%"></span></span>`);
  }
}

// Marks every card, those drawn later too (endless rows, search results).
async function markCards() {
  const list = await load();
  const byId = new Map(list.map((w) => [w.content_id, w]));
  const all = (root) => root.querySelectorAll?.('a.card[href^="/movie/"]').forEach((c) => mark(c, byId));
  all(document);
  new MutationObserver((changes) => {
    for (const ch of changes) {
      for (const n of ch.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.matches('a.card[href^="/movie/"]')) mark(n, byId); else all(n);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}

// The home page's first row: titles started and not finished, the latest first.
async function continueRow() {
  const main = document.querySelector('main');
  if (!main || document.body.className !== 'page-home') return;
  const going = (await load()).filter(started);
  if (!going.length) return;
  const cards = going.map((w) => cardHtml({ id: w.content_id, title: w.title, year: w.year, poster: w.poster })).join('\n');
  const row = `<section class="row" id="continue"><h2>Continue watching</h2><div class="carousel" tabindex="0" role="list">${cards}</div></section>`;
  const first = main.querySelector('.row, .empty, #more-rows');
  if (first) first.insertAdjacentHTML('beforebegin', row); else main.insertAdjacentHTML('afterbegin', row);
}

// The movie page: resume or start over, save the place while playing, watched or not.
async function moviePage(player, select) {
  const article = document.querySelector('article.movie');
  if (!article || !player) return;
  const id = article.dataset.id;
  const w = (await load()).find((x) => x.content_id === id);
  // The hero's Play button resumes (player.js plays from `data-at`); Start over beside it.
  const play = document.getElementById('play');
  if (play && w && started(w)) {
    play.textContent = `▶ Resume from ${clock(w.position_s)}`;
    play.dataset.at = String(w.position_s);
    const over = document.getElementById('start-over');
    if (over) over.hidden = false;
  }
  const toggle = document.getElementById('watched-toggle');
  let watched = Boolean(w?.watched);
  const showToggle = () => {
    if (!toggle) return;
    toggle.hidden = false;
    toggle.setAttribute('aria-pressed', String(watched));
    toggle.textContent = watched ? 'Watched ✓' : 'Mark as watched';
  };
  showToggle();
  toggle?.addEventListener('click', async () => {
    try {
      watched = (await api('PUT', `/api/users/me/watched/${id}`, { watched: !watched })).watched;
      showToggle();
    } catch { /* the button stays as it was */ }
  });

  // Saving: every ~10 s while playing, on pause and seek, and when the page is hidden or left.
  let last = 0;
  const save = (leaving = false) => {
    const d = player.duration;
    if (!Number.isFinite(d) || d <= 0 || player.currentTime < 1) return;
    const body = { file_id: select?.selectedOptions[0]?.dataset.file || null, position_s: player.currentTime, duration_s: d };
    last = Date.now();
    if (leaving) {
      // A request that outlives the page (what sendBeacon does, with the method and CSRF header).
      call('PUT', `/api/users/me/progress/${id}`, body, { keepalive: true }).catch(() => {});
      return;
    }
    call('PUT', `/api/users/me/progress/${id}`, body).then(({ r, data }) => {
      if (r.ok && data.watched && !watched) { watched = true; showToggle(); }
    }).catch(() => {});
  };
  player.addEventListener('timeupdate', () => { if (!player.paused && Date.now() - last > 10000) save(); });
  player.addEventListener('pause', () => save());
  player.addEventListener('seeked', () => save());
  player.addEventListener('ended', () => save());
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') save(true); });
  window.addEventListener('pagehide', () => save(true));
}

export function start() {
  markCards();
  continueRow();
  moviePage(document.getElementById('player'), document.getElementById('version'));
}
