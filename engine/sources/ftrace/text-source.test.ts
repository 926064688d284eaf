import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { openText } from './text-source';

describe('ftrace text source', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-text-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('lines split across 4 MiB chunks, with a multi-byte character on the boundary, come out whole', () => {
    const chunk = 4 << 20;
    const head = 'x'.repeat(chunk - 3) + '\n'; // the next line starts 2 bytes before the boundary
    const body = 'a\u00e9\u20acb\nlast line without newline';
    const text = head + body;
    const f = path.join(dir, 'big.txt');
    fs.writeFileSync(f, text);
    const src = openText(f);
    expect([...src.lines]).toEqual(['x'.repeat(chunk - 3), 'a\u00e9\u20acb', 'last line without newline']);
    expect(src.digest()).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
    expect(src.gzip).toBe(false);
  });

  test('gzip input is inflated; the digest is of the stored bytes', () => {
    const raw = gzipSync(Buffer.from('one\ntwo\n'));
    const f = path.join(dir, 't.txt.gz');
    fs.writeFileSync(f, raw);
    const src = openText(f);
    expect([...src.lines]).toEqual(['one', 'two']);
    expect(src.gzip).toBe(true);
    expect(src.digest()).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  test('a truncated gzip file and a missing file are input errors naming the file', () => {
    const f = path.join(dir, 'cut.gz');
    fs.writeFileSync(f, gzipSync(Buffer.from('x'.repeat(1000))).subarray(0, 20));
    // The file is inflated as it is read, so the damage shows where reading reaches it.
    expect(() => [...openText(f).lines]).toThrow(`${f}, byte offset 20: gzip stream is truncated or corrupt`);
    expect(() => openText(path.join(dir, 'nope.txt'))).toThrow(/nope\.txt: cannot read ftrace text/);
  });
});
