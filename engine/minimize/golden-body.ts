// The body lines of a checked-in golden (following `same-as`), refused when it was blessed for
// another version of the trace (a drift from it would say nothing about these events) and when it
// is damaged: the lines are read through the golden module's own reader and verification
// (openGolden, CheckedBody, bodyFault), so a compact body is inflated and a hand-edited one is
// refused exactly as `gicreplay check` refuses it.

import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { blessHint, bodyFaultError } from '../golden/pair';
import { bodyFault, CheckedBody, openGolden } from '../golden/store';
import { Policy } from '../policy/policy';

/**
 * `policyFile`: the --policy-file the golden's policy was chosen through, if any, so the printed
 * bless command names it (a policy known only through a file has no --policy ID).
 */
export function readGoldenBody(file: string, display: string, traceDigest: string, policyFile?: string, asked?: string): string[] {
  const g = openGolden(file, display);
  if (!g) throw new InputError('not a gicreplay golden', { file: display, line: 1 }, 'a golden written by `gicreplay bless`');
  const h = g.header;
  if (h.trace === undefined || h.policy === undefined) {
    g.reader.close();
    throw new InputError('golden names no trace or policy (a Jest-matcher golden?) but sits where the suite expects one', { file: display });
  }
  const policy = asked ?? h.policy;
  if (h.sameAs) {
    g.reader.close();
    return readGoldenBody(path.join(path.dirname(file), `${h.sameAs}.golden`), `${path.posix.dirname(display)}/${h.sameAs}.golden`, traceDigest, policyFile, policy);
  }
  if (h.traceDigest && traceDigest && h.traceDigest !== traceDigest) {
    g.reader.close();
    throw new UsageError(`${display} was blessed for another version of the trace (trace digest ${h.traceDigest.slice(0, 12)}…, the trace is ${traceDigest.slice(0, 12)}…): its drift says nothing about these events`);
  }
  const lines: string[] = [];
  try {
    const body = new CheckedBody(g, display);
    for (let l = body.next(); l !== null; l = body.next()) lines.push(l);
    const fault = bodyFault(body, h);
    if (fault) throw bodyFaultError(fault, h, display, g.firstBodyLine, blessHint(h.trace, h.policy, h.policy === policy ? policyFile : undefined));
  } finally {
    g.reader.close();
  }
  return lines;
}

/** The --policy-file argument (of `files`, as given) that `p` was loaded from, if any. */
export function policyFileOf(p: Policy, files: readonly string[] | undefined, cwd: string = process.cwd()): string | undefined {
  return files?.find((f) => p.file && path.resolve(cwd, f) === path.resolve(p.file));
}
