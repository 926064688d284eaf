// Golden file IO: read a header and stream the body; write a golden atomically (temp file in the
// same folder, fsync, rename, fsync the folder) without ever holding the body in memory.
// engine/trace/writer.ts writeFileAtomic follows the same protocol but needs the whole file as
// one buffer, which a 10-million-record golden must not be.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { BODY_SEPARATOR, conflictError, GoldenHeader, isConflictMarker, parseHeader, renderHeader } from './format';
import { LineHasher, LineReader } from './lines';

const MAX_HEADER_LINES = 64;

export interface OpenGolden {
  header: GoldenHeader;
  /** File line number of the first body line. */
  firstBodyLine: number;
  reader: LineReader;
}

/**
 * Open a golden and read its header. Returns null when the file does not start with
 * gicreplay's header (not ours). Throws InputError for a damaged header.
 */
export function openGolden(file: string, display = file): OpenGolden | null {
  const reader = new LineReader(file);
  try {
    const lines: string[] = [];
    for (;;) {
      const l = reader.next();
      if (l === null) {
        if (lines.length === 0) throw new InputError('golden is empty', { file: display, line: 1 }, 'a "# gicreplay golden N" header');
        if (parseHeader([lines[0]], display) === null && !isConflictMarker(lines[0])) return closeNull(reader);
        throw new InputError('golden is truncated: the header never ends', { file: display, line: reader.lineNo }, `a "${BODY_SEPARATOR}" line after the header`);
      }
      if (isConflictMarker(l)) throw conflictError(display, reader.lineNo);
      if (lines.length === 0 && parseHeaderMagicOnly(l) === false) return closeNull(reader);
      if (l === BODY_SEPARATOR) break;
      lines.push(l);
      if (lines.length > MAX_HEADER_LINES) throw new InputError('golden header is too long', { file: display, line: reader.lineNo }, `at most ${MAX_HEADER_LINES} header lines`);
    }
    const header = parseHeader(lines, display);
    if (!header) return closeNull(reader);
    return { header, firstBodyLine: reader.lineNo + 1, reader };
  } catch (e) {
    reader.close();
    throw e;
  }
}

function parseHeaderMagicOnly(line: string): boolean {
  return /^# gicreplay golden \d+$/.test(line);
}

function closeNull(r: LineReader): null {
  r.close();
  return null;
}

/** Does this file start with gicreplay's golden header? (Only such files are ever deleted.) */
export function isOwnedGolden(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const b = Buffer.alloc(64);
    const n = fs.readSync(fd, b, 0, 64, 0);
    const first = b.toString('utf8', 0, n).split('\n', 1)[0];
    return parseHeaderMagicOnly(first);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Streams golden body lines while checking them: conflict markers are bad input, and the hash
 * and line count are kept for the hand-edit check at the end.
 */
export class CheckedBody {
  /**
   * SHA-256 and count of the body lines read so far. The reader hashes the file's bytes, which
   * for a well-formed body are the lines each followed by LF, as body-sha256 is defined; a body
   * whose last line lacks its LF is reported truncated before the digest is compared.
   */
  readonly hasher: { digest(): string; lines: number };
  constructor(private readonly g: OpenGolden, private readonly display: string) {
    g.reader.startHash();
    this.hasher = { digest: () => g.reader.hashDigest(), lines: 0 };
  }

  next(): string | null {
    const l = this.g.reader.next();
    if (l === null) return null;
    if (isConflictMarker(l)) throw conflictError(this.display, this.g.reader.lineNo);
    this.hasher.lines++;
    return l;
  }

  /** Drain what is left (after a comparison stopped early) so the hash covers the whole body. */
  drain(): void {
    while (this.next() !== null);
  }

  get terminated(): boolean {
    return this.g.reader.lastTerminated;
  }
}

/** Test seam: called between writing the temp file and renaming it over the golden. */
export interface WriteHooks {
  beforeRename?: (tmp: string, file: string) => void;
}

/** A golden body being written to a temp file beside its final place, hashed as it goes. */
export class BodyWriter {
  readonly tmp: string;
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  readonly hasher = new LineHasher();

  /** The first folder this writer had to create, removed again if left empty. */
  private readonly made: string | undefined;

  constructor(readonly file: string) {
    this.made = fs.mkdirSync(path.dirname(file), { recursive: true });
    this.tmp = path.join(path.dirname(file), `.${path.basename(file)}.body-${process.pid}`);
    this.fd = fs.openSync(this.tmp, 'w');
  }

  line(s: string): void {
    this.hasher.add(s);
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    writeAll(this.fd, Buffer.from(this.parts.join(''), 'utf8'));
    this.parts = [];
    this.size = 0;
  }

  /** Finish the body: returns its sha256 and line count. */
  close(): { sha256: string; lines: number } {
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
    return { sha256: this.hasher.digest(), lines: this.hasher.lines };
  }

  discard(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    fs.rmSync(this.tmp, { force: true });
    if (this.made) {
      for (let d = path.dirname(this.file); d.length >= this.made.length; d = path.dirname(d)) {
        try {
          fs.rmdirSync(d); // only succeeds when empty
        } catch {
          break;
        }
      }
    }
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off);
}

/** Atomically replace `file` with header + the body in `bodyTmp` (or no body, for a same-as golden). */
export function commitGolden(file: string, header: GoldenHeader, bodyTmp: string | null, hooks: WriteHooks = {}): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fd, Buffer.from(renderHeader(header), 'utf8'));
    if (bodyTmp) {
      const src = fs.openSync(bodyTmp, 'r');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const n = fs.readSync(src, buf, 0, buf.length, null);
          if (n === 0) break;
          writeAll(fd, buf.subarray(0, n));
        }
      } finally {
        fs.closeSync(src);
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    hooks.beforeRename?.(tmp, file);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is atomic regardless.
  }
}

/** Delete a golden, but only one that carries gicreplay's header; prune folders it leaves empty below `stopAt`. */
export function removeOwnedGolden(file: string, stopAt: string): boolean {
  if (!isOwnedGolden(file)) return false;
  fs.rmSync(file);
  fsyncDir(path.dirname(file));
  const stop = path.resolve(stopAt);
  for (let dir = path.dirname(path.resolve(file)); dir !== stop && dir.startsWith(stop + path.sep); dir = path.dirname(dir)) {
    try {
      if (fs.readdirSync(dir).length) break;
      fs.rmdirSync(dir);
    } catch {
      break;
    }
  }
  return true;
}
