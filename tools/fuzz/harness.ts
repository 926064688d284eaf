// Push one (possibly corrupt) trace through the reader and the replay and classify the outcome:
// accepted, rejected with a proper InputError, or a defect (any other exception, or an
// InputError that does not say where).

import * as fs from 'fs';
import { InputError } from '../../engine/errors';
import { Policy } from '../../engine/policy/policy';
import { replayFile, ReplayOptions } from '../../engine/replay/replay';

export type Outcome =
  | { kind: 'accepted'; events: number }
  | { kind: 'rejected'; message: string }
  | { kind: 'defect'; message: string };

export interface HarnessOptions {
  policy: Policy;
  modelFactory?: ReplayOptions['modelFactory'];
  allowTruncated?: boolean;
}

export function runOne(file: string, bytes: Buffer, opts: HarnessOptions): Outcome {
  fs.writeFileSync(file, bytes);
  try {
    const s = replayFile(file, { policy: opts.policy, modelFactory: opts.modelFactory, allowTruncated: opts.allowTruncated }, () => {});
    return { kind: 'accepted', events: s.events };
  } catch (e) {
    if (!(e instanceof InputError)) return { kind: 'defect', message: `uncaught ${(e as Error).name}: ${(e as Error).stack ?? String(e)}` };
    const loc = e.location;
    if (!loc || loc.file !== file) return { kind: 'defect', message: `InputError without the file name: ${e.message}` };
    if (loc.byteOffset === undefined && loc.eventIndex === undefined) return { kind: 'defect', message: `InputError without byte offset or event index: ${e.message}` };
    if (!e.message.includes(file)) return { kind: 'defect', message: `InputError message does not name the file: ${e.message}` };
    return { kind: 'rejected', message: e.message };
  }
}
