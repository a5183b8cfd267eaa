// The JavaScript codec against every vector the Rust codec wrote (crates/codec/tests/web_vectors.rs),
// and against the published NIST SP 800-38G radix-10 samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  base32Decode,
  ff1Encrypt,
  hotp,
  importCodeKey,
  importHotpKey,
  offlineCode,
  timeStep,
} from '../shared/crypto.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'));

/** @param {string} hex */
const fromHex = (hex) => new Uint8Array(hex.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);

test('the vectors file holds vectors of every kind and algorithm', () => {
  assert.ok(vectors.ff1.length >= 100);
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512']) {
    assert.ok(vectors.hotp.filter((/** @type {any} */ v) => v.algorithm === algorithm).length >= 50);
    assert.ok(vectors.offline_codes.filter((/** @type {any} */ v) => v.algorithm === algorithm).length >= 100);
  }
});

test('FF1 matches the NIST SP 800-38G radix-10 samples 1 and 2', async () => {
  const key = await importCodeKey(fromHex('2b7e151628aed2a6abf7158809cf4f3c'));
  assert.equal(await ff1Encrypt(key, new Uint8Array(), '0123456789'), '2433477484');
  assert.equal(await ff1Encrypt(key, fromHex('39383736353433323130'), '0123456789'), '6124200773');
});

test('FF1 matches the Rust codec on every vector', async () => {
  for (const vector of vectors.ff1) {
    const key = await importCodeKey(base32Decode(vector.key));
    const tweak = new TextEncoder().encode(vector.tweak);
    assert.equal(await ff1Encrypt(key, tweak, vector.plain), vector.cipher, `FF1 vector ${JSON.stringify(vector)}`);
  }
});

test('HOTP matches the Rust codec on every vector', async () => {
  for (const vector of vectors.hotp) {
    const key = await importHotpKey(base32Decode(vector.secret), vector.algorithm);
    assert.equal(await hotp(key, BigInt(vector.counter)), vector.value, `HOTP vector ${JSON.stringify(vector)}`);
  }
});

test('HOTP matches RFC 4226 appendix D', async () => {
  const key = await importHotpKey(new TextEncoder().encode('12345678901234567890'), 'SHA1');
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  for (const [counter, value] of expected.entries()) {
    assert.equal(await hotp(key, BigInt(counter)), value, `counter ${counter}`);
  }
});

test('offline codes match the Rust codec on every vector', async () => {
  for (const vector of vectors.offline_codes) {
    const code = await offlineCode({
      hotpKey: await importHotpKey(base32Decode(vector.secret), vector.algorithm),
      codeKey: await importCodeKey(base32Decode(vector.code_key)),
      prefix: vector.prefix,
      slot: vector.slot,
      index: vector.index,
      step: timeStep(vector.unix_time, vector.period),
    });
    assert.equal(code, vector.code, `offline code vector ${JSON.stringify(vector)}`);
  }
});

test('keys are imported so that nobody can read them back', async () => {
  const key = await importCodeKey(new Uint8Array(16));
  assert.equal(key.extractable, false);
  await assert.rejects(crypto.subtle.exportKey('raw', key));
  const hotpKey = await importHotpKey(new Uint8Array(20), 'SHA256');
  assert.equal(hotpKey.extractable, false);
});

test('bad input is refused with a clear error', async () => {
  assert.throws(() => base32Decode('AB!C'), /Base32/);
  await assert.rejects(importCodeKey(new Uint8Array(15)), /16 bytes/);
  const hotpKey = await importHotpKey(new Uint8Array(20), 'SHA1');
  const codeKey = await importCodeKey(new Uint8Array(16));
  const good = { hotpKey, codeKey, prefix: '81', slot: 1, index: 0, step: 1 };
  await assert.rejects(offlineCode({ ...good, slot: 0 }), /slot/);
  await assert.rejects(offlineCode({ ...good, index: 10 }), /index/);
  await assert.rejects(offlineCode({ ...good, prefix: '8' }), /prefix/);
  await assert.rejects(ff1Encrypt(codeKey, new Uint8Array(), '1'), /digits/);
});
