import { defineModule } from '../../core/module.js';
import { checkCustomFields, UsersConfigSchema } from './config.js';
import { messages } from './messages.js';
import { userRoutes } from './routes.js';
import { migrations } from './schema.js';
import { ProfileService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    users: ProfileService;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /**
     * The account was anonymized (DELETE /v1/profile). Every module erases or anonymizes the
     * user's rows; handlers must be idempotent (an operator may re-emit after a failure).
     */
    'user.deleted': { userId: string };
  }
}

export default defineModule({
  name: 'users',
  dependsOn: ['auth'],
  config: UsersConfigSchema,
  migrations,
  messages,
  services: (ctx) => {
    checkCustomFields(ctx.config.customFields);
    return { users: new ProfileService(ctx) };
  },
  // /v1/profile, /v1/profile/export and /v1/public/whoami share one mount.
  prefix: '/v1',
  routes: userRoutes,
  exportUser: (userId, ctx) => ctx.services.users.exportOwn(userId),
});
