import { describe, expect, it } from 'vitest';
import { createSeenSteps } from '../../../src/http/seen-steps.js';

describe('the steps an API instance last showed', () => {
  it('knows only the step it last showed for a journey, and nothing for an ended or unknown one', () => {
    const seen = createSeenSteps();
    expect(seen.shows('a', 'credentials')).toBe(false);
    seen.remember('a', { status: 'active', step: { name: 'credentials' } });
    expect(seen.shows('a', 'credentials')).toBe(true);
    seen.remember('a', { status: 'active', step: { name: 'verify-email' } });
    expect(seen.shows('a', 'credentials')).toBe(false);
    seen.remember('a', { status: 'abandoned', step: { name: 'verify-email' } });
    expect(seen.shows('a', 'verify-email')).toBe(false);
  });

  it('forgets the least recently shown journey beyond its bound', () => {
    const seen = createSeenSteps(2);
    seen.remember('a', { status: 'active', step: { name: 's' } });
    seen.remember('b', { status: 'active', step: { name: 's' } });
    seen.remember('a', { status: 'active', step: { name: 's' } });
    seen.remember('c', { status: 'active', step: { name: 's' } });
    expect([seen.shows('a', 's'), seen.shows('b', 's'), seen.shows('c', 's')]).toEqual([
      true,
      false,
      true,
    ]);
  });
});
