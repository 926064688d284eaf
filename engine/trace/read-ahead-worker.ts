// The thread of a read-ahead reader that only reads (read-ahead.ts starts it). It says when it
// exits before it loads anything else, so even a module that fails to load is seen at once.

import { workerData } from 'worker_threads';
import { ReadAheadWorkerData, reportExit, ringViews } from './read-ahead-ring';

const d = workerData as ReadAheadWorkerData;
reportExit(ringViews(d.sab, d.entries).ctl);
void import('./read-ahead-producer').then(({ EventProducer }) => new EventProducer(d).runAlone());
