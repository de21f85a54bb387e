export { createNeptuno, type Neptuno, type NeptunoOptions, type Page, type SessionUser, type SignUpInput } from './client.js';
export { NeptunoError, type FieldError, type Problem } from './errors.js';
export { idempotent, idempotencyKey, type RetryOptions } from './idempotency.js';
export { RealtimeClient, type RealtimeMessage, type RealtimeOptions, type Subscription, type WebSocketConstructor, type WebSocketLike } from './realtime.js';
export { sendTrackingEvents, type TrackEvent } from './tracking.js';
export type { paths, components, operations } from './generated/openapi.js';
