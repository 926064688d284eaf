// Reading a QEMU trace log: plain or gzip'd text, split into lines, with the optional
// `-msg timestamp=on` prefix (TID@SEC.USEC:) taken apart from the event name and text.

import * as fs from 'fs';
import * as zlib from 'zlib';
import { InputError } from '../../errors';

/** Read a log file, gunzipping it when it starts with the gzip magic. */
export function readLogText(file: string): string {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read QEMU log: ${(e as Error).message}`, { file });
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = zlib.gunzipSync(raw);
    } catch (e) {
      throw new InputError(`gzip stream is truncated or corrupt: ${(e as Error).message}`, { file, byteOffset: raw.length }, 'a complete gzip file');
    }
  }
  const nul = raw.indexOf(0);
  if (nul >= 0) throw new InputError('binary data in a QEMU log (NUL byte)', { file, byteOffset: nul }, 'text lines from the log trace backend');
  return raw.toString('utf8');
}

export interface LogLine {
  /** 1-based line number in the (decompressed) log. */
  line: number;
  /** Host thread ID from the -msg timestamp=on prefix, or null without one. */
  tid: number | null;
  name: string;
  text: string;
}

const PREFIX = /^([0-9]+)@([0-9]+)\.([0-9]+):/;
const NAME = /^([a-z0-9_]+) (.*)$/;

/**
 * Split a log into event lines. Blank lines are skipped; with skipMalformed, so are lines that are
 * not "NAME TEXT" at all (e.g. QEMU's own messages when stderr was captured too); a last line without its newline means
 * the log was cut short (QEMU ends every line with one) and is rejected, because a truncated
 * number ("value 0x1" of "value 0x1b") would otherwise still parse.
 */
export function splitLog(text: string, file: string, skipMalformed = false): { lines: LogLine[]; skipped: number } {
  const out: LogLine[] = [];
  let skipped = 0;
  const parts = text.split('\n');
  const last = parts.pop();
  if (last !== undefined && last !== '') {
    throw new InputError(`log is truncated: the last line has no newline: ${JSON.stringify(last.slice(0, 120))}`, { file, line: parts.length + 1 }, 'every line to end with a newline');
  }
  for (let i = 0; i < parts.length; i++) {
    let s = parts[i];
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (s.trim() === '') continue;
    let tid: number | null = null;
    const p = PREFIX.exec(s);
    if (p) {
      tid = Number(p[1]);
      s = s.slice(p[0].length);
    }
    const m = NAME.exec(s);
    if (!m) {
      if (skipMalformed) {
        skipped++;
        continue;
      }
      throw new InputError(`malformed line: ${JSON.stringify(s.slice(0, 120))}`, { file, line: i + 1 }, '"[TID@SEC.USEC:]EVENT_NAME TEXT" as the log trace backend prints it');
    }
    out.push({ line: i + 1, tid, name: m[1], text: m[2] });
  }
  return { lines: out, skipped };
}
