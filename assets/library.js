// The library view: every title in one grid, sorted and filtered here in the browser from the
// static `library/<n>.json` files the renderer writes (no work for the server per request), with
// a letter bar that jumps within the title order. The choice is kept in the address, so a
// reload or a shared link shows the same view.
import { api } from './api.js';
import { cardHtml } from './card.js';

const getJson = async (p) => { const r = await fetch(p, { credentials: 'same-origin' }); return r.ok ? r.json() : null; };

// `[id, title, sort title, year, poster, rating, added, {m, h, s, g}]` as an object.
const title = (row) => ({
  id: row[0], title: row[1], sort: row[2], year: row[3], poster: row[4], rating: row[5], added: row[6],
  minutes: row[7]?.m ?? null, height: row[7]?.h ?? null, subs: Boolean(row[7]?.s), genres: row[7]?.g ?? [],
});

const letterOf = (t) => { const c = (t.sort || t.title || '').charAt(0).toUpperCase(); return c >= 'A' && c <= 'Z' ? c : '#'; };
const decadeOf = (y) => (y ? `${y - (y % 10)}s` : null);

const ORDER = {
  title: (a, b) => a.sort.localeCompare(b.sort) || a.id.localeCompare(b.id),
  added: (a, b) => b.added - a.added || a.sort.localeCompare(b.sort),
  year: (a, b) => (b.year ?? -1) - (a.year ?? -1) || a.sort.localeCompare(b.sort),
  rating: (a, b) => (b.rating ?? -1) - (a.rating ?? -1) || a.sort.localeCompare(b.sort),
  runtime: (a, b) => (b.minutes ?? -1) - (a.minutes ?? -1) || a.sort.localeCompare(b.sort),
};

function options(select, values) {
  const keep = select.value;
  for (const v of values) select.append(new Option(v, v));
  select.value = keep;
}

export async function start() {
  const grid = document.getElementById('library');
  const form = document.getElementById('library-controls');
  if (!grid || !form) return;
  const manifest = await getJson('/search/manifest.json');
  const n = manifest?.docs ?? 0;
  const [parts, progress] = await Promise.all([
    Promise.all(Array.from({ length: n }, (_, i) => getJson(`/library/${i}.json`))),
    api('GET', '/api/users/me/progress').then((d) => d.titles).catch(() => []),
  ]);
  const all = parts.flatMap((p) => p ?? []).map(title);
  const watched = new Set(progress.filter((w) => w.watched).map((w) => w.content_id));
  options(form.elements.genre, [...new Set(all.flatMap((t) => t.genres))].sort((a, b) => a.localeCompare(b)));
  options(form.elements.decade, [...new Set(all.map((t) => decadeOf(t.year)).filter(Boolean))].sort().reverse());

  // The view in the address: ?sort=year&genre=Drama…
  const params = new URLSearchParams(location.search);
  for (const el of form.elements) {
    if (!el.name || !params.has(el.name)) continue;
    if (el.type === 'checkbox') el.checked = params.get(el.name) === '1'; else el.value = params.get(el.name);
  }
  const count = document.getElementById('library-count');
  const letters = document.getElementById('letters');
  const draw = () => {
    const f = Object.fromEntries(new FormData(form));
    const shown = all.filter((t) => (!f.genre || t.genres.includes(f.genre))
      && (!f.decade || decadeOf(t.year) === f.decade)
      && (!f.watched || (f.watched === 'yes') === watched.has(t.id))
      && (!f.res || (f.res === 'sd' ? (t.height ?? 0) < 700 : (t.height ?? 0) >= Number(f.res)))
      && (!f.subs || t.subs))
      .sort(ORDER[f.sort] ?? ORDER.title);
    const byTitle = (f.sort || 'title') === 'title';
    const firsts = new Set();
    grid.innerHTML = shown.map((t) => {
      const l = letterOf(t);
      const anchor = byTitle && !firsts.has(l) ? (firsts.add(l), ` id="letter-${l === '#' ? '#' : l}"`) : '';
      return `<div class="cell"${anchor}>${cardHtml(t)}</div>`;
    }).join('') || '<p class="empty" role="status">No title matches these filters.</p>';
    count.textContent = `${shown.length} of ${all.length} titles`;
    letters.hidden = !byTitle;
    for (const a of letters.querySelectorAll('a')) a.classList.toggle('off', !firsts.has(a.dataset.letter));
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v && !(k === 'sort' && v === 'title')) q.set(k, k === 'subs' ? '1' : v);
    history.replaceState(null, '', q.toString() ? `?${q}` : location.pathname);
  };
  form.addEventListener('change', draw);
  letters.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-letter]');
    if (!a) return;
    e.preventDefault();
    document.getElementById(`letter-${a.dataset.letter}`)?.scrollIntoView({ block: 'start' });
  });
  draw();
}
