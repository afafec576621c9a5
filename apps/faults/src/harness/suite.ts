import type { BrokerProperties } from '@runnel/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultCluster } from './fault-cluster.js';
import { knownFailure } from './known-failing.js';
import { PROTOCOLS, type Protocol } from './protocols.js';
import { runScenario, type Scenario, type ScenarioOutcome } from './scenario.js';

/** A scenario whose flow does not fit `runScenario` (the transactional copier): it runs itself. */
export interface CustomScenario {
  readonly name: string;
  readonly ci: readonly Protocol[];
  run(cluster: FaultCluster, protocol: Protocol): Promise<ScenarioOutcome>;
}

/** The longest one scenario run may take, fault and drain included. */
const SCENARIO_TIMEOUT_MS = 15 * 60_000;

/**
 * Which runs this suite run makes: `FAULTS_SET=ci` only those a scenario lists in `ci` (the half CI
 * runs: every scenario under at least one protocol), anything else every scenario under every protocol.
 */
export function selected(scenario: Scenario | CustomScenario, protocol: Protocol): boolean {
  return process.env.FAULTS_SET !== 'ci' || scenario.ci.includes(protocol);
}

/**
 * Declares one vitest test per scenario and protocol, sharing one fault cluster (with
 * `brokerProperties`) that is started before the first and stopped after the last. A run listed in KNOWN_FAILING is declared with
 * `it.fails`, so it still runs and the suite notices the day it passes; a run outside the selected
 * set is declared skipped, with the reason in its name.
 */
export function scenarioSuite(
  title: string,
  scenarios: readonly (Scenario | CustomScenario)[],
  brokerProperties: BrokerProperties = {},
): void {
  describe(title, () => {
    let cluster: FaultCluster | undefined;
    beforeAll(async () => {
      cluster = await FaultCluster.start(brokerProperties);
    }, 300_000);
    afterAll(async () => {
      await cluster?.stop();
    }, 120_000);

    for (const scenario of scenarios) {
      for (const protocol of PROTOCOLS) {
        const known = knownFailure(scenario.name, protocol);
        const name = `${scenario.name} under ${protocol}${known ? ` [known failing: ${known}]` : ''}`;
        const body = async () => {
          if (cluster === undefined) throw new Error('the fault cluster did not start');
          const outcome =
            'run' in scenario
              ? await scenario.run(cluster, protocol)
              : await runScenario(cluster, scenario, protocol);
          expect(outcome.passed, `${outcome.line}\n${outcome.details}`).toBe(true);
        };
        if (!selected(scenario, protocol))
          it.skip(`${name} (not in FAULTS_SET=ci; npm run test:faults runs it)`, body);
        else if (known) it.fails(name, body, SCENARIO_TIMEOUT_MS);
        else it(name, body, SCENARIO_TIMEOUT_MS);
      }
    }
  });
}
