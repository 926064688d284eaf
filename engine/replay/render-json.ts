// The --json contract of `gicreplay replay`: one JSON object per line, register values and cycles
// as 0x-prefixed lower-case hex strings (they can exceed 2^53), keys in a fixed order.

import { hex } from '../util/hex';
import { ReplayRecord } from './records';

export function recordToJson(r: ReplayRecord): string {
  switch (r.op) {
    case 'read': {
      const o: Record<string, unknown> = { index: r.index, cycle: hex(r.cycle), cpu: r.cpu, op: 'read', src: r.src, reg: r.reg };
      if (r.offset !== null) o.offset = hex(r.offset);
      o.size = r.size;
      o.value = hex(r.value);
      o.recorded = r.recorded === null ? null : hex(r.recorded);
      if (r.result) o.errno = r.result;
      if (r.unmodelled) o.unmodelled = true;
      if (r.note) o.note = r.note;
      if (r.notComparable) o.notComparable = r.notComparable;
      return JSON.stringify(o);
    }
    case 'write': {
      const o: Record<string, unknown> = { index: r.index, cycle: hex(r.cycle), cpu: r.cpu, op: 'write', src: r.src, reg: r.reg };
      if (r.offset !== null) o.offset = hex(r.offset);
      o.size = r.size;
      o.value = hex(r.value);
      o.effect = r.effect;
      if (r.result) o.errno = r.result;
      if (r.unmodelled) o.unmodelled = true;
      return JSON.stringify(o);
    }
    case 'irq':
    case 'fiq':
      return JSON.stringify(r.notComparable ? { op: r.op, cpu: r.cpu, level: r.level, cycle: hex(r.cycle), index: r.index, notComparable: r.notComparable } : { op: r.op, cpu: r.cpu, level: r.level, cycle: hex(r.cycle), index: r.index });
    case 'line-mismatch':
      return JSON.stringify({ index: r.index, cycle: hex(r.cycle), cpu: r.cpu, op: r.op, intid: r.intid, recorded: r.recorded, modelled: r.modelled });
    case 'marker':
      return JSON.stringify({ index: r.index, cycle: hex(r.cycle), cpu: r.cpu, op: 'marker', text: r.text });
    case 'truncated':
      return JSON.stringify({ op: 'truncated', index: r.index, reason: r.reason });
    case 'its-cmd':
      return JSON.stringify({ index: r.index, cycle: hex(r.cycle), cpu: r.cpu, op: 'its-cmd', at: hex(r.at), command: r.command, result: r.result });
    case 'mem-write':
      return JSON.stringify({ index: r.index, cycle: hex(r.cycle), op: 'mem-write', addr: hex(r.addr), data: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('hex'), why: r.why });
    case 'msi':
      return JSON.stringify({ index: r.index, cycle: hex(r.cycle), op: 'msi', reg: r.reg, result: r.result, effect: r.effect });
    case 'ctrl': {
      const o: Record<string, unknown> = { index: r.index, cycle: hex(r.cycle), op: 'ctrl', reg: r.reg, result: r.result };
      if (r.effect) o.effect = r.effect;
      return JSON.stringify(o);
    }
  }
}
