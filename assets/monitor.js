// The server monitor: disk use with a warning as it fills, library statistics (titles, files,
// HD against the rest, total size) and the traffic so far, drawn as inline SVG and refreshed
// every few seconds.
import { api, esc } from './api.js';

const gib = (n) => `${(n / 1073741824).toFixed(n < 10737418240 ? 2 : 1)} GiB`;
const WARN_AT = 0.9;
const history = [];

function bar(parts, total, label) {
  let x = 0;
  const rects = parts.map(([v, cls, name]) => {
    const w = total > 0 ? (v / total) * 100 : 0;
    const r = `<rect class="${cls}" x="${x}%" y="0" width="${w}%" height="100%"><title>${esc(name)}: ${gib(v)}</title></rect>`;
    x += w;
    return r;
  });
  return `<svg class="bar" role="img" aria-label="${esc(label)}" width="100%" height="28" preserveAspectRatio="none">${rects.join('')}</svg>`;
}

function pie(a, b, label) {
  const total = a + b;
  const f = total ? a / total : 0;
  const angle = f * 2 * Math.PI;
  const x = 50 + 45 * Math.sin(angle);
  const y = 50 - 45 * Math.cos(angle);
  const slice = f >= 1 ? '<circle class="hd" cx="50" cy="50" r="45"/>'
    : f <= 0 ? '' : `<path class="hd" d="M50 50 L50 5 A45 45 0 ${f > 0.5 ? 1 : 0} 1 ${x.toFixed(2)} ${y.toFixed(2)} Z"/>`;
  return `<svg class="pie" role="img" aria-label="${esc(label)}" viewBox="0 0 100 100" width="120" height="120"><circle class="sd" cx="50" cy="50" r="45"/>${slice}</svg>`;
}

function line(points, key, label) {
  const max = Math.max(1, ...points.map((p) => p[key]));
  const n = Math.max(points.length - 1, 1);
  const pts = points.map((p, i) => `${((i / n) * 300).toFixed(1)},${(60 - (p[key] / max) * 56).toFixed(1)}`).join(' ');
  return `<svg class="spark" role="img" aria-label="${esc(label)}" viewBox="0 0 300 60" width="100%" height="60" preserveAspectRatio="none"><polyline points="${pts}"/></svg>`;
}

// Each library disk, when there are several: what it holds and what uploads may still take.
function disks(list) {
  if (!list || list.length < 2) return '';
  const rows = list.map((d) => `<tr><th scope="row">Disk ${esc(d.name)}</th><td>${esc(d.path)}</td>
<td>${gib(d.library_bytes)}</td><td>${gib(d.usable)}</td><td>${gib(d.disk_total)}</td></tr>`).join('');
  return `<section class="mon"><h2>Disks</h2><table class="disks"><thead><tr><th>Disk</th><th>Folder</th>
<th>Library</th><th>Free for uploads</th><th>Size</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

// The last library check: clean, or what it found.
function check(c) {
  if (!c) return '';
  const found = c.orphans.length + c.missing.length + c.size_differs.length;
  const when = new Date(c.checked_at * 1000).toLocaleString();
  const text = found === 0 ? `Every file of the library is where its record says (checked ${esc(when)}).`
    : `Checked ${esc(when)}: ${c.orphans.length} files without a record, ${c.missing.length} records without a file,
${c.size_differs.length} sizes that differ. Run <code>oott-receiver fsck --repair</code> to fix what is safe.`;
  return `<section class="mon"><h2>Library check</h2><p id="library-check"${found ? ' class="warn" role="alert"' : ''}>${text}</p></section>`;
}

const clock = (s) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.max(1, Math.round(s / 60))} min`);

// Transcoding: each running job with its progress and time left, the queue, what ended.
function transcodes(t) {
  if (!t || (!t.enabled && !t.jobs.length)) return '';
  const row = (j) => {
    const what = `${esc(j.title)}${j.label ? ` (${esc(j.label)})` : ''}`;
    if (j.state === 'running') {
      const pct = Math.round((j.progress ?? 0) * 100);
      const left = j.eta_s != null ? `, ${clock(j.eta_s)} left at ${j.speed.toFixed(2)}×` : '';
      return `<li class="job running">${what}: <progress max="100" value="${pct}"></progress> <strong>${pct}%</strong>${left} <button type="button" data-cancel="${j.id}">Cancel</button></li>`;
    }
    if (j.state === 'queued') return `<li class="job">${what}: waiting <button type="button" data-cancel="${j.id}">Cancel</button></li>`;
    const why = j.state === 'failed' ? `failed: ${esc(j.error)}` : j.state === 'done' ? 'done' : 'cancelled';
    const again = j.state === 'done' ? '' : ` <button type="button" data-retry="${j.id}">Try again</button>`;
    return `<li class="job ${j.state}">${what}: ${why}${again}</li>`;
  };
  const more = t.queued > t.jobs.filter((j) => j.state === 'queued').length ? `<p class="note">${t.queued} movies wait in all.</p>` : '';
  return `<section class="mon"><h2>Transcoding</h2><p>${t.enabled ? `On, ${t.at_once} at a time.` : 'Off (an admin switches it on in Settings).'}</p>
<ul id="transcodes" class="plain">${t.jobs.map(row).join('')}</ul>${more}</section>`;
}

