// Search over the index the renderer writes: the query is folded like the index (see
// renderer/src/fold.rs), each word's shard (its first three letters, or more where the manifest
// says a shard is split) is fetched, all of them at once; words match exactly, as a prefix, or
// with one or two typos; the best titles' cards come with the token shards (those a first page
// most likely shows) or from the document shards. Only the shards a query needs are downloaded.

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
// others live in the shard of their first three letters, or, where the manifest lists that one as
// split, of one more letter, and so on (NUMBER_SHARD_DIGITS and shard_chain in
// renderer/src/fold.rs).
const isNumber = (t) => /^[0-9]+$/.test(t);
const shardOf = (t) => {
  if (isNumber(t)) return t.slice(0, 8);
  return [...t].length < 3 ? t : [...t].slice(0, 3).join('');
};
const typosOf = (w) => (w.length >= 8 ? 2 : w.length >= 4 ? 1 : 0);

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
  // The shards a word needs, known from the manifest alone: its top-level shard if it exists,
  // then down the split ones to where its tokens live. A split shard holds only the token that
  // is its name, so one above the last is asked for only when that token is a typo away.
  const shardsFor = async (w) => {
    const m = await manifest;
    const top = shardOf(w);
    if (m?.shards) {
      const d = [...top].map((c) => (/[0-9a-z]/.test(c) ? parseInt(c, 36) : -1));
      const i = d.length === 3 && d.every((x) => x >= 0) ? d[0] * 1296 + d[1] * 36 + d[2] : -1;
      const there = i >= 0
        ? (parseInt(m.shards.substr((i >> 3) * 2, 2), 16) >> (i & 7)) & 1
        : (m.other ?? []).includes(top);
      if (!there) return [];
    }
    const chars = [...w];
    const chain = [top];
    for (let s = top; !isNumber(w) && m?.split?.[s] !== undefined && chars.length > [...s].length;) {
      const next = chars[[...s].length];
      if (!m.split[s].includes(next)) break;
      s += next;
      chain.push(s);
    }
    const last = chain.length - 1;
    return chain.filter((s, i) => i === last || chars.length - [...s].length <= typosOf(w));
  };
  // Every shard of every word is asked for at once.
  const wanted = words.map((w) => shardsFor(w).then((names) => Promise.all(names.map(load))));
  // Each word's matches: doc numbers ascending, each with its best score in units of 1/200
  // (weights and popularity steps are whole units, so sums and ties are exact).
  const perWord = [];
  for (const [i, w] of words.entries()) {
    const got = await wanted[i];
    const shard = Object.assign({}, ...got.map((s) => s?.t ?? {}));
    const last = i === words.length - 1;
    const typos = typosOf(w);
    let keys = [];
    for (const [token, postings] of Object.entries(shard)) {
      let weight = 0;
      if (token === w) weight = 200;
      else if (token.startsWith(w) && (last || w.length >= 4)) weight = 150;
      else if (typos && distance(w, token, typos) <= typos) weight = 110;
      if (!weight) continue;
      let p = 0;
      for (const delta of postings) {
        p += delta; // postings are stored as differences
        const field = Math.floor(p / 32) % 4;
        keys.push(Math.floor(p / 128) * 1024 + weight * FIELD_UNITS[field] / 200 + (p % 32));
      }
    }
    keys = Float64Array.from(keys).sort();
    const docs = [];
    const units = [];
    for (let k = 0; k < keys.length; k++) {
      const doc = Math.floor(keys[k] / 1024);
      // Sorted: the last key of a doc is its best.
      if (k + 1 < keys.length && Math.floor(keys[k + 1] / 1024) === doc) continue;
      docs.push(doc);
      units.push(keys[k] - doc * 1024);
    }
    perWord.push({ docs, units });
  }
  // Every doc with the sum of its words' scores and how many words it matched, in doc order
  // (one word's matches as they are).
  const heads = perWord.map(() => 0);
  const ranked = [];
  let complete = 0;
  for (;;) {
    if (perWord.length === 1) break;
    let doc = Infinity;
    perWord.forEach((m, j) => { if (heads[j] < m.docs.length && m.docs[heads[j]] < doc) doc = m.docs[heads[j]]; });
    if (doc === Infinity) break;
    let units = 0;
    let matched = 0;
    perWord.forEach((m, j) => {
      if (m.docs[heads[j]] === doc) { units += m.units[heads[j]]; matched += 1; heads[j] += 1; }
    });
    if (matched === words.length) complete += 1;
    ranked.push([doc, units, matched]);
  }
  // The best `limit`: of the docs that match every word when there are any.
  const best = perWord.length === 1
    ? topOf(perWord[0].docs, perWord[0].units, null, limit)
    : complete
      ? topOf(ranked.map((e) => e[0]), ranked.map((e) => e[1]), ranked.map((e) => e[2] === words.length), limit)
      : topOf(ranked.map((e) => e[0]), ranked.map((e) => e[1]), null, limit);
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
    for (const [doc, units] of some) {
      const id = idOf(doc);
      const card = known.get(id) ?? (await docShards.get((doc % 4096) % spread))?.[id];
      if (card) out.push({ ...card, score: units / 200 });
    }
    return out;
  };
  // A first page as soon as its cards are in, then the rest.
  const first = await cardsOf(best.slice(0, FIRST_PAGE));
  if (best.length <= FIRST_PAGE) return first;
  onFirstPage?.(first);
  return first.concat(await cardsOf(best.slice(FIRST_PAGE)));
}

// A field's weight in units of 1/200 at a full match (FIELD_WEIGHT × 200).
const FIELD_UNITS = FIELD_WEIGHT.map((w) => w * 200);

/**
 * The `limit` best docs (of those `keep` marks, when given) as [doc, units]: the highest score
 * first, then the lowest doc. One pass that keeps the best so far, not a sort of them all.
 */
function topOf(docs, units, keep, limit) {
  const out = [];
  const better = (i, j) => units[i] > units[j] || (units[i] === units[j] && docs[i] < docs[j]);
  for (let i = 0; i < docs.length; i++) {
    if (keep && !keep[i]) continue;
    if (out.length === limit && !better(i, out[limit - 1])) continue;
    let at = Math.min(out.length, limit - 1);
    while (at > 0 && better(i, out[at - 1])) at -= 1;
    out.splice(at, 0, i);
    if (out.length > limit) out.pop();
  }
  return out.map((i) => [docs[i], units[i]]);
}
