// The body lines of a checked-in golden (following `same-as`), refused when it was blessed for
// another version of the trace: a drift from it would say nothing about these events. A compact
// (format 2) body is read inflated, through the golden module's own reader (openGolden).

import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { openGolden } from '../golden/store';

export function readGoldenBody(file: string, display: string, traceDigest: string): string[] {
  const g = openGolden(file, display);
  if (!g) throw new InputError('not a gicreplay golden', { file: display, line: 1 }, 'a golden written by `gicreplay bless`');
  if (g.header.sameAs) {
    g.reader.close();
    return readGoldenBody(path.join(path.dirname(file), `${g.header.sameAs}.golden`), `${path.posix.dirname(display)}/${g.header.sameAs}.golden`, traceDigest);
  }
  if (g.header.traceDigest && traceDigest && g.header.traceDigest !== traceDigest) {
    g.reader.close();
    throw new UsageError(`${display} was blessed for another version of the trace (trace digest ${g.header.traceDigest.slice(0, 12)}…, the trace is ${traceDigest.slice(0, 12)}…): its drift says nothing about these events`);
  }
  const lines: string[] = [];
  try {
    for (let l = g.reader.next(); l !== null; l = g.reader.next()) lines.push(l);
  } finally {
    g.reader.close();
  }
  return lines;
}
