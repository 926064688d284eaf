// The helper thread's digests are createHash('sha256')'s of the same bytes, however the stream
// is cut: slots of every length, writes longer than a slot, more bytes than the ring holds at
// once (the producer waits for the helper), several streams and file tails at once. A file the
// helper cannot read gives null, so its caller hashes it itself.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Sha256Helper, SLOT_BYTES } from './offthread-sha256';

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Deterministic bytes (a linear congruential sequence). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const helpers: Sha256Helper[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const h of helpers.splice(0)) h.dispose();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const start = (streams: number, files: ConstructorParameters<typeof Sha256Helper>[1] = []) => {
  const h = new Sha256Helper(streams, files);
  helpers.push(h);
  return h;
};

test('a stream cut into slots of many lengths hashes to the SHA-256 of its bytes', () => {
  const data = bytes(3 * SLOT_BYTES * 8 + 12345, 1); // more than the ring holds: the producer waits
  const s = start(1).stream(0);
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.min([1, 7, SLOT_BYTES, 4096, SLOT_BYTES - 1][i % 5], data.length - at);
    s.slot.set(data.subarray(at, at + n), 0);
    s.commit(n);
    at += n;
  }
  expect(s.digest()).toBe(sha256(data));
});

test('update() takes writes longer than a slot, and an empty stream is the empty digest', () => {
  const h = start(2);
  const a = bytes(5 * SLOT_BYTES + 3, 2);
  h.stream(0).update(a.subarray(0, 10));
  h.stream(0).update(a.subarray(10));
  expect(h.stream(0).digest()).toBe(sha256(a));
  expect(h.stream(1).digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('streams and file tails hashed together keep apart', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-sha-'));
  dirs.push(dir);
  const file = path.join(dir, 'body');
  const content = bytes(3 << 20, 3);
  fs.writeFileSync(file, content);
  const prefix = bytes(100, 4);
  const h = start(2, [
    { path: file, from: 1000, prefix },
    { path: file, from: content.length, prefix },
    { path: path.join(dir, 'missing'), from: 0, prefix },
  ]);
  const a = bytes(2 * SLOT_BYTES, 5);
  const b = bytes(SLOT_BYTES + 1, 6);
  h.stream(0).update(a);
  h.stream(1).update(b);
  expect(h.fileDigest(0)).toBe(sha256(prefix, content.subarray(1000)));
  expect(h.fileDigest(1)).toBe(sha256(prefix));
  expect(h.fileDigest(2)).toBeNull();
  expect(h.stream(1).digest()).toBe(sha256(b));
  expect(h.stream(0).digest()).toBe(sha256(a));
});

test('a stream ends once: no commit or digest after its digest', () => {
  const s = start(1).stream(0);
  s.digest();
  expect(() => s.commit(1)).toThrow('after digest()');
  expect(() => s.digest()).toThrow('twice');
});
