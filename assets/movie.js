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
  await managePanel(article, id, info);
}

// "Manage this title", for those allowed: refresh the metadata, file it under another title,
// delete one version or the whole title, add it to a collection. Each says what it did.
async function managePanel(article, id, info) {
  const me = await fetch('/api/auth/me', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null));
  const u = me?.user;
  if (!u) return;
  const admin = u.role === 'admin';
  const mayDelete = admin || u.can_delete;
  const mayCollect = admin || u.can_edit_collections;
  const files = info?.files ?? [];
  const parts = ['<p><button type="button" data-act="refresh">Refresh the metadata from IMDb</button></p>'];
  if (mayDelete) {
    parts.push('<form class="inline" data-act="refile"><input name="to" placeholder="IMDb id or link of the right title" aria-label="The right title"><button>File under that title</button></form>');
    if (files.length > 1) {
      parts.push(`<ul class="plain">${files.map((f) => `<li>${f.label || 'Main'} (${f.original_name ?? f.path}) <button type="button" data-act="delete-version" data-file="${f.file_id}">Delete this version</button></li>`).join('')}</ul>`);
    }
    parts.push('<p><button type="button" data-act="delete-title" class="danger">Delete the title and its files</button></p>');
  }
  if (mayCollect) {
    const list = await fetch('/api/library/collection/', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null));
    const cols = (list?.collections ?? list ?? []).filter((c) => !(c.content ?? []).includes(id));
    if (cols.length) {
      parts.push(`<form class="inline" data-act="collect"><select name="c" aria-label="Collection">${cols.map((c) => `<option value="${c.id}">${String(c.name).replace(/[&<>"]/g, '')}</option>`).join('')}</select><button>Add to the collection</button></form>`);
    }
  }
  article.insertAdjacentHTML('beforeend', `<details class="manage"><summary>Manage this title</summary>${parts.join('')}<p class="status" role="status"></p></details>`);
  const box = article.querySelector('.manage');
  const status = box.querySelector('.status');
  const done = (text) => { status.textContent = text; status.classList.remove('error'); };
  const failed = (x) => { status.textContent = x.message; status.classList.add('error'); };
  box.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b) return;
    try {
      if (b.dataset.act === 'refresh') {
        await api('POST', `/api/metadata/${id}/refresh`);
        done('Refreshed: the page shows it in a moment.');
      } else if (b.dataset.act === 'delete-version') {
        if (!window.confirm('Delete this version and its file?')) return;
        await api('DELETE', `/api/library/movies/${b.dataset.file}`);
        b.closest('li').remove();
        done('The version was deleted.');
      } else if (b.dataset.act === 'delete-title') {
        if (!window.confirm('Delete this title and every file of it?')) return;
        await api('DELETE', `/api/library/delete/?content_id=${id}`);
        location.href = '/';
      }
    } catch (x) { failed(x); }
  });
  box.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      if (f.dataset.act === 'refile') {
        const to = (f.elements.to.value.match(/tt\d{7,8}/) ?? [])[0];
        if (!to) throw new Error('Give an IMDb id (tt and 7 or 8 digits) or a link to the title.');
        for (const file of files) await api('PATCH', `/api/library/movies/${file.file_id}`, { content_id: to });
        location.href = `/movie/${to}/`;
      } else if (f.dataset.act === 'collect') {
        const c = await api('GET', `/api/library/collection/${f.elements.c.value}`);
        await api('PATCH', `/api/library/collection/${c.id}`, { content: [...(c.content ?? []), id] });
        done(`Added to ${c.name}.`);
        f.remove();
      }
    } catch (x) { failed(x); }
  });
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
