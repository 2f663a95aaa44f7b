/**
 * `callstats` as pages know it: `new callstats()` (or a plain call) returns an instance whose
 * prototype carries the methods and the enumeration getters, and the factory itself has no
 * static members, like the original.
 */

import type { Callstats } from './api';
import { CallstatsClient } from './client';

export interface CallstatsFactory {
  new (): Callstats;
  (): Callstats;
  prototype: Callstats;
}

const callstats = function callstats(): Callstats {
  // Typed on purpose: the build fails if the implementation stops satisfying the public API.
  const instance: Callstats = new CallstatsClient();
  return instance;
} as unknown as CallstatsFactory;
callstats.prototype = CallstatsClient.prototype;

export default callstats;
