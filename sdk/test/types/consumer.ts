// A TypeScript app using the published declarations (dist/callstats.d.ts). types.test.mjs runs
// tsc on it: the correct calls must compile, and each `@ts-expect-error` line must be an error,
// so declarations that loosen (back to `unknown`) fail the test.
import callstats, { type Callstats, type StatsPayload, type CsError, type FabricUsage } from '../../dist/callstats';

const cs: Callstats = new callstats();
const pc = new RTCPeerConnection();

const usage: FabricUsage = cs.fabricUsage.multiplex;
cs.initialize(
  '123',
  'secret',
  { aliasName: 'alice', userName: 'Alice' },
  (status: CsError, message: string) => console.log(status, message),
  (stats: StatsPayload) => {
    const rate: number | null = stats.mediaStreamTracks[0]!.bitrate;
    const state: 'online' | 'offline' = stats.connectionState;
    console.log(rate, state, stats.streams['1']?.rtt);
  },
  { applicationVersion: '1.0', collectIP: false },
);
cs.addNewFabric(pc, 'bob', usage, 'conf1', { remoteEndpointType: cs.endpointType.peer }, (status, msg) => console.log(status, msg));
cs.sendFabricEvent(pc, cs.fabricEvent.audioMute, 'conf1');
cs.reportError(pc, 'conf1', cs.webRTCFunctions.createOffer, new Error('x'));
cs.sendUserFeedback('conf1', { overallRating: cs.qualityRating.good, comments: 'fine' });
cs.associateMstWithUserID(pc, 'bob', 'conf1', 1234, 'camera', 'remote-video');
cs.on('defaultConfig', (config) => console.log(config.peerConnection));
cs.on('error', (error, message) => console.log(error.length, message));
const r = cs.setProxyConfig({ collectorURL: 'https://example.org/' });
if (r.status === 'failure') console.log(r.message);
const rating: 5 = cs.qualityRating.excellent;
console.log(rating);

// @ts-expect-error not a fabricUsage value
cs.addNewFabric(pc, 'bob', 'hologram', 'conf1');
// @ts-expect-error not a fabric event
cs.sendFabricEvent(pc, 'audioMuted', 'conf1');
// @ts-expect-error not a WebRTC function name
cs.reportError(pc, 'conf1', 'createOfferr');
// @ts-expect-error ratings are 1 to 5
cs.sendUserFeedback('conf1', { overallRating: 6 });
// @ts-expect-error unknown callback name
cs.on('statistics', () => undefined);
// @ts-expect-error the stats callback gets a payload, not a string
cs.on('stats', (s: string) => s);
// @ts-expect-error the peer connection comes first
cs.sendFabricEvent('conf1', cs.fabricEvent.audioMute, pc);
// @ts-expect-error a user ID object needs aliasName
cs.initialize('1', 'secret', { userName: 'x' });
