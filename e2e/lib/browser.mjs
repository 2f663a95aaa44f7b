// Debian's Chromium, headless, with fake camera and microphone, and no network but loopback.
import { chromium } from 'playwright-core';

// `extraArgs` adds switches, e.g. --allow-loopback-in-peer-connection (tests/impairment.test.mjs).
export async function launch({ extraArgs = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
