// Search over the index the renderer writes: the query is folded like the index (see
// renderer/src/fold.rs), each word's shard (its first three letters) is fetched, words match
// exactly, as a prefix, or with one or two typos; the best titles' cards come with the token
// shards (those a first page most likely shows) or from the document shards. Only the shards a
// query needs are downloaded.

export const STOPWORDS = ['the', 'a', 'an', 'of', 'and'];
const ACCENTS = {
  'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'æ': 'ae', 'ç': 'c', 'è': 'e', 'é': 'e', 'ê': 'e',
  'ë': 'e', 'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o',
  'ø': 'o', 'œ': 'oe', 'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y', 'ß': 'ss', 'ł': 'l', 'ś': 's',
  'š': 's', 'ž': 'z', 'ź': 'z', 'ż': 'z', 'č': 'c', 'ć': 'c', 'ř': 'r', 'ğ': 'g', 'ı': 'i', 'ş': 's',
};
const FIELD_WEIGHT = [3, 2, 1.2, 1.5]; // title, original title, person, year

export function fold(s) {
  let out = '';
  for (const c of s.toLowerCase()) {
    if (ACCENTS[c] !== undefined) out += ACCENTS[c];
    else if (/[\p{L}\p{N}]/u.test(c)) out += c;
    else if (c === "'" || c === '’') continue;
    else out += ' ';
  }
  return out;
}

export function tokens(s) {
  const out = [];
  const push = (t) => { if (t && !STOPWORDS.includes(t) && !out.includes(t)) out.push(t); };
  for (const word of s.split(/\s+/)) {
    const parts = fold(word).split(/\s+/).filter(Boolean);
    if (parts.length > 1) push(parts.join(''));
    parts.forEach(push);
  }
  return out;
}

// A number (by its first eight digits) or a word of one or two letters has a shard of its own;
// others live in the shard of their first three letters, or, when that one says it is split, of
// their first four. NUMBER_SHARD_DIGITS in renderer/src/fold.rs.
const isNumber = (t) => /^[0-9]+$/.test(t);
const shardOf = (t) => {
  if (isNumber(t)) return t.slice(0, 8);
  return [...t].length < 3 ? t : [...t].slice(0, 3).join('');
};
const subShardOf = (t) => (!isNumber(t) && [...t].length >= 4 ? [...t].slice(0, 4).join('') : null);

function distance(a, b, max) {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

function inlineManifest() {
  const text = typeof document === 'undefined' ? null : document.getElementById('results')?.dataset.manifest;
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** How many results a first page shows, before the rest of them are looked up. */
export const FIRST_PAGE = 12;

/**
 * Searches; `getJson(path)` answers the parsed file at that site path or null. When there are
 * more than a first page of results, `onFirstPage` is given that page as soon as its cards are
 * in; the promise answers them all.
 */
export async function search(query, getJson, limit = 24, onFirstPage = null) {
  let words = tokens(query);
  if (words.length === 0) words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  // The search page carries the manifest; elsewhere (a test, another page) it is fetched.
  const manifest = Promise.resolve(inlineManifest() ?? getJson('/search/manifest.json'));
  const shards = new Map();
  // Cards the shards carry: the titles a first page most likely shows need no other file.
  const known = new Map();
  const load = (s) => {
    if (!shards.has(s)) {
      shards.set(s, getJson(`/search/t/${encodeURIComponent(s)}.json`).then((shard) => {
        for (const [id, card] of Object.entries(shard?.c ?? {})) known.set(id, card);
        return shard;
      }));
    }
    return shards.get(s);
  };
  // Only the shards that exist are asked for (the manifest says which).
  const exists = async (s) => {
    const m = await manifest;
    if (!m?.shards) return true;
    const d = [...s].map((c) => (/[0-9a-z]/.test(c) ? parseInt(c, 36) : -1));
    if (d.length === 3 && d.every((x) => x >= 0)) {
      const i = d[0] * 1296 + d[1] * 36 + d[2];
      return (parseInt(m.shards.substr((i >> 3) * 2, 2), 16) >> (i & 7)) & 1;
    }
    return (m.other ?? []).includes(s);
  };
  const tokensFor = async (w) => {
    const name = shardOf(w);
    const top = ((await exists(name)) ? await load(name) : null) ?? { t: {} };
    const sub = top.split ? subShardOf(w) : null;
    const there = sub && (!top.subs || top.subs.includes(sub));
    return there ? { ...top.t, ...((await load(sub))?.t ?? {}) } : top.t;
  };
  words.forEach((w) => exists(shardOf(w)).then((y) => y && load(shardOf(w))));
  const scores = new Map(); // doc number -> {score, matched}
  for (const [i, w] of words.entries()) {
    const shard = await tokensFor(w);
    const last = i === words.length - 1;
    const typos = w.length >= 8 ? 2 : w.length >= 4 ? 1 : 0;
    const best = new Map();
    for (const [token, postings] of Object.entries(shard)) {
      let weight = 0;
      if (token === w) weight = 1;
      else if (token.startsWith(w) && (last || w.length >= 4)) weight = 0.75;
      else if (typos && distance(w, token, typos) <= typos) weight = 0.55;
      if (!weight) continue;
      let p = 0;
      for (const delta of postings) {
        p += delta; // postings are stored as differences
        const doc = Math.floor(p / 128);
        const field = Math.floor(p / 32) % 4;
        const s = weight * FIELD_WEIGHT[field] + (p % 32) * 0.005;
        if (!best.has(doc) || best.get(doc) < s) best.set(doc, s);
      }
    }
    for (const [doc, s] of best) {
      const e = scores.get(doc) ?? { score: 0, matched: 0 };
      e.score += s;
      e.matched += 1;
      scores.set(doc, e);
    }
  }
  const all = [...scores.entries()];
  const complete = all.filter(([, e]) => e.matched === words.length);
  const ranked = (complete.length ? complete : all).sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, limit);
  const spread = (await manifest)?.docs ?? 16;
  const docShards = new Map();
  // The cards of some ranked titles, their document files fetched side by side.
  const idOf = (doc) => 'tt' + String(doc).padStart(7, '0');
  const cardsOf = async (some) => {
    for (const [doc] of some) {
      const n = (doc % 4096) % spread; // a card's bucket, then its file
      if (!known.has(idOf(doc)) && !docShards.has(n)) docShards.set(n, getJson(`/search/d/${n}.json`));
    }
    const out = [];
    for (const [doc, e] of some) {
      const id = idOf(doc);
      const card = known.get(id) ?? (await docShards.get((doc % 4096) % spread))?.[id];
      if (card) out.push({ ...card, score: e.score });
    }
    return out;
  };
  // A first page as soon as its cards are in, then the rest.
  const first = await cardsOf(ranked.slice(0, FIRST_PAGE));
  if (ranked.length <= FIRST_PAGE) return first;
  onFirstPage?.(first);
  return first.concat(await cardsOf(ranked.slice(FIRST_PAGE)));
}
