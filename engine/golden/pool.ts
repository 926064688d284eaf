// Runs pair checks in-process or on worker threads. Replay is CPU-bound and synchronous, so
// threads are the only way to use more than one core. A worker costs about 1.1 s to start and
// warm up (loading the models and trace code, first replays unoptimised), while checking now
// costs about 0.12 s per MiB of trace per policy: on the 67-trace suite (469 pairs, 9.1 MiB of
// replay, 2 cores) in-process takes 1.33 s and two workers 1.90 s. Threads pay off only when the
// work they split is well above twice their start-up (about 20 MiB of replay, estimated from those
// two measurements); smaller suites stay in-process. Results come back in plan order whatever
// finishes first.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { checkpoint, Interrupted } from '../errors';
import { Layout } from './layout';
import { PlannedPair } from './manifest';
import { PairResult } from './results';

/** Below this much replay (trace bytes × policies) the thread start-up cost outweighs the gain. */
export const AUTO_MIN_BYTES = 24 << 20;

export interface WorkerTask {
  seq: number;
  root: string;
  trace: string;
  policyId: string;
  policyFile: string;
  /** PlannedPair.policyFile: the --policy-file a hint names. */
  hintFile?: string;
  golden: string;
  pendingDir?: string;
}

export type WorkerReply = { seq: number; result: PairResult } | { seq: number; fatal: string };

function workerScript(): string | null {
  const js = path.join(__dirname, 'worker.js');
  return fs.existsSync(js) ? js : null;
}

export function workerCount(requested: number | 'auto', pairs: number, replayBytes: number): number {
  if (requested === 0 || pairs < 2) return 0;
  if (!workerScript()) return 0; // running from TypeScript sources (Jest): no compiled worker
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (requested === 'auto') {
    if (replayBytes < AUTO_MIN_BYTES || cores < 2) return 0;
    return Math.min(cores, 8, pairs, Math.ceil(replayBytes / AUTO_MIN_BYTES) + 1);
  }
  return Math.min(requested, pairs);
}

export async function runPairs(
  layout: Layout,
  pairs: readonly PlannedPair[],
  requested: number | 'auto',
  /** Checks consecutive pairs of one trace together (they read it once). */
  inProcess: (ps: readonly PlannedPair[]) => PairResult[],
  onProgress?: (done: number, total: number, id: string) => void,
  pendingDir?: string,
  signal?: AbortSignal,
): Promise<PairResult[]> {
  let bytes = 0;
  if (requested === 'auto') {
    for (const p of pairs) {
      try {
        bytes += fs.statSync(path.join(layout.tracesDir, ...p.trace.split('/'))).size;
      } catch {
        // reported by the check itself
      }
    }
  }
  const n = workerCount(requested, pairs.length, bytes);
  const out: PairResult[] = new Array(pairs.length);
  if (n === 0) {
    for (let i = 0; i < pairs.length; ) {
      await checkpoint(signal, 'check stopped');
      let j = i + 1;
      while (j < pairs.length && pairs[j].trace === pairs[i].trace) j++;
      const rs = inProcess(pairs.slice(i, j));
      for (const r of rs) {
        out[i++] = r;
        onProgress?.(i, pairs.length, r.id);
      }
    }
    return out;
  }
  const script = workerScript()!;
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let failed = false;
    const stopAll = () => workers.forEach((w) => void w.terminate());
    signal?.addEventListener('abort', () => {
      if (failed) return;
      failed = true;
      stopAll();
      reject(new Interrupted(String(signal.reason ?? 'signal'), 'check stopped'));
    });
    const feed = (w: Worker) => {
      if (next >= pairs.length) {
        void w.terminate();
        return;
      }
      const p = pairs[next];
      const t: WorkerTask = { seq: next++, root: layout.root, trace: p.trace, policyId: p.policy.id, policyFile: p.policy.file, hintFile: p.policyFile, golden: p.golden, pendingDir };
      w.postMessage(t);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(script);
      workers.push(w);
      w.on('message', (m: WorkerReply) => {
        if ('fatal' in m) {
          failed = true;
          stopAll();
          reject(new Error(`worker failed on ${pairs[m.seq].id}: ${m.fatal}`));
          return;
        }
        out[m.seq] = m.result;
        done++;
        onProgress?.(done, pairs.length, pairs[m.seq].id);
        if (done === pairs.length) {
          stopAll();
          resolve();
        } else feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(e);
      });
      feed(w);
    }
  });
  return out;
}
