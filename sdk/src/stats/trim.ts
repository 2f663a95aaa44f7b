/**
 * What goes into a stats submission.
 *
 * The original posted every report of getStats() (about 16 KB per message, certificates
 * included). The server needs only the counters its analytics read (reference/quality/
 * GETSTATS.md), so each report type keeps an explicit field list, the candidate pair is the
 * selected one, and codecs and candidates only when something kept refers to them. Typical
 * messages shrink to a third; counters stay cumulative so the server can compute its own deltas
 * and survive a lost message.
 */

import { selectedPair, str, type Report, type Snapshot } from './report';

const ID = ['id', 'type', 'timestamp'];
const RTP = [...ID, 'kind', 'ssrc', 'codecId', 'transportId', 'mid'];

export const KEPT_FIELDS: Record<string, string[]> = {
  'inbound-rtp': [
    ...RTP, 'remoteId', 'trackIdentifier', 'playoutId',
    'packetsReceived', 'packetsLost', 'packetsDiscarded', 'bytesReceived', 'headerBytesReceived', 'jitter',
    'lastPacketReceivedTimestamp', 'nackCount', 'pliCount', 'firCount', 'fecPacketsReceived', 'fecPacketsDiscarded',
    'retransmittedPacketsReceived', 'retransmittedBytesReceived',
    'framesReceived', 'framesDecoded', 'keyFramesDecoded', 'framesDropped', 'framesPerSecond', 'frameWidth', 'frameHeight',
    'freezeCount', 'totalFreezesDuration', 'pauseCount', 'totalPausesDuration', 'qpSum', 'totalDecodeTime',
    'totalInterFrameDelay', 'totalSquaredInterFrameDelay', 'totalProcessingDelay', 'decoderImplementation',
    'audioLevel', 'totalAudioEnergy', 'totalSamplesReceived', 'totalSamplesDuration', 'concealedSamples',
    'silentConcealedSamples', 'concealmentEvents', 'insertedSamplesForDeceleration', 'removedSamplesForAcceleration',
    'jitterBufferDelay', 'jitterBufferTargetDelay', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount',
  ],
  'outbound-rtp': [
    ...RTP, 'remoteId', 'mediaSourceId', 'rid', 'encodingIndex', 'active',
    'packetsSent', 'bytesSent', 'headerBytesSent', 'retransmittedPacketsSent', 'retransmittedBytesSent', 'targetBitrate',
    'nackCount', 'pliCount', 'firCount', 'totalPacketSendDelay',
    'framesEncoded', 'keyFramesEncoded', 'framesSent', 'hugeFramesSent', 'framesPerSecond', 'frameWidth', 'frameHeight',
    'qpSum', 'totalEncodeTime', 'qualityLimitationReason', 'qualityLimitationDurations',
    'qualityLimitationResolutionChanges', 'encoderImplementation', 'scalabilityMode',
  ],
  'remote-inbound-rtp': [
    ...RTP, 'localId', 'packetsLost', 'fractionLost', 'jitter', 'roundTripTime', 'totalRoundTripTime',
    'roundTripTimeMeasurements',
  ],
  'remote-outbound-rtp': [
    ...RTP, 'localId', 'packetsSent', 'bytesSent', 'remoteTimestamp', 'reportsSent', 'roundTripTime',
    'totalRoundTripTime', 'roundTripTimeMeasurements',
  ],
  'candidate-pair': [
    ...ID, 'transportId', 'localCandidateId', 'remoteCandidateId', 'state', 'nominated', 'currentRoundTripTime',
    'totalRoundTripTime', 'responsesReceived', 'availableOutgoingBitrate', 'availableIncomingBitrate',
    'bytesSent', 'bytesReceived', 'packetsSent', 'packetsReceived', 'lastPacketSentTimestamp', 'lastPacketReceivedTimestamp',
  ],
  'local-candidate': [...ID, 'transportId', 'candidateType', 'protocol', 'relayProtocol', 'networkType', 'address', 'port', 'url'],
  'remote-candidate': [...ID, 'transportId', 'candidateType', 'protocol', 'address', 'port'],
  transport: [
    ...ID, 'bytesSent', 'bytesReceived', 'packetsSent', 'packetsReceived', 'dtlsState', 'iceState', 'iceRole',
    'selectedCandidatePairId', 'selectedCandidatePairChanges', 'tlsVersion', 'dtlsCipher', 'srtpCipher',
  ],
  codec: [...ID, 'transportId', 'payloadType', 'mimeType', 'clockRate', 'channels', 'sdpFmtpLine'],
  'media-source': [
    ...ID, 'kind', 'trackIdentifier', 'audioLevel', 'totalAudioEnergy', 'totalSamplesDuration', 'echoReturnLoss',
    'echoReturnLossEnhancement', 'width', 'height', 'frames', 'framesPerSecond',
  ],
  'media-playout': [
    ...ID, 'kind', 'synthesizedSamplesDuration', 'synthesizedSamplesEvents', 'totalSamplesDuration', 'totalPlayoutDelay',
    'totalSamplesCount',
  ],
};

export function pick(r: Report, fields: string[]): Report {
  const out = {} as Report;
  for (const f of fields) if (r[f] !== undefined) out[f] = r[f];
  return out;
}

export interface TrimOptions {
  /** When false, candidate addresses are replaced by the candidate id (configParams.collectIP). */
  collectIP?: boolean;
}

export function trimSnapshot(snap: Snapshot, opts: TrimOptions = {}): Report[] {
  const pair = selectedPair(snap);
  const wanted = new Set<string>();
  if (pair) {
    wanted.add(pair.id);
    const l = str(pair, 'localCandidateId');
    const r = str(pair, 'remoteCandidateId');
    if (l) wanted.add(l);
    if (r) wanted.add(r);
  }
  snap.forEach((r) => {
    const codec = str(r, 'codecId');
    if (codec && (r.type === 'inbound-rtp' || r.type === 'outbound-rtp')) wanted.add(codec);
  });
  const out: Report[] = [];
  snap.forEach((r) => {
    const fields = KEPT_FIELDS[r.type];
    if (!fields) return;
    const selectiveType = r.type === 'candidate-pair' || r.type === 'codec' || r.type.endsWith('-candidate');
    if (selectiveType && !wanted.has(r.id)) return;
    const t = pick(r, fields);
    if (opts.collectIP === false && 'address' in t) t['address'] = r.id;
    out.push(t);
  });
  return out;
}

/** A candidate as fabricSetup and transport-change events describe it (the original's field names). */
export function describeCandidate(c: Report | undefined, collectIP = true): Record<string, unknown> | undefined {
  if (!c) return undefined;
  const d: Record<string, unknown> = {
    id: c.id,
    type: c.type,
    transport: c['protocol'],
    ip: collectIP ? (c['address'] ?? c['ip']) : c.id,
    port: c['port'],
    candidateType: c['candidateType'],
  };
  for (const f of ['networkType', 'relayProtocol', 'url']) if (c[f] !== undefined) d[f] = c[f];
  return d;
}
