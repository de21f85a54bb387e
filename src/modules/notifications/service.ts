import type { ModuleContext } from '../../core/module.js';
import { DeliveryLog } from './admin-deliveries.js';
import { emailChannel } from './channels/email.js';
import { inAppChannel } from './channels/inapp.js';
import { registerTwilioChannels } from './channels/twilio.js';
import { ChannelRegistry } from './channels/registry.js';
import { BUILTIN_TYPES, type NotificationsConfig, type NotificationTypeConfig } from './config.js';
import { DeliveryEngine } from './deliveries.js';
import { Digests } from './digest.js';
import { FanOut } from './fanout.js';
import { Inbox } from './inbox.js';
import { News } from './news.js';
import { Preferences } from './preferences.js';
import { Push } from './push.js';
import { sendNotification, type SendInput, type SendResult } from './send.js';
import { TypeRegistry } from './types.js';
import { UnsubscribeLinks } from './unsubscribe.js';
import { Webhooks } from './webhooks/service.js';

/**
 * `ctx.services.notifications`: send, and the parts behind the routes (inbox, preferences,
 * news bar, delivery log). Channels and types are registries other modules may add to.
 */
export class NotificationService {
  /** Channels by name; providers register here (channels/contract.ts). */
  readonly channels: ChannelRegistry;
  /** Notification types from neptuno.yaml and `defineType`. */
  readonly types: TypeRegistry;
  readonly inbox: Inbox;
  readonly preferences: Preferences;
  readonly news: News;
  readonly deliveries: DeliveryLog;
  readonly links: UnsubscribeLinks;
  readonly engine: DeliveryEngine;
  readonly fanOut: FanOut;
  readonly digests: Digests;
  /** Outgoing webhooks: endpoints, deliveries, the `webhook` channel. */
  readonly webhooks: Webhooks;
  /** Web push subscriptions, device tokens and the push channels switched on in neptuno.yaml. */
  readonly push: Push;

  constructor(private readonly ctx: ModuleContext<NotificationsConfig>) {
    this.channels = new ChannelRegistry(ctx.config.channels, ctx.config.retry);
    this.types = new TypeRegistry(ctx.i18n.defaultLocale);
    for (const [name, def] of Object.entries({ ...BUILTIN_TYPES, ...ctx.config.types })) this.types.define(name, def);
    this.inbox = new Inbox(ctx);
    this.preferences = new Preferences(ctx, this.types, this.channels);
    this.news = new News(ctx);
    this.deliveries = new DeliveryLog(ctx);
    this.links = new UnsubscribeLinks(ctx.secret, ctx.appConfig.server.publicUrl);
    this.engine = new DeliveryEngine(ctx, this.channels, this.types, this.links);
    this.digests = new Digests(ctx, this.types);
    this.fanOut = new FanOut(ctx, this.types, this.channels, this.preferences, this.engine, this.digests);
    this.channels.register(inAppChannel(ctx, this.inbox));
    this.channels.register(emailChannel(ctx.mail));
    this.webhooks = new Webhooks(ctx, this.types);
    if (ctx.config.webhooks.enabled) this.channels.register(this.webhooks.channel());
    registerTwilioChannels((c) => this.channels.register(c), ctx.config.twilio, ctx.appConfig.server.publicUrl);
    this.push = new Push(ctx, this.channels);
  }

  /**
   * Sends a notification: stored with its fan-out job (joining the caller's ctx.tx), delivered
   * by jobs. Throws 400/409/422 problems for a bad target, a reused key, an unknown type or
   * channel, or data that does not fill the templates.
   *
   * @example
   * await ctx.services.notifications.send({ to: { userId }, type: 'badge', data: { badge: 'Ambassador' }, key: `badge:${userId}:ambassador` });
   */
  send(input: SendInput): Promise<SendResult> {
    return sendNotification(this.ctx, this.types, this.channels, input);
  }

  /** Declares a notification type from a module (`start` or `services`), as neptuno.yaml would. yaml wins on a clash. */
  defineType(name: string, def: NotificationTypeConfig): void {
    if (this.types.get(name)) return;
    this.types.define(name, def);
  }

  /** A provider's later word on a sent message (see DeliveryEngine.reportStatus). */
  reportStatus(channel: string, providerMessageId: string, status: 'sent' | 'delivered' | 'bounced' | 'failed', error?: string): Promise<boolean> {
    return this.engine.reportStatus(channel, providerMessageId, status, error);
  }

  /** Runs every channel's `start` (keys, configuration checks) once the app's services exist. */
  async startChannels(): Promise<void> {
    for (const channel of this.channels.all()) await channel.start?.(this.engine.channelContext(channel.name));
  }

  /** Runs every channel's `stop` (connection pools) at shutdown. */
  async stopChannels(): Promise<void> {
    for (const channel of this.channels.all()) await channel.stop?.();
  }

  /** Moves a failed or dead delivery back to the queue. */
  retry(deliveryId: string) {
    return this.engine.retry(deliveryId);
  }
}
