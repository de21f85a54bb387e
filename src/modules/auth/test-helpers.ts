/**
 * Test helpers for the auth module's own tests: a real SMTP server that captures what the app
 * sends. The cookie jar and sign-up / sign-in shortcuts are public (`neptuno/testing`) and
 * re-exported here so these tests keep one import.
 */
export * from '../../testing/auth.js';

// The SMTP capture is the kernel's (MIME-aware: subject, text and HTML parts decoded).
export { startTestSmtp, type ReceivedMail as CapturedMail, type TestSmtp } from '../../testing/smtp.js';
