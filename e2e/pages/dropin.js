// One page logic for both libraries (dropin.html picks which one is loaded): what an app that
// switches from callstats-js 3.73.16 to our SDK by changing the script URL observes. Everything
// observed goes to window.dropin for e2e/tests/dropin.test.mjs, which compares the two.
(function () {
  'use strict';
  const q = new URLSearchParams(location.search);
  const server = q.get('server') + '/';
  const conf = q.get('conf');
  // A room number, as apps pass them, for a second fabric.
  const room = Number(q.get('room'));
  const obs = (window.dropin = {
    globalType: typeof window.callstats,
    steps: {},
    inits: [],
    statsCallback: [],
    onStats: 0,
    config: {},
    connectionRecommendation: 0,
    errors: [],
  });
  window.addEventListener('error', (ev) => obs.errors.push(String(ev.message)));
  const step = (name, r) => { obs.steps[name] = r && r.status; };
  if (typeof window.callstats !== 'function') return;

  const cs = new callstats();
  obs.version = cs.version;
  step('setProxyConfig', cs.setProxyConfig({
    authServiceURL: server, collectorURL: server,
    restEventURL: server + 'v1/apps/', restStatsURL: server + 'v1/apps/', appSettingsURL: server + 'v1/apps/',
  }));
  // Registered first; initialize's csStatsCallback then takes the one stats slot.
  step('on:stats', cs.on('stats', () => { obs.onStats++; }));
  for (const name of ['defaultConfig', 'recommendedConfig']) {
    step('on:' + name, cs.on(name, (c) => { obs.config[name] = c; }));
  }
  step('on:connectionRecommendation', cs.on('connectionRecommendation', () => { obs.connectionRecommendation++; }));

  // The remote user as an object: the stats callback hands the same object back.
  const remote = { userName: 'Bob', aliasName: 'bob' };
  const tracksOf = (stats) => (stats.mediaStreamTracks || []).map((t) => ({
    statsType: t.statsType,
    mediaType: t.mediaType,
    jitter: t.jitter,
    averageJitter: t.averageJitter,
    rtt: t.rtt,
    averageRTT: t.averageRTT,
    remoteIsAppObject: t.remoteUserID === remote,
    remoteUserName: t.remoteUserID && t.remoteUserID.userName,
  }));
  step('initialize', cs.initialize(q.get('app'), q.get('secret'), 'alice',
    (status, msg) => obs.inits.push({ status, msg }),
    (stats) => obs.statsCallback.push(tracksOf(stats)),
    { collectLegacyStats: false, applicationVersion: 'dropin' }));

  (async () => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc1 = new RTCPeerConnection();
    const pc2 = new RTCPeerConnection();
    // Media both ways, so pc1 has inbound streams with jitter.
    media.getTracks().forEach((t) => pc1.addTrack(t, media));
    const back = media.clone();
    back.getTracks().forEach((t) => pc2.addTrack(t, back));
    step('addNewFabric', cs.addNewFabric(pc1, remote, cs.fabricUsage.multiplex, conf));
    await window.loopback.connect(pc1, pc2);
    step('addNewFabric:number', cs.addNewFabric(new RTCPeerConnection(), 'carol', cs.fabricUsage.multiplex, room));
    // What the original sent (or accepted) and our first version refused: a rating out of 1–5,
    // an error without a conference ID, an error with something that is not a PeerConnection.
    step('sendUserFeedback:outOfRange', cs.sendUserFeedback(conf, { userID: 'alice', overall: 7, comment: 'dropin' }));
    step('reportError:noConference', cs.reportError(pc1, undefined, cs.webRTCFunctions.createOffer, new Error('dropin no conference')));
    step('reportError:notAPeerConnection', cs.reportError({}, conf, cs.webRTCFunctions.applicationLog, 'dropin not a pc'));
    obs.ready = true;
  })().catch((e) => obs.errors.push(String(e && e.stack || e)));
})();
