// Worker-thread entry: checks the pairs the pool sends, one at a time, with the same code the
// in-process path uses.

import { parentPort } from 'worker_threads';
import { getPolicy, loadPolicyFile, Policy } from '../policy/policy';
import { layoutFor } from './layout';
import { checkPair } from './pair';
import { WorkerReply, WorkerTask } from './pool';

function policyOf(t: WorkerTask): Policy {
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
    reply = { seq: t.seq, result: checkPair({ layout: layoutFor(t.root), trace: t.trace, policy: policyOf(t), golden: t.golden, pendingDir: t.pendingDir, policyFile: t.hintFile }) };
  } catch (e) {
    reply = { seq: t.seq, fatal: (e as Error).stack ?? String(e) };
  }
  parentPort!.postMessage(reply);
});
