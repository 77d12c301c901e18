import { describe, expect, it } from 'vitest';
import { isValidIin, parseIin } from '../domain/shared/iin';
import { FOOD_VOUCHERS } from '../domain/programs/food-vouchers';
import { behaviourFrom, drawBasket, drawVisits, DEFAULT_BEHAVIOUR } from './behaviour';
import { generatePopulation, spoilIin } from './population';
import { createRng } from './rng';

describe('population generator', () => {
  it('is deterministic: the same seed gives the same people, IINs and phones', () => {
    const a = generatePopulation({ seed: 42, families: 300, pupils: 300 });
    const b = generatePopulation({ seed: 42, families: 300, pupils: 300 });
    expect(JSON.stringify(a.families)).toBe(JSON.stringify(b.families));
    expect(JSON.stringify(a.pupils)).toBe(JSON.stringify(b.pupils));
    expect([...a.phones]).toEqual([...b.phones]);
    const c = generatePopulation({ seed: 43, families: 300, pupils: 300 });
    expect(JSON.stringify(c.families)).not.toBe(JSON.stringify(a.families));
  });

  it('gives every person a valid, unique IIN whose birth date and sex match', () => {
    const p = generatePopulation({ seed: 1, families: 2_000, pupils: 2_000 });
    const people = [...p.families.flatMap((f) => f.members), ...p.pupils.flatMap((x) => [x.person, ...x.representatives])];
    const iins = new Set<string>();
    for (const person of people) {
      const parsed = parseIin(person.iin);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect(parsed.birthDate).toBe(person.birthDate);
        expect(parsed.sex).toBe(person.sex);
      }
      iins.add(person.iin);
    }
    expect(iins.size).toBe(people.length);
    expect(isValidIin(spoilIin(people[0]!.iin))).toBe(false);
  });

  it('puts families in the three pilot cities, pupils in grades 1–11, and leaves some without a phone', () => {
    const p = generatePopulation({ seed: 3, families: 3_000, pupils: 3_000, foodListNoise: 0 });
    const pilot = new Set(FOOD_VOUCHERS.pilotCities.map((c) => c.code));
    expect(new Set(p.families.map((f) => f.city))).toEqual(pilot);
    expect(new Set(p.pupils.map((x) => x.grade))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    const headsWithout = p.families.filter((f) => !p.phones.has(f.members[0]!.iin)).length;
    expect(headsWithout).toBeGreaterThan(50);
    const fatherOnly = p.pupils.filter(
      (x) =>
        x.representatives.some((r) => r.role === 'father' && p.phones.has(r.iin)) && !x.representatives.some((r) => r.role === 'mother' && p.phones.has(r.iin)),
    );
    expect(fatherOnly.length).toBeGreaterThan(50);
  });
});

describe('behaviour models', () => {
  it('merges JSON over the defaults and refuses unknown knobs', () => {
    const b = behaviourFrom({ consent: { answers: { yes: 1, no: 0, never: 0, garbage: 0 } } });
    expect(b.consent.answers.yes).toBe(1);
    expect(b.shopping).toEqual(DEFAULT_BEHAVIOUR.shopping);
    expect(() => behaviourFrom({ consent: { answer: {} } })).toThrow(/consent.answer/);
  });

  it('draws baskets in integer tiyn with eligible and other goods', () => {
    const rng = createRng('basket');
    const items = Array.from({ length: 200 }, () => drawBasket(rng, DEFAULT_BEHAVIOUR.shopping)).flat();
    expect(items.every((i) => Number.isSafeInteger(i.unitPriceTiyn) && Number.isSafeInteger(i.lineTiyn) && i.lineTiyn === i.unitPriceTiyn * i.quantity)).toBe(
      true,
    );
    expect(items.some((i) => i.eligible)).toBe(true);
    expect(items.some((i) => !i.eligible)).toBe(true);
    const visits = Array.from({ length: 2_000 }, () => drawVisits(rng, 3));
    expect(Math.abs(visits.reduce((s, v) => s + v, 0) / visits.length - 3)).toBeLessThan(0.2);
  });
});
