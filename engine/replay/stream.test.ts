// The one streaming replay loop (streamTrace): every command that replays a trace names the same
// place for the same bad trace. `replay` (replayFile), `check` (checkPair), `diff` (lockstep) and
// `matrix` all go through it, so an error a model raises for an event carries the file, the event
// index and its byte offset everywhere, and a header the model cannot build names byte offset 0.

import * as fs from 'fs';
import { InputError } from '../errors';
import { diffPolicies } from '../divergence/diff';
import { traceMatrix } from '../divergence/matrix';
import { goldenPathFor, layoutFor } from '../golden/layout';
import { checkPair } from '../golden/pair';
import { bootEvents, fake, tempProject, writeTraceAt } from '../golden/testing/project';
import { getPolicy } from '../policy/policy';
import { openTrace } from '../trace/reader';
import { synthHeader } from '../trace/synth';
import { replayFile } from './replay';

const root = tempProject();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const rev3 = getPolicy('rev3');
const rev1 = getPolicy('rev1');

/** The message `f` throws (InputError only). */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

function checkMessage(trace: string, inj?: ReturnType<typeof fake>): string {
  const r = checkPair({ layout: layoutFor(root), trace, policy: rev3, golden: goldenPathFor(trace, rev3.id), replay: inj });
  expect(r.status).toBe('error');
  return r.message!;
}

test('a model refusing an event: replay, check, diff and matrix name the same file, byte offset and event', () => {
  const events = bootEvents(true); // event 1 reads GICD_IIDR (offset 8)
  const file = writeTraceAt(root, 'refused.gtr', events);
  const reader = openTrace(file);
  reader.next();
  const offset = reader.offset; // where event 1 starts
  reader.close();
  expect(offset).toBeGreaterThan(0);
  const where = `${file}, byte offset ${offset}, event 1: GICD_IIDR is not a register the fake model decodes`;
  const inj = fake({ refuseOffset: 8 });

  expect(thrown(() => replayFile(file, { policy: rev3, ...inj }, () => {}))).toContain(where);
  expect(checkMessage('refused.gtr', inj)).toContain(where);
  expect(thrown(() => diffPolicies(file, rev3, rev1, inj))).toContain(where);
  expect(thrown(() => traceMatrix(file, 'refused.gtr', [rev3, rev1], inj))).toContain(where);
});

test('a header the model cannot build (40 SPIs on GICv3): every command names byte offset 0', () => {
  const h = synthHeader(2, 3);
  h.gic.spis = 40; // the trace format allows it; KVM's NR_IRQS does not (multiples of 32)
  const file = writeTraceAt(root, 'spis40.gtr', bootEvents(), h);
  const where = `${file}, byte offset 0: trace header: GICv3 configuration has 40 SPIs`;
  expect(thrown(() => replayFile(file, { policy: rev3 }, () => {}))).toContain(where);
  expect(checkMessage('spis40.gtr')).toContain(where);
  expect(thrown(() => diffPolicies(file, rev3, rev1))).toContain(where);
  expect(thrown(() => traceMatrix(file, 'spis40.gtr', [rev3, rev1]))).toContain(where);
});
