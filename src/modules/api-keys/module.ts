import { defineModule } from '../../core/module.js';
import { ApiKeysConfigSchema } from './config.js';
import { messages } from './messages.js';
import { apiKeyRoutes } from './routes.js';
import { migrations } from './schema.js';
import { ApiKeyService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    'api-keys': ApiKeyService;
  }
}

export default defineModule({
  name: 'api-keys',
  dependsOn: ['auth'],
  config: ApiKeysConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ 'api-keys': new ApiKeyService(ctx) }),
  prefix: '/v1/api-keys',
  routes: apiKeyRoutes,
  start: (ctx) => {
    const keys = ctx.services['api-keys'];
    // Order -20: before session cookies (-10), so a request carrying a key is judged by the key.
    ctx.access.addResolver((request) => {
      const header = request.headers['x-api-key'];
      if (header === undefined) return null;
      return keys.authenticate(Array.isArray(header) ? header[0] : header);
    }, -20);
  },
  exportUser: (userId, ctx) => ctx.services['api-keys'].exportFor(userId),
  on: {
    'user.deleted': ({ userId }, ctx) => ctx.services['api-keys'].removeAllFor(userId),
  },
});
