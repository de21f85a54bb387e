import type { ChannelRetryPolicy, NotificationChannel } from './contract.js';

/**
 * The channels this app can use, by name. The shipped ones are registered by the module; another
 * module (or a later provider) adds its own with `ctx.services.notifications.channels.register`
 * from its `services` or `start` hook. A channel is used only when it is registered AND its
 * `modules.notifications.channels.<name>.enabled` is not false.
 */
export class ChannelRegistry {
  private readonly channels = new Map<string, NotificationChannel>();

  constructor(
    private readonly settings: Record<string, { enabled?: boolean; retry?: Partial<ChannelRetryPolicy> } & Record<string, unknown>>,
    private readonly defaults: ChannelRetryPolicy,
  ) {}

  register(channel: NotificationChannel): void {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(channel.name)) throw new Error(`Notification channel name "${channel.name}": use lowercase letters, digits, _ and -`);
    if (this.channels.has(channel.name)) throw new Error(`Notification channel "${channel.name}" is registered twice`);
    this.channels.set(channel.name, channel);
  }

  /** The channel when registered and switched on, else undefined. */
  get(name: string): NotificationChannel | undefined {
    const channel = this.channels.get(name);
    if (!channel || this.settings[name]?.enabled === false) return undefined;
    return channel;
  }

  /** Names of the registered, enabled channels. */
  names(): string[] {
    return [...this.channels.keys()].filter((n) => this.get(n));
  }

  all(): NotificationChannel[] {
    return this.names().map((n) => this.channels.get(n)!);
  }

  /** This channel's yaml section (provider settings). */
  settingsOf(name: string): Record<string, unknown> {
    return this.settings[name] ?? {};
  }

  /** yaml `retry` over the channel's own defaults over the module's defaults. */
  retryPolicy(name: string): ChannelRetryPolicy {
    return { ...this.defaults, ...this.channels.get(name)?.retry, ...this.settings[name]?.retry };
  }
}
