/**
 * SSRC attributes from SDP. getStats() does not carry the RTCP CNAME or the msid of a stream;
 * the callback and the ssrcMap event do, so they are read from the descriptions. Unified-plan SDP
 * puts `msid` on the media section (`a=msid:`) and may list it per SSRC as well; both are read.
 */

export interface SsrcInfo {
  cname?: string;
  msid?: string;
  mid?: string;
  mediaType?: string;
}

export function parseSsrcs(sdp: string | null | undefined): Map<string, SsrcInfo> {
  const out = new Map<string, SsrcInfo>();
  if (typeof sdp !== 'string') return out;
  let mediaType: string | undefined;
  let mid: string | undefined;
  let sectionMsid: string | undefined;
  let sectionSsrcs: SsrcInfo[] = [];
  const closeSection = () => {
    for (const s of sectionSsrcs) if (!s.msid && sectionMsid) s.msid = sectionMsid;
    sectionSsrcs = [];
  };
  for (const line of sdp.split(/\r\n|\r|\n/)) {
    if (line.startsWith('m=')) {
      closeSection();
      mediaType = line.slice(2).split(' ')[0];
      mid = undefined;
      sectionMsid = undefined;
      continue;
    }
    if (line.startsWith('a=mid:')) {
      mid = line.slice(6).trim();
      for (const s of sectionSsrcs) s.mid = mid;
    } else if (line.startsWith('a=msid:')) {
      sectionMsid = line.slice(7).trim();
    } else if (line.startsWith('a=ssrc:')) {
      const m = /^a=ssrc:(\d+) ([\w-]+)(?::(.*))?$/.exec(line);
      if (!m) continue;
      let info = out.get(m[1]!);
      if (!info) {
        info = { mediaType, mid };
        out.set(m[1]!, info);
        sectionSsrcs.push(info);
      }
      if (m[2] === 'cname') info.cname = m[3];
      else if (m[2] === 'msid') info.msid = m[3];
    }
  }
  closeSection();
  return out;
}
