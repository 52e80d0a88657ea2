// Subtitles from real files (../shared/fixtures/srt/), sent through the API and fetched back as
// the player gets them: every one is WebVTT that W3C's strict parser (webvtt-parser) accepts
// without an error, with the cue texts the file holds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import parserModule from 'webvtt-parser';
import { Api, server, videoBytes } from './support.mjs';

const { WebVTTParser } = parserModule;
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../shared/fixtures/srt');
if (!existsSync(fixtures)) {
  // Under CI the shared folder must be there; elsewhere the test says it did not run.
  if (process.env.CI === 'true') throw new Error(`CI=true but ${fixtures} is missing`);
  console.log(`NOTICE: ${fixtures} is missing: the subtitle fixtures test did not run`);
}

let s;
after(async () => { await s?.stop(); });

test('every shared SRT file is served as WebVTT a strict parser accepts', { skip: !existsSync(fixtures) }, async () => {
  s = await server();
  const api = await Api.admin(s.url);
  await api.upload('Subtitled.mp4', videoBytes(3000), 'tt0000720');
  const files = ['pysrt', 'go-astisub'].flatMap((d) => readdirSync(path.join(fixtures, d))
    .filter((f) => f.endsWith('.srt')).map((f) => path.join(fixtures, d, f)));
  assert.ok(files.length >= 15, `${files.length} fixtures`);
  const parser = new WebVTTParser();
  for (const [i, file] of files.entries()) {
    const lang = `t${i}`;
    const r = await api.call('POST', `/api/library/subtitles/tt0000720?lang=${lang}`, new Uint8Array(readFileSync(file)));
    assert.equal(r.status, 200, `${file}: ${r.text}`);
    const got = await api.call('GET', `/media/tt0000720/tt0000720.${lang}.vtt`);
    assert.equal(got.status, 200, file);
    const tree = parser.parse(got.text, 'subtitles');
    assert.deepEqual(tree.errors, [], `${file}: ${JSON.stringify(tree.errors)}\n${got.text.slice(0, 400)}`);
    assert.ok(tree.cues.length > 0, `${file}: cues`);
    for (const c of tree.cues) assert.ok(c.endTime > c.startTime, `${file}: a cue that shows`);
  }
  // The cue texts are the file's, decoded from their encoding.
  const text = async (lang) => (await api.call('GET', `/media/tt0000720/tt0000720.${lang}.vtt`)).text;
  const index = (name) => `t${files.findIndex((f) => f.endsWith(name))}`;
  assert.match(await text(index('example-in-html-entities.srt')), /&amp; the gunslinger followed\./);
  assert.match(await text(index('windows-1252.srt')), /[éèàç]/);
});
