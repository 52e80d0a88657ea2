// The movie page for this person: their own values for the metadata laid over the rendered
// page, and a form to change them (kept per user; a refresh from IMDb never overwrites them).
import { api, call, failure } from './api.js';

const FIELDS = [['title', 'Title'], ['tagline', 'Tagline'], ['plot_short', 'Plot'], ['directors', 'Directed by'], ['stars', 'Stars']];


const text = (v) => (Array.isArray(v) ? v.map((x) => x?.name ?? x).join(', ') : v ?? '');

function apply(meta) {
  for (const [f] of FIELDS) {
    const v = text(meta[f]);
    document.querySelectorAll(`[data-field="${f}"]`).forEach((n) => { if (v) n.textContent = v; });
  }
  if (meta.title) document.title = `${meta.title} · Open OTT`;
}

export async function start() {
  const article = document.querySelector('article.movie');
  if (!article) return;
  const id = article.dataset.id;
  const r = await fetch(`/api/library/movies/${id}`, { credentials: 'same-origin' });
  const info = r.ok ? await r.json() : null;
  const meta = info?.metadata ?? {};
  if (info?.user_fields?.length) apply(meta);
  const facts = article.querySelector('.facts');
  facts.insertAdjacentHTML('beforeend', `<p><button type="button" id="edit-meta">Edit your view of this title</button></p>
<form id="meta-form" class="auth" hidden>${FIELDS.map(([f, l]) => `<label>${l} <${f === 'plot_short' ? 'textarea rows="4"' : 'input'} name="${f}">${f === 'plot_short' ? '</textarea>' : ''}</label>`).join('')}
<p class="inline"><button>Save</button> <button type="button" id="meta-reset">Back to IMDb's</button></p><p class="status" role="status"></p></form>`);
  const form = document.getElementById('meta-form');
  const fill = (m) => { for (const [f] of FIELDS) form.elements[f].value = text(m[f]); };
  fill(meta);
  document.getElementById('edit-meta').addEventListener('click', () => { form.hidden = !form.hidden; });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const [f] of FIELDS) {
      const v = form.elements[f].value.trim();
      if (v !== text(meta[f])) body[f] = ['directors', 'stars'].includes(f) ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
    }
    try {
      if (Object.keys(body).length) await api('PUT', `/api/users/me/metadata/${id}`, body);
      const fresh = await fetch(`/api/library/movies/${id}`, { credentials: 'same-origin' }).then((x) => x.json());
      Object.assign(meta, fresh.metadata);
      apply(meta);
      form.querySelector('.status').textContent = 'Saved: only you see these values.';
    } catch (x) { form.querySelector('.status').textContent = x.message; }
  });
  document.getElementById('meta-reset').addEventListener('click', async () => {
    await api('DELETE', `/api/users/me/metadata/${id}`);
    location.reload();
  });
  await subtitlesForm(article, id);
}

// "Add subtitles", for those who may add files: an SRT or WebVTT file and its language; the
// player offers it at once.
async function subtitlesForm(article, id) {
  const me = await fetch('/api/auth/me', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null));
  const u = me?.user;
  const player = document.getElementById('player');
  if (!u || !player || !(u.role === 'admin' || u.can_upload)) return;
  // Folded away until asked for, so that it does not push the player down.
  article.querySelector('.facts').insertAdjacentHTML('beforeend', `<details id="subtitles-add"><summary>Add subtitles</summary>
<form id="add-subtitles" class="inline"><label>File <input type="file" name="file" accept=".srt,.vtt" required></label>
<label>Language <input name="lang" value="en" size="6" maxlength="32" required></label>
<button>Add</button><span class="status" role="status"></span></form></details>`);
  const form = document.getElementById('add-subtitles');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = form.elements.file.files[0];
    const lang = form.elements.lang.value.trim().toLowerCase();
    const status = form.querySelector('.status');
    if (!file || !lang) return;
    const { r, data } = await call('POST', `/api/library/subtitles/${id}?lang=${encodeURIComponent(lang)}`, file);
    if (!r.ok) { status.textContent = failure(data, r).message; status.classList.add('error'); return; }
    const track = document.createElement('track');
    Object.assign(track, { kind: 'subtitles', srclang: lang, label: lang, src: data.url });
    player.append(track);
    status.classList.remove('error');
    status.textContent = `Added: ${lang}.`;
  });
}
