// Record and golden identity across optimisations: `node dist/tools/bench/digest.js TRACE [POLICY…]`
// replays TRACE under each policy (rev3 and rev1 by default) and prints one JSON line per policy
// with the SHA-256 of every record (its --json form, which holds every field, notes included)
// and of the golden body (the rendered lines, each followed by LF). An optimisation must leave
// both digests unchanged; `npm run bench` compares them with tools/bench/digests.json.

import { createHash } from 'crypto';
import { getPolicy } from '../../engine/policy/policy';
import { recordToJson } from '../../engine/replay/render-json';
import { replayFile } from '../../engine/replay/replay';
import { fieldFormatterFor, renderRecord } from '../../engine/golden/render';
import { openTrace } from '../../engine/trace/reader';

export interface RecordDigest {
  policy: string;
  records: number;
  recordsSha256: string;
  bodySha256: string;
}

export function recordDigest(file: string, policyId: string): RecordDigest {
  const h = openTrace(file, { readAhead: false });
  const fields = fieldFormatterFor(h.header.gic);
  h.close();
  const recs = createHash('sha256');
  const body = createHash('sha256');
  let records = 0;
  let a: string[] = [];
  let b: string[] = [];
  const drain = (): void => {
    recs.update(a.join(''));
    body.update(b.join(''));
    a = [];
    b = [];
  };
  replayFile(file, { policy: getPolicy(policyId) }, (r) => {
    records++;
    a.push(recordToJson(r), '\n');
    b.push(renderRecord(r, fields), '\n');
    if (a.length > 8192) drain();
  });
  drain();
  return { policy: policyId, records, recordsSha256: recs.digest('hex'), bodySha256: body.digest('hex') };
}

if (require.main === module) {
  const [file, ...policies] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: digest.js TRACE [POLICY…]\n');
    process.exit(2);
  }
  for (const p of policies.length ? policies : ['rev3', 'rev1']) process.stdout.write(`${JSON.stringify(recordDigest(file, p))}\n`);
}
