// Loaded into a child gicreplay with NODE_OPTIONS=--require: at exit, writes the process's peak
// resident set size (KiB) to the file named by GICREPLAY_RSS_FILE, so the fault campaign can hold
// the bounded-memory cases to a bound.

import * as fs from 'fs';

const out = process.env.GICREPLAY_RSS_FILE;
if (out) {
  process.on('exit', () => {
    try {
      fs.writeFileSync(out, String(process.resourceUsage().maxRSS));
    } catch {
      // best effort: the campaign reports a missing number
    }
  });
}
