// Text forms: dump -> from-json -> dump is the identity (every checked-in trace plus generated
// ones), register names in dumps, and from-json's handling of bad or hand-written input.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { EventKind, Frame, TraceEvent, UserGroup } from '../trace/events';
import { everyKindV2, everyKindV3, headerV2, tempDir } from '../trace/testing/fixtures';
import { readTrace } from '../trace/reader';
import { synthEvents, synthHeader } from '../trace/synth';
import { eventToText } from '../trace/text';
import { writeTrace } from '../trace/writer';
import { projectRoot } from '../util/project-root';
import { dumpTrace, formatInfo, traceFromJson, traceInfo } from './inspect';
import { FALLBACK_NAMER } from '../trace/names';

const dir = tempDir('gtr-text-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function dump(file: string, json: boolean): string[] {
  const out: string[] = [];
  dumpTrace(file, { json }, (l) => out.push(l));
  return out;
}

function findTraces(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) out.push(...findTraces(p));
    else if (e.name.endsWith('.gtr')) out.push(p);
  }
  return out.sort();
}

function identity(file: string): void {
  const first = dump(file, true);
  const jsonl = path.join(dir, `${path.basename(file)}.jsonl`);
  fs.writeFileSync(jsonl, first.join('\n') + '\n');
  const rebuilt = path.join(dir, `${path.basename(file)}.rebuilt.gtr`);
  traceFromJson(jsonl, rebuilt);
  expect(dump(rebuilt, true)).toEqual(first);
  // The text form is a function of the events alone, so it survives too.
  expect(dump(rebuilt, false)).toEqual(dump(file, false));
}

const generated: [string, () => string][] = [
  ['every kind, GICv3', () => {
    const f = path.join(dir, 'v3.gtr');
    writeTrace(f, synthHeader(4, 3), everyKindV3());
    return f;
  }],
  ['every kind, GICv2', () => {
    const f = path.join(dir, 'v2.gtr');
    writeTrace(f, headerV2(2), everyKindV2());
    return f;
  }],
  ['2000 synthetic events', () => {
    const f = path.join(dir, 'synth.gtr');
    writeTrace(f, synthHeader(4, 3), synthEvents(2000));
    return f;
  }],
  ['no events', () => {
    const f = path.join(dir, 'empty.gtr');
    writeTrace(f, synthHeader(1, 3), []);
    return f;
  }],
];

describe('dump -> from-json -> dump is the identity', () => {
  test.each(generated)('%s', (_name, make) => identity(make()));

  const checkedIn = findTraces(path.join(projectRoot(), 'traces'));
  test(`every trace under traces/ (${checkedIn.length} found)`, () => {
    for (const f of checkedIn) identity(f);
  });

  test('a trace written by gicreplay is rebuilt byte for byte', () => {
    const f = generated[0][1]();
    const jsonl = path.join(dir, 'bytes.jsonl');
    fs.writeFileSync(jsonl, dump(f, true).join('\n'));
    const out = path.join(dir, 'bytes.gtr');
    traceFromJson(jsonl, out);
    expect(fs.readFileSync(out).equals(fs.readFileSync(f))).toBe(true);
  });
});

describe('register names', () => {
  test('fallback names without register tables', () => {
    const n = FALLBACK_NAMER;
    const ev = (frame: Frame, index: number, offset: number): TraceEvent => ({ kind: EventKind.MmioRead, cycle: 0n, cpu: 0, frame, index, offset, size: 4, observed: null });
    expect(n.name(ev(Frame.Dist, 0, 0x84))).toBe('GICD+0x84');
    expect(n.name(ev(Frame.RedistRd, 2, 0x80))).toBe('GICR2+0x80');
    expect(n.name(ev(Frame.RedistSgi, 0, 0x100))).toBe('GICR_SGI0+0x100');
    expect(n.name({ kind: EventKind.UserWrite, cycle: 0n, group: UserGroup.DistRegs, cpu: null, offset: 8, size: 4, value: 0n })).toBe('DIST_REGS+0x8');
  });

  test('dump lines name registers the architecture way', () => {
    const f = generated[0][1]();
    const lines = dump(f, false);
    expect(lines[0]).toBe('#0 @0x0 cpu0 mmio-write GICD_CTLR dist+0x0 size=4 value=0x12');
    expect(lines[6]).toBe('#6 @0x32 cpu0 sysreg-write ICC_SGI1R_EL1 value=0xff000000010001');
    expect(lines[7]).toBe('#7 @0x3c cpu1 sysreg-read ICC_IAR1_EL1 observed=0x3ff');
    expect(lines[8]).toBe('#8 @0x3d cpu1 sysreg-read S3_0_C12_C15_7 observed=?');
    expect(lines[12]).toBe('#12 @0x64 cpu1 line INTID27 level=1');
    expect(lines[14]).toBe('#14 @0x1000000000000001 cpu? marker "boot: GICv3 ✓ «test passed»"');
    expect(lines).toHaveLength(everyKindV3().length);
  });

  test('eventToText falls back to frame+offset names', () => {
    const line = eventToText({ kind: EventKind.MmioWrite, cycle: 16n, cpu: null, frame: Frame.RedistSgi, index: 1, offset: 0x100, size: 4, value: 1n }, 3, FALLBACK_NAMER);
    expect(line).toBe('#3 @0x10 cpu? mmio-write GICR_SGI1+0x100 redist-sgi[1]+0x100 size=4 value=0x1');
  });
});

