// Every file gicreplay writes goes through here: `-o`, `--junit`, `--pending`, goldens, traces,
// import outputs. One rule for what a target may be, one atomic-write protocol, one fsyncDir.
//
// - A regular file (or a new name) is replaced atomically: a temp file beside it, fsync, rename,
//   fsync of the folder. A symbolic link to a regular file stays a link; the file it points to
//   is replaced. A crash leaves the old file or the new one, never half of one.
// - Standard output (`-`, /dev/stdout, /dev/fd/N, /proc/self/fd/N), a FIFO and a character
//   device (a terminal, /dev/null) are written in place when the caller allows it (a target the
//   user named); renaming a temp file over them would replace the device with a regular file.
// - A folder, a block device, a socket, a dangling symbolic link, or one of the command's own
//   input files (same device and inode, through any link) is refused before anything is written.
//
// Temp files are named `.<name>.tmp-<pid>-<n>` (scratch files `.<name>.body-<pid>-<n>`), removed
// on every failure and at exit, and recognisable afterwards (parseTempName) when a SIGKILL left
// one behind. write-file-atomic was considered: it needs the whole content in one buffer (a
// 10-million-record golden must stream) and neither refuses special targets nor fsyncs the folder.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { writeAllToFd } from './fd-writer';
import { injectFault } from './faults';
import { fileError } from './fs-error';
import { fileIdentity, kindOf } from './input-file';

export interface OutputOptions {
  /** The file's role in messages: "trace", "JUnit report", "golden". */
  what: string;
  /** The command's input files: the output may not be any of them. */
  inputs?: readonly string[];
  /** Write standard output, a FIFO or a character device in place (targets the user named). */
  inPlace?: boolean;
  /** Test seam: called between the temp file's fsync and its rename over the target. */
  beforeRename?: (tmp: string, file: string) => void;
}

export interface OutputSink {
  /** The name as given (for messages). */
  readonly file: string;
  /** True when the output appears only at commit() (a regular file). */
  readonly atomic: boolean;
  write(buf: Buffer, len?: number): void;
  /** Make the output final: fsync and rename for a regular file, close for the others. */
  commit(): void;
  /** Give up: remove the temp file (nothing appears under the name). Safe after commit(). */
  abort(): void;
}

type Target = { kind: 'fd'; fd: number } | { kind: 'fifo' | 'device'; path: string } | { kind: 'file'; path: string; mode: number | null };

// ---- temp files ------------------------------------------------------------------------------

const TEMP_RE = /^\.(.+)\.(tmp|body)-(\d+)(?:-\d+)?$/;
let tempSeq = 0;
const liveTemps = new Set<string>();
let exitHook = false;

function track(tmp: string): void {
  liveTemps.add(tmp);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', removeLiveTemps);
  }
}

/** Remove every temp file this process still has open (exit, SIGINT). */
export function removeLiveTemps(): void {
  for (const t of liveTemps) {
    try {
      fs.unlinkSync(t);
    } catch {
      // already gone
    }
  }
  liveTemps.clear();
}

/** Close (if open) and delete a temp file; best effort, removing it is what matters. */
function discardTemp(fd: number, tmp: string): void {
  if (fd >= 0) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
  try {
    fs.unlinkSync(tmp);
  } catch {
    // already gone
  }
  liveTemps.delete(tmp);
}

