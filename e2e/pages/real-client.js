// The integration guide's steps, done with the original callstats-js on two RTCPeerConnections
// on loopback. Progress and callbacks are recorded on window.e2e for the test to read; the test
// calls window.e2e.finish() once the server has the stats it waits for.
(function () {
  'use strict';
  const q = new URLSearchParams(location.search);
  const server = q.get('server') + '/';
  const appID = q.get('app');
  const conf = q.get('conf');
  const user = q.get('user') || 'alice';
  const e2e = (window.e2e = { steps: [], inits: [], stats: [], defaultConfig: null, errors: [], done: false });
  const step = (name, result) => e2e.steps.push({ name, result: result && result.status });
  window.addEventListener('error', (ev) => e2e.errors.push(String(ev.message)));

  const cs = new callstats();
  step('setProxyConfig', cs.setProxyConfig({
    authServiceURL: server,
    collectorURL: server,
    restEventURL: server + 'v1/apps/',
    restStatsURL: server + 'v1/apps/',
    appSettingsURL: server + 'v1/apps/',
  }));

  const tokenGenerator = (forceNew, cb) => {
    fetch('/token?user=' + encodeURIComponent(user))
      .then((r) => r.json())
      .then((j) => cb(null, j.token), (err) => cb(String(err)));
  };
  const credential = q.get('jwt') ? tokenGenerator : q.get('secret');
  step('on', cs.on('defaultConfig', (config) => { e2e.defaultConfig = config; }));
  step('initialize', cs.initialize(appID, credential, user,
    (status, msg) => e2e.inits.push({ status, msg }),
    (stats) => { e2e.stats.push(stats); },
    { collectLegacyStats: false, applicationVersion: 'e2e-1.0' }));

  window.runGuide(cs, conf, user);
})();
