import type { AnyModule } from '../core/module.js';
import coupons from './coupons/module.js';

/**
 * Modules shipped with Neptuno. Each runs unless `modules.<name>.enabled: false` in neptuno.yaml.
 * Your own modules live outside src/ and are listed in `moduleFiles:` in neptuno.yaml.
 */
export const builtinModules: AnyModule[] = [coupons];
