import { defineModule } from '../../core/module.js';
import { FilesConfigSchema } from './config.js';
import { processImage } from './images.js';
import { messages } from './messages.js';
import { fileRoutes } from './routes.js';
import { migrations } from './schema.js';
import { FilesService } from './service.js';

export type { FileView } from './view.js';
export type { CreateFileInput } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    files: FilesService;
  }
  interface Jobs {
    'files.process': { id: string };
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    'user.deleted': { userId: string };
  }
}

export default defineModule({
  name: 'files',
  dependsOn: ['auth'],
  config: FilesConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ files: new FilesService(ctx) }),
  // /v1/files and /v1/profile/avatar.
  prefix: '/v1',
  routes: fileRoutes,
  jobs: {
    process: async ({ id }, ctx) => processImage(id, ctx, ctx.services.files),
  },
  crons: [
    { name: 'orphans', schedule: '41 * * * *', run: async (ctx) => void (await ctx.services.files.sweepOrphans()) },
    { name: 'purge', schedule: '*/10 * * * *', run: async (ctx) => void (await ctx.services.files.purge()) },
  ],
  on: {
    'user.deleted': async ({ userId }, ctx) => void (await ctx.services.files.deleteOwner(userId)),
  },
  exportUser: async (userId, ctx) => ({ files: await ctx.services.files.exportOwner(userId) }),
});
