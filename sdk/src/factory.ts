/**
 * `callstats` as pages know it: `new callstats()` (or a plain call) returns an instance whose
 * prototype carries the methods and the enumeration getters, and the factory itself has no
 * static members, like the original.
 */

import { CallstatsClient } from './client';

export interface CallstatsFactory {
  new (): CallstatsClient;
  (): CallstatsClient;
  prototype: CallstatsClient;
}

const callstats = function callstats(): CallstatsClient {
  return new CallstatsClient();
} as unknown as CallstatsFactory;
callstats.prototype = CallstatsClient.prototype;

export default callstats;
