// TailHasher: the digest of a stored golden's bytes, taken in chunks (the check's main thread
// hashes while it waits for its thread), is the SHA-256 of the bytes already read plus the rest.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TailHasher } from './tail-hash';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tail-hash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('prefix, then the file from `from` on, over several chunks: the SHA-256 of the whole', () => {
  const bytes = Buffer.alloc(700_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
  const file = path.join(dir, 'body');
  fs.writeFileSync(file, bytes);
  const from = 1234;
  const t = new TailHasher({ path: file, from, prefix: bytes.subarray(0, from) }, TailHasher.chunkBuffer());
  let steps = 0;
  while (t.step()) steps++;
  // 700,000 - 1,234 bytes in 256 KiB chunks: three reads with data, one at the end.
  expect(steps).toBe(4);
  expect(t.done).toBe(true);
  expect(t.digest()).toBe(createHash('sha256').update(bytes).digest('hex'));
});

test('digest() hashes whatever the waits left; a file that cannot be read gives null (the caller reads it itself)', () => {
  const file = path.join(dir, 'short');
  fs.writeFileSync(file, 'abc');
  const t = new TailHasher({ path: file, from: 0, prefix: Buffer.from('x') }, TailHasher.chunkBuffer());
  expect(t.digest()).toBe(createHash('sha256').update('xabc').digest('hex'));
  const gone = new TailHasher({ path: path.join(dir, 'missing'), from: 0, prefix: Buffer.alloc(0) }, TailHasher.chunkBuffer());
  expect(gone.digest()).toBeNull();
  expect(gone.step()).toBe(false);
});
