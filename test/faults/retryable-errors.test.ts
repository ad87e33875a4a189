// Which driver errors the runner retries: the ones a restarting server or a killed session produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asFerryError, isRetryable } from '../../src/engine/errors';

test('errors of a crashed or restarting server are retryable, a wrong password or bad SQL is not', () => {
  const retryable = [
    new Error('Client has encountered a connection error and is not queryable'), // pg after its socket broke
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    new Error('server closed the connection unexpectedly'),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }),
    Object.assign(new Error('Connection was killed'), { errno: 1927 }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  ];
  for (const err of retryable) assert.equal(isRetryable(err), true, err.message);
  const permanent = [
    Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' }),
    Object.assign(new Error("Access denied for user 'x'@'localhost'"), { code: 'ER_ACCESS_DENIED_ERROR' }),
    Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }),
  ];
  for (const err of permanent) assert.equal(isRetryable(err), false, err.message);
  assert.equal(asFerryError(retryable[0], 'copying').retryable, true, 'asFerryError keeps the verdict');
});
