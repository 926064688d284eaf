// Lines of an ftrace text file, read in chunks so a large trace is never one giant string (the
// importer keeps only the lines it decodes). gzip'd files (`trace-cmd report | gzip`) are
// inflated whole first: zlib has no synchronous streaming API. The SHA-256 of the bytes as
// stored goes into the trace header.

import { createHash } from 'crypto';
import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';
import { gunzipSync } from 'zlib';
import { InputError } from '../../errors';

const CHUNK = 4 << 20;

export interface TextSource {
  lines: Iterable<string>;
  /** Hex SHA-256 of the input bytes; valid once `lines` has been consumed. */
  digest(): string;
  gzip: boolean;
}

function* splitLines(chunks: Iterable<Buffer>): Generator<string> {
  const dec = new StringDecoder('utf8');
  let rest = '';
  for (const c of chunks) {
    const s = rest + dec.write(c);
    const parts = s.split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  rest += dec.end();
  if (rest !== '') yield rest;
}

function* fileChunks(file: string, fd: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw new InputError(`cannot read ftrace text: ${(e as Error).message}`, { file });
      }
      if (n === 0) return;
      const c = buf.subarray(0, n);
      hash.update(c);
      yield Buffer.from(c);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Lines of `file`, or of `text` when the caller already holds it. */
export function openText(file: string, text?: string): TextSource {
  const hash = createHash('sha256');
  if (text !== undefined) {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(bytes);
    return { lines: splitLines([bytes]), digest: () => hash.copy().digest('hex'), gzip: false };
  }
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new InputError(`cannot read ftrace text: ${(e as Error).message}`, { file });
  }
  const magic = Buffer.alloc(2);
  const got = fs.readSync(fd, magic, 0, 2, 0);
  if (got === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
    fs.closeSync(fd);
    const raw = fs.readFileSync(file);
    hash.update(raw);
    let inflated: Buffer;
    try {
      inflated = gunzipSync(raw);
    } catch (e) {
      throw new InputError(`gzip data is corrupt: ${(e as Error).message}`, { file }, 'a complete gzip file');
    }
    return { lines: splitLines([inflated]), digest: () => hash.copy().digest('hex'), gzip: true };
  }
  return { lines: splitLines(fileChunks(file, fd, hash)), digest: () => hash.copy().digest('hex'), gzip: false };
}
