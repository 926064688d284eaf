// The check's thread (check-thread.ts starts it; its work is check-jobs.ts). It says when it exits
// before it loads anything else, so even a module that fails to load is seen at once.

import { workerData } from 'worker_threads';
import { reportExit, ringViews } from '../trace/read-ahead-ring';
import { CheckWorkerData } from './check-thread-data';

const d = workerData as CheckWorkerData;
reportExit(ringViews(d.sab, d.entries).ctl);
void import('./check-jobs').then(({ runCheckJobs }) => runCheckJobs(d));
