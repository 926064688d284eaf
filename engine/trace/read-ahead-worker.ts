// The thread of a read-ahead reader that only reads (read-ahead.ts starts it).

import { workerData } from 'worker_threads';
import { EventProducer } from './read-ahead-producer';
import { ReadAheadWorkerData } from './read-ahead-ring';

new EventProducer(workerData as ReadAheadWorkerData).runAlone();
