import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { generate } from 'otplib';
import { expect } from 'vitest';
import { stepApiClient } from './http.js';
import { bearer } from './sign-up.js';

/** A login client at one client address, as a trusted proxy (TRUST_PROXY=1) names it. */
export function loginClientAt(baseUrl: string, address: string) {
  const client = stepApiClient(baseUrl);
  const headers = { 'x-forwarded-for': address };
  return {
    start: () => client.call('POST', '/v1/journeys/login/start', { headers }),
    submit: (id: string, token: string, step: string, body: unknown) =>
      client.call('POST', `/v1/journeys/${id}/steps/${step}`, {
        headers: { ...headers, 'journey-token': token },
        body,
      }),
  };
}

export type LoginClient = ReturnType<typeof loginClientAt>;

/** A sign-in moved on past the address, answering the password step's submission. */
export async function signIn(client: LoginClient, email: string, password: string) {
  const { id, token } = (await client.start()).body;
  const identified = await client.submit(id, token, 'identify', { email });
  expect(identified.body.step).toMatchObject({ name: 'password', data: { email } });
  return {
    id: id as string,
    token: token as string,
    answer: await client.submit(id, token, 'password', { password }),
  };
}

/** The code an app shows in the next time step (still within the ±1 step accepted). */
export const nextCode = (secret: string) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

/**
 * Enrols an authenticator app over mfa-enrolment@1 and answers its key and, for the account's
 * first factor, the recovery codes shown with it.
 */
export async function enrolTotp(
  api: ReturnType<typeof stepApiClient>,
  sessionToken: string,
): Promise<{ secret: string; codes: string[] }> {
  const started = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
    headers: bearer(sessionToken),
  });
  expect(started.status).toBe(201);
  const { id, token } = started.body;
  const secret = started.body.step.data.secret as string;
  const code = await generate({ secret });
  const shown = await api.submit(id, token, 'confirm-totp', { code });
  const codes = shown.body.step?.name === 'recovery-codes' ? shown.body.step.data.codes : [];
  const done =
    shown.body.step?.name === 'recovery-codes'
      ? await api.submit(id, token, 'recovery-codes', { saved: true })
      : shown;
  expect(done.body).toMatchObject({ status: 'completed', result: { type: 'none' } });
  return { secret, codes };
}

/** Enrols a passkey on `authenticator` over mfa-enrolment@1 (the account's first factor: recovery codes saved). */
export async function enrolPasskey(
  api: ReturnType<typeof stepApiClient>,
  sessionToken: string,
  register: (creationOptions: PublicKeyCredentialCreationOptionsJSON) => unknown,
): Promise<void> {
  const started = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
    headers: bearer(sessionToken),
    body: { factor: 'passkey' },
  });
  const { id, token } = started.body;
  const credential = register(started.body.step.data.options);
  const registered = await api.submit(id, token, 'register-passkey', { credential });
  expect(registered.body.step.name).toBe('recovery-codes');
  await api.submit(id, token, 'recovery-codes', { saved: true });
}
