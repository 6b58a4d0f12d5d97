import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/runtime/config.js';

describe('configuration from the environment', () => {
  it('runs on embedded defaults with no environment at all', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 3000,
      embeddedDatabase: true,
      embeddedTemporal: true,
      TEMPORAL_DEV_PORT: 7233,
      TEMPORAL_UI_PORT: 8233,
      devOutbox: true,
    });
  });

  it('keeps the dev outbox, which shows codes, off once a real database or SMTP server is named', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db.internal/parcours' }).devOutbox).toBe(false);
    expect(loadConfig({ SMTP_URL: 'smtp://mail.internal:587' }).devOutbox).toBe(false);
    expect(
      loadConfig({ DATABASE_URL: 'postgres://db/p', PARCOURS_DEV_OUTBOX: 'true' }).devOutbox,
    ).toBe(true);
  });

  it('checks new passwords against the breach range API outside embedded mode only, at a URL one may change or turn off', () => {
    expect(loadConfig({}).breachedPasswords).toBeUndefined();
    const db = { DATABASE_URL: 'postgres://db.internal/parcours' };
    expect(loadConfig(db).breachedPasswords).toEqual({
      url: 'https://api.pwnedpasswords.com',
      timeoutMs: 1500,
    });
    expect(
      loadConfig({ ...db, BREACHED_PASSWORDS_URL: 'http://pwned.internal:8080' }).breachedPasswords,
    ).toMatchObject({ url: 'http://pwned.internal:8080' });
    expect(loadConfig({ ...db, BREACHED_PASSWORDS_URL: 'off' }).breachedPasswords).toBeUndefined();
    expect(() => loadConfig({ BREACHED_PASSWORDS_URL: 'ftp://x' })).toThrow(
      /BREACHED_PASSWORDS_URL/,
    );
  });

  it('binds passkeys to a configured RP ID and origins, localhost on the API port by default', () => {
    expect(loadConfig({ PORT: '4000' }).webauthn).toEqual({
      rpId: 'localhost',
      rpName: 'Parcours',
      origins: ['http://localhost:4000'],
    });
    expect(
      loadConfig({
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_ORIGINS: 'https://login.example.com, https://example.com',
      }).webauthn,
    ).toMatchObject({
      rpId: 'example.com',
      origins: ['https://login.example.com', 'https://example.com'],
    });
    expect(() => loadConfig({ WEBAUTHN_RP_ID: 'https://example.com' })).toThrow(/WEBAUTHN_RP_ID/);
    expect(() => loadConfig({ WEBAUTHN_ORIGINS: 'ftp://example.com' })).toThrow(/WEBAUTHN_ORIGINS/);
  });

  it('refuses a bad value at start, naming every variable at fault', () => {
    expect(() =>
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', TRUST_PROXY: 'maybe' }),
    ).toThrow(
      /PORT[\s\S]*DATABASE_URL[\s\S]*TRUST_PROXY|PORT[\s\S]*TRUST_PROXY[\s\S]*DATABASE_URL/,
    );
  });

  it('trusts a number of proxy hops or named proxies, never any X-Forwarded-For a client writes', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'loopback',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY: true would trust any X-Forwarded-For a client writes/,
    );
    for (const TRUST_PROXY of ['10.0.0.0/33', 'proxy.internal', '0', '1.2.3.4/8/1'])
      expect(() => loadConfig({ TRUST_PROXY }), TRUST_PROXY).toThrow(/TRUST_PROXY/);
  });

  it('reads the return_to allow-list as absolute http(s) URLs, and refuses anything else', () => {
    expect(loadConfig({}).RETURN_TO_ALLOWED).toEqual([]);
    expect(
      loadConfig({ RETURN_TO_ALLOWED: ' https://app.example/account , http://localhost:5173/ ' })
        .RETURN_TO_ALLOWED,
    ).toEqual(['https://app.example/account', 'http://localhost:5173/']);
    expect(() => loadConfig({ RETURN_TO_ALLOWED: 'app.example' })).toThrow(/RETURN_TO_ALLOWED/);
    expect(() => loadConfig({ RETURN_TO_ALLOWED: 'javascript:alert(1)' })).toThrow(
      /RETURN_TO_ALLOWED/,
    );
  });

  it('takes Twilio whole or not at all: an account, its token, and a sender', () => {
    const sid = `AC${'a'.repeat(32)}`;
    expect(loadConfig({}).twilio).toBeUndefined();
    expect(
      loadConfig({
        TWILIO_ACCOUNT_SID: sid,
        TWILIO_AUTH_TOKEN: 'secret',
        TWILIO_FROM: '+15005550006',
      }).twilio,
    ).toEqual({ accountSid: sid, authToken: 'secret', from: '+15005550006' });
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_FROM: '+15005550006' })).toThrow(
      /TWILIO_AUTH_TOKEN: needed with TWILIO_ACCOUNT_SID/,
    );
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 'secret' })).toThrow(
      /TWILIO_FROM: give TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID/,
    );
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'not-a-sid', TWILIO_AUTH_TOKEN: 'x' })).toThrow(
      /TWILIO_ACCOUNT_SID/,
    );
  });

  it('keeps the dev outbox, which shows codes, on this machine: refused on a non-loopback HOST unless forced', () => {
    const beyond = { HOST: '0.0.0.0', PARCOURS_PUBLIC_URL: 'https://id.example.com' };
    expect(loadConfig(beyond).devOutbox).toBe(false);
    expect(() => loadConfig({ ...beyond, PARCOURS_DEV_OUTBOX: 'true' })).toThrow(
      /PARCOURS_DEV_OUTBOX: the dev outbox shows codes and HOST=0\.0\.0\.0 is not loopback/,
    );
    expect(
      loadConfig({
        ...beyond,
        PARCOURS_DEV_OUTBOX: 'true',
        PARCOURS_DEV_OUTBOX_ANY_HOST: 'true',
      }).devOutbox,
    ).toBe(true);
    for (const HOST of ['127.0.0.1', '::1', 'localhost'])
      expect(loadConfig({ HOST, PARCOURS_DEV_OUTBOX: 'true' }).devOutbox, HOST).toBe(true);
  });

  it('answers the public URL, the WebAuthn origins and ALLOWED_HOSTS, and the loopback names only on a loopback HOST', () => {
    expect(loadConfig({}).allowedHosts).toEqual({ urls: [], hosts: [], loopback: true });
    expect(
      loadConfig({
        HOST: '0.0.0.0',
        PARCOURS_PUBLIC_URL: 'https://id.example.com/identity',
        WEBAUTHN_ORIGINS: 'https://login.example.com',
        ALLOWED_HOSTS: ' API.internal:3000 , metrics.internal ',
      }).allowedHosts,
    ).toEqual({
      urls: ['https://id.example.com/identity', 'https://login.example.com'],
      hosts: ['api.internal:3000', 'metrics.internal'],
      loopback: false,
    });
    for (const PARCOURS_PUBLIC_URL of [
      'id.example.com',
      'ftp://id.example.com',
      'https://user:pw@id.example.com',
      'https://id.example.com/?q=1',
      'https://id.example.com/#top',
    ])
      expect(() => loadConfig({ PARCOURS_PUBLIC_URL }), PARCOURS_PUBLIC_URL).toThrow(
        /PARCOURS_PUBLIC_URL/,
      );
    for (const ALLOWED_HOSTS of ['*', 'https://x.example', 'x.example:99999', 'a b'])
      expect(() => loadConfig({ ALLOWED_HOSTS }), ALLOWED_HOSTS).toThrow(/ALLOWED_HOSTS/);
  });

  it('refuses an API listening beyond loopback with no public name: it would refuse every request', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(
      /PARCOURS_PUBLIC_URL: HOST=0\.0\.0\.0 listens beyond this machine/,
    );
    expect(
      loadConfig({ HOST: '0.0.0.0', ALLOWED_HOSTS: 'api.internal' }).allowedHosts.loopback,
    ).toBe(false);
  });

  it('serves the dashboard, funnel API and codec with their keys; in embedded mode a missing key is the generated one', () => {
    // Embedded mode: served, the key to come from the data folder (operator-keys.ts).
    expect(loadConfig({}).analytics).toEqual({ adminKey: undefined });
    expect(loadConfig({}).codec).toMatchObject({ decodeKey: undefined });
    const db = { DATABASE_URL: 'postgres://db.internal/parcours' };
    expect(loadConfig(db).analytics).toBeUndefined();
    expect(loadConfig(db).codec).toBeUndefined();
    const keys = { PARCOURS_ADMIN_KEY: 'a'.repeat(32), PARCOURS_CODEC_KEY: 'c'.repeat(32) };
    expect(loadConfig({ ...db, ...keys })).toMatchObject({
      analytics: { adminKey: 'a'.repeat(32) },
      codec: { decodeKey: 'c'.repeat(32) },
    });
    expect(loadConfig({ ...db, ...keys }).codec).not.toHaveProperty('encodeKey');
  });

  it('takes a codec encode key only of its own: never the viewing key or the admin key (ASVS 5.0 V8.2.1)', () => {
    const db = { DATABASE_URL: 'postgres://db.internal/parcours' };
    const view = 'v'.repeat(40);
    const admin = 'a'.repeat(40);
    const encode = 'e'.repeat(40);
    expect(
      loadConfig({ ...db, PARCOURS_CODEC_KEY: view, PARCOURS_CODEC_ENCODE_KEY: encode }).codec,
    ).toMatchObject({ decodeKey: view, encodeKey: encode });
    for (const same of [view, admin])
      expect(() =>
        loadConfig({
          ...db,
          PARCOURS_CODEC_KEY: view,
          PARCOURS_ADMIN_KEY: admin,
          PARCOURS_CODEC_ENCODE_KEY: same,
        }),
      ).toThrow(/PARCOURS_CODEC_ENCODE_KEY: must be a key of its own/);
    expect(() => loadConfig({ ...db, PARCOURS_CODEC_ENCODE_KEY: encode })).toThrow(
      /PARCOURS_CODEC_ENCODE_KEY: needs PARCOURS_CODEC_KEY/,
    );
    expect(() => loadConfig({ PARCOURS_CODEC_ENCODE_KEY: 'short' })).toThrow(
      /PARCOURS_CODEC_ENCODE_KEY/,
    );
  });
});