test('info counts events per kind and the cycle span', () => {
  const f = generated[0][1]();
  const i = traceInfo(f);
  expect(i.events).toBe(17);
  expect(i.counts).toEqual({ 'mmio-read': 3, 'mmio-write': 3, 'sysreg-read': 3, 'sysreg-write': 1, 'user-read': 2, 'user-write': 1, line: 2, marker: 2 });
  expect(i.firstCycle).toBe(0n);
  expect(i.lastCycle).toBe(0xffffffffffffffffn);
  const text = formatInfo(i).join('\n');
  expect(text).toContain('GICv3, 4 vCPUs');
  expect(text).toContain('cycle span: 0 .. 18446744073709551615');
});

describe('from-json input', () => {
  const header = () => dump(generated[1][1](), true)[0];
  let seq = 0;
  function run(lines: string[]): { out: string; err: unknown } {
    const input = path.join(dir, `in${seq}.jsonl`);
    const out = path.join(dir, `out${seq++}.gtr`);
    fs.writeFileSync(input, lines.join('\n'));
    try {
      traceFromJson(input, out);
      return { out, err: null };
    } catch (e) {
      return { out, err: e };
    }
  }
  function expectBad(lines: string[], line: number, message: RegExp): InputError {
    const { out, err } = run(lines);
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.location?.line).toBe(line);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`line ${line}`);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    return e;
  }

  test('hand-written: decimal numbers, S-form sysreg names, blank lines, no trailer', () => {
    const { out, err } = run([
      header(),
      '',
      '{"kind":"mmio-write","cycle":100,"cpu":0,"frame":"dist","index":0,"offset":256,"size":4,"value":"0xffff"}',
      '{"kind":"line","cycle":"0x70","intid":33,"cpu":null,"level":1}',
      '{"kind":"marker","cycle":200,"cpu":null,"text":"done"}',
      '',
    ]);
    expect(err).toBeNull();
    const r = readTrace(out);
    expect(r.events).toEqual([
      { kind: EventKind.MmioWrite, cycle: 100n, cpu: 0, frame: Frame.Dist, index: 0, offset: 256, size: 4, value: 0xffffn },
      { kind: EventKind.Line, cycle: 0x70n, intid: 33, cpu: null, level: 1 },
      { kind: EventKind.Marker, cycle: 200n, cpu: null, text: 'done' },
    ]);
  });

  test('S-form system register names round trip to the same encoding', () => {
    const lines = [dump(generated[0][1](), true)[0], '{"kind":"sysreg-read","cycle":"0x1","cpu":0,"sysreg":"S3_0_C12_C15_7","observed":null}'];
    const { out, err } = run(lines);
    expect(err).toBeNull();
    expect(readTrace(out).events[0]).toMatchObject({ enc: 0x30cf7 });
  });

  test('not JSON', () => void expectBad([header(), '{"kind":'], 2, /not JSON/));
  test('first line not a header', () => void expectBad(['{"kind":"marker","cycle":"0x0","cpu":null,"text":"x"}'], 1, /not a trace header/));
  test('unknown kind', () => void expectBad([header(), '{"kind":"mmio-poke","cycle":"0x1"}'], 2, /unknown event kind "mmio-poke"/));
  test('missing field', () => void expectBad([header(), '{"kind":"line","cycle":"0x1","cpu":null,"level":1}'], 2, /intid is missing/));
  test('a 64-bit value as a JSON number beyond 2^53', () => void expectBad([header(), '{"kind":"marker","cycle":18446744073709551615,"cpu":null,"text":"x"}'], 2, /cycle is 18446744073709552000/));
  test('a value wider than 64 bits', () => void expectBad([header(), '{"kind":"marker","cycle":"0x10000000000000000","cpu":null,"text":"x"}'], 2, /cycle is "0x10000000000000000"/));
  test('unknown sysreg name', () => void expectBad([header(), '{"kind":"sysreg-read","cycle":"0x1","cpu":0,"sysreg":"ICC_FOO_EL1","observed":null}'], 2, /not a known register name/));
  test('a rule the reader enforces (cycle backwards) names the input line and the event', () => {
    const e = expectBad([header(), '{"kind":"marker","cycle":"0x5","cpu":null,"text":"a"}', '{"kind":"marker","cycle":"0x4","cpu":null,"text":"b"}'], 3, /cycle 4 goes backwards/);
    expect(e.location?.eventIndex).toBe(1);
    expect(e.message).not.toContain('out');
  });
  test('trailer event count mismatch', () => void expectBad([header(), '{"kind":"marker","cycle":"0x5","cpu":null,"text":"a"}', '{"trailer":true,"events":2,"digest":"00"}'], 3, /trailer line says 2 events, the file has 1/));
  test('trailer digest mismatch leaves no file', () =>
    void expectBad([header(), '{"kind":"marker","cycle":"0x5","cpu":null,"text":"a"}', `{"trailer":true,"events":1,"digest":"${'0'.repeat(64)}"}`], 3, /digest 0{64} does not match/));
  test('a line after the trailer', () => void expectBad([header(), '{"trailer":true,"events":0,"digest":"x"}', '{"kind":"marker","cycle":"0x5","cpu":null,"text":"a"}'], 3, /follows the trailer/));
  test('empty input', () => void expectBad([''], 1, /empty file/));
});
