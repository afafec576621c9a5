import { describe, expect, it } from 'vitest';
import { replaceReadmeResults } from './readme.js';

const README = 'intro\n<!-- bench:results:start -->\nold\n<!-- bench:results:end -->\noutro\n';

describe('replaceReadmeResults', () => {
  it('replaces what is between the markers, demoting headings and repointing the chart', () => {
    const summary = '# Title\n\n![chart](2026-11-30.svg)\n\n## Scenario\n| a |\n';
    expect(replaceReadmeResults(README, summary, 'results/2026-11-30.svg')).toBe(
      'intro\n<!-- bench:results:start -->\n### Title\n\n![chart](results/2026-11-30.svg)\n\n#### Scenario\n| a |\n<!-- bench:results:end -->\noutro\n',
    );
  });

  it('changes nothing in a README without the markers', () => {
    expect(replaceReadmeResults('no markers', '# x', 'c.svg')).toBeUndefined();
  });
});
