// The service worker: it makes the site installable and keeps the app shell (styles, scripts,
// icons, and a page that says the server cannot be reached) for when it is offline. Pages and
// assets always come from the network first, so nothing is ever stale while the server
// answers; media, the API and the catalogue's JSON are never kept.
const CACHE = 'oott-shell-v1';
const SHELL = ['/offline/', '/assets/site.css', '/assets/app.js', '/assets/api.js', '/assets/card.js',
  '/assets/search.js', '/assets/icons/icon-192.png'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (req.mode === 'navigate') {
    e.respondWith(fetch(req).catch(async () => (await caches.match('/offline/')) ?? Response.error()));
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    e.respondWith(fetch(req).then((r) => {
      if (r.ok && SHELL.includes(url.pathname)) {
        const copy = r.clone();
        caches.open(CACHE).then((c) => c.put(req, copy));
      }
      return r;
    }).catch(async () => (await caches.match(req)) ?? Response.error()));
  }
});
