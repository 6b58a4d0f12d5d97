import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { relyingPartyOf } from '../support/oidc-flow.js';
import { expectProblem } from '../support/raw-http.js';
import { bearer, freshEmail } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'consent-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});
const PASSWORD = 'analytical engine 1843';

/*
 * Consent enforced when apps read (the consent issue): registration@3 and consent@1 record each
 * decision under the policy version the page showed; the app API releases an attribute a purpose
 * naming the app covers only under a current grant, so a withdrawal is seen at the app's next read
 * with the same credentials; a material policy version asks again at the next sign-in. GDPR
 * Art. 7(1) (demonstrable consent: the receipts), Art. 7(3) (withdrawal as easy as giving it).
 */
describe('consent, recorded and enforced at read time, on real Temporal and Postgres', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let partnerSecret: string;
  const partner = () => basic('partner', partnerSecret);

  const publish = async (version: string, options: { material: boolean; at?: string }) => {
    const published = await api.call('POST', '/v1/admin/policies', {
      headers: admin,
      body: {
        policy: 'privacy',
        version,
        locale: 'en',
        content: `Privacy notice, version ${version}: we share your email with Partner if you agree.`,
        material: options.material,
        effective_at: options.at ?? new Date(Date.now() - 1000).toISOString(),
      },
    });
    expect(published.status).toBe(201);
  };

  /** Registers through registration@3 up to its consent step: the run and the view there. */
  async function registerToConsent(email = freshEmail('consent')) {
    const started = await api.start('registration');
    expect(started.body).toMatchObject({ journey: 'registration', version: 3 });
    const { id, token } = started.body;
    await api.submit(id, token, 'credentials', { email, password: PASSWORD });
    const mail = await smtp.waitFor((message) => message.to.includes(email));
    await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    const terms = await api.submit(id, token, 'terms', {
      accept: true,
      policyVersion: '2026-11-01',
    });
    expect(terms.body.step.name).toBe('consent');
    return { id, token, email, view: terms.body };
  }

  async function signIn(email: string, clientId?: string) {
    const started = await api.call('POST', '/v1/journeys/login/start', {
      body: clientId ? { client_id: clientId } : {},
    });
    const done = await api.call('POST', `/v1/journeys/${started.body.id}/steps/identify`, {
      headers: { 'journey-token': started.body.token },
      body: { email, password: PASSWORD },
    });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
    return done.body.result;
  }

  /** A customer registered with `share` decided, then signed in through the partner app once. */
  async function customer(share: boolean) {
    const run = await registerToConsent();
    const policies = { privacy: run.view.step.data.policies[0].version };
    const done = await api.submit(run.id, run.token, 'consent', {
      decisions: { terms_of_use: true, partner_sharing: share },
      policies,
    });
    expect(done.body.status).toBe('completed');
    const userId = done.body.result.user.id as string;
    await signIn(run.email, 'partner');
    return { email: run.email, userId, session: done.body.result.session.token as string };
  }
  const partnerReads = (userId: string) =>
    api.call('GET', `/v1/apps/me/users/${userId}/profile`, { headers: partner() });

  /** The partner as an OpenID Connect client (its callback and scopes registered), as a relying party. */
  async function partnerAsClient(scopes: string[], grantTypes = ['authorization_code']) {
    const callback = 'https://partner.example.test/callback';
    const client = await api.call('PATCH', '/v1/admin/apps/partner', {
      headers: admin,
      body: { redirect_uris: [callback], scopes, grant_types: grantTypes },
    });
    expect(client.status).toBe(200);
    const party = relyingPartyOf(`${stack.url}/oidc`, {
      id: 'partner',
      secret: partnerSecret,
      redirect: callback,
    });
    return { party, callback, config: await party.configuration() };
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: { id: 'partner', name: 'Partner', kind: 'third_party', attributes: ['email'] },
    });
    expect(added.status).toBe(201);
    partnerSecret = added.body.client_secret;
    for (const [id, body] of Object.entries({
      partner_sharing: {
        name: 'Share my email with Partner',
        attributes: ['email'],
        apps: ['partner'],
      },
      terms_of_use: { name: 'Terms of use', required: true, policy: 'privacy' },
    })) {
      const declared = await api.call('PUT', `/v1/admin/purposes/${id}`, { headers: admin, body });
      expect(declared.status).toBe(200);
    }
    await publish('2026-12-01', { material: true, at: '2026-12-01T00:00:00Z' });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('asks at registration each purpose on its own under the policy version in effect, with a schema naming them', async () => {
    const { view } = await registerToConsent();
    expect(view.step.data.policies).toEqual([
      expect.objectContaining({
        policy: 'privacy',
        version: '2026-12-01',
        locale: 'en',
        content_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        href: '/v1/policies/privacy/2026-12-01/en',
      }),
    ]);
    expect(view.step.data.purposes.map((purpose: { id: string }) => purpose.id)).toEqual([
      'partner_sharing',
      'terms_of_use',
    ]);
    expect(view.step.data.purposes[0]).toMatchObject({ changed: 'new', required: false });
    expect(view.step.schema.properties.decisions.required).toEqual(['terms_of_use']);
    expect(view.step.schema.properties.policies.properties.privacy).toEqual({
      const: '2026-12-01',
    });
    const page = await api.call('GET', view.step.data.policies[0].href);
    expect(page.status).toBe(200);
    expect(page.body.content).toContain('Privacy notice, version 2026-12-01');
  });

  it('refuses to register with a required purpose denied, naming it, and records nothing', async () => {
    const run = await registerToConsent();
    const refused = await api.submit(run.id, run.token, 'consent', {
      decisions: { terms_of_use: false, partner_sharing: true },
      policies: { privacy: '2026-12-01' },
    });
    expectProblem(refused, 422, 'consent_required');
    expect(refused.body.errors[0]).toMatchObject({ path: '/decisions/terms_of_use' });
    expect(refused.body.view.step.name).toBe('consent');
    expect(await stack.prisma.identifier.count({ where: { value: run.email } })).toBe(0);
  });

  it('records a receipt per decision with the policy version, locale and hash shown, the run and the step (ISO/IEC TS 27560)', async () => {
    const { userId, session } = await customer(true);
    const mine = await api.call('GET', '/v1/me/consents', { headers: bearer(session) });
    expect(mine.status).toBe(200);
    const receipts = mine.body.receipts as Array<{ receipt_id: string; purpose: { id: string } }>;
    const sharing = receipts.find((receipt) => receipt.purpose.id === 'partner_sharing');
    expect(sharing).toMatchObject({
      data_subject: userId,
      decision: 'granted',
      purpose: {
        name: 'Share my email with Partner',
        personal_data: ['email'],
        recipients: ['partner'],
      },
      notice: {
        policy: 'privacy',
        version: '2026-12-01',
        locale: 'en',
        content_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      collection: {
        method: 'journey',
        step: 'consent',
        channel: 'api',
        journey_run: expect.any(String),
      },
    });
    const downloaded = await api.call('GET', `/v1/me/consents/receipts/${sharing?.receipt_id}`, {
      headers: bearer(session),
    });
    expect(downloaded.body).toEqual(sharing);
    expect(
      mine.body.purposes.find((purpose: { id: string }) => purpose.id === 'partner_sharing'),
    ).toMatchObject({ decision: 'granted' });
    // Another customer's receipt is not there for them.
    const other = await customer(false);
    expectProblem(
      await api.call('GET', `/v1/me/consents/receipts/${sharing?.receipt_id}`, {
        headers: bearer(other.session),
      }),
      404,
      'consent_not_found',
    );
  });

  it('keeps the record append-only: the database refuses to change one', async () => {
    const { userId } = await customer(true);
    await expect(
      stack.prisma.consentRecord.updateMany({ where: { userId }, data: { action: 'denied' } }),
    ).rejects.toThrow(/append-only/);
  });

  it('withholds from the partner an email the customer did not agree to share, and counts it without a value', async () => {
    const { userId, email } = await customer(false);
    const read = await partnerReads(userId);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ sub: userId });
    const counted = await api.call('GET', '/v1/admin/consent/withheld?app=partner', {
      headers: admin,
    });
    expect(counted.body.withheld).toEqual([
      expect.objectContaining({ app: 'partner', attribute: 'email', count: expect.any(Number) }),
    ]);
    expect(JSON.stringify(counted.body)).not.toContain(email);
    expect(JSON.stringify(counted.body)).not.toContain(userId);
  });

  it('takes a withdrawal into effect at the partner’s next userinfo call, and revokes its refresh tokens (OpenID Connect)', async () => {
    const { party } = await partnerAsClient(
      ['openid', 'email', 'offline_access'],
      ['authorization_code', 'refresh_token'],
    );
    const { userId, email, session } = await customer(true);
    const partnerSession = (await signIn(email, 'partner')).session.token as string;
    const { config, tokens } = await party.tokensFor(partnerSession);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toEqual({
      sub: userId,
      email,
    });
    const withdrawn = await api.call('DELETE', '/v1/me/consents/partner_sharing', {
      headers: bearer(session),
    });
    expect(withdrawn.status).toBe(200);
    // The same access token, the very next call: the email is no longer there.
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toEqual({ sub: userId });
    await expect(
      oidc.refreshTokenGrant(config, tokens.refresh_token as string),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('names consent@1 at a partner’s consent prompt when its scopes reach data under a purpose not granted (OpenID Connect)', async () => {
    const { party, callback, config } = await partnerAsClient(['openid', 'email']);
    const consentPrompt = async (share: boolean) => {
      const { email } = await customer(share);
      const partnerSession = (await signIn(email, 'partner')).session.token as string;
      const { jar, reached } = await party.authorize(config, { scope: 'openid email' });
      const login = await jar.fetch(`${reached.url}/login`, {
        method: 'POST',
        headers: bearer(partnerSession),
      });
      expect(login.status).toBe(200);
      const { redirect_to } = (await login.json()) as { redirect_to: string };
      const next = await jar.follow(new URL(redirect_to, reached.url).href, callback);
      return (await next.response?.json()) as { prompt: { name: string }; journey?: unknown };
    };
    expect(await consentPrompt(false)).toMatchObject({
      prompt: { name: 'consent' },
      journey: { journey: 'consent', purposes: ['partner_sharing'] },
    });
    const granted = await consentPrompt(true);
    expect(granted.prompt.name).toBe('consent');
    expect(granted.journey).toBeUndefined();
  });

  it('takes a withdrawal mid-session into effect at the partner’s next read, with the same credentials', async () => {
    const { userId, email, session } = await customer(true);
    expect((await partnerReads(userId)).body).toEqual({ sub: userId, email });
    const partnerSession = (await signIn(email, 'partner')).session.token as string;
    const withdrawn = await api.call('DELETE', '/v1/me/consents/partner_sharing', {
      headers: bearer(session),
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({
      decision: 'withdrawn',
      receipt: { decision: 'withdrawn' },
    });
    expect((await partnerReads(userId)).body).toEqual({ sub: userId });
    // What the partner was granted ends: its sessions; the customer's own stays.
    expect(
      (await api.call('GET', '/v1/sessions/whoami', { headers: bearer(partnerSession) })).status,
    ).toBe(401);
    expect((await api.call('GET', '/v1/me', { headers: bearer(session) })).status).toBe(200);
    // Withdrawing again changes nothing and says so.
    const again = await api.call('DELETE', '/v1/me/consents/partner_sharing', {
      headers: bearer(session),
    });
    expect(again.body).toEqual({ purpose: 'partner_sharing', decision: 'not_granted' });
    expectProblem(
      await api.call('DELETE', '/v1/me/consents/terms_of_use', { headers: bearer(session) }),
      422,
      'consent_required',
    );
    expectProblem(
      await api.call('DELETE', '/v1/me/consents/no_such_purpose', { headers: bearer(session) }),
      404,
      'purpose_not_found',
    );
  });

  it('grants again through consent@1 from /v1/me/consents, and the partner reads the email again', async () => {
    const { userId, email, session } = await customer(false);
    const started = await api.call('POST', '/v1/me/consents', {
      headers: bearer(session),
      body: {},
    });
    expect(started.status).toBe(201);
    expect(started.body.step.name).toBe('consent');
    const sharing = started.body.step.data.purposes.find(
      (purpose: { id: string }) => purpose.id === 'partner_sharing',
    );
    expect(sharing).toMatchObject({ decision: 'denied' });
    const done = await api.submit(started.body.id, started.body.token, 'consent', {
      decisions: { partner_sharing: true },
      policies: { privacy: '2026-12-01' },
    });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'none' } });
    expect((await partnerReads(userId)).body).toEqual({ sub: userId, email });
  });

  it('records nothing from a page shown for an older version: it answers the version in effect now', async () => {
    const { userId, session } = await customer(false);
    const started = await api.call('POST', '/v1/me/consents', {
      headers: bearer(session),
      body: {},
    });
    const shown = started.body.step.data.policies[0].version;
    await publish('2026-12-06-minor', { material: false });
    const stale = await api.submit(started.body.id, started.body.token, 'consent', {
      decisions: { partner_sharing: true },
      policies: { privacy: shown },
    });
    expectProblem(stale, 422, 'policy_version_mismatch');
    expect(stale.body.errors[0]).toMatchObject({ path: '/policies/privacy' });
    expect(stale.body.view.step.data.policies[0].version).toBe('2026-12-06-minor');
    expect(
      await stack.prisma.consentRecord.count({
        where: { userId, purpose: 'partner_sharing', action: 'granted' },
      }),
    ).toBe(0);
    const recorded = await api.submit(started.body.id, started.body.token, 'consent', {
      decisions: { partner_sharing: true },
      policies: { privacy: '2026-12-06-minor' },
    });
    expect(recorded.body.status).toBe('completed');
  });

  it('asks nothing at sign-in after a non-material change, and asks consent@1 after a material one, the old grant suspended until then', async () => {
    const { userId, email } = await customer(true);
    await publish(`minor-${Date.now()}`, { material: false });
    const after = await signIn(email);
    expect(after.continue_with).toBeUndefined();
    expect((await partnerReads(userId)).body).toHaveProperty('email', email);

    const material = `material-${Date.now()}`;
    await publish(material, { material: true });
    expect((await partnerReads(userId)).body).toEqual({ sub: userId });
    const signedIn = await signIn(email);
    expect(signedIn.continue_with).toEqual([
      {
        action: 'run_journey',
        journey: 'consent',
        start: { method: 'POST', href: '/v1/journeys/consent/start', body: {} },
      },
    ]);
    // Through the OpenID Connect provider too: no code for the client until the decision is made.
    const { party, config } = await partnerAsClient(['openid', 'email']);
    const { jar, reached } = await party.authorize(config, { scope: 'openid' });
    const due = await jar.fetch(`${reached.url}/login`, {
      method: 'POST',
      headers: bearer(signedIn.session.token),
    });
    expect(due.status).toBe(409);
    expect(await due.json()).toMatchObject({
      code: 'consent_due',
      continue_with: signedIn.continue_with,
    });
    const started = await api.call('POST', '/v1/journeys/consent/start', {
      headers: bearer(signedIn.session.token),
      body: {},
    });
    const shown = started.body.step.data;
    expect(shown.policies[0].version).toBe(material);
    expect(
      shown.purposes.find((purpose: { id: string }) => purpose.id === 'partner_sharing'),
    ).toMatchObject({ decision: 'renewal_due', changed: 'policy_changed' });
    await api.submit(started.body.id, started.body.token, 'consent', {
      decisions: { partner_sharing: true, terms_of_use: true },
      policies: { privacy: material },
    });
    expect((await partnerReads(userId)).body).toEqual({ sub: userId, email });
    expect((await signIn(email)).continue_with).toBeUndefined();
    const { reached: onwards } = await party.finish(jar, reached.url, signedIn.session.token);
    expect(new URL(onwards?.url as string).searchParams.get('code')).toBeTruthy();
  });
});
