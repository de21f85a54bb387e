/**
 * The wallet app in its own process, listening on a free port, for crash.test.ts (which SIGKILLs
 * it mid-flight and starts another on the same database). Not a test file. Prints "listening <port>".
 * WALLET_CRASH_RAW: the test app's raw config; WALLET_CRASH_SCHEMA: its PostgreSQL schema, if any.
 */
import { createApp } from '../../core/app.js';
import { buildConfig, TEST_SECRET } from '../../testing/app.js';
import authModule from '../auth/module.js';
import guestsModule from '../guests/module.js';
import walletModule from './module.js';
import { headerUsers } from '../../testing/header-users.js';

const env = process.env;
const modules = [authModule, guestsModule, walletModule, headerUsers];
const { config, moduleConfigs } = buildConfig(JSON.parse(env.WALLET_CRASH_RAW!), modules);
const app = await createApp({ config, moduleConfigs, modules, secret: TEST_SECRET, databaseSchema: env.WALLET_CRASH_SCHEMA || undefined, workers: false });
await app.server.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
