/** Test helpers for your own modules: `import { createTestApp, targets } from 'neptuno/testing'`. */
export { createTestApp, type TestApp, type TestAppOptions } from './app.js';
export { targets, isolatedDatabase, uniquePrefix, type TestTarget } from './targets.js';
