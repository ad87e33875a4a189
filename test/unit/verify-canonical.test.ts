// The canonical forms verify compares: one per target type family, equal exactly when the data is equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalBinary, canonicalBits, canonicalBool, canonicalDecimal, canonicalFloat, canonicalInteger, canonicalInterval,
  canonicalJson, canonicalSet, canonicalTime, canonicalTimestamp, canonicaliserFor,
} from '../../src/engine/verify-canonical';
import { chunkSum, rowHash } from '../../src/engine/verify';

test('decimals compare equal regardless of trailing zeros, leading zeros, sign of zero and exponent form', () => {
  assert.equal(canonicalDecimal('1.50'), '1.5');
  assert.equal(canonicalDecimal('+001.500'), '1.5');
  assert.equal(canonicalDecimal('-0.00'), '0');
  assert.equal(canonicalDecimal('12.000'), '12');
  assert.equal(canonicalDecimal('1.5e3'), '1500');
  assert.equal(canonicalDecimal('15E-3'), '0.015');
  assert.equal(canonicalDecimal('-123456789012345678901234567890.10'), '-123456789012345678901234567890.1');
  assert.equal(canonicalDecimal('NaN'), 'NaN');
  assert.notEqual(canonicalDecimal('1.51'), canonicalDecimal('1.5'));
});

test('integers keep every digit of values beyond 2^53', () => {
  assert.equal(canonicalInteger('18446744073709551615'), '18446744073709551615');
  assert.notEqual(canonicalInteger('18446744073709551615'), canonicalInteger('18446744073709551614'));
  assert.equal(canonicalInteger('-0'), '0');
  assert.equal(canonicalInteger('007'), '7');
});

test('single-precision floats compare at the 6 digits MySQL prints, doubles exactly', () => {
  const f4 = canonicalFloat(4);
  assert.equal(f4('0.333333'), f4('0.333333343'));
  assert.equal(f4('123457000'), f4('123456792'));
  assert.notEqual(f4('0.333334'), f4('0.333333343'));
  const f8 = canonicalFloat(8);
  assert.equal(f8('0.1'), f8('0.100000000000000006'));
  assert.equal(f8('1.4285714285714286e299'), f8('1.42857142857142857e+299'));
  assert.notEqual(f8('0.1'), f8('0.10000000000000002'));
  assert.equal(f8('-0'), f8('0'));
  assert.equal(f8('Infinity'), 'Infinity');
});

test('booleans from PostgreSQL and MySQL spellings map to true/false', () => {
  assert.deepEqual(['t', 'true', '1', 'TRUE', 'on'].map(canonicalBool), ['true', 'true', 'true', 'true', 'true']);
  assert.deepEqual(['f', 'false', '0', 'off'].map(canonicalBool), ['false', 'false', 'false', 'false']);
  assert.equal(canonicalBool('2'), '2');
});

test('timestamps ignore T vs space and trailing fractional zeros; zone-aware ones compare as UTC instants', () => {
  const ts = canonicalTimestamp(false);
  assert.equal(ts('2020-01-01 00:00:01.000000'), '2020-01-01 00:00:01');
  assert.equal(ts('2020-01-01T00:00:01.5'), ts('2020-01-01 00:00:01.500'));
  assert.notEqual(ts('2020-01-01 00:00:01.5'), ts('2020-01-01 00:00:01.05'));
  assert.equal(ts('0000-00-00 00:00:00'), '0000-00-00 00:00:00');
  const tz = canonicalTimestamp(true);
  assert.equal(tz('2024-03-01 10:00:00+00'), '2024-03-01 10:00:00');
  assert.equal(tz('2024-03-01 12:30:00.250+02:30'), '2024-03-01 10:00:00.25');
  assert.equal(tz('2024-03-01 01:00:00-05'), '2024-03-01 06:00:00');
  assert.equal(tz('2024-01-01 00:30:00+01'), '2023-12-31 23:30:00');
  assert.equal(tz('infinity'), 'infinity');
});

test('times and MySQL TIME durations drop trailing fraction zeros and normalise offsets', () => {
  assert.equal(canonicalTime('10:00:00.000000'), '10:00:00');
  assert.equal(canonicalTime('10:00:00.120'), '10:00:00.12');
  assert.equal(canonicalTime('-838:59:59'), '-838:59:59');
  assert.equal(canonicalTime('10:00:00+02'), '10:00:00+02:00');
});

