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

  it('refuses a bad value at start, naming every variable at fault', () => {
    expect(() =>
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', TRUST_PROXY: 'maybe' }),
    ).toThrow(
      /PORT[\s\S]*DATABASE_URL[\s\S]*TRUST_PROXY|PORT[\s\S]*TRUST_PROXY[\s\S]*DATABASE_URL/,
    );
  });

  it('reads proxy trust as a boolean or a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
  });
});
