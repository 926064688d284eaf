// Runs pair checks in-process or on worker threads. Replay is CPU-bound and synchronous, so
// threads are the only way to use more than one core. A worker costs about 1.1 s to start and
// warm up (loading the models and trace code, first replays unoptimised), while checking now
// costs about 0.12 s per MiB of trace per policy: on the 67-trace suite (469 pairs, 9.1 MiB of
// replay, 2 cores) in-process takes 1.33 s and two workers 1.90 s. Threads pay off only when the
// work they split is well above twice their start-up (about 20 MiB of replay, estimated from those
// two measurements); smaller suites stay in-process. Either way the unit of work is one trace
// with all its planned pairs, checked in one read of it (pair.ts checkTracePairs). Results come
// back in plan order whatever finishes first.

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

/** The pairs of one trace (checked together, as in-process), starting at plan position `seq`. */
export interface WorkerTask {
  seq: number;
  root: string;
  trace: string;
  pairs: { policyId: string; policyFile: string; /** PlannedPair.policyFile: the --policy-file a hint names. */ hintFile?: string; golden: string }[];
  pendingDir?: string;
}

export type WorkerReply = { seq: number; results: PairResult[] } | { seq: number; fatal: string };

/** Plan positions where a run of consecutive pairs of one trace starts, and the end. */
function traceRuns(pairs: readonly PlannedPair[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < pairs.length; i++) if (i === 0 || pairs[i].trace !== pairs[i - 1].trace) starts.push(i);
  starts.push(pairs.length);
  return starts;
}

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
  const runs = traceRuns(pairs);
  const n = Math.min(workerCount(requested, pairs.length, bytes), runs.length - 1);
  const out: PairResult[] = new Array(pairs.length);
  let done = 0;
  const store = (seq: number, rs: readonly PairResult[]) => {
    rs.forEach((r, k) => (out[seq + k] = r));
    for (const r of rs) {
      done++;
      onProgress?.(done, pairs.length, r.id);
    }
  };
  if (n === 0) {
    for (let r = 0; r + 1 < runs.length; r++) {
      await checkpoint(signal, 'check stopped');
      store(runs[r], inProcess(pairs.slice(runs[r], runs[r + 1])));
    }
    return out;
  }
  const script = workerScript()!;
  let next = 0;
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
      if (next + 1 >= runs.length) {
        void w.terminate();
        return;
      }
      const seq = runs[next];
      const group = pairs.slice(seq, runs[++next]);
      const t: WorkerTask = { seq, root: layout.root, trace: group[0].trace, pairs: group.map((p) => ({ policyId: p.policy.id, policyFile: p.policy.file, hintFile: p.policyFile, golden: p.golden })), pendingDir };
      w.postMessage(t);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(script);
      workers.push(w);
      w.on('message', (m: WorkerReply) => {
        if ('fatal' in m) {
          failed = true;
          stopAll();
          reject(new Error(`worker failed on ${pairs[m.seq].trace}: ${m.fatal}`));
          return;
        }
        store(m.seq, m.results);
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
