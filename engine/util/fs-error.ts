// Filesystem failures as the user's problem, never as a stack trace: every errno gicreplay can
// meet while reading or writing its files becomes an InputError (exit 2) that names the file,
// says what went wrong in words and what to do about it.

import { InputError } from '../errors';

const REASON: Record<string, [reason: string, advice?: string]> = {
  ENOSPC: ['no space left on the device', 'free some space and run the command again'],
  EDQUOT: ['the disk quota is exhausted', 'free some space and run the command again'],
  EFBIG: ['the file is too large for this file system'],
  EROFS: ['the file system is read-only', 'run from a writable copy of the project'],
  EACCES: ['permission denied', 'check the permissions of the file and of its folder'],
  EPERM: ['operation not permitted', 'the file or its folder may be immutable (lsattr) or owned by someone else'],
  EISDIR: ['it is a folder, not a file', 'name a file'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'move that file away'],
  ENOENT: ['no such file or folder'],
  EEXIST: ['it already exists'],
  ENOTEMPTY: ['the folder is not empty'],
  ENAMETOOLONG: ['the name is too long'],
  ELOOP: ['the path has a loop of symbolic links'],
  EIO: ['an input/output error (a failing disk or a lost network file system?)'],
  EMFILE: ['too many open files', 'raise the limit (ulimit -n) or close other programs'],
  ENFILE: ['too many open files in the system'],
  EBUSY: ['the file is busy'],
  ETXTBSY: ['the file is busy'],
  EXDEV: ['it is on another file system'],
  ENXIO: ['no process has it open for reading', 'start the reader first'],
  EPIPE: ['the reader closed it before the output was complete'],
  EAGAIN: ['the operation would block'],
  EINVAL: ['the operation is not supported on it'],
  EOPNOTSUPP: ['the file system does not support it'],
};

export function errnoCode(e: unknown): string | undefined {
  const c = (e as NodeJS.ErrnoException | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Is `e` an error from the operating system (errno) rather than a bug? Duck-typed: errors made
 * in another realm (a Jest test's vm context) are not `instanceof Error` here.
 */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException {
  return typeof e === 'object' && e !== null && typeof (e as NodeJS.ErrnoException).syscall === 'string' && errnoCode(e) !== undefined;
}

/** "no space left on the device (ENOSPC)" for an errno error, else the error's message. */
export function describeErrno(e: unknown): string {
  const code = errnoCode(e);
  const r = code ? REASON[code] : undefined;
  if (r && code) return `${r[0]} (${code})`;
  return (e as Error)?.message ?? String(e);
}

/**
 * Map an error from an fs call on `file` to an InputError: "cannot <doing>: <reason> (<CODE>);
 * <advice>". InputErrors pass through unchanged; anything that is not an errno error is a bug and
 * is returned as it is, for the caller to rethrow.
 */
export function fileError(e: unknown, file: string, doing: string, advice?: string): Error {
  if (e instanceof InputError) return e;
  if (!isErrnoError(e)) return e as Error;
  const code = errnoCode(e)!;
  const tip = advice ?? REASON[code]?.[1];
  return new InputError(`cannot ${doing}: ${describeErrno(e)}${tip ? `; ${tip}` : ''}`, { file });
}

/** Run `f`; an fs failure becomes fileError(...) (an InputError), anything else is rethrown. */
export function withFileErrors<T>(file: string, doing: string, f: () => T, advice?: string): T {
  try {
    return f();
  } catch (e) {
    throw fileError(e, file, doing, advice);
  }
}
