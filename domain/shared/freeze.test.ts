/** The given/when/then helper hands deciders frozen states: a decider that mutates one fails. */
import { describe, expect, it } from 'vitest';
import type { CommandMetadata, Decider } from './decider';
import { deepFreeze } from './freeze';
import { given, meta } from '../../test/given';

type State = { status: 'Open'; seen: Set<string>; log: string[] };
type Note = { type: 'Note'; data: { id: string }; metadata: CommandMetadata };
type Noted = { type: 'Noted'; data: { id: string } };
const noted = (id: string): Noted => ({ type: 'Noted', data: { id } });

const copying: Decider<State, Note, Noted> = {
  initialState: () => ({ status: 'Open', seen: new Set(), log: [] }),
  decide: (c, s) => (s.seen.has(c.data.id) ? [] : [noted(c.data.id)]),
  evolve: (s, e) => ({ status: 'Open', seen: new Set(s.seen).add(e.data.id), log: [...s.log, e.data.id] }),
  evolveAll: (s, events) => events.reduce(copying.evolve, s),
};
const note = (id: string): Note => ({ type: 'Note', data: { id }, metadata: meta('2026-03-10T06:00:00.000Z') });

describe('frozen decider states in tests', () => {
  it('a decider that copies its state passes', () => {
    given(copying, [noted('a')])
      .when(note('b'))
      .then([noted('b')]);
  });

  it.each([
    ['a Set', { ...copying, evolve: (s: State, e: Noted) => (s.seen.add(e.data.id), s) }],
    ['an array', { ...copying, evolve: (s: State, e: Noted) => (s.log.push(e.data.id), s) }],
  ])('a decider that mutates %s in evolve fails with a TypeError', (_what, mutating) => {
    expect(() =>
      given(mutating, [noted('a')])
        .when(note('b'))
        .then([noted('b')]),
    ).toThrow(TypeError);
  });

  it('freezes nested values, Maps and Sets included', () => {
    const value = deepFreeze({ list: [{ n: 1 }], byId: new Map([['a', { n: 2 }]]), ids: new Set(['x']) });
    expect(Object.isFrozen(value.list[0])).toBe(true);
    expect(Object.isFrozen(value.byId.get('a'))).toBe(true);
    expect(() => value.byId.set('b', { n: 3 })).toThrow(TypeError);
    expect(() => value.ids.add('y')).toThrow(TypeError);
  });
});
