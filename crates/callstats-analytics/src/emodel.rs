//! Audio MOS by the ITU-T G.107 E-model, computed in full rather than from the usual
//! "93.2 − Id − Ie,eff" shortcut, so that delay-dependent echo terms (Idte, Idle) and every
//! default parameter are accounted for and can be changed.
//!
//! R = Ro − Is − Id − Ie,eff + A, then MOS from R (G.107 Annex B). With all defaults and no
//! delay the result is the standard's reference point, R ≈ 93.2, MOS ≈ 4.41 (see tests).
//!
//! How WebRTC measurements map onto the model (our choices, documented here because the standard
//! describes telephone connections, not browsers):
//! * one-way mouth-to-ear delay Ta = RTT/2 + jitter-buffer delay + `PROCESSING_ALLOWANCE_MS`
//!   (capture, encoder lookahead, packetisation and playout, which getStats does not expose);
//! * the echo-path delays follow a VoIP connection: T = Ta and Tr = 2·Ta;
//! * Ppl is the interval's packet loss in percent, BurstR the burst ratio (1 when unknown);
//! * codec Ie/Bpl from `CodecImpairment::for_codec`.

/// Fixed delay added to the network and jitter-buffer delay: 20 ms frame + ~20 ms for capture,
/// encoder lookahead and playout buffering. A conservative middle of the 20–40 ms range common
/// in monitoring tools.
pub const PROCESSING_ALLOWANCE_MS: f64 = 40.0;

/// The E-model's input parameters. `Default` gives G.107's default values (Table 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Send loudness rating, dB.
    pub slr: f64,
    /// Receive loudness rating, dB.
    pub rlr: f64,
    /// Sidetone masking rating, dB.
    pub stmr: f64,
    /// Listener sidetone rating, dB.
    pub lstr: f64,
    /// D-value of the telephone, send side.
    pub ds: f64,
    /// D-value of the telephone, receive side.
    pub dr: f64,
    /// Talker echo loudness rating, dB.
    pub telr: f64,
    /// Weighted echo path loss, dB.
    pub wepl: f64,
    /// Mean one-way delay of the echo path, ms.
    pub t: f64,
    /// Round-trip delay in a 4-wire loop, ms.
    pub tr: f64,
    /// Absolute one-way delay, ms.
    pub ta: f64,
    /// Quantising distortion units.
    pub qdu: f64,
    /// Equipment impairment factor of the codec.
    pub ie: f64,
    /// Packet-loss robustness factor of the codec.
    pub bpl: f64,
    /// Random packet-loss probability, percent.
    pub ppl: f64,
    /// Burst ratio (1 = random loss).
    pub burst_r: f64,
    /// Circuit noise referred to the 0 dBr point, dBm0p.
    pub nc: f64,
    /// Noise floor at the receive side, dBmp.
    pub nfor: f64,
    /// Room noise at the send side, dB(A).
    pub ps: f64,
    /// Room noise at the receive side, dB(A).
    pub pr: f64,
    /// Advantage factor.
    pub a: f64,
    /// Delay sensitivity (G.107 2011+: sT).
    pub s_t: f64,
    /// Minimum perceivable delay, ms (G.107 2011+: mT).
    pub m_t: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            slr: 8.0,
            rlr: 2.0,
            stmr: 15.0,
            lstr: 18.0,
            ds: 3.0,
            dr: 3.0,
            telr: 65.0,
            wepl: 110.0,
            t: 0.0,
            tr: 0.0,
            ta: 0.0,
            qdu: 1.0,
            ie: 0.0,
            bpl: 1.0,
            ppl: 0.0,
            burst_r: 1.0,
            nc: -70.0,
            nfor: -64.0,
            ps: 35.0,
            pr: 35.0,
            a: 0.0,
            s_t: 1.0,
            m_t: 100.0,
        }
    }
}

fn lg(x: f64) -> f64 {
    x.log10()
}

/// The parts of R, for explaining a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// Basic signal-to-noise ratio.
    pub ro: f64,
    /// Simultaneous impairments.
    pub is: f64,
    /// Delay impairments (talker echo + listener echo + absolute delay).
    pub id: f64,
    /// Effective equipment impairment (codec and loss).
    pub ie_eff: f64,
    /// The transmission rating.
    pub r: f64,
}

