/** Each figure's definition names only events its read model counts, so "how it is made" cannot drift from how it is made. */
import { describe, expect, it } from 'vitest';
import { outcomesProjection } from '../../projections/outcomes/projection';
import { tabelProjection } from '../../projections/tabel/projection';
import { smsOutboxProjection } from '../../projections/consent/sms-outbox';
import { deadlinesProjection } from '../../projections/consent/deadlines';
import { listIntakeProjection } from '../../projections/list-intake/projection';
import type { Projection } from '../../projections/projection';

interface Definition {
  readonly label: string;
  readonly text: string;
  readonly events: readonly string[];
  readonly read: string;
}

/** Read models by the name a definition gives; 'runner' and 'process' figures count no events. */
const READ_MODELS: Record<string, Projection | undefined> = {
  outcomes: outcomesProjection,
  tabel: tabelProjection,
  sms_outbox: smsOutboxProjection,
  deadlines: deadlinesProjection,
  list_intake: listIntakeProjection,
  runner: undefined,
  process: undefined,
};

describe('the dashboard’s definitions of its figures', () => {
  it('name, for every figure, events its read model handles', async () => {
    const module = (await import(new URL('../../dashboard/definitions.js', import.meta.url).href)) as { DEFINITIONS: Record<string, Definition> };
    const wrong: string[] = [];
    for (const [key, definition] of Object.entries(module.DEFINITIONS)) {
      expect([key, definition.read in READ_MODELS]).toEqual([key, true]);
      expect([key, definition.label.length > 0 && definition.text.length > 0]).toEqual([key, true]);
      const model = READ_MODELS[definition.read];
      if (!model) {
        if (definition.events.length) wrong.push(`${key}: ${definition.read} counts no events`);
        continue;
      }
      for (const event of definition.events) if (!model.canHandle.includes(event as never)) wrong.push(`${key}: ${event} is not counted by ${model.name}`);
    }
    expect(wrong).toEqual([]);
  });
});
