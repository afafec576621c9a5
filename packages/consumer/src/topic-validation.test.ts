import { afterEach, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { InvalidTopicError } from './errors.js';

const BROKERS = '127.0.0.1:1';

describe('topic and partition names at assign and subscribe', () => {
  const consumers: Consumer[] = [];
  const make = () => {
    const c = new Consumer({ brokers: BROKERS, groupId: 'g' });
    consumers.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close({ timeoutMs: 500 })));
  });

  it.each([
    ['a b', 'only a-z'],
    ['x'.repeat(250), 'longer than 249'],
    ['nul\u0000', 'only a-z'],
    ['', 'empty'],
    ['.', '"." or ".."'],
    ['..', '"." or ".."'],
    ['ü', 'only a-z'],
  ])('refuses the topic %j at assign, naming it, and assigns nothing', (topic, rule) => {
    const consumer = make();
    let caught: unknown;
    try {
      consumer.assign([
        { topic: 'ok', partition: 0 },
        { topic, partition: 0 },
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidTopicError);
    expect((caught as Error).message).toContain(rule);
    expect((caught as InvalidTopicError).value).toBe(topic);
    expect(consumer.assignment()).toEqual([]);
  });

  it.each([2 ** 31, -1, 1.5, Number.NaN])('refuses partition %d at assign', (partition) => {
    const consumer = make();
    expect(() => consumer.assign([{ topic: 't', partition }])).toThrow(InvalidTopicError);
    expect(consumer.assignment()).toEqual([]);
  });

  it('accepts the longest legal name and the largest partition', () => {
    const consumer = make();
    const topic = `a.b_c-${'z'.repeat(243)}`;
    consumer.assign([{ topic, partition: 2 ** 31 - 1 }]);
    expect(consumer.assignment()).toEqual([{ topic, partition: 2 ** 31 - 1 }]);
  });

  it("leaves the consumer as it was when subscribe(['ok', '']) throws: assign still works", () => {
    const consumer = make();
    expect(() => consumer.subscribe(['ok', ''])).toThrow(InvalidTopicError);
    expect(consumer.health().group?.memberState).toBeNull();
    consumer.assign([{ topic: 'ok', partition: 0 }]);
    expect(consumer.assignment()).toEqual([{ topic: 'ok', partition: 0 }]);
  });

  it('explains that subscribe takes a list when given a single topic name', () => {
    const consumer = make();
    expect(() => consumer.subscribe('payments' as unknown as string[])).toThrow(
      'subscribe takes a list of topics, a RegExp or { regex }, not a string: write subscribe(["payments"])',
    );
    expect(consumer.health().group?.memberState).toBeNull();
  });
});
