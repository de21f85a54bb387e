import type { AppConfig } from './schema.js';
import { secretProblem } from './secret.js';

/**
 * Settings that are valid in development but unsafe on the internet. With `env: production`
 * any of these stops start-up, so a forgotten development value never reaches users.
 */
export interface CheckFinding {
  path: string[];
  code: string;
  message: string;
}

export const MIN_ADMIN_TOKEN_LENGTH = 32;

export function productionFindings(config: AppConfig): CheckFinding[] {
  if (config.env !== 'production') return [];
  const out: CheckFinding[] = [];

  const secret = secretProblem(config);
  if (secret) out.push({ path: ['secret'], ...secret });

  const { origins, credentials } = config.server.cors;
  if (credentials && origins.includes('*')) {
    out.push({
      path: ['server', 'cors', 'origins'],
      code: 'cors_wildcard_with_credentials',
      message:
        'contains "*" while server.cors.credentials is true: any website could make logged-in requests on behalf of your users. ' +
        'List the allowed origins (e.g. https://example.com), or set credentials: false',
    });
  }

  const token = config.admin.token;
  if (token !== null && token.length < MIN_ADMIN_TOKEN_LENGTH) {
    out.push({
      path: ['admin', 'token'],
      code: 'admin_token_too_short',
      message: `is too short for production (${token.length} characters, at least ${MIN_ADMIN_TOKEN_LENGTH} needed): generate one with \`openssl rand -base64 48\`, or remove it to disable token access`,
    });
  }
  const metricsToken = config.metrics.token;
  if (metricsToken !== null && metricsToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    out.push({
      path: ['metrics', 'token'],
      code: 'metrics_token_too_short',
      message: `is too short for production (${metricsToken.length} characters, at least ${MIN_ADMIN_TOKEN_LENGTH} needed): generate one with \`openssl rand -base64 48\``,
    });
  }
  return out;
}
