// Accounts in the browser: the invitation page, the account page (settings, password,
// sessions, API tokens) and the admin's users page. Every change sends the session's CSRF token.
import { api, call, esc, failure, say } from './api.js';

const when = (t) => (t ? new Date(t * 1000).toLocaleString() : 'never');


function invitePage() {
  const form = document.getElementById('invite');
  if (!form) return;
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const err = form.querySelector('.error');
  call('GET', `/api/auth/invitation?token=${encodeURIComponent(token)}`).then(({ r, data }) => {
    if (!r.ok) { err.hidden = false; err.textContent = failure(data, r).message; form.querySelector('button').disabled = true; }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { ...Object.fromEntries(new FormData(form)), token };
    const { r, data } = await call('POST', '/api/auth/invitation', body, { anonymous: true });
    if (r.ok) { location.href = '/'; return; }
    err.hidden = false;
    err.textContent = failure(data, r).message;
  });
}

async function settingsForm() {
  const form = document.getElementById('settings');
  if (!form) return;
  // Saving waits for the settings: a click before would send the form's defaults.
  const save = form.querySelector('button');
  save.disabled = true;
  const s = await api('GET', '/api/users/me/settings');
  for (const [k, v] of Object.entries(s)) {
    const el = form.elements[k];
    if (!el) continue;
    if (el.type === 'checkbox') el.checked = v; else el.value = v;
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      body[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
    }
    try {
      const saved = await api('PUT', '/api/users/me/settings', body);
      document.documentElement.dataset.theme = saved.theme;
      say(form.querySelector('.status'), 'Saved.');
    } catch (x) { say(form.querySelector('.status'), x.message, true); }
  });
  save.disabled = false;
  form.dataset.loaded = 'true';
}

function passwordForm() {
  const form = document.getElementById('password');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('PUT', '/api/users/me/password', Object.fromEntries(new FormData(form)));
      form.reset();
      say(form.querySelector('.status'), 'Password changed; your other sessions were logged out.');
      sessionList();
    } catch (x) { say(form.querySelector('.status'), x.message, true); }
  });
}

async function sessionList() {
  const ul = document.getElementById('sessions');
  if (!ul) return;
  const { sessions } = await api('GET', '/api/auth/sessions');
  ul.innerHTML = sessions.map((s) => `<li data-id="${esc(s.id)}">${esc(s.user_agent || 'unknown browser')} · ${esc(s.address || 'unknown address')} · since ${esc(when(s.created_at))}${s.current ? ' <strong>(this one)</strong>' : ' <button type="button" class="revoke">Log out</button>'}</li>`).join('');
  ul.querySelectorAll('.revoke').forEach((b) => b.addEventListener('click', async () => {
    await api('DELETE', `/api/auth/sessions/${b.closest('li').dataset.id}`);
    sessionList();
  }));
}

async function tokenList() {
  const ul = document.getElementById('tokens');
  if (!ul) return;
  const { tokens } = await api('GET', '/api/auth/tokens');
  ul.innerHTML = tokens.map((t) => `<li data-id="${t.id}">${esc(t.name)} · made ${esc(when(t.created_at))} · last used ${esc(when(t.last_used))} <button type="button" class="revoke">Revoke</button></li>`).join('');
  ul.querySelectorAll('.revoke').forEach((b) => b.addEventListener('click', async () => {
    await api('DELETE', `/api/auth/tokens/${b.closest('li').dataset.id}`);
    tokenList();
  }));
}

function tokenForm() {
  const form = document.getElementById('new-token');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = await api('POST', '/api/auth/tokens', { name: form.elements.name.value });
    say(document.getElementById('token-shown'), `Your new token (shown only now): ${t.token}`);
    form.reset();
    tokenList();
  });
}

function logoutButton() {
  const b = document.getElementById('logout');
  if (!b) return;
  b.addEventListener('click', async () => {
    await api('POST', '/api/auth/logout').catch(() => null);
    location.href = '/login/';
  });
}

const GRANTS = ['can_upload', 'can_delete', 'can_edit_collections'];

async function userTable() {
  const tbody = document.getElementById('user-rows');
  if (!tbody) return;
  const { users } = await api('GET', '/api/users');
  tbody.innerHTML = users.map((u) => `<tr data-id="${u.id}"><td>${esc(u.username)}</td>
<td><select class="role"><option value="member"${u.role === 'member' ? ' selected' : ''}>Member</option><option value="admin"${u.role === 'admin' ? ' selected' : ''}>Admin</option></select></td>
${GRANTS.map((g) => `<td><input type="checkbox" class="grant" data-grant="${g}"${u[g] ? ' checked' : ''} aria-label="${g}"></td>`).join('')}
<td><button type="button" class="reset">New password</button> <button type="button" class="remove">Remove</button></td></tr>`).join('');
  const row = (el) => el.closest('tr').dataset.id;
  const patch = async (el, body) => {
    try { await api('PATCH', `/api/users/${row(el)}`, body); } catch (x) { alert(x.message); userTable(); }
  };
  tbody.querySelectorAll('.role').forEach((s) => s.addEventListener('change', () => patch(s, { role: s.value })));
  tbody.querySelectorAll('.grant').forEach((c) => c.addEventListener('change', () => patch(c, { [c.dataset.grant]: c.checked })));
  tbody.querySelectorAll('.reset').forEach((b) => b.addEventListener('click', () => {
    const password = prompt('New password (at least 8 characters)');
    if (password) patch(b, { password });
  }));
  tbody.querySelectorAll('.remove').forEach((b) => b.addEventListener('click', async () => {
    if (!confirm('Remove this user? Their files stay in the library.')) return;
    try { await api('DELETE', `/api/users/${row(b)}`); } catch (x) { alert(x.message); }
    userTable();
  }));
}

function newUserForm() {
  const form = document.getElementById('new-user');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', '/api/users', Object.fromEntries(new FormData(form)));
      form.reset();
      say(form.querySelector('.status'), 'Added.');
      userTable();
    } catch (x) { say(form.querySelector('.status'), x.message, true); }
  });
}

async function inviteList() {
  const ul = document.getElementById('invites');
  if (!ul) return;
  const { invitations } = await api('GET', '/api/users/invitations');
  ul.innerHTML = invitations.map((i) => `<li data-id="${i.id}">${esc(i.role)}${i.can_upload ? ', may upload' : ''} · until ${esc(when(i.expires_at))} <button type="button" class="withdraw">Withdraw</button></li>`).join('');
  ul.querySelectorAll('.withdraw').forEach((b) => b.addEventListener('click', async () => {
    await api('DELETE', `/api/users/invitations/${b.closest('li').dataset.id}`);
    inviteList();
  }));
  const form = document.getElementById('new-invite');
  if (form.dataset.ready) return;
  form.dataset.ready = '1';
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const inv = await api('POST', '/api/users/invitations', { role: form.elements.role.value, can_upload: form.elements.can_upload.checked });
    say(document.getElementById('invite-shown'), `Send this link: ${location.origin}${inv.path}`);
    inviteList();
  });
}

export function start() {
  invitePage();
  if (document.getElementById('account')) {
    settingsForm(); passwordForm(); sessionList(); tokenList(); tokenForm(); logoutButton();
  }
  if (document.getElementById('users')) { userTable(); newUserForm(); inviteList(); }
}
