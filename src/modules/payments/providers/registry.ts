import type { PaymentsConfig } from '../config.js';
import { PROVIDER_NAMES, type PaymentProvider, type ProviderFactory, type ProviderFactoryContext, type ProviderName } from './contract.js';
import { createMercadoPagoProvider } from './mercadopago/adapter.js';
import { createStripeProvider } from './stripe/adapter.js';
import { createWompiProvider } from './wompi/adapter.js';

/**
 * Adapters by provider name. Each adapter folder (providers/<name>/) exports a factory taking
 * its config section; adding a provider is one line here plus its config schema in ../config.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const providerFactories: Partial<Record<ProviderName, ProviderFactory<any>>> = {
  mercadopago: createMercadoPagoProvider,
  stripe: createStripeProvider,
  wompi: createWompiProvider,
};

/**
 * The configured providers, built once at start. A provider whose section is present but whose
 * adapter is not installed stops start-up with a message (a silent gap would lose payments).
 */
export function buildProviders(
  config: PaymentsConfig,
  base: Omit<ProviderFactoryContext<unknown>, 'config'>,
  factories: Partial<Record<ProviderName, ProviderFactory<unknown>>> = providerFactories,
): Map<ProviderName, PaymentProvider> {
  const out = new Map<ProviderName, PaymentProvider>();
  for (const name of PROVIDER_NAMES) {
    const section = config.providers[name];
    if (!section) continue;
    const factory = factories[name];
    if (!factory) throw new Error(`modules.payments.providers.${name} is configured but no ${name} adapter is installed`);
    const provider = factory({ ...base, config: section });
    if (provider.name !== name) throw new Error(`The ${name} adapter reports the name "${provider.name}"`);
    out.set(name, provider);
  }
  return out;
}
