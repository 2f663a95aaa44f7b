// Polling with a deadline, for conditions the server or the page reaches eventually.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` every 500 ms until it returns `{ ok: value }` and resolves to the value; anything
 * else it returns (or throws) is kept as the diagnostic shown when `timeoutMs` runs out.
 */
export async function until(what, fn, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last && 'ok' in last) return last.ok;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.stack : JSON.stringify(last)?.slice(0, 2000)}`);
}
