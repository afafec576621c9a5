// A program that only imports @runnel/consumer, as a plaintext consumer's first line does, and prints
// which Node built-ins that import loaded (Node's own list, read before and after; dynamic imports only,
// so nothing loads before the first reading), then which ones the first reading of the consumer's clock
// loaded.
const before = new Set(process.moduleLoadList);
const loadedSince = (earlier) =>
  process.moduleLoadList
    .filter((m) => !earlier.has(m) && m.startsWith('NativeModule '))
    .map((m) => m.slice('NativeModule '.length));
await import('@runnel/consumer');
const builtins = loadedSince(before);
const afterImport = new Set(process.moduleLoadList);
const { systemClock } = await import('@runnel/network');
const now = systemClock.now();
const byClock = loadedSince(afterImport);
const { print } = await import('./child-events.mjs');
print({ event: 'loaded', builtins, byClock, now });
