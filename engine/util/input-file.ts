// Opening a file gicreplay reads (trace, golden, log, report, policy, ledger): only a regular
// file is read. A FIFO would block the reader forever, a folder or a device makes no sense, and a
// dangling symbolic link is usually a git-lfs / git-annex file that was never fetched; each is
// refused with a message that names it. The file is opened non-blocking and checked again after
// opening, so a FIFO swapped in between the two steps cannot hang the read either.

import * as fs from 'fs';
import { InputError } from '../errors';
import { fileError } from './fs-error';

export interface OpenedInput {
  fd: number;
  size: number;
  dev: number;
  ino: number;
}

/** "a FIFO (named pipe)", "a folder", … for the type of a stat result. */
export function kindOf(st: fs.Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/**
 * Why `file` cannot be read as a regular file, or null when it can be. `what` names the file's
 * role in messages ("trace", "golden"). Never opens the file.
 */
export function unreadableReason(file: string, what: string): InputError | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    return missingError(e, file, what);
  }
  if (st.isFile()) return null;
  return notRegular(file, what, kindOf(st));
}

function notRegular(file: string, what: string, kind: string): InputError {
  const hint = kind === 'a FIFO (named pipe)' ? ' (reading it would wait forever for a writer)' : '';
  return new InputError(`${what} is ${kind}, not a regular file${hint}; gicreplay reads only regular files`, { file }, `a regular ${what} file`);
}

function missingError(e: unknown, file: string, what: string): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ELOOP') {
    let target: string | null = null;
    try {
      target = fs.lstatSync(file).isSymbolicLink() ? fs.readlinkSync(file) : null;
    } catch {
      // not there at all
    }
    if (target !== null) {
      return new InputError(
        `${what} is a symbolic link to ${target}, which ${code === 'ELOOP' ? 'loops' : 'does not exist'} (a git-annex or git-lfs file that was not fetched? \`git annex get\` / \`git lfs pull\`)`,
        { file },
        `a readable ${what} file`,
      );
    }
  }
  const err = fileError(e, file, `read ${what}`);
  if (err instanceof InputError) return err;
  throw err;
}

/** Open a regular file for reading, or throw an InputError naming it. */
export function openInputFile(file: string, what: string): OpenedInput {
  const why = unreadableReason(file, what);
  if (why) throw why;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw fileError(e, file, `read ${what}`);
  }
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    throw fileError(e, file, `read ${what}`);
  }
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw notRegular(file, what, kindOf(st));
  }
  return { fd, size: st.size, dev: st.dev, ino: st.ino };
}

/** Read a whole (small) regular file, refusing one larger than `maxBytes`. */
export function readInputFile(file: string, what: string, maxBytes: number): Buffer {
  const f = openInputFile(file, what);
  try {
    if (f.size > maxBytes) throw new InputError(`${what} is ${f.size} bytes, more than the ${maxBytes} gicreplay reads`, { file }, `a ${what} of at most ${maxBytes} bytes`);
    const buf = Buffer.allocUnsafe(f.size);
    let off = 0;
    while (off < f.size) {
      let n: number;
      try {
        n = fs.readSync(f.fd, buf, off, f.size - off, off);
      } catch (e) {
        throw fileError(e, file, `read ${what}`);
      }
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    fs.closeSync(f.fd);
  }
}

/** A whole (small) text file, which must be valid UTF-8. */
export function readInputText(file: string, what: string, maxBytes: number): string {
  const b = readInputFile(file, what, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new InputError(`${what} is not valid UTF-8`, { file }, 'UTF-8 text');
  }
}

/** Device and inode of `file` (following symbolic links), or null when it does not exist. */
export function fileIdentity(file: string): { dev: number; ino: number } | null {
  try {
    const st = fs.statSync(file);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}
