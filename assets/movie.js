// The movie page for this person: their own values for the metadata laid over the rendered
// page, and a form to change them (kept per user; a refresh from IMDb never overwrites them).
import { api } from './api.js';

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
}
