export { DecodeError, EncodeError, RunnelError } from './errors.js';
