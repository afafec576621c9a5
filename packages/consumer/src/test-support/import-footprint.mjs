// A program that only imports @runnel/consumer, as a plaintext consumer's first line does, and prints
// which Node built-ins that import loaded (Node's own list, read before and after; dynamic imports only,
// so nothing loads before the first reading).
const before = new Set(process.moduleLoadList);
await import('@runnel/consumer');
const builtins = process.moduleLoadList
  .filter((m) => !before.has(m) && m.startsWith('NativeModule '))
  .map((m) => m.slice('NativeModule '.length));
const { print } = await import('./child-events.mjs');
print({ event: 'loaded', builtins });
