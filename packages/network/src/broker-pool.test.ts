import { describe, expect, it } from 'vitest';
import { parseBootstrapServers } from './broker-pool.js';
import { ConnectionError } from './errors.js';

describe('parseBootstrapServers', () => {
  it('reads a comma-separated list into bootstrap brokers with negative node ids', () => {
    expect(parseBootstrapServers(' a:9092, [::1]:9093 ,')).toEqual([
      { nodeId: -1, host: 'a', port: 9092, rack: null },
      { nodeId: -2, host: '::1', port: 9093, rack: null },
    ]);
  });

  it('accepts a list of entries as well', () => {
    expect(parseBootstrapServers(['h:1']).map((b) => `${b.host}:${b.port}`)).toEqual(['h:1']);
  });

  it.each(['a', 'a:', ':9092', 'a:0', 'a:70000', ''])('rejects %j with a ConnectionError', (entry) => {
    expect(() => parseBootstrapServers(entry)).toThrow(ConnectionError);
  });
});
