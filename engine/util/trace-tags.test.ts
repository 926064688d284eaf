// traces/TAGS.json: read as documented, and every malformed form refused by name (file, what, expectation).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../errors';
import { guestKindOf, readTraceTags } from './trace-tags';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-tags-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (j: unknown) => fs.writeFileSync(path.join(dir, 'TAGS.json'), typeof j === 'string' ? j : JSON.stringify(j));

test('no file: every trace untagged; an entry gives the guest kind', () => {
  expect(guestKindOf(readTraceTags(path.join(dir, 'none')), 'a.gtr')).toBe('untagged');
  write({ schema: 1, traces: { 'qemu/a.gtr': { guest: 'linux' } } });
  const t = readTraceTags(dir);
  expect([guestKindOf(t, 'qemu/a.gtr'), guestKindOf(t, 'b.gtr')]).toEqual(['linux', 'untagged']);
});

test.each([
  ['{', 'not JSON'],
  [{ schema: 2, traces: {} }, 'schema 2 is newer than this gicreplay reads'],
  [{ schema: 1, traces: {}, extra: 1 }, 'not a trace tag file'],
  [{ schema: 1, traces: { '../a.gtr': { guest: 'linux' } } }, '"../a.gtr" is not a trace path under traces/'],
  [{ schema: 1, traces: { 'a.gtr': { guest: 'Linux' } } }, 'the tags of "a.gtr" are not {"guest": KIND}'],
  [{ schema: 1, traces: { 'a.gtr': { guest: 'linux', os: 'x' } } }, 'the tags of "a.gtr" are not {"guest": KIND}'],
])('%j is refused: %s', (j, message) => {
  write(j);
  let err: unknown;
  try {
    readTraceTags(dir);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toContain(`${path.join(dir, 'TAGS.json')}: ${message}`);
});
