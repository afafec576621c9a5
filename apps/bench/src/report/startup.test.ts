import { describe, expect, it } from 'vitest';
import { type ClientTrace, sideBySide, startupMarkdown, stepTable } from './startup.js';

const runnel: ClientTrace = {
  client: 'runnel',
  label: 'Runnel',
  firstRecordMs: 60,
  steps: [
    { step: 'connect', sentMs: 1, doneMs: 1.2, gapMs: 1.2, connection: 1 },
    { step: 'ApiVersions', sentMs: 2, doneMs: 3, gapMs: 1.8, connection: 1, detail: 'v4 #0' },
    { step: 'first record', doneMs: 60, gapMs: 57 },
  ],
  requests: [
    {
      stream: 3,
      connection: 1,
      apiKey: 18,
      apiName: 'ApiVersions',
      apiVersion: 4,
      correlationId: 0,
      sentMs: 2,
      answeredMs: 3,
    },
    {
      stream: 4,
      connection: 2,
      apiKey: 1,
      apiName: 'Fetch',
      apiVersion: 17,
      correlationId: 1,
      sentMs: 40,
      answeredMs: 50,
      hasRecords: true,
    },
  ],
};
const franz: ClientTrace = {
  client: 'franz-go',
  label: 'franz-go',
  firstRecordMs: 20,
  steps: [
    { step: 'connect', sentMs: 0.5, doneMs: 0.6, gapMs: 0.6, connection: 1 },
    { step: 'JoinGroup 1', sentMs: 5, doneMs: 6, gapMs: 5.4, connection: 2, detail: 'v9 #1' },
    { step: 'first record', doneMs: 20, gapMs: 14 },
  ],
  requests: [],
};
const failed: ClientTrace = {
  client: 'java',
  label: 'Java',
  steps: [],
  requests: [],
  error: 'exit 1: boom\nmore',
};

describe('sideBySide', () => {
  it('has a row per step some client took, in the order of the start-up path, and a column per traced client', () => {
    expect(sideBySide([runnel, franz, failed])).toEqual([
      '| step | Runnel | franz-go |',
      '|---|---:|---:|',
      '| connect | 1.2 | 0.6 |',
      '| ApiVersions | 3 | – |',
      '| JoinGroup 1 | – | 6 |',
      '| first record | 60 | 20 |',
    ]);
  });
});

describe('stepTable', () => {
  it('shows when each step was sent and done and the time it added', () => {
    expect(stepTable(runnel)).toContain('| ApiVersions | 1 | v4 #0 | 2 | 3 | 1.8 |');
    expect(stepTable(runnel)).toContain('| first record |  |  | – | 60 | 57 |');
  });
});

describe('startupMarkdown', () => {
  it('writes the setup, the side-by-side table, each client with its requests, and why a client has no trace', () => {
    const text = startupMarkdown({
      schema: 1,
      startedAt: '2026-12-04T21:00:00.000Z',
      kafka: '4.4.0',
      node: 'Node 24.22.3 (LTS Krypton)',
      scenario: '100B-none-p1',
      method: 'Captured on loopback.',
      loadAverage: [1, 2, 3],
      clients: [runnel, franz, failed],
    });
    expect(text).toContain('# Start-up trace, 2026-12-04');
    expect(text).toContain('Kafka 4.4.0 (1 broker, local); Node 24.22.3 (LTS Krypton) for the Node clients');
    expect(text).toContain('| 40 | 50 | 10 | 2 | Fetch (records) | 17 | 1 |');
    expect(text).toContain('## Java\n\nNo trace: exit 1: boom\n');
  });
});
