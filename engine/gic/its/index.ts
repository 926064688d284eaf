export { VgicIts, CTRL_ATTR, CTRL_ATTR_NAMES } from './vits';
export type { VitsHost } from './vits';
export { ITS_FRAME, ITS_ROWS, GITS_TRANSLATER } from './its-table';
export { ITS_FIELDS } from './fields';
export { encodeCommand, ITS_COMMANDS } from './commands';
export { PENDBASER_PTZ } from './lpi';
export { INITIAL_PROPBASER } from './abi';
