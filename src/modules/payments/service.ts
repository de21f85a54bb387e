import type { ModuleContext } from '../../core/module.js';
import type { PaymentsConfig } from './config.js';
import type { PaymentProvider, ProviderName } from './providers/contract.js';
import { buildProviders } from './providers/registry.js';

/** Payments' public service (`ctx.services.payments`). */
export class PaymentsService {
  /** The configured adapters, by name. */
  readonly providers: Map<ProviderName, PaymentProvider>;

  constructor(private readonly ctx: ModuleContext<PaymentsConfig>) {
    this.providers = buildProviders(ctx.config, {
      publicUrl: ctx.appConfig.server.publicUrl,
      env: ctx.appConfig.env,
      timeoutMs: ctx.config.providerTimeoutMs,
      log: ctx.log,
    });
  }

  provider(name: ProviderName): PaymentProvider | undefined {
    return this.providers.get(name);
  }
}
