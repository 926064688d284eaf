// Replay records from the check's main thread to its thread (check-thread.ts), which renders and
// hashes them (BodyHasher). Rendering a record costs the main thread several times what writing
// its fields into shared memory does. Reads, write effects and output changes (all but a handful
// of records) travel as fixed-size entries of numbers; their strings (register names, effect
// texts) travel once each on the stream's port and are named by their number after that. Any
// other record travels whole on the port, its entry saying "take the next record message".
//
// An entry is seven 64-bit words:
//   q0 cycle · q1 value · q2 recorded · q3 head, index (u32 each) · q4 cpu, offset · q5 size,
//   register · q6 effect, result.
// Counters are int32 and wrap; only their differences count.

import { MessagePort, receiveMessageOnPort } from 'worker_threads';
import { ReadRecord, ReplayRecord, WriteEffectRecord } from '../replay/records';

const QWORDS = 7;
/** Records between two hand-overs to the thread (each may wake it: a system call). */
const PUBLISH_EVERY = 1024;
/** Per stream (int32 words): the main thread's count, the thread's count, closed (1), state (0 running, 1 digest in place, 2 failed). */
const PRODUCED = 0;
const CONSUMED = 1;
const CLOSED = 2;
const STATE = 3;
const CONTROL_WORDS = 8;
const STATE_DONE = 1;
const STATE_FAILED = 2;
const DIGEST_BYTES = 32;
const HEADER_BYTES = CONTROL_WORDS * 4 + DIGEST_BYTES;

const OP_MESSAGE = 0;
const OP_READ = 1;
const OP_WRITE = 2;
const OP_IRQ = 3;
const OP_FIQ = 4;
const CPU_NIL = 1 << 8;
const OFFSET_NIL = 1 << 9;
const RECORDED_NIL = 1 << 10;
const UNMODELLED_SET = 1 << 11;
const UNMODELLED_FALSE = 1 << 12;
const RESULT_SET = 1 << 13;
const VIA_SHIFT = 16;
const SRC_SHIFT = 20;
const VIAS = ['mmio', 'sysreg', 'user', 'line'] as const;
const SRCS = ['guest', 'user', 'line', 'timer'] as const;
/** Strings (and their characters) a stream names by number at most; past that, records with new strings travel whole. */
const MAX_STRINGS = 1 << 14;
const MAX_STRING_CHARS = 1 << 20;
/** Strings longer than this travel inside their record. */
const MAX_STRING_LENGTH = 4096;

export type RecordMessage = { t: 'str'; s: string } | { t: 'rec'; r: ReplayRecord };

export function recordRingBytes(entries: number): number {
  return HEADER_BYTES + entries * QWORDS * 8;
}

interface Views {
  ctl: Int32Array;
  digest: Uint8Array;
  q: BigUint64Array;
  u: Uint32Array;
}

function views(sab: SharedArrayBuffer, at: number, entries: number): Views {
  return {
    ctl: new Int32Array(sab, at, CONTROL_WORDS),
    digest: new Uint8Array(sab, at + CONTROL_WORDS * 4, DIGEST_BYTES),
    q: new BigUint64Array(sab, at + HEADER_BYTES, entries * QWORDS),
    u: new Uint32Array(sab, at + HEADER_BYTES, entries * QWORDS * 2),
  };
}

/** Where one stream lives: its part of a shared buffer, and its port's thread end. */
export interface RecordStreamSpec {
  sab: SharedArrayBuffer;
  at: number;
  entries: number;
  port: MessagePort;
}

/**
 * The main thread's end. add() blocks only when the thread is a whole ring behind; `wake` tells
 * the thread there is work; digest() ends the stream and waits for the thread's SHA-256.
 */
export class RecordWriter {
  lines = 0;
  private readonly v: Views;
  private readonly q: BigUint64Array;
  private readonly u: Uint32Array;
  private readonly mask: number;
  private produced = 0;
  private consumed = 0;
  private readonly ids = new Map<string, number>();
  private chars = 0;
  private finished = false;

  constructor(
    private readonly spec: RecordStreamSpec,
    private readonly port: MessagePort,
    private readonly wake: () => void,
    /** Waits on a control word: (word array, index, seen value) until it changes, giving up on a stalled thread. */
    private readonly wait: (ctl: Int32Array, word: number, seen: number) => void,
  ) {
    this.v = views(spec.sab, spec.at, spec.entries);
    this.q = this.v.q;
    this.u = this.v.u;
    this.mask = spec.entries - 1;
  }

