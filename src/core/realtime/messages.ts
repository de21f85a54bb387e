import type { Messages } from '../i18n/index.js';
import type { ErrorCode } from './protocol.js';

type FrameMessages = Record<`realtime.${ErrorCode}`, string>;

const esFrames: FrameMessages = {
  'realtime.invalid_frame': 'Los mensajes son objetos JSON de texto: {"type":"subscribe"|"unsubscribe"|"ping", …}.',
  'realtime.unknown_type': 'Tipo de mensaje desconocido.',
  'realtime.channel_invalid': 'Los canales tienen de 1 a 200 caracteres: letras, dígitos y _ . : @ -.',
  'realtime.channel_unknown': 'Ningún módulo declara este canal.',
  'realtime.channel_forbidden': 'No puedes suscribirte a este canal.',
  'realtime.invalid_last_id': 'lastId debe ser el id de un mensaje recibido.',
  'realtime.too_many_subscriptions': 'Demasiadas suscripciones en esta conexión.',
  'realtime.rate_limited': 'Demasiados mensajes: envía más despacio.',
  'realtime.internal_error': 'La suscripción falló; inténtalo de nuevo.',
};

const enFrames: FrameMessages = {
  'realtime.invalid_frame': 'Frames are JSON text objects: {"type":"subscribe"|"unsubscribe"|"ping", …}.',
  'realtime.unknown_type': 'Unknown frame type.',
  'realtime.channel_invalid': 'Channel names are 1-200 characters: letters, digits and _ . : @ -.',
  'realtime.channel_unknown': 'No module declares this channel.',
  'realtime.channel_forbidden': 'You may not subscribe to this channel.',
  'realtime.invalid_last_id': 'lastId must be the id of a message you received.',
  'realtime.too_many_subscriptions': 'Too many subscriptions on this connection.',
  'realtime.rate_limited': 'Too many frames: slow down.',
  'realtime.internal_error': 'The subscription failed; try again.',
};

/** Error frame texts and the problems the upgrade may answer, in both languages. */
export const realtimeMessages: Record<'es' | 'en', Messages> = {
  es: {
    ...esFrames,
    upgrade_required: 'Se requiere websocket',
    'upgrade_required.detail': 'Esta dirección solo acepta conexiones websocket (Upgrade: websocket).',
    realtime_connection_limit: 'Demasiadas conexiones',
    'realtime_connection_limit.detail': 'Ya tienes el máximo de conexiones en tiempo real abiertas; cierra alguna e inténtalo de nuevo.',
  },
  en: {
    ...enFrames,
    upgrade_required: 'Websocket required',
    'upgrade_required.detail': 'This address only accepts websocket connections (Upgrade: websocket).',
    realtime_connection_limit: 'Too many connections',
    'realtime_connection_limit.detail': 'You already have the most realtime connections allowed open; close one and try again.',
  },
};
