import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { createSoftAuthenticator, type SoftAuthenticator } from '../support/soft-authenticator.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Passkeys over the step API, with a software authenticator that signs real attestations and
 * assertions (P-256), verified by @simplewebauthn/server as a browser's would be.
 */
describe('passkeys (WebAuthn) over the step API', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let origin: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url });
    api = stepApiClient(stack.url);
    origin = stack.config.webauthn.origins[0] as string;
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  /** A customer with a passkey on `authenticator` (their first factor: recovery codes saved). */
  async function withPasskey(authenticator: SoftAuthenticator) {
    const customer = await signUp(api, smtp);
    const started = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
      headers: bearer(customer.sessionToken),
      body: { factor: 'passkey' },
    });
    expect(started.body.step).toMatchObject({
      name: 'register-passkey',
      data: { factor: 'webauthn' },
    });
    const { options } = started.body.step.data;
    expect(options).toMatchObject({
      rp: { id: 'localhost' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const credential = authenticator.register({ creationOptions: options, origin });
    const registered = await api.submit(started.body.id, started.body.token, 'register-passkey', {
      credential,
    });
    expect(registered.body.step.name).toBe('recovery-codes');
    await api.submit(started.body.id, started.body.token, 'recovery-codes', { saved: true });
    return customer;
  }

  /** A login@1 run at its passkey sign-in step (no address typed). */
  async function atPasskeySignIn() {
    const { id, token } = (await api.start('login')).body;
    const chosen = await api.submit(id, token, 'identify', { method: 'passkey' });
    expect(chosen.body.step, `${chosen.status} ${JSON.stringify(chosen.body)}`).toMatchObject({
      name: 'passkey-sign-in',
      data: { factor: 'webauthn', options: { rpId: 'localhost', userVerification: 'required' } },
    });
    // Discoverable: no address was typed, so the browser is not told which passkeys exist.
    expect(chosen.body.step.data.options.allowCredentials ?? []).toEqual([]);
    return { id, token, options: chosen.body.step.data.options };
  }

  it('enrols a passkey and signs in with it without typing an address: a session at aal2, amr hwk and user', async () => {
    const authenticator = createSoftAuthenticator();
    const customer = await withPasskey(authenticator);
    const run = await atPasskeySignIn();
    const credential = authenticator.authenticate({ requestOptions: run.options, origin });
    const done = await api.submit(run.id, run.token, 'passkey-sign-in', { credential });
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { user: { id: customer.userId }, session: { aal: 2, amr: ['hwk', 'user'] } },
    });
    const factors = await api.call('GET', '/v1/sessions/factors', {
      headers: bearer(done.body.result.session.token),
    });
    expect(factors.body.factors[0]).toMatchObject({ type: 'webauthn' });
    expect(JSON.stringify(factors.body)).not.toContain('publicKey');
  });

  it('asks an account with a passkey for it after the password, as on every sign-in path: aal2 with pwd, hwk, user and mfa', async () => {
    const authenticator = createSoftAuthenticator();
    const customer = await withPasskey(authenticator);
    const { id, token } = (await api.start('login')).body;
    await api.submit(id, token, 'identify', { email: customer.email });
    const factor = await api.submit(id, token, 'password', { password: customer.password });
    expect(factor.body.step).toMatchObject({
      name: 'passkey',
      data: { factor: 'webauthn', otherFactors: ['recovery_code'] },
    });
    // Here the account is known: its passkeys are named, so the browser offers just those.
    expect(factor.body.step.data.options.allowCredentials).toHaveLength(1);
    const credential = authenticator.authenticate({
      requestOptions: factor.body.step.data.options,
      origin,
    });
    const done = await api.submit(id, token, 'passkey', { credential });
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { session: { aal: 2, amr: ['pwd', 'hwk', 'user', 'mfa'] } },
    });
  });

  it('refuses an assertion from another origin, for another RP ID, answering another run, or replayed: 422 passkey_refused, then a fresh challenge works', async () => {
    const authenticator = createSoftAuthenticator();
    await withPasskey(authenticator);
    const run = await atPasskeySignIn();
    const other = await atPasskeySignIn();
    const attempts = [
      authenticator.authenticate({ requestOptions: run.options, origin: 'https://evil.example' }),
      authenticator.authenticate({ requestOptions: run.options, origin, rpId: 'evil.example' }),
      // Signed over the other run's challenge: this run's is not it.
      authenticator.authenticate({ requestOptions: other.options, origin }),
    ];
    let options = run.options;
    for (const credential of attempts) {
      const refused = await api.submit(run.id, run.token, 'passkey-sign-in', { credential });
      expectProblem(refused, 422, 'passkey_refused');
      // Each refusal spent its challenge; the view offers a new one.
      expect(refused.body.view.step.data.options.challenge).not.toBe(options.challenge);
      options = refused.body.view.step.data.options;
    }
    const good = authenticator.authenticate({ requestOptions: options, origin });
    expect(
      (await api.submit(run.id, run.token, 'passkey-sign-in', { credential: good })).body.status,
    ).toBe('completed');
    // The same assertion again, in the other run: its challenge is not that one, and that one is spent.
    expectProblem(
      await api.submit(other.id, other.token, 'passkey-sign-in', { credential: good }),
      422,
      'passkey_refused',
    );
  });

  // Security review, item 3: `step-up {factor:"webauthn"}` completed with a TOTP code after
  // `{method:"totp"}`, and `{factor:"totp"}` with a recovery code (OIDC acr_values).
  it('a step-up asking for one factor offers and accepts no other: a switch to TOTP or a recovery code is refused', async () => {
    const authenticator = createSoftAuthenticator();
    await withPasskey(authenticator);
    const run = await atPasskeySignIn();
    const signedIn = await api.submit(run.id, run.token, 'passkey-sign-in', {
      credential: authenticator.authenticate({ requestOptions: run.options, origin }),
    });
    const session = signedIn.body.result.session.token as string;
    // An authenticator app too, from that aal 2 session.
    const enrolment = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
      headers: bearer(session),
    });
    const secret = enrolment.body.step.data.secret as string;
    const enrolled = await api.submit(enrolment.body.id, enrolment.body.token, 'confirm-totp', {
      code: await generate({ secret }),
    });
    expect(enrolled.body.status).toBe('completed');

    const asks = async (factor: string) =>
      api.call('POST', '/v1/journeys/step-up/start', {
        headers: bearer(session),
        body: { factor },
      });
    const passkeyOnly = await asks('webauthn');
    expect(passkeyOnly.body.step).toMatchObject({ name: 'passkey', data: { otherFactors: [] } });
    for (const method of ['totp', 'recovery_code'])
      expectProblem(
        await api.submit(passkeyOnly.body.id, passkeyOnly.body.token, 'passkey', { method }),
        422,
        'factor_not_enrolled',
      );
    const totpOnly = await asks('totp');
    expect(totpOnly.body.step).toMatchObject({ name: 'totp', data: { otherFactors: [] } });
    for (const method of ['webauthn', 'recovery_code'])
      expectProblem(
        await api.submit(totpOnly.body.id, totpOnly.body.token, 'totp', { method }),
        422,
        'factor_not_enrolled',
      );
    const raised = await api.submit(totpOnly.body.id, totpOnly.body.token, 'totp', {
      code: await generate({ secret, epoch: Date.now() / 1000 + 30 }),
    });
    expect(raised.body.result.session).toMatchObject({ aal: 2, amr: ['otp'] });
  });

  // Security review, item 2: a forged assertion (signature `AAAA`) for a victim's credential id
  // suspended the victim's passkey, because the counter was judged before the signature.
  it('never suspends a passkey on an assertion whose signature does not verify, whatever its counter: a forged one is refused like any other (W3C WebAuthn §7.2 steps 21-22)', async () => {
    const authenticator = createSoftAuthenticator();
    await withPasskey(authenticator);
    const first = await atPasskeySignIn();
    const signedIn = await api.submit(first.id, first.token, 'passkey-sign-in', {
      credential: authenticator.authenticate({ requestOptions: first.options, origin }),
    });
    expect(signedIn.body.status).toBe('completed');
    const attack = await atPasskeySignIn();
    const genuine = authenticator.authenticate({
      requestOptions: attack.options,
      origin,
      signCount: 0,
    });
    const forged = { ...genuine, response: { ...genuine.response, signature: 'AAAA' } };
    expectProblem(
      await api.submit(attack.id, attack.token, 'passkey-sign-in', { credential: forged }),
      422,
      'passkey_refused',
    );
    const passkey = await stack.prisma.credential.findFirstOrThrow({
      where: { externalId: genuine.id },
    });
    expect(passkey.data).not.toHaveProperty('suspendedAt');
    const later = await atPasskeySignIn();
    expect(
      (
        await api.submit(later.id, later.token, 'passkey-sign-in', {
          credential: authenticator.authenticate({ requestOptions: later.options, origin }),
        })
      ).body.status,
    ).toBe('completed');
  });

  it('suspends a passkey whose verified signature counter goes backwards (a cloned key), tells its owner, answers exactly as for an unknown passkey, and a stepped-up session reinstates it (W3C WebAuthn §6.1.1, ASVS 5.0 V6.3.7)', async () => {
    const authenticator = createSoftAuthenticator();
    const customer = await withPasskey(authenticator);
    const first = await atPasskeySignIn();
    const signedIn = await api.submit(first.id, first.token, 'passkey-sign-in', {
      credential: authenticator.authenticate({ requestOptions: first.options, origin }),
    });
    expect(signedIn.body.status).toBe('completed');
    const stepped = signedIn.body.result.session.token as string;
    const cloned = await atPasskeySignIn();
    const regressed = await api.submit(cloned.id, cloned.token, 'passkey-sign-in', {
      credential: authenticator.authenticate({
        requestOptions: cloned.options,
        origin,
        signCount: 0,
      }),
    });
    expectProblem(regressed, 422, 'passkey_refused');
    const notice = await smtp.waitFor(
      (message) => message.to.includes(customer.email) && /suspended/.test(message.subject),
    );
    expect(notice.text).toContain('reinstate');

    // From then on: the same answer as a passkey this server never saw.
    const later = await atPasskeySignIn();
    const suspended = await api.submit(later.id, later.token, 'passkey-sign-in', {
      credential: authenticator.authenticate({ requestOptions: later.options, origin }),
    });
    const unknown = await atPasskeySignIn();
    const stranger = createSoftAuthenticator();
    stranger.register({
      creationOptions: {
        challenge: 'AAAA',
        rp: { id: 'localhost', name: 'x' },
        user: { id: 'AAAA', name: 'x', displayName: 'x' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
      origin,
    });
    const neverSeen = await api.submit(unknown.id, unknown.token, 'passkey-sign-in', {
      credential: stranger.authenticate({ requestOptions: unknown.options, origin }),
    });
    const shape = (answer: typeof suspended) => ({
      status: answer.status,
      code: answer.body.code,
      title: answer.body.title,
      errors: answer.body.errors,
    });
    expect(shape(suspended)).toEqual(shape(neverSeen));
    expectProblem(suspended, 422, 'passkey_refused');

    // Its owner, stepped up (the aal2 session of the first sign-in), reinstates it.
    const factors = await api.call('GET', '/v1/sessions/factors', { headers: bearer(stepped) });
    const listed = factors.body.factors.find(
      (factor: { type: string }) => factor.type === 'webauthn',
    );
    expect(listed).toMatchObject({ suspended_at: expect.any(String) });
    const reinstated = await api.call('POST', '/v1/journeys/passkey-reinstatement/start', {
      headers: bearer(stepped),
      body: { factor: listed.id },
    });
    expect(reinstated.body, JSON.stringify(reinstated.body)).toMatchObject({
      status: 'completed',
    });
    const back = await atPasskeySignIn();
    expect(
      (
        await api.submit(back.id, back.token, 'passkey-sign-in', {
          credential: authenticator.authenticate({ requestOptions: back.options, origin }),
        })
      ).body.status,
    ).toBe('completed');
  });

  it('reinstates a passkey only from a stepped-up session: a password-only session is sent to step up (403)', async () => {
    const customer = await signUp(api, smtp);
    expectProblem(
      await api.call('POST', '/v1/journeys/passkey-reinstatement/start', {
        headers: bearer(customer.sessionToken),
        body: { factor: 'anything' },
      }),
      403,
      'stronger_authentication_required',
    );
  });
});
