/**
 * This package's version, as its package.json says it: sent to brokers in ApiVersions (client
 * software version, shown in broker metrics). package.json is one folder above both `src/` (tests run
 * the sources) and `dist/` (what is published), so one relative path serves both.
 */
import { createRequire } from 'node:module';

/** The version of @runnel/consumer that is running, e.g. `0.1.0`. */
export const CONSUMER_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
