// Runs assets/search.js over a rendered site for the renderer's tests: reads
// {"queries": [...], "fold": [...]} on stdin, answers the results, the bytes each query
// fetched and which files, and the tokens of the fold strings.
import { readFileSync } from 'node:fs';
import { search, tokens } from '../../assets/search.js';

const site = process.argv[2];
const input = JSON.parse(readFileSync(0, 'utf8'));
let bytes = 0;
let files = [];
const getJson = async (path) => {
  try {
    const data = readFileSync(site + decodeURIComponent(path));
    bytes += data.length;
    files.push(path);
    return JSON.parse(data);
  } catch {
    return null;
  }
};
const results = [];
for (const q of input.queries) {
  bytes = 0;
  files = [];
  const found = await search(q, getJson);
  results.push({ q, ids: found.map((c) => c.id), bytes, files });
}
process.stdout.write(JSON.stringify({ results, tokens: input.fold.map((s) => tokens(s)) }));
