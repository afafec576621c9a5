export { GeneratorError } from './errors.js';
export { type GeneratedFiles, generate, kebabCase } from './generate.js';
export { emitErrorCodes, type KafkaErrorRow, parseKafkaErrors, readKafkaErrors } from './kafka-errors.js';
export { PROTOCOL_KAFKA_VERSION } from './pinned-version.js';
export { type MessageSpec, parseMessageSpec } from './spec.js';
export { parseVersions, type VersionRange, versionCondition } from './versions.js';
export { readZipEntries } from './zip.js';
