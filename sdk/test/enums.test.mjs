// The enumerations must be the original's, value for value: applications compare against them
// and the server receives them back. The reference is the dump of a live callstats-js 3.73.16
// instance kept in the repository (fixtures/wire/enumerations.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internals, readJson, repoRoot } from './helpers.mjs';

const dump = readJson(repoRoot, 'fixtures', 'wire', 'enumerations.json');
const instance = new internals.callstats();

test('every enumeration getter returns the original values', () => {
  for (const [name, values] of Object.entries(dump.enumerations)) {
    if (name === 'version') continue; // ours is our own version
    assert.deepEqual({ ...instance[name] }, values, name);
  }
  assert.equal(typeof instance.version, 'string');
});

test('enumerations are getters on the prototype and cannot be changed by the page', () => {
  const proto = Object.getPrototypeOf(instance);
  for (const { name, kind } of dump.instance_prototype) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    assert.ok(d, `${name} is on the prototype`);
    if (kind === 'getter') assert.equal(typeof d.get, 'function', `${name} is a getter`);
  }
  assert.throws(() => {
    'use strict';
    instance.fabricUsage.audio = 'x';
  });
  assert.equal(instance.fabricUsage.audio, 'audio');
});

test('every method of the original exists with the same arity', () => {
  for (const { name, kind, arity } of dump.instance_prototype) {
    if (kind !== 'method') continue;
    assert.equal(typeof instance[name], 'function', name);
    assert.equal(instance[name].length, arity, `${name} arity`);
  }
});

test('on() accepts exactly the original names plus error', () => {
  const names = Object.keys(dump.from_code_not_exposed_but_relevant.callbackFunctions_valid_on_names);
  for (const n of [...names, 'error']) assert.deepEqual(instance.on(n, () => {}), { status: 'success' }, n);
  assert.equal(instance.on('nope', () => {}).status, 'failure');
});

test('failure reasons per WebRTC function follow the original classifier', () => {
  const reasons = dump.from_code_not_exposed_but_relevant.callFailureReasons;
  assert.equal(internals.failureReason.createOffer, reasons.negotiationFailure);
  assert.equal(internals.failureReason.createAnswer, reasons.negotiationFailure);
  assert.equal(internals.failureReason.setRemoteDescription, reasons.negotiationFailure);
  assert.equal(internals.failureReason.setLocalDescription, reasons.sdpError);
  assert.equal(internals.failureReason.addIceCandidate, reasons.sdpError);
  assert.equal(internals.failureReason.getUserMedia, reasons.mediaConfigError);
  assert.equal(internals.failureReason.iceConnectionFailure, reasons.iceFailure);
  assert.equal(internals.failureReason.signalingError, reasons.signalingError);
  assert.equal(internals.failureReason.applicationLog, reasons.applicationLog);
  assert.equal(internals.failureReason.applicationError, reasons.applicationError);
  assert.deepEqual(Object.keys(internals.failureReason).sort(), Object.keys(dump.enumerations.webRTCFunctions).sort());
});

test('every event route is one the server catalogue knows', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const catalogue = readFileSync(join(repoRoot, 'crates', 'callstats-protocol', 'src', 'catalogue.rs'), 'utf8');
  for (const [eventType, route] of Object.entries(internals.EVENT_ROUTES)) {
    assert.ok(catalogue.includes(`path: "${route}"`), `${eventType} -> ${route}`);
    assert.ok(catalogue.includes(`"${eventType}"`), `${eventType} is in the catalogue`);
  }
});