impl Params {
    /// Computes R and its parts (G.107 §7).
    pub fn rating(&self) -> Rating {
        let p = self;
        // Basic signal-to-noise ratio, Ro.
        let olr = p.slr + p.rlr;
        let nfo = p.nfor + p.rlr;
        let pre = p.pr + 10.0 * lg(1.0 + 10f64.powf((10.0 - p.lstr) / 10.0));
        let nor = p.rlr - 121.0 + pre + 0.008 * (pre - 35.0).powi(2);
        let nos = p.ps - p.slr - p.ds - 100.0 + 0.004 * (p.ps - olr - p.ds - 14.0).powi(2);
        let no = 10.0
            * lg(10f64.powf(p.nc / 10.0) + 10f64.powf(nos / 10.0) + 10f64.powf(nor / 10.0) + 10f64.powf(nfo / 10.0));
        let ro = 15.0 - 1.5 * (p.slr + no);

        // Simultaneous impairments, Is = Iolr + Ist + Iq.
        let xolr = olr + 0.2 * (64.0 + no - p.rlr);
        let iolr = 20.0 * ((1.0 + (xolr / 8.0).powi(8)).powf(1.0 / 8.0) - xolr / 8.0);
        let stmro = -10.0 * lg(10f64.powf(-p.stmr / 10.0) + (-p.t / 4.0).exp() * 10f64.powf(-p.telr / 10.0));
        let ist = 12.0 * (1.0 + ((stmro - 13.0) / 6.0).powi(8)).powf(1.0 / 8.0)
            - 28.0 * (1.0 + ((stmro + 1.0) / 19.4).powi(35)).powf(1.0 / 35.0)
            - 13.0 * (1.0 + ((stmro - 3.0) / 33.0).powi(13)).powf(1.0 / 13.0)
            + 29.0;
        let q = 37.0 - 15.0 * lg(p.qdu);
        let g = 1.07 + 0.258 * q + 0.0602 * q * q;
        let y = (ro - 100.0) / 15.0 + 46.0 / 8.4 - g / 9.0;
        let z = 46.0 / 30.0 - g / 40.0;
        let iq = 15.0 * lg(1.0 + 10f64.powf(y) + 10f64.powf(z));
        let is = iolr + ist + iq;

        // Delay impairments, Id = Idte + Idle + Idd.
        let terv = p.telr - 40.0 * lg((1.0 + p.t / 10.0) / (1.0 + p.t / 150.0)) + 6.0 * (-0.3 * p.t * p.t).exp();
        let roe = -1.5 * (no - p.rlr);
        let re = 80.0 + 2.5 * (terv - 14.0);
        let idte = ((roe - re) / 2.0 + ((roe - re).powi(2) / 4.0 + 100.0).sqrt() - 1.0) * (1.0 - (-p.t).exp());
        let rle = 10.5 * (p.wepl + 7.0) * (p.tr + 1.0).powf(-0.25);
        let idle = (ro - rle) / 2.0 + ((ro - rle).powi(2) / 4.0 + 169.0).sqrt();
        let idd = if p.ta <= p.m_t {
            0.0
        } else {
            let x = lg(p.ta / p.m_t) / lg(2.0);
            let e = 6.0 * p.s_t;
            25.0 * ((1.0 + x.powf(e)).powf(1.0 / e) - 3.0 * (1.0 + (x / 3.0).powf(e)).powf(1.0 / e) + 2.0)
        };
        let id = idte + idle + idd;

        // Equipment impairment with loss.
        let ie_eff = p.ie + (95.0 - p.ie) * p.ppl / (p.ppl / p.burst_r + p.bpl);

        Rating { ro, is, id, ie_eff, r: ro - is - id - ie_eff + p.a }
    }
}

/// MOS (conversational quality estimate) from R, G.107 Annex B.
pub fn mos_from_r(r: f64) -> f64 {
    if r < 0.0 {
        1.0
    } else if r > 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6
    }
}

/// A codec's Ie and Bpl.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodecImpairment {
    /// Equipment impairment factor.
    pub ie: f64,
    /// Packet-loss robustness factor.
    pub bpl: f64,
}

