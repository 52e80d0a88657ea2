// The server's settings page (admins): transcoding, with a measured check of how fast this
// machine converts video shown before it is switched on; the disks' reserve, the quota and the
// upload expiry; the library disks. Every value is checked by the server, which answers its
// own message for one it does not take.
import { api, esc, say } from './api.js';

// `7d`, `12h`, `90m` for a number of seconds, as the field takes it back.
function duration(s) {
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]]) if (s % n === 0) return `${s / n}${unit}`;
  return `${s}s`;
}

function size(n) {
  if (n == null) return '';
  return n % 1073741824 === 0 ? `${n / 1073741824} GiB` : `${n} B`;
}

// What the hardware check found, in the terms that decide: how long a two-hour movie takes.
function hardwareText(h) {
  const speed = h.speed_1080p;
  // The ladder is three qualities at once, about 1.5 times the work of the 1080p one alone.
  const hours = (2 / speed) * 1.5;
  const verdict = speed >= 2 ? 'This machine is fast enough to transcode a library.'
    : speed >= 1 ? 'This machine can transcode, slowly: expect new movies to take hours before they stream adaptively.'
      : 'This machine is too slow to transcode comfortably: leave transcoding off unless you are patient.';
  return `This machine encodes 1080p H.264 at ${speed.toFixed(2)}× real time (measured ${new Date(h.measured_at * 1000).toLocaleString()}, ${h.cores} cores): a two-hour movie takes about ${hours < 1 ? `${Math.round(hours * 60)} minutes` : `${hours.toFixed(1)} hours`}. ${verdict}`;
}

async function hardware(box, known) {
  if (known) { box.textContent = hardwareText(known); return; }
  box.textContent = 'Measuring how fast this machine converts video (a few seconds)…';
  try {
    box.textContent = hardwareText(await api('POST', '/api/settings/hardware-check'));
  } catch (x) { say(box, `The check could not run: ${x.message}`, true); }
}

function fill(s) {
  const t = document.getElementById('transcoding');
  t.elements.transcoding.checked = s.settings.transcoding.value;
  t.elements.transcode_jobs.value = s.settings.transcode_jobs.value;
  t.elements.transcoding.disabled = !s.ffmpeg && !s.settings.transcoding.value;
  const f = document.getElementById('space-settings');
  f.elements.disk_reserve.value = size(s.settings.disk_reserve.value);
  f.elements.library_quota.value = size(s.settings.library_quota.value);
  f.elements.upload_expiry.value = duration(s.settings.upload_expiry.value);
  document.getElementById('roots').innerHTML = s.roots
    .map((r) => `<li>Disk ${esc(r.name)}: <code>${esc(r.path)}</code></li>`).join('')
    + (s.pending_roots ?? []).map((p) => `<li><code>${esc(p)}</code>: added, in use from the next start</li>`).join('');
}

function saving(form, body) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = form.querySelector('.status');
    try {
      fill(await api('PUT', '/api/settings', body(form)));
      say(status, 'Saved.');
    } catch (x) { say(status, x.message, true); }
  });
}

export async function start() {
  const box = document.getElementById('server-settings');
  if (!box) return;
  let s;
  try { s = await api('GET', '/api/settings'); } catch (x) {
    box.innerHTML = `<p class="error" role="alert">${esc(x.message)}</p>`;
    return;
  }
  fill(s);
  const hw = document.getElementById('hardware');
  if (!s.ffmpeg) say(hw, 'ffmpeg is not installed on the server, so it cannot transcode (Debian: apt install ffmpeg).', true);
  else hardware(hw, s.hardware_check);
  saving(document.getElementById('transcoding'), (f) => ({
    transcoding: f.elements.transcoding.checked,
    transcode_jobs: Number(f.elements.transcode_jobs.value),
  }));
  document.getElementById('add-disk').addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = document.getElementById('disk-status');
    try {
      const r = await api('POST', '/api/settings/disks', { path: e.target.elements.path.value.trim() });
      say(status, `Added ${r.added}: in use from the server's next start.`);
      e.target.reset();
      fill(await api('GET', '/api/settings'));
    } catch (x) { say(status, x.message, true); }
  });
  saving(document.getElementById('space-settings'), (f) => ({
    disk_reserve: f.elements.disk_reserve.value.trim(),
    library_quota: f.elements.library_quota.value.trim() || null,
    upload_expiry: f.elements.upload_expiry.value.trim(),
  }));
}
