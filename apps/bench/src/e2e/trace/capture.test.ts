import { describe, expect, it } from 'vitest';
import { parseCaptureFields } from './capture.js';

describe('parseCaptureFields', () => {
  it("reads tshark's tab-separated fields: epoch time in ms, ports, flags in either spelling, payload bytes", () => {
    const text = [
      'Running as user "root" and group "root". This could be dangerous.',
      '1796417921.310939001\t0\t57252\t9092\t1\t0\t4021',
      '1796417921.311781791\t0\t9092\t57252\tFalse\tTrue\t77\t00:00:00:02:68:69',
      '1796417921.312115146\t1\t57253\t9092\t0\t1\t4022\t0000000168',
      '',
    ].join('\n');
    const packets = parseCaptureFields(text);
    expect(packets).toHaveLength(3);
    expect(packets[0]).toMatchObject({
      stream: 0,
      srcPort: 57252,
      dstPort: 9092,
      syn: true,
      ack: false,
      seq: 4021,
    });
    expect(packets[0]!.payload).toHaveLength(0);
    expect(packets[0]!.timeMs).toBeCloseTo(1_796_417_921_310.939, 3);
    expect(packets[1]).toMatchObject({ syn: false, ack: true, seq: 77 });
    expect([...packets[1]!.payload]).toEqual([0, 0, 0, 2, 0x68, 0x69]);
    expect([...packets[2]!.payload]).toEqual([0, 0, 0, 1, 0x68]);
  });
});
