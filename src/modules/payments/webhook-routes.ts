import { Type } from 'typebox';
import { jsonTooDeep, MAX_BODY_DEPTH } from '../../core/http/input.js';
import { problem } from '../../core/http/problem.js';
import type { App, ModuleContext } from '../../core/module.js';
import { Problem } from './api.js';
import type { PaymentsConfig } from './config.js';
import { PROVIDER_NAMES } from './providers/contract.js';

/** Webhook bodies are small; a larger one is not from a provider. */
const WEBHOOK_BODY_LIMIT = 256 * 1024;

/**
 * `POST /v1/webhooks/<provider>`: public, signature-checked. Mounted at the root (the path is
 * what providers are told) in a scope of its own whose only body parser keeps the raw bytes:
 * signatures are computed over the body exactly as sent, and parsing and re-serializing JSON
 * would change it. Other routes keep the kernel's JSON parser.
 */
export async function webhookRoutes(app: App, ctx: ModuleContext<PaymentsConfig>) {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    for (const name of PROVIDER_NAMES) {
      scope.post(
        `/v1/webhooks/${name}`,
        {
          config: { scope: 'public' },
          schema: {
            tags: ['payments', 'webhooks'],
            summary: `Webhook for ${name} (register this URL at the provider)`,
            description:
              'Called by the provider, never by clients. The signature is checked over the raw body (401 ' +
              'webhook_signature_invalid: nothing stored); the event is stored once per provider event id and ' +
              'processed in the background, so the answer is immediate. 404 webhook_provider_unknown when the ' +
              'provider is not configured.',
            response: { 200: Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() }), 400: Problem, 401: Problem, 404: Problem },
          },
        },
        async (request) => {
          const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          if (jsonTooDeep(rawBody.toString('utf8'))) throw problem(400, 'body_too_deep', { params: { max: MAX_BODY_DEPTH } });
          const query: Record<string, string> = {};
          for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) if (typeof v === 'string') query[k] = v;
          const r = await ctx.services.payments.receiveWebhook(name, { rawBody, headers: request.headers, query });
          return { received: true, duplicate: !r.stored };
        },
      );
    }
  });
}
