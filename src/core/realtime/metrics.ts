import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Realtime metrics on the kernel registry (/metrics). Frames are counted in plain numbers on the
 * hot path and handed to prom-client when scraped, so a broadcast to 10 000 sockets costs 10 000
 * additions, not 10 000 label lookups.
 */
export class RealtimeMetrics {
  readonly published: Counter;
  private counts = { in: 0, out: 0, slow: 0 };
  private source: { connectionCount: number } = { connectionCount: 0 };

  constructor(registry: Registry) {
    const counts = this.counts;
    const drained = (key: keyof typeof counts) =>
      function (this: Counter) {
        this.inc(counts[key]);
        counts[key] = 0;
      };
    const source = () => this.source;
    new Gauge({
      name: 'neptuno_realtime_connections',
      help: 'Open websocket connections on this replica',
      registers: [registry],
      collect() {
        this.set(source().connectionCount);
      },
    });
    new Counter({ name: 'neptuno_realtime_messages_in_total', help: 'Frames received from clients', registers: [registry], collect: drained('in') });
    new Counter({ name: 'neptuno_realtime_messages_out_total', help: 'Frames sent to clients', registers: [registry], collect: drained('out') });
    new Counter({ name: 'neptuno_realtime_slow_consumers_total', help: 'Sockets closed because they did not read fast enough (4008)', registers: [registry], collect: drained('slow') });
    this.published = new Counter({ name: 'neptuno_realtime_published_total', help: 'Messages published by this replica (ctx.realtime.publish)', registers: [registry] });
  }

  observe(source: { connectionCount: number }): void {
    this.source = source;
  }

  count(what: 'in' | 'out' | 'slow'): void {
    this.counts[what] += 1;
  }
}
