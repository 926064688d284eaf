// The runner's answers (tools/kvm/JOB.md, "Output"), cut into one result list per trace.
// Console output is framed ("@@<seq> " before each line, a count and CRC-32 at the end) so that
// kernel messages interleaved with it cannot pass for answers; a file written through
// semihosting or the native runner's stdout carries the same lines unframed.

export interface RunnerLine {
  tag: string;
  kind: string;
  args: string[];
  /** The line after "TAG KIND ", blanks kept (console and ftrace text of a vmm run). */
  rest: string;
}

export interface TraceAnswers {
  id: string;
  /** Setup finished ("- ok N"): the VM, vCPUs and vGIC exist. */
  ready: boolean;
  mpidrs: bigint[];
  /** The runner's reason this trace stopped, with the tag (event index or setup tag) it stopped at. */
  failure?: { tag: string; message: string };
  /** Every answer in job order. */
  lines: RunnerLine[];
  /** The runner reached the trace's end ("E ok" / "E fail"). */
  complete: boolean;
  /** Microseconds the trace took inside the guest (setup, operations, teardown): for the benchmark only. */
  elapsedUs?: number;
}

export interface RunnerOutput {
  traces: TraceAnswers[];
  /** The whole job ran to its last line ("D <count> <crc>" seen and verified). */
  done: boolean;
  /** "E nokvm …" and the like: the runner could not start at all. */
  fatal?: string;
  /** A framing problem (missing or reordered lines, a bad checksum): the answers cannot be trusted. */
  corrupt?: string;
}

let crcTable: Uint32Array | undefined;
function crc32(s: string, crc: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  const b = Buffer.from(s, 'utf8');
  for (let i = 0; i < b.length; i++) crc = crcTable[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return crc >>> 0;
}

/** Parse runner output. `framed`: console lines with "@@<seq> "; anything else on the console is ignored. */
export function parseRunnerOutput(text: string, framed: boolean): RunnerOutput {
  const out: RunnerOutput = { traces: [], done: false };
  let crc = 0xffffffff;
  let seq = 0;
  let cur: TraceAnswers | undefined;
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\r$/, '');
    if (framed) {
      const m = /@@(\d+) (.*)$/.exec(line);
      if (!m) continue;
      if (Number(m[1]) !== seq) {
        out.corrupt ??= `console line @@${m[1]} where @@${seq} was expected (lost or reordered output)`;
        continue;
      }
      line = m[2];
    } else if (line === '') continue;
    if (line.startsWith('D ')) {
      const [, count, sum] = line.split(' ');
      if (Number(count) !== seq) out.corrupt ??= `the runner wrote ${count} lines, ${seq} arrived`;
      else if (parseInt(sum, 16) !== (crc ^ 0xffffffff) >>> 0) out.corrupt ??= 'the runner output fails its CRC-32 check';
      else out.done = true;
      seq++;
      continue;
    }
    crc = crc32(line + '\n', crc);
    seq++;
    const t = line.split(' ');
    if (t[0] === 'H') continue;
    if (t[0] === 'E' && t[1] === 'nokvm') {
      out.fatal = line.slice('E nokvm '.length);
      continue;
    }
    if (t[0] === 'T') {
      cur = { id: t[1], ready: false, mpidrs: [], lines: [], complete: false };
      out.traces.push(cur);
      continue;
    }
    if (!cur) continue;
    if (t[0] === 'E') {
      cur.complete = true;
      if (t[2] !== undefined) cur.elapsedUs = Number(t[2]);
      continue;
    }
    if (t[1] === 'F') {
      cur.failure = { tag: t[0], message: t.slice(2).join(' ') };
      continue;
    }
    if (t[0] === '-' && t[1] === 'ok') {
      cur.ready = true;
      continue;
    }
    if (t[0] === '-' && t[1] === 'mpidr') {
      cur.mpidrs[Number(t[2])] = BigInt(`0x${t[3]}`);
      continue;
    }
    cur.lines.push({ tag: t[0], kind: t[1], args: t.slice(2), rest: line.slice(t[0].length + (t[1] ?? '').length + 2) });
  }
  return out;
}