test('intervals in ISO 8601, clock and postgres styles reduce to the same months, days and microseconds', () => {
  assert.equal(canonicalInterval('PT838H59M59S'), canonicalInterval('838:59:59'));
  assert.equal(canonicalInterval('P1Y2M3DT4H5M6.5S'), canonicalInterval('1 year 2 mons 3 days 04:05:06.5'));
  assert.equal(canonicalInterval('PT90M'), canonicalInterval('PT1H30M'));
  assert.notEqual(canonicalInterval('P1M'), canonicalInterval('P30D'));
  assert.equal(canonicalInterval('-PT1H'), canonicalInterval('-01:00:00'));
});

test('JSON ignores whitespace and key order but not values', () => {
  assert.equal(canonicalJson('{"n": 1, "tag": "x"}'), canonicalJson('{"tag":"x","n":1}'));
  assert.equal(canonicalJson('{"a": {"c": [1, 2], "b": null}}'), canonicalJson('{"a":{"b":null,"c":[1,2]}}'));
  assert.notEqual(canonicalJson('[1, 2]'), canonicalJson('[2, 1]'));
  assert.equal(canonicalJson('{"a": 1.0}'), canonicalJson('{"a": 1}'));
});

test('bytea text and blob bytes compare as the same bytes; bit strings align MySQL byte padding', () => {
  assert.equal(canonicalBinary(Buffer.from([0, 1, 255])), canonicalBinary('\\x0001ff'));
  assert.notEqual(canonicalBinary(Buffer.from([0, 1])), canonicalBinary(Buffer.from([0, 1, 0])));
  const bit5 = canonicalBits(5);
  assert.equal(bit5(Buffer.from([0b00010101])), '10101');
  assert.equal(bit5('10101'), '10101');
  assert.equal(bit5('101'), '00101');
});

test('MySQL SET members compare in any order, also against a PostgreSQL text[]', () => {
  assert.equal(canonicalSet('b,a'), canonicalSet('a,b'));
  assert.equal(canonicalSet('{a,b}'), canonicalSet('b,a'));
  assert.equal(canonicalSet(''), '');
});

test('the canonicaliser is chosen by the target column type, CHAR padding included', () => {
  const fixed = canonicaliserFor({ kind: 'char', length: 10, varying: false });
  assert.equal(fixed('c         '), fixed('c'));
  const varying = canonicaliserFor({ kind: 'char', length: 10, varying: true });
  assert.notEqual(varying('c '), varying('c'));
  const uuid = canonicaliserFor({ kind: 'uuid' });
  assert.equal(uuid('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'));
  const dom = canonicaliserFor({ kind: 'domain', type: { schema: 'public', name: 'd' }, base: { kind: 'decimal' } });
  assert.equal(dom('2.10'), '2.1');
});

test('row hashes tell NULL from the text "NULL" and from an empty string, and chunk sums ignore row order', () => {
  assert.notEqual(rowHash([null]), rowHash(['NULL']));
  assert.notEqual(rowHash([null]), rowHash(['']));
  assert.notEqual(rowHash(['ab', 'c']), rowHash(['a', 'bc']));
  const a = rowHash(['1', 'x']), b = rowHash(['2', 'y']);
  assert.equal(chunkSum([a, b]), chunkSum([b, a]));
  assert.notEqual(chunkSum([a, b]), chunkSum([a, a]));
});

test('PostgreSQL arrays compare element by element whatever the quoting, NULL and nesting included', () => {
  const texts = canonicaliserFor({ kind: 'array', element: { kind: 'text' }, dims: 1 });
  assert.equal(texts('{"Trailers","Deleted Scenes"}'), texts('{Trailers,"Deleted Scenes"}'));
  assert.equal(texts('{"a\\"b","c,d",NULL}'), JSON.stringify(['a"b', 'c,d', null]));
  assert.notEqual(texts('{"NULL"}'), texts('{NULL}'));
  const nums = canonicaliserFor({ kind: 'array', element: { kind: 'decimal' }, dims: 2 });
  assert.equal(nums('{{1.50,2},{3,4.0}}'), nums('[1:2][1:2]={{1.5,2.00},{3,4}}'));
  assert.equal(texts('{}'), '[]');
});