  add(r: ReplayRecord): void {
    if (this.finished) throw new Error('RecordWriter.add() after digest()');
    this.lines++;
    if (((this.produced - this.consumed) | 0) >= this.spec.entries) this.room();
    const e = this.produced & this.mask;
    const b = e * QWORDS;
    const w = b * 2;
    const q = this.q;
    const u = this.u;
    let head: number;
    // An index past int32 (4 G events) does not fit its word: such a record travels whole.
    if (r.index > 0x7fffffff) return this.whole(r, w);
    switch (r.op) {
      case 'read': {
        if (r.note !== undefined || r.notComparable !== undefined) return this.whole(r, w);
        const reg = this.id(r.reg);
        if (reg < 0) return this.whole(r, w);
        head = this.access(r, reg, b, w) | OP_READ | (r.via === 'mmio' ? 0 : r.via === 'sysreg' ? 1 : 2) << VIA_SHIFT | (r.src === 'guest' ? 0 : 1) << SRC_SHIFT;
        if (r.recorded === null) head |= RECORDED_NIL;
        else q[b + 2] = r.recorded;
        break;
      }
      case 'write': {
        const reg = this.id(r.reg);
        const effect = reg < 0 ? -1 : this.id(r.effect);
        if (effect < 0) return this.whole(r, w);
        head = this.access(r, reg, b, w) | OP_WRITE | VIAS.indexOf(r.via) << VIA_SHIFT | SRCS.indexOf(r.src) << SRC_SHIFT;
        u[w + 12] = effect;
        break;
      }
      case 'irq':
      case 'fiq':
        if (r.notComparable !== undefined) return this.whole(r, w);
        head = r.op === 'irq' ? OP_IRQ : OP_FIQ;
        q[b] = r.cycle;
        u[w + 8] = r.cpu;
        u[w + 10] = r.level;
        break;
      default:
        return this.whole(r, w);
    }
    u[w + 6] = head;
    u[w + 7] = r.index;
    this.advance();
  }

  /** The fields reads and writes share; returns their head flags. */
  private access(r: ReadRecord | WriteEffectRecord, reg: number, b: number, w: number): number {
    const q = this.q;
    const u = this.u;
    let head = 0;
    q[b] = r.cycle;
    q[b + 1] = r.value;
    if (r.cpu === null) head |= CPU_NIL;
    else u[w + 8] = r.cpu;
    if (r.offset === null) head |= OFFSET_NIL;
    else u[w + 9] = r.offset;
    u[w + 10] = r.size;
    u[w + 11] = reg;
    return head | flags(r.unmodelled, r.result, u, w);
  }

  /** End the stream and return the thread's SHA-256 (hex) of the rendered body; throws when the thread failed. */
  digest(): string {
    if (this.finished) throw new Error('RecordWriter.digest() twice');
    this.finished = true;
    this.publish();
    Atomics.store(this.v.ctl, CLOSED, 1);
    this.wake();
    const ctl = this.v.ctl;
    for (let s = Atomics.load(ctl, STATE); s === 0; s = Atomics.load(ctl, STATE)) this.wait(ctl, STATE, s);
    if (Atomics.load(ctl, STATE) !== STATE_DONE) throw new Error('the check thread could not render a body');
    return Buffer.from(this.v.digest).toString('hex');
  }

  private id(s: string): number {
    const id = this.ids.get(s);
    if (id !== undefined) return id;
    if (this.ids.size >= MAX_STRINGS || s.length > MAX_STRING_LENGTH || this.chars + s.length > MAX_STRING_CHARS) return -1;
    this.chars += s.length;
    const n = this.ids.size;
    this.ids.set(s, n);
    this.port.postMessage({ t: 'str', s } satisfies RecordMessage);
    return n;
  }

  private whole(r: ReplayRecord, w: number): void {
    this.port.postMessage({ t: 'rec', r } satisfies RecordMessage);
    this.u[w + 6] = OP_MESSAGE;
    this.advance();
  }

  private advance(): void {
    this.produced = (this.produced + 1) | 0;
    if ((this.produced & (PUBLISH_EVERY - 1)) === 0) this.publish();
  }

  /** Hand the thread what was added so far (add() does every PUBLISH_EVERY records, digest() at the end). */
  publish(): void {
    Atomics.store(this.v.ctl, PRODUCED, this.produced);
    this.wake();
  }

