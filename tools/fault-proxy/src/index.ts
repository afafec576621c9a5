export { BrokerProxies } from './broker-proxies.js';
export { type Clock, systemClock } from './clock.js';
export { FaultProxyError } from './errors.js';
export { checkFaults, DIRECTIONS, type Direction, type DirectionFaults, type ProxyFaults } from './faults.js';
export { FrameCutter } from './frame-cutter.js';
export { FaultProxy, type FaultProxyOptions, type ProxyStats, type Upstream } from './proxy.js';