// Backup mirrors, as the sync agent last reported them.
function mirrors(list) {
  if (!list || !list.length) return '';
  const when = (t) => (t ? new Date(t * 1000).toLocaleString() : 'never');
  const rows = list.map((m) => `<tr${m.reachable === false ? ' class="warn"' : ''}><th scope="row">${esc(m.name)}</th>
<td>${m.reachable === false ? 'unreachable' : 'reachable'}</td><td>${esc(when(m.last_push))}</td>
<td>${m.lag_seconds ? clock(m.lag_seconds) : 'up to date'}</td><td>${m.pending_paths} files, ${gib(m.pending_bytes)}</td>
<td>${esc(when(m.last_audit))}</td><td>${esc(m.error || '')}</td></tr>`).join('');
  return `<section class="mon"><h2>Mirrors</h2><table id="mirrors" class="disks"><thead><tr><th>Mirror</th><th>State</th>
<th>Last push</th><th>Behind</th><th>To push</th><th>Last audit</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function draw(box, m) {
  const d = m.disk;
  const used = d.total - d.free;
  // Filling: the disk mostly used, or little of it left for uploads (the reserve kept aside).
  const full = d.used_fraction >= WARN_AT || d.usable < d.total * (1 - WARN_AT);
  history.push({ t: Date.now(), received: m.traffic.bytes_received, sent: m.traffic.bytes_sent });
  if (history.length > 60) history.shift();
  const l = m.library;
  box.innerHTML = `<section class="mon"><h2>Disk</h2>
${full ? `<p class="warn" role="alert">The disk is filling: ${Math.round(d.used_fraction * 100)}% used, ${gib(d.usable)} left for uploads.</p>` : ''}
${bar([[used, 'used', 'Used'], [Math.min(d.reserve, d.free), 'reserve', 'Kept free'], [d.usable, 'free', 'Free for uploads']], d.total, 'Disk use')}
<p class="legend"><span class="k used"></span> used ${gib(used)} <span class="k reserve"></span> kept free ${gib(Math.min(d.reserve, d.free))} <span class="k free"></span> free for uploads ${gib(d.usable)} · <strong id="disk-pct">${Math.round(d.used_fraction * 100)}%</strong> of ${gib(d.total)}</p></section>
${disks(m.disks)}${check(m.library_check)}${transcodes(m.transcodes)}${mirrors(m.mirrors)}
<section class="mon"><h2>Library</h2><div class="inline">${pie(l.hd_files, l.files - l.hd_files, 'HD files against the rest')}
<dl class="stats"><dt>Titles</dt><dd id="stat-titles">${l.titles}</dd><dt>Files</dt><dd id="stat-files">${l.files}</dd><dt>HD files</dt><dd id="stat-hd">${l.hd_files}</dd><dt>Not HD</dt><dd>${l.files - l.hd_files}</dd><dt>Size</dt><dd id="stat-size">${gib(l.size)}</dd>${l.quota ? `<dt>Quota</dt><dd>${gib(l.quota)}</dd>` : ''}<dt>Uploads in progress</dt><dd>${m.uploads.active}</dd></dl></div></section>
<section class="mon"><h2>Traffic since the server started</h2>
<p>Received <strong id="stat-received">${gib(m.traffic.bytes_received)}</strong></p>${line(history, 'received', 'Bytes received')}
<p>Sent <strong id="stat-sent">${gib(m.traffic.bytes_sent)}</strong></p>${line(history, 'sent', 'Bytes sent')}</section>`;
  box.classList.toggle('filling', full);
}

export function start() {
  const box = document.getElementById('monitor');
  if (!box) return;
  const tick = async () => {
    const r = await fetch(box.dataset.src, { credentials: 'same-origin' });
    if (r.ok) draw(box, await r.json());
  };
  box.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-cancel], button[data-retry]');
    if (!b) return;
    b.disabled = true;
    try {
      if (b.dataset.cancel) await api('DELETE', `/api/transcodes/${b.dataset.cancel}`);
      else await api('POST', `/api/transcodes/${b.dataset.retry}/retry`);
    } catch (x) { b.insertAdjacentText('afterend', ` ${x.message}`); }
    tick();
  });
  tick();
  setInterval(tick, 5000);
}
