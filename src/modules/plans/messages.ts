import type { Messages } from '../../core/i18n/index.js';

export const messages: Record<'es' | 'en', Messages> = {
  es: {
    plan_not_found: 'Plan no encontrado',
    'plan_not_found.detail': 'No existe un plan con esa clave.',
    plan_invalid_currency: 'Moneda inválida',
    'plan_invalid_currency.detail': '{currency} no es un código de moneda ISO 4217.',
    plan_limit_reached: 'Límite del plan alcanzado',
    'plan_limit_reached.detail': 'Tu plan permite {limit} ({limitName}) y ya usas {usage}. Mejora tu plan para continuar.',
    plan_quota_exceeded: 'Cuota mensual agotada',
    'plan_quota_exceeded.detail': 'Tu plan permite {limit} llamadas a la API al mes y ya usaste {usage}. La cuota se renueva el {resetAt}.',
    subscription_not_found: 'Suscripción no encontrada',
    'subscription_not_found.detail': 'No existe una suscripción con ese id.',
    plan_owner_required: 'Sin plan',
    'plan_owner_required.detail': 'Solo las cuentas de usuario (o su organización activa) tienen un plan.',
  },
  en: {
    plan_not_found: 'Plan not found',
    'plan_not_found.detail': 'There is no plan with that key.',
    plan_invalid_currency: 'Invalid currency',
    'plan_invalid_currency.detail': '{currency} is not an ISO 4217 currency code.',
    plan_limit_reached: 'Plan limit reached',
    'plan_limit_reached.detail': 'Your plan allows {limit} ({limitName}) and you already use {usage}. Upgrade your plan to continue.',
    plan_quota_exceeded: 'Monthly quota exhausted',
    'plan_quota_exceeded.detail': 'Your plan allows {limit} API calls a month and you have used {usage}. The quota renews on {resetAt}.',
    subscription_not_found: 'Subscription not found',
    'subscription_not_found.detail': 'There is no subscription with that id.',
    plan_owner_required: 'No plan',
    'plan_owner_required.detail': 'Only user accounts (or their active organization) have a plan.',
  },
};
