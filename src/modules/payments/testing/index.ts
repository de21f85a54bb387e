/**
 * Local fakes of the payment providers, for tests and development (`neptuno payments simulate`).
 * Each speaks its provider's wire format and signs webhooks as the provider documents.
 */
import type { App } from '../../../core/module.js';
import type { MpDelivery } from '../providers/mercadopago/fake-server.js';

export { FakeMercadoPago, type MpDelivery, type MpStatus, type MpTamper, type MpNotificationRecord } from '../providers/mercadopago/fake-server.js';

/** A webhook sink that injects Mercado Pago's deliveries into an app (no listening server needed). */
export function injectMercadoPago(app: App) {
  return async (d: MpDelivery) => {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks/mercadopago', query: d.query, headers: d.headers, payload: d.rawBody });
    return { statusCode: res.statusCode, body: res.body, contentType: String(res.headers['content-type'] ?? '') };
  };
}
