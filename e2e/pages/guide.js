// Steps 3–10 of the integration guide on two RTCPeerConnections on loopback, for any
// callstats.js implementation (`cs`). Progress and callbacks are recorded on window.e2e; the
// test calls window.e2e.finish() once the server has what it waits for.
window.runGuide = function (cs, conf, user) {
  'use strict';
  const e2e = window.e2e;
  const step = (name, result) => e2e.steps.push({ name, result: result && result.status });
  async function run() {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    document.getElementById('local-video').srcObject = media;
    const pc1 = new RTCPeerConnection();
    const pc2 = new RTCPeerConnection();
    // For tests that drive the call further; not enumerable, so reading window.e2e stays cheap.
    Object.defineProperty(e2e, 'cs', { value: cs });
    Object.defineProperty(e2e, 'pc1', { value: pc1 });
    pc2.ontrack = (e) => { document.getElementById('remote-video').srcObject = e.streams[0]; };
    media.getTracks().forEach((t) => pc1.addTrack(t, media));
    pc1.createDataChannel('chat');

    step('addNewFabric', cs.addNewFabric(pc1, 'bob', cs.fabricUsage.multiplex, conf, {
      remoteEndpointType: cs.endpointType.peer,
      fabricTransmissionDirection: cs.transmissionDirection.sendrecv,
    }, () => {}));

    await window.loopback.connect(pc1, pc2);
    await new Promise((resolve) => {
      const check = () => (['connected', 'completed'].includes(pc1.iceConnectionState) ? resolve() : setTimeout(check, 100));
      check();
    });
    e2e.connected = true;

    // A createOffer that really fails (on a closed connection), reported as the guide shows.
    const broken = new RTCPeerConnection();
    broken.close();
    try {
      await broken.createOffer();
    } catch (err) {
      step('reportError', cs.reportError(pc1, conf, cs.webRTCFunctions.createOffer, err));
    }

    const devices = await navigator.mediaDevices.enumerateDevices();
    // Muted and paused, then back: time the app declares muted is set aside by the analysis, so
    // a call muted to its end would have nothing to judge.
    for (const ev of ['audioMute', 'videoPause', 'screenShareStart', 'audioUnmute', 'videoResume', 'screenShareStop']) {
      step('sendFabricEvent:' + ev, cs.sendFabricEvent(pc1, cs.fabricEvent[ev], conf));
    }
    step('sendFabricEvent:activeDeviceList', cs.sendFabricEvent(pc1, cs.fabricEvent.activeDeviceList, conf, { deviceList: devices }));
    step('sendFabricEvent:fabricHold', cs.sendFabricEvent(pc1, cs.fabricEvent.fabricHold, conf));
    step('sendFabricEvent:fabricResume', cs.sendFabricEvent(pc1, cs.fabricEvent.fabricResume, conf));
    step('sendFabricEvent:dominantSpeaker', cs.sendFabricEvent(pc1, cs.fabricEvent.dominantSpeaker, conf));

    const videoSender = pc1.getSenders().find((s) => s.track && s.track.kind === 'video');
    const params = videoSender && videoSender.getParameters();
    const ssrc = params && params.encodings && params.encodings[0] && params.encodings[0].ssrc;
    step('associateMstWithUserID', cs.associateMstWithUserID(pc1, user, conf, String(ssrc || '1'), 'camera', 'local-video'));
    step('sendUserFeedback', cs.sendUserFeedback(conf, { userID: user, overall: 4, video: 3, audio: 5, comment: 'e2e' }, () => {}));
    step('reportError:applicationLog:object', cs.reportError(pc1, conf, cs.webRTCFunctions.applicationLog,
      { message: 'e2e application log', error: 'E2E', stack: 'Error: e2e\n    at run (real-client.js)' }));
    step('reportError:applicationLog:string', cs.reportError(pc1, conf, cs.webRTCFunctions.applicationLog, 'e2e plain log line'));

    await new Promise((resolve) => { e2e.finish = resolve; });
    step('sendFabricEvent:fabricTerminated', cs.sendFabricEvent(pc1, cs.fabricEvent.fabricTerminated, conf));
    e2e.done = true;
  }
  return run().catch((err) => { e2e.errors.push(String((err && err.stack) || err)); });
};
