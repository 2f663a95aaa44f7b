// Entry of the script-tag / AMD / CommonJS bundle; the UMD wrapper is added by scripts/build.mjs.
import { setDefaultBase } from './client';
import { detectScriptBase } from './base';
import callstats from './factory';

setDefaultBase(detectScriptBase());

export default callstats;
