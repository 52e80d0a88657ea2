// A title's card, as the scripts draw it: the same markup as templates/card.html, which the
// renderer uses for the cards it writes (a test in renderer/tests/it/search.rs compares them).
import { esc } from './api.js';

export function cardHtml(c) {
  const img = c.poster
    ? `<img loading="lazy" src="${esc(c.poster)}" alt="" width="171" height="256">`
    : `<span class="noposter">${esc(c.title)}</span>`;
  const year = c.year ? `<span class="y">${esc(c.year)}</span>` : '';
  return `<a class="card" href="/movie/${esc(c.id)}/">${img}<span class="t">${esc(c.title)}</span>${year}</a>`;
}
