// Collections for those who may edit them (admins, or members granted it): on the collections
// page, create, rename, reorder and delete collections, and add or remove titles.
import { api, esc, setCsrf } from './api.js';

let titles = new Map();

async function loadTitles() {
  const r = await fetch('/api/library/movies/?per_page=500', { credentials: 'same-origin' });
  const data = r.ok ? await r.json() : {};
  const list = data.movies ?? [];
  titles = new Map(list.map((m) => [m.content_id ?? m.id, m.title]));
}

const opened = new Set();

function collectionHtml(c) {
  const items = c.content.map((id, k) => `<li data-id="${esc(id)}">${esc(titles.get(id) ?? id)} <small>${esc(id)}</small>
<button type="button" class="t-up" aria-label="Earlier"${k === 0 ? ' disabled' : ''}>↑</button><button type="button" class="t-down" aria-label="Later"${k === c.content.length - 1 ? ' disabled' : ''}>↓</button><button type="button" class="t-remove">Remove</button></li>`).join('');
  const options = [...titles].filter(([id]) => !c.content.includes(id)).map(([id, t]) => `<option value="${esc(id)}">${esc(t)} (${esc(id)})</option>`).join('');
  return `<details class="coll" data-id="${c.id}"${opened.has(String(c.id)) ? ' open' : ''}><summary><span class="cname">${esc(c.name)}</span> <small>${esc(c.type)} · ${c.content.length} titles</small></summary>
<form class="rename inline"><input name="name" value="${esc(c.name)}" aria-label="Name"><button>Rename</button> <button type="button" class="c-delete">Delete collection</button></form>
<ol class="plain titles">${items}</ol>
<form class="add inline"><select name="id" aria-label="Title to add">${options}</select><button${options ? '' : ' disabled'}>Add title</button></form></details>`;
}

async function draw(box) {
  const { collections } = await api('GET', '/api/library/collection/');
  box.querySelector('.list').innerHTML = collections.map(collectionHtml).join('');
  box.collections = collections;
}

export async function start() {
  const main = document.querySelector('main');
  const me = await fetch('/api/auth/me', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null));
  const u = me?.user;
  if (!u || !(u.role === 'admin' || u.can_edit_collections)) return;
  setCsrf(me.csrf_token);
  await loadTitles();
  main.insertAdjacentHTML('beforeend', `<section id="collections-admin"><h2>Edit collections</h2>
<form class="create inline"><input name="name" placeholder="New collection" required aria-label="New collection name"><button>Create</button></form>
<p class="status error" role="status"></p><div class="list"></div></section>`);
  const box = document.getElementById('collections-admin');
  box.addEventListener('toggle', (e) => {
    const id = e.target.dataset?.id;
    if (id) { if (e.target.open) opened.add(id); else opened.delete(id); }
  }, true);
  const status = box.querySelector('.status');
  const find = (el) => box.collections.find((c) => String(c.id) === el.closest('.coll').dataset.id);
  const act = async (f) => {
    try { status.textContent = ''; await f(); await draw(box); } catch (x) { status.textContent = x.message; }
  };
  box.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target;
    if (f.classList.contains('create')) {
      act(async () => {
        const c = await api('POST', '/api/library/collection/', { name: f.elements.name.value, type: 'custom', content: [] });
        if (c?.id) opened.add(String(c.id));
        f.reset();
      });
    }
    if (f.classList.contains('rename')) act(() => api('PATCH', `/api/library/collection/${find(f).id}`, { name: f.elements.name.value }));
    if (f.classList.contains('add')) {
      const c = find(f);
      act(() => api('PATCH', `/api/library/collection/${c.id}`, { content: [...c.content, f.elements.id.value] }));
    }
  });
  box.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || b.type === 'submit') return;
    const c = find(b);
    if (b.classList.contains('c-delete')) {
      if (confirm(`Delete the collection “${c.name}”? Its titles stay in the library.`)) act(() => api('DELETE', `/api/library/collection/${c.id}`));
      return;
    }
    const id = b.closest('li')?.dataset.id;
    const content = [...c.content];
    const at = content.indexOf(id);
    if (b.classList.contains('t-remove')) content.splice(at, 1);
    else if (b.classList.contains('t-up') && at > 0) [content[at - 1], content[at]] = [content[at], content[at - 1]];
    else if (b.classList.contains('t-down') && at < content.length - 1) [content[at + 1], content[at]] = [content[at], content[at + 1]];
    else return;
    act(() => api('PATCH', `/api/library/collection/${c.id}`, { content }));
  });
  await draw(box);
}
