// The parser: line → record, pure; imports nothing of ours but types.
export { parseLine, plainLineLevel } from './parse-line.js';
export { normalizeLevel, levelRank, defaultLevelFor, LEVEL_SYNONYMS } from './levels.js';
export { stripAnsi } from './strip-ansi.js';
export { detectTextLevel } from './text-prefix.js';
export { summarizeEvent } from './structured-event.js';
export { MAX_JSON_DEPTH } from './json-object.js';
