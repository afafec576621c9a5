// A group member in a child process, so a test can SIGKILL it. Loads the consumer from its TypeScript
// sources through Vite's module runner (the same resolution the tests use). Arguments: a JSON config
// and the topic (the config is the consumer's own, `groupProtocol` included). Writes one line per event
// to stdout: `assigned P,P`, `revoked P,P`, `lost P,P` (the partitions that changed), `record P OFFSET`.
import { createServer, createServerModuleRunner, defaultServerConditions } from 'vite';

const [configJson, topic] = process.argv.slice(2);
const conditions = ['@runnel/source', ...defaultServerConditions];
const server = await createServer({
  configFile: false,
  logLevel: 'silent',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false },
  resolve: { conditions },
  ssr: { resolve: { conditions } },
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
const module = await runner.import(new URL('../index.ts', import.meta.url).pathname);
const consumer = new module.Consumer(JSON.parse(configJson));
const list = (partitions) => partitions.map((p) => p.partition).join(',');
consumer.subscribe([topic], {
  onAssigned: (partitions) => process.stdout.write(`assigned ${list(partitions)}\n`),
  onRevoked: (partitions) => process.stdout.write(`revoked ${list(partitions)}\n`),
  onLost: (partitions) => process.stdout.write(`lost ${list(partitions)}\n`),
});
await consumer.run({
  eachBatch: async (batch) => {
    process.stdout.write(batch.records.map((r) => `record ${r.partition} ${r.offset}\n`).join(''));
    await new Promise((resolve) => setTimeout(resolve, 40));
  },
});
