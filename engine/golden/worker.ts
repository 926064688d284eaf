// Worker-thread entry: checks the pairs of one trace the pool sends at a time, with the same code
// the in-process path uses.

import { parentPort } from 'worker_threads';
import { getPolicy, loadPolicyFile, Policy } from '../policy/policy';
import { layoutFor } from './layout';
import { checkTracePairs } from './pair';
import { WorkerReply, WorkerTask } from './pool';

function policyOf(t: WorkerTask['pairs'][number]): Policy {
  try {
    const p = getPolicy(t.policyId);
    if (p.file === t.policyFile) return p;
  } catch {
    // not a built-in: a --policy-file
  }
  return loadPolicyFile(t.policyFile);
}

parentPort?.on('message', (t: WorkerTask) => {
  let reply: WorkerReply;
  try {
    const layout = layoutFor(t.root);
    reply = { seq: t.seq, results: checkTracePairs(t.pairs.map((p) => ({ layout, trace: t.trace, policy: policyOf(p), golden: p.golden, pendingDir: t.pendingDir, policyFile: p.hintFile }))) };
  } catch (e) {
    reply = { seq: t.seq, fatal: (e as Error).stack ?? String(e) };
  }
  parentPort!.postMessage(reply);
});