/** A temp name beside `file`: `.<name>.<kind>-<pid>-<n>`. */
export function tempNameFor(file: string, kind: 'tmp' | 'body' = 'tmp'): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${kind}-${process.pid}-${tempSeq++}`);
}

/** For a name made by tempNameFor (or by an older gicreplay): the file it was for and the writer's pid. */
export function parseTempName(name: string): { of: string; pid: number } | null {
  const m = TEMP_RE.exec(name);
  return m ? { of: m[1], pid: Number(m[3]) } : null;
}

export function fsyncDir(dir: string): void {
  let dfd: number;
  try {
    dfd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(dfd);
  } catch {
    // Some file systems refuse fsync on a folder; the rename is atomic regardless.
  } finally {
    fs.closeSync(dfd);
  }
}

/** mkdir -p with the errors mapped; returns the first folder it created (as fs.mkdirSync does). */
export function makeDirs(dir: string, what: string): string | undefined {
  try {
    injectFault('mkdir', dir);
    return fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      // Something on the path is a file where a folder must be.
      let p = dir;
      while (p !== path.dirname(p) && !fs.existsSync(p)) p = path.dirname(p);
      throw new InputError(`cannot create the folder for the ${what}: ${p} is ${kindOfPath(p)}, not a folder; move it away`, { file: p });
    }
    throw fileError(e, dir, `create the folder for the ${what}`);
  }
}

function kindOfPath(p: string): string {
  try {
    return kindOf(fs.statSync(p));
  } catch {
    return 'not there';
  }
}

// ---- targets ---------------------------------------------------------------------------------

const FD_PATH = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/;

function fdOf(file: string): number | null {
  if (file === '-' || file === '/dev/stdout') return 1;
  if (file === '/dev/stderr') return 2;
  const m = FD_PATH.exec(file) ?? new RegExp(`^/proc/${process.pid}/fd/(\\d+)$`).exec(file);
  return m ? Number(m[1]) : null;
}

/** Does writing `file` write this process's standard output? */
export function isStdoutTarget(file: string): boolean {
  return fdTarget(file) === 1;
}

/**
 * The descriptor `file` names: directly (`-`, /dev/stdout, /dev/fd/N), or through symbolic links
 * that lead to /proc/self/fd/N or /dev/fd/N. Such a name must be written through the descriptor:
 * renaming over what it resolves to would replace the file behind it (and lose what an `>>`
 * redirection appends to).
 */
function fdTarget(file: string): number | null {
  let p = file;
  for (let hop = 0; hop < 16; hop++) {
    const fd = fdOf(p);
    if (fd !== null) return fd;
    let target: string;
    try {
      if (!fs.lstatSync(p).isSymbolicLink()) return null;
      target = fs.readlinkSync(p);
    } catch {
      return null;
    }
    p = path.resolve(path.dirname(p), target);
  }
  return null;
}

/** Decide what writing `file` means, or throw an InputError before anything is written. */
function resolveTarget(file: string, o: OutputOptions): Target {
  const refuse = (why: string, expected = `a regular file or a new name for the ${o.what}`): never => {
    throw new InputError(`refusing to write the ${o.what} here: ${why}`, { file }, expected);
  };
  const fd = fdTarget(file);
  if (fd !== null) {
    if (!o.inPlace) refuse('standard output and /dev/fd/N are not places for it', `a regular file for the ${o.what}`);
    return { kind: 'fd', fd };
  }
  let st: fs.Stats | null = null;
  let real = path.resolve(file);
  try {
    const l = fs.lstatSync(file);
    if (l.isSymbolicLink()) {
      try {
        st = fs.statSync(file);
      } catch {
        refuse(`it is a symbolic link to ${fs.readlinkSync(file)}, which does not exist; remove the link or name another file`);
      }
      real = fs.realpathSync(file);
    } else st = l;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      if (code === 'ENOTDIR') {
        let p = path.dirname(path.resolve(file));
        while (p !== path.dirname(p) && !fs.existsSync(p)) p = path.dirname(p);
        refuse(`${p} is ${kindOfPath(p)}, not a folder`);
      }
      throw fileError(e, file, `write the ${o.what}`);
    }
  }
  if (st) {
    for (const input of o.inputs ?? []) {
      const id = fileIdentity(input);
      if (id && id.dev === st.dev && id.ino === st.ino) refuse(`it is the input file ${input}${input === file ? '' : ' (the same file)'}; writing it would destroy the input`, `an output other than the input`);
    }
    if (st.isDirectory()) refuse('it is a folder; name a file (inside it, perhaps)');
    if (st.isFIFO() || st.isCharacterDevice()) {
      if (!o.inPlace) refuse(`it is ${kindOf(st)}; a ${o.what} must be a regular file`, `a regular file for the ${o.what}`);
      return { kind: st.isFIFO() ? 'fifo' : 'device', path: file };
    }
    if (!st.isFile()) refuse(`it is ${kindOf(st)}`);
    return { kind: 'file', path: real, mode: st.mode & 0o7777 };
  }
  return { kind: 'file', path: real, mode: null };
}

/** Check that `file` may be written (same rules as openOutput), before a long job produces it. */
export function checkOutputTarget(file: string, o: OutputOptions): void {
  resolveTarget(file, o);
}

/** Open an output; see the module comment for what each kind of target means. */
export function openOutput(file: string, o: OutputOptions): OutputSink {
  const t = resolveTarget(file, o);
  if (t.kind === 'file') return new AtomicSink(file, t.path, t.mode, o);
  if (t.kind === 'fd') return new InPlaceSink(file, t.fd, false, o);
  let fd: number;
  try {
    injectFault('open', file);
    // Non-blocking: a FIFO nobody reads fails with ENXIO instead of waiting forever.
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NOCTTY | (t.kind === 'fifo' ? fs.constants.O_NONBLOCK : 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new InputError(`cannot write the ${o.what}: no process is reading the FIFO; start the reader first`, { file });
    throw fileError(e, file, `write the ${o.what}`);
  }
  return new InPlaceSink(file, fd, true, o);
}

/** Write a whole output at once (small files: reports, JUnit XML). */
export function writeOutputFile(file: string, data: string | Buffer, o: OutputOptions): void {
  const sink = openOutput(file, o);
  try {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    sink.write(b);
    sink.commit();
  } finally {
    sink.abort();
  }
}

class InPlaceSink implements OutputSink {
  readonly atomic = false;
  private open = true;
  constructor(readonly file: string, private readonly fd: number, private readonly owned: boolean, private readonly o: OutputOptions) {}

  write(buf: Buffer, len = buf.length): void {
    writeAllToFd(this.fd, buf, 0, len, this.file, `write the ${this.o.what}`, this.fd === 1 && !this.owned, this.fd === 1 ? 'stdout' : 'write');
  }

  commit(): void {
    this.close();
  }

  abort(): void {
    this.close();
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    if (this.owned) {
      try {
        fs.closeSync(this.fd);
      } catch (e) {
        throw fileError(e, this.file, `write the ${this.o.what}`);
      }
    }
  }
}

class AtomicSink implements OutputSink {
  readonly atomic = true;
  private readonly tmp: string;
  private fd: number;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(readonly file: string, private readonly real: string, private readonly mode: number | null, private readonly o: OutputOptions) {
    makeDirs(path.dirname(real), o.what);
    this.tmp = tempNameFor(real);
    try {
      injectFault('open', this.tmp);
      this.fd = fs.openSync(this.tmp, 'wx', mode ?? 0o666);
    } catch (e) {
      throw this.err(e);
    }
    track(this.tmp);
  }

  private err(e: unknown): Error {
    return fileError(e, this.file, `write the ${this.o.what}`, undefined);
  }

  write(buf: Buffer, len = buf.length): void {
    if (this.state !== 'open') throw new Error(`output ${this.file} is ${this.state}`);
    try {
      writeAllToFd(this.fd, buf, 0, len, this.file, `write the ${this.o.what}`, false);
    } catch (e) {
      throw this.noChange(e);
    }
  }

  /** The error, with the reassurance that the target is untouched (it is: nothing was renamed). */
  private noChange(e: unknown): Error {
    const err = this.err(e);
    if (err instanceof InputError && err.location) return new InputError(`${err.detail}; ${path.basename(this.file)} was not changed`, err.location, err.expected);
    return err;
  }

  commit(): void {
    if (this.state !== 'open') throw new Error(`output ${this.file} is ${this.state}`);
    try {
      injectFault('fsync', this.tmp);
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      if (this.mode !== null) fs.chmodSync(this.tmp, this.mode);
      this.o.beforeRename?.(this.tmp, this.real);
      injectFault('rename', this.real);
      fs.renameSync(this.tmp, this.real);
    } catch (e) {
      this.abort();
      throw this.noChange(e);
    }
    liveTemps.delete(this.tmp);
    this.state = 'committed';
    fsyncDir(path.dirname(this.real));
  }

  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    discardTemp(this.fd, this.tmp);
    this.fd = -1;
  }
}

/**
 * A scratch file beside `file` (a golden body being replayed, a trace's events before its
 * header): written, read back, removed. Never renamed over anything.
 */
export class ScratchFile {
  readonly path: string;
  private fd: number;

  constructor(private readonly file: string, private readonly what: string) {
    this.path = tempNameFor(file, 'body');
    makeDirs(path.dirname(this.path), what);
    try {
      injectFault('open', this.path);
      this.fd = fs.openSync(this.path, 'wx+', 0o600);
    } catch (e) {
      throw fileError(e, file, `write the ${what}`);
    }
    track(this.path);
  }

  write(buf: Buffer, len = buf.length): void {
    if (this.fd < 0) throw new Error(`scratch file ${this.path} is closed`);
    writeAllToFd(this.fd, buf, 0, len, this.file, `write the ${this.what}`, false);
  }

  /** Copy the whole content to `sink`. */
  copyTo(sink: OutputSink): void {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ; ) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, pos);
      } catch (e) {
        throw fileError(e, this.file, `write the ${this.what}`);
      }
      if (n === 0) return;
      sink.write(buf, n);
      pos += n;
    }
  }

  /** Close and delete (safe to call twice). */
  remove(): void {
    discardTemp(this.fd, this.path);
    this.fd = -1;
  }
}
