// Versions that goldens record. Bump MODEL_VERSION whenever a change to the GIC or timer models
// can change any replay output; goldens made by another model version are reported as stale.

import { projectRoot } from './util/project-root';
import * as fs from 'fs';
import * as path from 'path';

export const GICREPLAY_VERSION: string = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')).version;

export const MODEL_VERSION = 4;
