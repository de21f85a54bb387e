import type { MailMessage } from '../../core/drivers/mail/contract.js';

/**
 * The account emails. The recipient's language is not known yet at sign-up, so each email
 * carries Spanish first, then English. Plain text always; the link sits on a line of its own
 * so mail clients make it clickable and the development outbox log can pick it out.
 */
interface Recipient {
  email: string;
  name: string;
}

const bilingual = (es: string, en: string) => `${es}\n\n---\n\n${en}\n`;

export function verificationEmail(user: Recipient, url: string): MailMessage {
  return {
    to: user.email,
    subject: 'Confirma tu email / Confirm your email',
    text: bilingual(
      `Hola ${user.name}:\n\nConfirma tu dirección de email abriendo este enlace:\n\n${url}\n\nSi no has creado una cuenta, ignora este mensaje.`,
      `Hi ${user.name},\n\nConfirm your email address by opening this link:\n\n${url}\n\nIf you did not create an account, ignore this message.`,
    ),
  };
}

export function resetPasswordEmail(user: Recipient, url: string): MailMessage {
  return {
    to: user.email,
    subject: 'Restablece tu contraseña / Reset your password',
    text: bilingual(
      `Hola ${user.name}:\n\nPara elegir una contraseña nueva, abre este enlace (caduca en una hora):\n\n${url}\n\nSi no lo has pedido tú, ignora este mensaje: tu contraseña no cambia.`,
      `Hi ${user.name},\n\nTo choose a new password, open this link (it expires in one hour):\n\n${url}\n\nIf you did not ask for this, ignore this message: your password stays the same.`,
    ),
  };
}

/** Sent instead of an error when someone signs up with an email that already has an account. */
export function existingAccountEmail(user: Recipient, appUrl: string): MailMessage {
  return {
    to: user.email,
    subject: 'Ya tienes una cuenta / You already have an account',
    text: bilingual(
      `Hola ${user.name}:\n\nAlguien ha intentado registrarse con tu email, pero ya tienes una cuenta. Si has sido tú, inicia sesión o restablece tu contraseña en:\n\n${appUrl}\n\nSi no, puedes ignorar este mensaje.`,
      `Hi ${user.name},\n\nSomeone tried to sign up with your email, but you already have an account. If it was you, sign in or reset your password at:\n\n${appUrl}\n\nOtherwise you can ignore this message.`,
    ),
  };
}