  private room(): void {
    this.publish();
    const ctl = this.v.ctl;
    for (;;) {
      this.consumed = Atomics.load(ctl, CONSUMED);
      if (((this.produced - this.consumed) | 0) < this.spec.entries) return;
      this.wait(ctl, CONSUMED, this.consumed);
    }
  }
}

function flags(unmodelled: boolean | undefined, result: number | undefined, u: Uint32Array, w: number): number {
  let f = unmodelled === undefined ? 0 : unmodelled ? UNMODELLED_SET : UNMODELLED_FALSE;
  if (result !== undefined) {
    f |= RESULT_SET;
    u[w + 13] = result;
  }
  return f;
}

/** The thread's end: next() gives the records in order, as plain values equal to those added. */
export class RecordReader {
  private readonly v: Views;
  private readonly mask: number;
  private consumed = 0;
  private readonly strings: string[] = [];

  constructor(private readonly spec: RecordStreamSpec) {
    this.v = views(spec.sab, spec.at, spec.entries);
    this.mask = spec.entries - 1;
  }

  /** Records waiting (after which, if closed() was true before the look, the stream has ended). */
  waiting(): number {
    return (Atomics.load(this.v.ctl, PRODUCED) - this.consumed) | 0;
  }

  closed(): boolean {
    return Atomics.load(this.v.ctl, CLOSED) === 1;
  }

  /** Give the entries read so far back to the main thread. */
  release(): void {
    Atomics.store(this.v.ctl, CONSUMED, this.consumed);
    Atomics.notify(this.v.ctl, CONSUMED);
  }

  /** Pass over `n` waiting entries without reading them (a stream whose rendering failed). */
  skip(n: number): void {
    this.consumed = (this.consumed + n) | 0;
  }

  /** The next record; call only when waiting() > 0. */
  next(): ReplayRecord {
    const e = this.consumed & this.mask;
    this.consumed = (this.consumed + 1) | 0;
    const b = e * QWORDS;
    const w = b * 2;
    const { q, u } = this.v;
    const head = u[w + 6];
    const op = head & 0xff;
    if (op === OP_MESSAGE) return this.message();
    const index = u[w + 7] | 0;
    const cycle = q[b];
    if (op === OP_IRQ || op === OP_FIQ) return { op: op === OP_IRQ ? 'irq' : 'fiq', cpu: u[w + 8], level: u[w + 10] as 0 | 1, cycle, index };
    const cpu = head & CPU_NIL ? null : u[w + 8];
    const offset = head & OFFSET_NIL ? null : u[w + 9];
    const reg = this.string(u[w + 11]);
    const via = (head >> VIA_SHIFT) & 15;
    const src = (head >> SRC_SHIFT) & 15;
    const r: ReplayRecord =
      op === OP_READ
        ? { op: 'read', index, cycle, cpu, src: src === 0 ? 'guest' : 'user', via: VIAS[via] as 'mmio' | 'sysreg' | 'user', reg, offset, size: u[w + 10], value: q[b + 1], recorded: head & RECORDED_NIL ? null : q[b + 2] }
        : { op: 'write', index, cycle, cpu, src: SRCS[src], via: VIAS[via], reg, offset, size: u[w + 10], value: q[b + 1], effect: this.string(u[w + 12]) };
    if (head & (UNMODELLED_SET | UNMODELLED_FALSE)) (r as { unmodelled?: boolean }).unmodelled = (head & UNMODELLED_SET) !== 0;
    if (head & RESULT_SET) (r as { result?: number }).result = u[w + 13] | 0;
    return r;
  }

  /** Put the digest in place (or say the stream failed) for the main thread. */
  conclude(digest: Buffer | null): void {
    if (digest) this.v.digest.set(digest);
    Atomics.store(this.v.ctl, STATE, digest ? STATE_DONE : STATE_FAILED);
    Atomics.notify(this.v.ctl, STATE);
  }

  private string(id: number): string {
    while (id >= this.strings.length) this.take();
    return this.strings[id];
  }

  private message(): ReplayRecord {
    for (;;) {
      const m = this.take();
      if (m !== null) return m;
    }
  }

  /** The next port message: a string goes to the table (null), a record is returned. */
  private take(): ReplayRecord | null {
    const got = receiveMessageOnPort(this.spec.port);
    if (got === undefined) throw new Error('a record stream entry came without its message');
    const m = got.message as RecordMessage;
    if (m.t === 'str') {
      this.strings.push(m.s);
      return null;
    }
    return m.r;
  }
}
