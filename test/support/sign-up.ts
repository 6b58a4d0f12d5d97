import { expect } from 'vitest';
import { codeIn, type stepApiClient } from './http.js';
import type { SmtpSink } from './smtp-sink.js';

/** A fresh address per call, so runs never collide on an existing account. */
export const freshEmail = (label = 'customer') =>
  `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;

/**
 * Registers a customer over the step API (registration, latest version) and answers the session
 * token the completed journey shows once: a signed-in customer, made the way a real one is.
 */
export async function signUp(
  api: ReturnType<typeof stepApiClient>,
  smtp: SmtpSink,
  email = freshEmail(),
  password = 'analytical engine 1843',
): Promise<{ email: string; password: string; sessionToken: string; userId: string }> {
  const started = await api.start('registration');
  const { id, token } = started.body;
  await api.submit(id, token, 'credentials', { email, password });
  const mail = await smtp.waitFor((message) => message.to.includes(email));
  await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
  const done = await api.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' });
  expect(done.body).toMatchObject({ status: 'completed' });
  return {
    email,
    password,
    sessionToken: done.body.result.session.token,
    userId: done.body.result.user.id,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
