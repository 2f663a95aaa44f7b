// What the SDK test pages share: loading callstats.min.js from the server under test (its URL
// is the page's `server` query parameter), and connecting two PeerConnections of the page.
window.loopback = {
  /** Adds the server's SDK script tag; `onload` runs once `callstats` is defined. */
  loadSdk(onload) {
    const tag = document.createElement('script');
    tag.src = new URLSearchParams(location.search).get('server') + '/static/callstats.min.js';
    tag.onload = onload;
    document.head.appendChild(tag);
  },

  /** Trickles each side's candidates to the other and runs pc1's offer and pc2's answer. */
  async connect(pc1, pc2) {
    pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate);
    pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate);
    const offer = await pc1.createOffer();
    await pc1.setLocalDescription(offer);
    await pc2.setRemoteDescription(offer);
    const answer = await pc2.createAnswer();
    await pc2.setLocalDescription(answer);
    await pc1.setRemoteDescription(answer);
  },
};
