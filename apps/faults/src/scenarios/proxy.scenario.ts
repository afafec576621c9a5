/**
 * Network faults between the members and the brokers, through the fault proxies: slow links, thin
 * links, connections cut again and again, a broker that swallows everything, a frame cut in half.
 */

import type { DirectionFaults } from '@runnel/fault-proxy';
import type { Scenario, ScenarioRun } from '../harness/scenario.js';
import { scenarioSuite } from '../harness/suite.js';
import { between, pause } from '../harness/wait.js';

/** Asserts that members consumed while the fault was on (from `since` for `forMs`). */
async function expectProgressDuring(run: ScenarioRun, what: string, forMs: number): Promise<void> {
  const since = Date.now();
  await pause(forMs);
  if (run.lastConsumedAt <= since) run.fail(`nothing was consumed during ${what} (${forMs} ms)`);
}

/** `faults` both ways on every broker for 30 s, with records consumed all along. */
function slowNetwork(name: string, faults: DirectionFaults, ci: Scenario['ci']): Scenario {
  return {
    name,
    route: 'proxy',
    records: 9_000,
    ci,
    async fault(run) {
      await pause(5_000);
      for (const proxy of run.cluster.proxies.all()) proxy.setFaults({ toBroker: faults, toClient: faults });
      await expectProgressDuring(run, JSON.stringify(faults), 30_000);
      for (const proxy of run.cluster.proxies.all()) proxy.clearFaults();
    },
  };
}

scenarioSuite('network faults through the proxy', [
  // 200 ms latency with up to 100 ms jitter, then 1 Mbit/s, each way on every broker.
  slowNetwork('proxy-latency', { latencyMs: 200, jitterMs: 100 }, []),
  slowNetwork('proxy-bandwidth', { bytesPerSecond: 125_000 }, []),
  {
    name: 'proxy-connection-chaos',
    route: 'proxy',
    records: 30_000,
    ci: [],
    drainMs: 180_000,
    async fault(run) {
      await pause(5_000);
      // Every connection of every broker is cut every 0.5-1.5 s, for 2 minutes.
      const end = Date.now() + 120_000;
      let resets = 0;
      while (Date.now() < end) {
        for (const proxy of run.cluster.proxies.all()) resets += proxy.resetAll();
        await pause(between(500, 1_500));
      }
      run.log(`chaos reset ${resets} connections`);
      if (resets === 0) run.fail('the chaos reset no connection: the members did not go through the proxies');
    },
  },
  {
    name: 'proxy-blackhole',
    route: 'proxy',
    records: 12_000,
    ci: ['consumer'],
    drainMs: 180_000,
    async fault(run) {
      await pause(5_000);
      // The coordinator's broker: it hears nothing and says nothing for 30 s, connections stay open.
      const coordinator = await run.cluster.coordinatorOf(run.groupId);
      const proxy = run.cluster.proxies.broker(coordinator);
      proxy.setFaults({ toBroker: { blackhole: true }, toClient: { blackhole: true } });
      await pause(30_000);
      // Bytes were swallowed mid-stream: those connections are dead, as after a real partition.
      proxy.resetAll();
      proxy.clearFaults();
      const healed = Date.now();
      await run.waitProgress(healed, 60_000).catch((error: Error) => run.fail(error.message));
    },
  },
  {
    name: 'proxy-cut-frame',
    route: 'proxy',
    records: 9_000,
    ci: [],
    async fault(run) {
      await pause(5_000);
      // Five times, on every broker, one response frame and one request frame are cut in half.
      for (let i = 0; i < 5; i++) {
        for (const proxy of run.cluster.proxies.all())
          proxy.setFaults({ toClient: { cutFrames: 1 }, toBroker: { cutFrames: 1 } });
        await pause(5_000);
      }
      const cuts = run.cluster.proxies.all().reduce((n, p) => n + p.stats.reset, 0);
      run.log(`cut frames reset ${cuts} connections`);
      if (cuts === 0) run.fail('no frame was cut: the members did not go through the proxies');
      for (const p of run.cluster.proxies.all()) p.clearFaults();
    },
  },
]);
