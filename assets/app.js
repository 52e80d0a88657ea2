// The behaviour every page shares: carousels (buttons, touch, arrow keys), the home page's
// endless rows, lists that load their buckets as they come into view, search as you type, the
// login and first-run setup forms, the person's settings; and the module of the page at hand
// (upload queue, monitor, own metadata, collections, accounts).
import { call, esc, failure } from './api.js';
import { cardHtml } from './card.js';
import { search } from './search.js';

export { cardHtml };

function enhanceCarousel(track) {
  if (track.dataset.ready) return;
  track.dataset.ready = '1';
  const wrap = document.createElement('div');
  wrap.className = 'rowwrap';
  track.replaceWith(wrap);
  const step = () => Math.max(track.clientWidth * 0.8, 200);
  for (const [cls, label, dir] of [['prev', '‹', -1], ['next', '›', 1]]) {
    const b = document.createElement('button');
    b.className = cls;
    b.type = 'button';
    b.textContent = label;
    b.setAttribute('aria-label', dir < 0 ? 'Previous' : 'Next');
    b.addEventListener('click', () => track.scrollBy({ left: dir * step() }));
    wrap.append(b);
  }
  wrap.prepend(track);
  // A button shows only where there is more to see: none for a row that fits.
  const [prev, next] = wrap.querySelectorAll('button');
  const edges = () => {
    prev.hidden = track.scrollLeft <= 1;
    next.hidden = track.scrollLeft + track.clientWidth >= track.scrollWidth - 1;
  };
  track.addEventListener('scroll', edges, { passive: true });
  addEventListener('resize', edges);
  requestAnimationFrame(edges);
  track.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const cards = [...track.querySelectorAll('.card')];
    const at = cards.indexOf(document.activeElement);
    const next = cards[Math.min(cards.length - 1, Math.max(0, at + (e.key === 'ArrowRight' ? 1 : -1)))];
    if (next) { next.focus(); next.scrollIntoView({ block: 'nearest', inline: 'nearest' }); e.preventDefault(); }
  });
}

async function getJson(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  return r.ok ? r.json() : null;
}

function rowHtml(r) {
  const title = r.link ? `<a href="${esc(r.link)}">${esc(r.title)}</a>` : esc(r.title);
  return `<section class="row"><h2>${title}</h2><div class="carousel" tabindex="0" role="list">${r.cards.map(cardHtml).join('')}</div></section>`;
}

async function endlessRows(anchor) {
  const index = await getJson(anchor.dataset.rows);
  if (!index) return;
  let next = Number(anchor.dataset.from || 0);
  let busy = false;
  const more = async () => {
    if (busy || next >= index.rows.length) return;
    busy = true;
    const batch = index.rows.slice(next, next + 3);
    next += batch.length;
    for (const r of await Promise.all(batch.map((b) => getJson(b.src)))) {
      if (!r) continue;
      anchor.insertAdjacentHTML('beforebegin', rowHtml(r));
      anchor.previousElementSibling.querySelectorAll('.carousel').forEach(enhanceCarousel);
    }
    busy = false;
    if (anchor.getBoundingClientRect().top < innerHeight * 1.5) more();
  };
  new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && more(), { rootMargin: '800px' }).observe(anchor);
}

function lazyBuckets() {
  const io = new IntersectionObserver(async (es) => {
    for (const e of es) {
      if (!e.isIntersecting) continue;
      io.unobserve(e.target);
      const data = await getJson(e.target.dataset.src);
      if (data) e.target.querySelector('.grid').innerHTML = data.cards.map(cardHtml).join('');
    }
  }, { rootMargin: '600px' });
  document.querySelectorAll('.bucket[data-src]').forEach((b) => io.observe(b));
}

