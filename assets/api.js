// One place for the pages' API calls and markup helpers: every change carries the session's
// CSRF token, a failed answer becomes an Error with the server's own message (the JSON error
// shape), and `esc` is the one escaping helper, the same as the page templates'.
const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);

let csrf = null;

/// Sets the session's CSRF token, when a page already has it (after logging in, say).
export function setCsrf(token) {
  csrf = token ?? '';
}

async function csrfToken() {
  if (csrf === null) {
    const me = await fetch('/api/auth/me', { credentials: 'same-origin' });
    csrf = me.ok ? (await me.json()).csrf_token ?? '' : '';
  }
  return csrf;
}

const isBytes = (b) => b instanceof Blob || b instanceof ArrayBuffer || ArrayBuffer.isView(b);

/// A request to the API, answered as `{ r, data }` (data: the JSON body, or null) whatever the
/// status, for callers that look at it (offsets, conflicts). `anonymous`: before a login
/// (logging in, setting up, accepting an invitation), when there is no session to ask about.
/// `keepalive`: the request outlives the page (saving the place in a movie as the page closes).
export async function call(method, path, body, { signal, anonymous = false, keepalive = false } = {}) {
  const headers = {};
  if (!anonymous && !['GET', 'HEAD'].includes(method)) headers['X-CSRF-Token'] = await csrfToken();
  let payload = body;
  if (body !== undefined && !isBytes(body)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, signal, keepalive, credentials: 'same-origin' });
  const data = method === 'HEAD' || r.status === 204 ? null : await r.json().catch(() => null);
  return { r, data };
}

/// The Error a failed answer stands for, with the server's message.
export function failure(data, r) {
  return new Error(data?.error?.message ?? `the server answered ${r.status}`);
}

/// A request that must succeed: answers the JSON body, or throws the server's message.
export async function api(method, path, body) {
  const { r, data } = await call(method, path, body);
  if (!r.ok) throw failure(data, r);
  return data;
}

/// Shows a message in `el`, marked as an error when `bad`.
export function say(el, text, bad = false) {
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('error', bad);
}
