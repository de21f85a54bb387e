import type { AnyModule } from '../core/module.js';
import auth from './auth/module.js';
import guests from './guests/module.js';
import users from './users/module.js';
import apiKeys from './api-keys/module.js';
import coupons from './coupons/module.js';
import gamification from './gamification/module.js';
import wallet from './wallet/module.js';
import notifications from './notifications/module.js';
import payments from './payments/module.js';
import plans from './plans/module.js';
import tracking from './tracking/module.js';
import seo from './seo/module.js';
import legal from './legal/module.js';
import files from './files/module.js';

/**
 * Modules shipped with Neptuno. Each runs unless `modules.<name>.enabled: false` in neptuno.yaml;
 * those that ship off (`enabledByDefault: false`: payments, plans) run once `enabled: true` says so.
 * Your own modules live outside src/ and are listed in `moduleFiles:` in neptuno.yaml.
 */
export const builtinModules: AnyModule[] = [auth, guests, users, apiKeys, coupons, gamification, wallet, notifications, payments, plans, tracking, seo, legal, files];

// Also by name (re-exported by `neptuno`), for tests and apps that run only some of them.
export { auth, guests, users, apiKeys, coupons, gamification, wallet, notifications, payments, plans, tracking, seo, legal, files };
