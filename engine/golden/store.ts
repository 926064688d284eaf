// Golden file IO: read a header and stream the body; write a golden atomically (util/output-file:
// temp file in the same folder, fsync, rename, fsync the folder) without ever holding the body in
// memory. Goldens are regular files: anything else where one belongs is refused, never replaced.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { fileError } from '../util/fs-error';
import { openInputFile } from '../util/input-file';
import { fsyncDir, openOutput, OutputSink, ScratchFile } from '../util/output-file';
import { injectFault } from '../util/faults';
import { COMPACT_ENCODING, COMPACT_MIN_BODY_BYTES, CompactBodySource, packBody } from './compact';
import { BODY_SEPARATOR, COMPACT_GOLDEN_FORMAT, conflictError, GOLDEN_FORMAT, GoldenHeader, isConflictMarker, parseHeader, renderHeader } from './format';
import { LineHasher, LineReader } from './lines';

/** Header lines are short; a longer one is not a header gicreplay wrote. */
const MAX_HEADER_LINE = 4096;

const MAX_HEADER_LINES = 64;

export interface OpenGolden {
  header: GoldenHeader;
  /** File line number of the first body line. */
  firstBodyLine: number;
  /** The body's lines (inflated, for a compact golden). */
  reader: LineReader;
  /** A compact golden's stored lines (base64), hashed from the body's start. */
  stored?: LineReader;
}

/**
 * Open a golden and read its header. Returns null when the file does not start with
 * gicreplay's header (not ours). Throws InputError for a damaged header.
 */
export function openGolden(file: string, display = file): OpenGolden | null {
  const reader = new LineReader(file, 'golden', undefined, display);
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
      if (l.length > MAX_HEADER_LINE) throw new InputError(`golden header line is ${l.length} characters long`, { file: display, line: reader.lineNo }, `header lines of at most ${MAX_HEADER_LINE} characters`);
      lines.push(l);
      if (lines.length > MAX_HEADER_LINES) throw new InputError('golden header is too long', { file: display, line: reader.lineNo }, `at most ${MAX_HEADER_LINES} header lines`);
    }
    const header = parseHeader(lines, display);
    if (!header) return closeNull(reader);
    if (header.bodyEncoding === undefined) return { header, firstBodyLine: reader.lineNo + 1, reader };
    // A compact body (format 2): its lines are read from the inflated stored lines, numbered as
    // if the body were plain; the stored lines are hashed on the way for stored-sha256.
    reader.startHash();
    const inflated = new LineReader(file, 'golden', undefined, display, new CompactBodySource(reader, display, () => reader.close()));
    return { header, firstBodyLine: reader.lineNo + 1, reader: inflated, stored: reader };
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

/** Does this regular file start with gicreplay's golden header? (Only such files are ever deleted.) */
export function isOwnedGolden(file: string): boolean {
  const first = firstLineOf(file);
  return first !== null && parseHeaderMagicOnly(first);
}