impl CodecImpairment {
    /// Looks a codec up by MIME subtype (`opus`, `PCMU`, …), with the stream's highest interval
    /// bitrate so far when known (kbit/s), and whether in-band FEC is on.
    ///
    /// * G.711 (PCMU/PCMA): Ie 0; Bpl 25.1, G.113 Appendix I's value with packet-loss concealment
    ///   (every WebRTC stack conceals loss).
    /// * G.729 (A, with VAD): Ie 11, Bpl 19.0; G.723.1 at 6.3 kbit/s: Ie 15, Bpl 16.1 (G.113 App. I).
    /// * G.722: G.113 lists it only on the wideband scale; on the narrowband scale used here it is
    ///   at least as clean as G.711, so Ie 0, and its PLC (G.722 Appendix III) is taken to be as
    ///   robust as G.711's: Bpl 25.1. Our choice, not a table value.
    /// * Opus has no G.113 entry. Our choice: Ie 0 at ≥ 24 kbit/s (transparent on the narrowband
    ///   scale), rising linearly to 11 (G.729's value) at 8 kbit/s; Bpl 25.1 for its PLC, 32 with
    ///   in-band FEC, which recovers part of the isolated losses getStats still counts as lost.
    ///   The rate is the stream's best interval so far, not the interval's own: Opus is variable
    ///   rate (and with DTX nearly silent in pauses), so a quiet interval of a 32 kbit/s stream
    ///   carries 10–20 kbit/s of payload while its coding quality is unchanged. Chrome's default
    ///   Opus runs at 32 kbit/s or more when it has speech, well above the 24 kbit/s knee, so a
    ///   normal stream never sits on the slope.
    /// * Anything else: Ie 5, Bpl 20, a cautious middle, so an unknown codec never scores best.
    pub fn for_codec(mime_subtype: &str, bitrate_kbps: Option<f64>, fec: bool) -> Self {
        match mime_subtype.to_ascii_lowercase().as_str() {
            "pcmu" | "pcma" | "g711" => CodecImpairment { ie: 0.0, bpl: 25.1 },
            "g729" => CodecImpairment { ie: 11.0, bpl: 19.0 },
            "g723" => CodecImpairment { ie: 15.0, bpl: 16.1 },
            "g722" => CodecImpairment { ie: 0.0, bpl: 25.1 },
            "opus" => {
                let ie = match bitrate_kbps {
                    Some(b) if b < 24.0 => 11.0 * ((24.0 - b.max(8.0)) / 16.0),
                    _ => 0.0,
                };
                CodecImpairment { ie, bpl: if fec { 32.0 } else { 25.1 } }
            }
            _ => CodecImpairment { ie: 5.0, bpl: 20.0 },
        }
    }
}

/// What one interval of an audio stream gives the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioConditions {
    /// Round-trip time, ms.
    pub rtt_ms: f64,
    /// Receiver jitter-buffer delay, ms.
    pub jitter_buffer_ms: f64,
    /// Packet loss, percent.
    pub loss_pct: f64,
    /// Burst ratio (1 when unknown).
    pub burst_ratio: f64,
    /// The codec's impairment.
    pub codec: CodecImpairment,
}