function searchAsYouType() {
  const input = document.getElementById('q');
  const results = document.getElementById('results');
  if (!input || !results) return;
  let seq = 0;
  const run = async () => {
    const mine = ++seq;
    const q = input.value.trim();
    const show = (found) => {
      if (mine !== seq) return;
      results.innerHTML = found.length || !q ? found.map(cardHtml).join('')
        : `<p class="empty" role="status">Nothing in the library matches “${esc(q)}”. Try fewer words, or another spelling.</p>`;
    };
    // The first page shows as soon as its cards are in; the rest follow.
    show(q ? await search(input.value, getJson, 24, show) : []);
  };
  input.addEventListener('input', run);
  const q = new URLSearchParams(location.search).get('q');
  if (q) { input.value = q; run(); }
}

function authForm(id, url, then) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { r, data } = await call('POST', url, Object.fromEntries(new FormData(form)), { anonymous: true });
    if (r.ok) { location.href = then; return; }
    const err = form.querySelector('.error');
    err.hidden = false;
    err.textContent = failure(data, r).message;
  });
}

document.querySelectorAll('.carousel').forEach(enhanceCarousel);
const anchor = document.getElementById('more-rows');
if (anchor) endlessRows(anchor);
lazyBuckets();
searchAsYouType();
// Back to the page that asked for a login: a path of this site only.
const nextPage = () => {
  const raw = location.search.startsWith('?next=') ? location.search.slice(6) : '';
  return /^\/(?![\/\\])[^\s]*$/.test(raw) && !raw.startsWith('/login/') ? raw : '/';
};
authForm('login', '/api/auth/login', nextPage());
authForm('setup', '/api/auth/setup', '/upload/');

// The pages that work for someone not logged in go no further.
const PUBLIC = ['login', 'setup', 'invite'];
const page = document.body.className.replace(/^page-/, '');
if (page === 'login') {
  getJson('/api/auth/setup').then((s) => { if (s?.setup_required) location.href = '/setup/'; });
}
if (!PUBLIC.includes(page)) applySettings();
// Log out, from the header of every page.
document.querySelectorAll('.top .logout').forEach((b) => b.addEventListener('click', async () => {
  await call('POST', '/api/auth/logout').catch(() => null);
  location.href = '/login/';
}));
// Installable, and a page for when the server cannot be reached: the worker is registered two
// seconds after the page has loaded, once the browser is idle, so that its install (it fetches
// the app shell) does not compete with what a person does first on a first visit (a first
// search took twice as long behind it).
if (!PUBLIC.includes(page) && 'serviceWorker' in navigator) {
  const register = () => navigator.serviceWorker.register('/sw.js').catch(() => {});
  const later = () => setTimeout(() => (window.requestIdleCallback ?? ((f) => f()))(register), 2000);
  if (document.readyState === 'complete') later();
  else addEventListener('load', later, { once: true });
}
// A person's own watching: card marks, Continue watching, resuming.
if (!PUBLIC.includes(page)) import('./watch.js').then((m) => m.start());
if (['account', 'users', 'invite'].includes(page)) import('./account.js').then((m) => m.start());
const MODULES = { upload: './upload.js', monitor: './monitor.js', movie: './movie.js', settings: './settings.js', library: './library.js' };
if (MODULES[page]) import(MODULES[page]).then((m) => m.start());
if (location.pathname === '/collection/') import('./collections.js').then((m) => m.start());

// The person's settings, applied on every page: theme, card size, autoplay and subtitles.
async function applySettings() {
  const [me, s] = await Promise.all([getJson('/api/auth/me'), getJson('/api/users/me/settings')]);
  if (me?.user?.role === 'admin') document.querySelectorAll('.admin-only').forEach((a) => { a.hidden = false; });
  if (s) {
    document.documentElement.dataset.theme = s.theme;
    document.documentElement.dataset.cards = s.card_size;
  }
  // The player takes the preferred quality, subtitles and autoplay.
  if (document.getElementById('player')) import('./player.js').then((m) => m.start(s || {}));
}
