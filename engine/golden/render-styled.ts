// The golden line of a record, coloured for a person at a terminal (`gicreplay replay` without
// --json). The words are exactly the golden's (recordRenderer): colour only marks them, so a
// plain Style gives the golden line itself and goldens never depend on this module.

import { GicConfig } from '../trace/events';
import { ReplayRecord } from '../replay/records';
import { Style } from '../util/style';
import { recordRenderer } from './render';

export function styledRecordRenderer(gic: GicConfig, st: Style): (r: ReplayRecord) => string {
  const plain = recordRenderer(gic);
  if (!st.enabled) return plain;
  return (r) => {
    const s = plain(r);
    if (r.op === 'line-mismatch' || r.op === 'truncated') return st.bad(s);
    // "INDEX CYCLE rest": the position dim, the register bold, what went wrong loud.
    const at = s.indexOf(' ', s.indexOf(' ') + 1);
    let rest = s.slice(at);
    if (r.op === 'read' || r.op === 'write') rest = rest.replace(` ${r.reg}/`, ` ${st.strong(r.reg)}/`);
    rest = rest
      .replace(/ \(recorded 0x[0-9a-f]+\)| error [A-Z0-9]+/g, (m) => st.bad(m))
      .replace(/ unmodelled\b/, (m) => st.warn(m));
    return st.dim(s.slice(0, at)) + rest;
  };
}
