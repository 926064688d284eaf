// Deterministic fault injection for the robustness campaign (tools/fuzz): the file-writing
// helpers call injectFault() before each operation, and a campaign run makes the Nth and every
// later one fail with a chosen errno, e.g. a disk that fills up after the third write. This
// covers full disks and read-only trees on machines where a small tmpfs or a read-only mount
// cannot be made (no root). Off unless installFaults() was called (the CLI does so only when
// GICREPLAY_FAULTS is set).
//
// Spec: comma-separated `op:CODE:N[:path-substring]`, e.g. `write:ENOSPC:3`, `rename:EROFS:1`,
// `stdout:ENOSPC:1`, `write:EIO:2:golden/`.

export type FaultOp = 'open' | 'write' | 'fsync' | 'rename' | 'mkdir' | 'unlink' | 'link' | 'stdout';

const OPS: readonly FaultOp[] = ['open', 'write', 'fsync', 'rename', 'mkdir', 'unlink', 'link', 'stdout'];

interface Fault {
  op: FaultOp;
  code: string;
  from: number;
  path: string | null;
  seen: number;
}

let faults: Fault[] = [];

/** Parse and install a spec (replacing any earlier one); throws Error with a usable message on a bad spec. */
export function installFaults(spec: string): void {
  const out: Fault[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z]+):(E[A-Z0-9]+):([1-9]\d*)(?::(.+))?$/.exec(part);
    if (!m || !(OPS as readonly string[]).includes(m[1])) throw new Error(`fault spec ${JSON.stringify(part)}: expected op:ECODE:N[:path], op one of ${OPS.join(', ')}`);
    out.push({ op: m[1] as FaultOp, code: m[2], from: Number(m[3]), path: m[4] ?? null, seen: 0 });
  }
  faults = out;
}

export function clearFaults(): void {
  faults = [];
}

/** Throw the injected errno error if a fault is due for this operation on this file. */
export function injectFault(op: FaultOp, file: string): void {
  if (!faults.length) return;
  for (const f of faults) {
    if (f.op !== op || (f.path !== null && !file.includes(f.path))) continue;
    f.seen++;
    if (f.seen >= f.from) {
      throw Object.assign(new Error(`${f.code}: injected fault, ${op} '${file}'`), { code: f.code, syscall: op, path: file, errno: -1 });
    }
  }
}