/** The start of the first line of a regular file (up to 256 bytes), or null when it cannot be read. */
export function firstLineOf(file: string): string | null {
  let fd: number;
  try {
    fd = openInputFile(file, 'golden').fd;
  } catch {
    return null;
  }
  try {
    const b = Buffer.alloc(256);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    return b.toString('utf8', 0, n).split('\n', 1)[0];
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Read a golden's body and hold it against its header: null when it is whole and unedited, else
 * what is wrong (hand edit, truncation, a body in a same-as golden). Throws for a damaged header.
 */
export function bodyProblem(file: string, display: string): string | null {
  const g = openGolden(file, display);
  if (!g) return 'not a gicreplay golden';
  try {
    if (g.header.sameAs !== undefined) return g.reader.next() === null ? null : `it says same-as ${g.header.sameAs} but has a body of its own`;
    const body = new CheckedBody(g, display);
    body.drain();
    const f = bodyFault(body, g.header);
    if (!f) return null;
    return f.kind === 'truncated' ? `its body is truncated (${f.lines} of ${g.header.bodyLines} lines)` : 'its body was edited by hand (it no longer matches body-sha256)';
  } finally {
    g.reader.close();
  }
}

/** What is wrong with a body read to its end, against its header; null when it is whole and unedited. */
export type BodyFault = { kind: 'truncated'; lines: number; unterminated: boolean } | { kind: 'edited' };

/**
 * The one verification of a body read in full through CheckedBody (check, bless, pending, and the
 * readers of a golden's lines alike): its line count, its last line end, body-sha256 and, for a
 * compact body, stored-sha256.
 */
export function bodyFault(body: CheckedBody, h: GoldenHeader): BodyFault | null {
  const lines = body.hasher.lines;
  if (lines < h.bodyLines || !body.terminated) return { kind: 'truncated', lines, unterminated: !body.terminated };
  if (body.hasher.digest() !== h.bodySha256 || lines !== h.bodyLines || body.storedDigest() !== h.storedSha256) return { kind: 'edited' };
  return null;
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

  /**
   * The SHA-256 of the whole body, read as raw bytes (no lines, no conflict-marker checks): for
   * the fast check, which only trusts a body whose digest is its header's, so nothing damaged
   * can pass this way. Line counting and the checks of next() are the slow path's.
   */
  rawDigest(): string {
    return (this.g.stored ?? this.g.reader).hashRest();
  }

  /** What rawDigest() would hash, for a helper thread to hash instead (LineReader.restOfFile); null when it cannot. */
  rawDigestSource(): { path: string; from: number; prefix: Buffer } | null {
    return (this.g.stored ?? this.g.reader).restOfFile();
  }

  /** A compact golden's stored-sha256 as read so far (after drain(): of all its stored lines); undefined for a plain body. */
  storedDigest(): string | undefined {
    return this.g.stored?.hashDigest();
  }

  /** Drain what is left (after a comparison stopped early) so the hash covers the whole body. */
  drain(): void {
    while (this.next() !== null);
  }

  get terminated(): boolean {
    return this.g.reader.lastTerminated;
  }
}

/** Test seams: called between writing the temp file and renaming it over the golden; the compact threshold. */
export interface WriteHooks {
  beforeRename?: (tmp: string, file: string) => void;
  /** Bodies of at least this many bytes are stored compact (default COMPACT_MIN_BODY_BYTES). */
  compactAbove?: number;
}

/** The golden format a body is written in: compact (2) for a large body, else plain (1). */
export function formatForBody(body: BodyWriter | null, compactAbove = COMPACT_MIN_BODY_BYTES): number {
  return body && body.bytes >= compactAbove ? COMPACT_GOLDEN_FORMAT : GOLDEN_FORMAT;
}

/** A golden body being written to a scratch file beside its final place, hashed as it goes. */
export class BodyWriter {
  private readonly scratch: ScratchFile;
  private parts: string[] = [];
  private size = 0;
  readonly hasher = new LineHasher();

  /** The first folder this writer had to create, removed again if left empty. */
  private readonly made: string | undefined;

  constructor(readonly file: string, readonly what = 'golden') {
    this.made = fs.existsSync(path.dirname(file)) ? undefined : nearestMissing(path.dirname(file));
    this.scratch = new ScratchFile(file, what);
  }

  get tmp(): string {
    return this.scratch.path;
  }

  /** Body bytes so far (UTF-16 code units, a lower bound of the UTF-8 bytes). */
  bytes = 0;

  line(s: string): void {
    this.hasher.add(s);
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    this.bytes += s.length + 1;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    this.scratch.write(Buffer.from(this.parts.join(''), 'utf8'));
    this.parts = [];
    this.size = 0;
  }

  /** Finish the body: returns its sha256 and line count. */
  close(): { sha256: string; lines: number } {
    this.flush();
    return { sha256: this.hasher.digest(), lines: this.hasher.lines };
  }

  /** Write the body (after the header) into an output. */
  copyTo(sink: OutputSink): void {
    this.scratch.copyTo(sink);
  }

  discard(): void {
    this.scratch.remove();
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

function nearestMissing(dir: string): string {
  let d = dir;
  while (!fs.existsSync(path.dirname(d)) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Atomically replace `file` with header + the body of `body` (or no body, for a same-as golden). */
export function commitGolden(file: string, header: GoldenHeader, body: BodyWriter | null, hooks: WriteHooks = {}, what = 'golden'): void {
  // header.format says how the body is stored (formatForBody): format 2 packs it first.
  const packed = body && header.format === COMPACT_GOLDEN_FORMAT ? new ScratchFile(file, what) : null;
  try {
    let h = header;
    if (packed) h = { ...header, bodyEncoding: COMPACT_ENCODING, storedSha256: packBody(body!.tmp, packed, what) };
    const sink = openOutput(file, { what, beforeRename: hooks.beforeRename });
    try {
      sink.write(Buffer.from(renderHeader(h), 'utf8'));
      if (packed) packed.copyTo(sink);
      else body?.copyTo(sink);
      sink.commit();
    } finally {
      sink.abort();
    }
  } finally {
    packed?.remove();
  }
}

/** Delete a golden, but only one that carries gicreplay's header; prune folders it leaves empty below `stopAt`. */
export function removeOwnedGolden(file: string, stopAt: string): boolean {
  if (!isOwnedGolden(file)) return false;
  try {
    injectFault('unlink', file);
    fs.unlinkSync(file);
  } catch (e) {
    throw fileError(e, file, 'delete the obsolete golden');
  }
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
