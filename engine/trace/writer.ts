// Trace writer: header, events, trailer, written to a temp file in the target folder, fsync'd and
// renamed, so a crash never leaves a half-written trace under the final name.
// PLACEHOLDER internals (buffers in memory); the trace-format work streams it. Keep this API.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Packr } from 'msgpackr';
import { eventToWire, wireUint } from './codec';
import { TRACE_FORMAT_MAJOR, TRACE_FORMAT_MINOR, TRACE_MAGIC, TraceEvent, TraceHeader, TraceTrailer } from './events';
import { GICREPLAY_VERSION } from '../version';

export function headerToWire(h: TraceHeader): Record<string, unknown> {
  const details: Record<string, string> = {};
  for (const k of Object.keys(h.provenance.details).sort()) details[k] = h.provenance.details[k];
  const frames: Record<string, unknown> = { dist: wireUint(h.gic.frames.dist) };
  if (h.gic.frames.redist) frames.redist = h.gic.frames.redist.map(wireUint);
  if (h.gic.frames.cpuif !== undefined) frames.cpuif = wireUint(h.gic.frames.cpuif);
  if (h.gic.frames.its !== undefined) frames.its = wireUint(h.gic.frames.its);
  return {
    magic: TRACE_MAGIC,
    formatMajor: TRACE_FORMAT_MAJOR,
    formatMinor: TRACE_FORMAT_MINOR,
    writer: h.writer || `gicreplay ${GICREPLAY_VERSION}`,
    gic: {
      version: h.gic.version,
      cpus: h.gic.cpus.map((c) => ({ mpidr: wireUint(c.mpidr) })),
      spis: h.gic.spis,
      its: h.gic.its,
      frames,
    },
    timer: {
      cntfrq: wireUint(h.timer.cntfrq),
      counterPerCycle: { num: wireUint(h.timer.counterPerCycle.num), den: wireUint(h.timer.counterPerCycle.den) },
      virtualOffset: wireUint(h.timer.virtualOffset),
      physicalOffset: wireUint(h.timer.physicalOffset),
    },
    provenance: {
      kind: h.provenance.kind,
      tool: h.provenance.tool,
      command: h.provenance.command,
      blindSpots: h.provenance.blindSpots,
      cycles: h.provenance.cycles,
      details,
    },
  };
}

export class TraceWriter {
  private readonly chunks: Buffer[] = [];
  private readonly hash = createHash('sha256');
  private readonly packr = new Packr({ useRecords: false, variableMapSize: true });
  private count = 0;
  private lastCycle = -1n;

  private constructor(readonly file: string, header: TraceHeader) {
    this.chunks.push(this.packr.pack(headerToWire(header)));
  }

  static create(file: string, header: TraceHeader): TraceWriter {
    return new TraceWriter(file, header);
  }

  write(ev: TraceEvent): void {
    if (ev.cycle < this.lastCycle) throw new Error(`event ${this.count}: cycle ${ev.cycle} goes backwards (previous ${this.lastCycle})`);
    this.lastCycle = ev.cycle;
    const b = this.packr.pack(eventToWire(ev));
    this.hash.update(b);
    this.chunks.push(Buffer.from(b));
    this.count++;
  }

  finish(): TraceTrailer {
    const trailer: TraceTrailer = { events: this.count, digest: this.hash.digest('hex') };
    this.chunks.push(this.packr.pack({ trailer: true, events: trailer.events, digest: trailer.digest }));
    writeFileAtomic(this.file, Buffer.concat(this.chunks));
    return trailer;
  }
}

export function writeTrace(file: string, header: TraceHeader, events: Iterable<TraceEvent>): TraceTrailer {
  const w = TraceWriter.create(file, header);
  for (const e of events) w.write(e);
  return w.finish();
}

/** Write a whole file atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export function writeFileAtomic(file: string, data: Buffer | string): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}
