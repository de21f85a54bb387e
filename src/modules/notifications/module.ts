import { defineModule } from '../../core/module.js';
import { NotificationsConfigSchema } from './config.js';
import { messages } from './messages.js';
import { migrations } from './schema.js';
import { NotificationService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    notifications: NotificationService;
  }
}

export default defineModule({
  name: 'notifications',
  config: NotificationsConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ notifications: new NotificationService(ctx) }),
});
