import type { ModuleContext } from '../../core/module.js';
import { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import { TypeRegistry } from './types.js';

/** `ctx.services.notifications`. */
export class NotificationService {
  /** Channels by name; providers register here (channels/contract.ts). */
  readonly channels: ChannelRegistry;
  /** Notification types from neptuno.yaml and `defineType`. */
  readonly types: TypeRegistry;

  constructor(private readonly ctx: ModuleContext<NotificationsConfig>) {
    this.channels = new ChannelRegistry(ctx.config.channels, ctx.config.retry);
    this.types = new TypeRegistry(ctx.i18n.defaultLocale);
    for (const [name, def] of Object.entries(ctx.config.types)) this.types.define(name, def);
  }
}