/// R and MOS for one interval.
pub fn audio_mos(c: &AudioConditions) -> (Rating, f64) {
    let ta = (c.rtt_ms / 2.0 + c.jitter_buffer_ms + PROCESSING_ALLOWANCE_MS).max(0.0);
    let params = Params {
        t: ta,
        tr: 2.0 * ta,
        ta,
        ie: c.codec.ie,
        bpl: c.codec.bpl,
        ppl: c.loss_pct.clamp(0.0, 100.0),
        burst_r: c.burst_ratio.max(1.0),
        ..Params::default()
    };
    let rating = params.rating();
    (rating, mos_from_r(rating.r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// G.107's worked default: every parameter at its default value gives R = 93.2 (the
    /// standard rounds to one decimal) and MOS 4.41.
    #[test]
    fn default_parameters_give_the_reference_rating() {
        let r = Params::default().rating();
        assert!(close(r.r, 93.2, 0.05), "R = {}", r.r);
        assert!(close(r.ro, 94.77, 0.01), "Ro = {}", r.ro);
        assert!(close(r.is, 1.41, 0.02), "Is = {}", r.is);
        assert!(close(mos_from_r(r.r), 4.41, 0.005), "MOS = {}", mos_from_r(r.r));
    }

    /// Annex B sanity values quoted in the reference notes.
    #[test]
    fn r_to_mos_matches_annex_b() {
        for (r, mos) in [(93.2, 4.41), (80.0, 4.02), (70.0, 3.60), (60.0, 3.10), (50.0, 2.58)] {
            assert!(close(mos_from_r(r), mos, 0.006), "R {r}: {}", mos_from_r(r));
        }
        assert_eq!(mos_from_r(-5.0), 1.0);
        assert_eq!(mos_from_r(120.0), 4.5);
    }

    /// Ie,eff computed by hand from G.107 eq. 7-29: Ie + (95 − Ie)·Ppl/(Ppl/BurstR + Bpl).
    /// G.711 with PLC (Ie 0, Bpl 25.1) at 2 % random loss: 95·2/(2+25.1) = 7.011.
    /// G.729A (Ie 11, Bpl 19) at 5 % with BurstR 2: 11 + 84·5/(2.5+19) = 30.535.
    #[test]
    fn loss_impairment_vectors() {
        let p = Params { ie: 0.0, bpl: 25.1, ppl: 2.0, ..Params::default() };
        assert!(close(p.rating().ie_eff, 7.011, 0.001));
        let p = Params { ie: 11.0, bpl: 19.0, ppl: 5.0, burst_r: 2.0, ..Params::default() };
        assert!(close(p.rating().ie_eff, 30.535, 0.001));
        // Loss only lowers R by Ie,eff.
        let base = Params::default().rating().r;
        let lossy = Params { bpl: 25.1, ppl: 2.0, ..Params::default() }.rating().r;
        assert!(close(base - lossy, 7.011, 0.001));
    }

    /// Idd from G.107 eq. 7-28 with sT = 1, mT = 100, worked independently (Python, float64):
    /// Ta = 150 ms → X = 0.585: 0.1635; Ta = 200 → X = 1: 25·(2^(1/6) − 3·(1+3^-6)^(1/6) + 2)
    /// = 3.0444; Ta = 300 → 14.7607; Ta = 400 → X = 2: 25·(65^(1/6) − 3·(1+(2/3)^6)^(1/6) + 2)
    /// = 24.0701.
    #[test]
    fn absolute_delay_vectors() {
        let idd = |ta: f64| {
            let with = Params { ta, ..Params::default() }.rating();
            let without = Params::default().rating();
            with.id - without.id
        };
        assert!(close(idd(100.0), 0.0, 1e-9));
        for (ta, expected) in [(150.0, 0.1635), (200.0, 3.0444), (300.0, 14.7607), (400.0, 24.0701)] {
            assert!(close(idd(ta), expected, 0.0005), "Ta {ta}: {}", idd(ta));
        }
    }

    #[test]
    fn webrtc_mapping_orders_conditions_sensibly() {
        let opus = CodecImpairment::for_codec("opus", Some(32.0), true);
        let good = audio_mos(&AudioConditions {
            rtt_ms: 20.0,
            jitter_buffer_ms: 20.0,
            loss_pct: 0.0,
            burst_ratio: 1.0,
            codec: opus,
        })
        .1;
        let far = audio_mos(&AudioConditions {
            rtt_ms: 400.0,
            jitter_buffer_ms: 60.0,
            loss_pct: 0.0,
            burst_ratio: 1.0,
            codec: opus,
        })
        .1;
        let lossy = audio_mos(&AudioConditions {
            rtt_ms: 20.0,
            jitter_buffer_ms: 20.0,
            loss_pct: 10.0,
            burst_ratio: 1.0,
            codec: opus,
        })
        .1;
        assert!(good > 4.3 && good <= 4.41, "{good}");
        assert!(far < good && lossy < good, "{far} {lossy}");
        assert!(lossy < 3.6, "{lossy}");
        let low_rate = CodecImpairment::for_codec("opus", Some(8.0), false);
        assert!(close(low_rate.ie, 11.0, 1e-9));
        assert_eq!(CodecImpairment::for_codec("PCMU", None, false), CodecImpairment { ie: 0.0, bpl: 25.1 });
    }
}
