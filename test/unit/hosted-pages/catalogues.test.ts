import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { journeyDefinitions } from '../../../journeys/index.js';
import { errorCatalogue } from '../../../src/errors/catalogue.js';
import { REDIRECT_STEPS } from '../../../src/http/hosted-pages/hosted-pages.js';
import { loadCatalogues, PAGE_LOCALES } from '../../../src/http/hosted-pages/messages.js';
import { stepForms } from '../../../src/http/hosted-pages/step-forms.js';
import { SCOPE_CLAIMS } from '../../../src/oidc/scope-claims.js';
import { STANDARD_ATTRIBUTES } from '../../../src/profile/standard-attributes.js';

const catalogues = loadCatalogues();

/** What a step's data echoes into its form (the terms version shown), as a run's data would. */
const ECHOED = { policyVersion: '2026-11-01' };

/** The questions and purposes a run draws its view schema from, one of each kind. */
const SAMPLE_VIEW_DATA = {
  // Progressive profiling asks what the customer may write.
  questions: Object.entries(STANDARD_ATTRIBUTES)
    .filter(([, spec]) => spec.writers.includes('customer'))
    .map(([attribute, spec]) => ({ attribute, schema: spec.schema })),
  purposes: [
    { id: 'marketing', name: 'Marketing', required: false },
    { id: 'service', name: 'Service', required: true },
  ],
  policies: [{ policy: 'privacy', version: '1' }],
};

/** Every key a page of a registered journey looks up: headings, labels, buttons, options. */
function keysThePagesUse(): Set<string> {
  const keys = new Set<string>();
  for (const definition of journeyDefinitions) {
    keys.add(`journey.${definition.id}`);
    for (const step of Object.values(definition.steps)) {
      keys.add(`step.${step.name}`);
      // The browser is sent on to a provider from this step: it has no form.
      if (REDIRECT_STEPS.has(step.name)) continue;
      const schemas = [
        z.toJSONSchema(step.input, { io: 'input', unrepresentable: 'any' }),
        ...(step.viewSchema ? [step.viewSchema(SAMPLE_VIEW_DATA)] : []),
      ];
      for (const schema of schemas)
        for (const form of stepForms(schema, ECHOED)) {
          if (form.fields.some((field) => field.key === 'link')) continue;
          const stepAction = `action.${step.name}.${form.action}`;
          if (!(stepAction in catalogues.en)) keys.add(`action.${form.action}`);
          for (const field of form.fields) {
            if (['hidden', 'credential'].includes(field.kind)) continue;
            // A purpose is labelled by its own name, which the deployment writes.
            if (field.name.startsWith('decisions.')) continue;
            if (field.kind !== 'choices') keys.add(`field.${field.key}`);
            for (const option of field.options ?? []) keys.add(`option.${field.key}.${option}`);
          }
        }
    }
  }
  for (const scope of Object.keys(SCOPE_CLAIMS)) keys.add(`scope.${scope}`);
  for (const [code, spec] of Object.entries(errorCatalogue))
    if (spec.shown) keys.add(`error.${code}`);
  return keys;
}

describe('the hosted pages’ message catalogues', () => {
  it('hold the same keys in French and in English', () => {
    expect(Object.keys(catalogues.fr).sort()).toEqual(Object.keys(catalogues.en).sort());
  });

  it.each(PAGE_LOCALES)(
    'hold, in %s, every key a page of a registered journey looks up',
    (locale) => {
      const missing = [...keysThePagesUse()].filter((key) => !(key in catalogues[locale]));
      expect(missing).toEqual([]);
    },
  );

  it('hold no empty text, and the same {placeholders} in both languages', () => {
    for (const [key, text] of Object.entries(catalogues.en)) {
      const french = catalogues.fr[key] ?? '';
      expect(text.trim(), key).not.toBe('');
      expect(french.trim(), key).not.toBe('');
      const placeholders = (value: string) => (value.match(/\{\w+\}/g) ?? []).sort();
      expect(placeholders(french), key).toEqual(placeholders(text));
    }
  });
});
