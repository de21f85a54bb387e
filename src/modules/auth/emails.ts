import type { MailTemplates } from '../../core/mail/types.js';
import type { ModuleContext } from '../../core/module.js';

/**
 * The account emails, sent with ctx.mail as `auth.<name>` in the language of the request that
 * caused them (Accept-Language), else `i18n.defaultLocale`. The text part is derived from the
 * HTML, where each link becomes `label: url` on a line of its own, so text mail clients make it
 * clickable and the development outbox log can pick it out.
 */
const button = (label: string) =>
  `<p><a href="{{url}}" style="display:inline-block;padding:10px 18px;background:#2563eb;color:#ffffff;text-decoration:none;border-radius:6px">${label}</a></p>`;

export const authMailTemplates: MailTemplates = {
  // data: { name, url }
  'verify-email': {
    es: {
      subject: 'Confirma tu email',
      html: `<p>Hola {{name}}:</p><p>Confirma tu dirección de email abriendo este enlace:</p>${button('Confirmar mi email')}<p>Si no has creado una cuenta, ignora este mensaje.</p>`,
    },
    en: {
      subject: 'Confirm your email',
      html: `<p>Hi {{name}},</p><p>Confirm your email address by opening this link:</p>${button('Confirm my email')}<p>If you did not create an account, ignore this message.</p>`,
    },
  },
  // data: { name, url }
  'reset-password': {
    es: {
      subject: 'Restablece tu contraseña',
      html: `<p>Hola {{name}}:</p><p>Para elegir una contraseña nueva, abre este enlace (caduca en una hora):</p>${button('Elegir una contraseña nueva')}<p>Si no lo has pedido tú, ignora este mensaje: tu contraseña no cambia.</p>`,
    },
    en: {
      subject: 'Reset your password',
      html: `<p>Hi {{name}},</p><p>To choose a new password, open this link (it expires in one hour):</p>${button('Choose a new password')}<p>If you did not ask for this, ignore this message: your password stays the same.</p>`,
    },
  },
  // Sent instead of an error when someone signs up with an email that already has an account. data: { name, url }
  'existing-account': {
    es: {
      subject: 'Ya tienes una cuenta',
      html: `<p>Hola {{name}}:</p><p>Alguien ha intentado registrarse con tu email, pero ya tienes una cuenta. Si has sido tú, inicia sesión o restablece tu contraseña en:</p>${button('Ir a la aplicación')}<p>Si no, puedes ignorar este mensaje.</p>`,
    },
    en: {
      subject: 'You already have an account',
      html: `<p>Hi {{name}},</p><p>Someone tried to sign up with your email, but you already have an account. If it was you, sign in or reset your password at:</p>${button('Go to the app')}<p>Otherwise you can ignore this message.</p>`,
    },
  },
  // Organization invitation (tenants). data: { inviter, organization, url }
  invitation: {
    es: {
      subject: 'Invitación a {{organization}}',
      html: `<p>{{inviter}} te invita a {{organization}}. Acepta la invitación aquí:</p>${button('Aceptar la invitación')}`,
    },
    en: {
      subject: 'Invitation to {{organization}}',
      html: `<p>{{inviter}} invited you to {{organization}}. Accept the invitation here:</p>${button('Accept the invitation')}`,
    },
  },
};

/** Queues an account email in the language the request asked for (better-auth hands its request over). */
export async function sendAuthEmail(
  ctx: ModuleContext,
  template: keyof typeof authMailTemplates,
  to: string,
  data: Record<string, unknown>,
  request?: Request,
): Promise<void> {
  const locale = ctx.i18n.negotiate(request?.headers.get('accept-language') ?? undefined);
  await ctx.mail.send({ to, template: `auth.${template}`, locale, data });
}
