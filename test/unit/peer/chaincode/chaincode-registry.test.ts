import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../../src/orderer/scheduler.js';
import { ChaincodeRegistry } from '../../../../src/peer/chaincode/chaincode-registry.js';

const handler = (chaincodeId: string): { chaincodeId: string } => ({ chaincodeId });

describe('ChaincodeRegistry', () => {
  it('refuses an empty name and a name another handler holds; the holder may register again', () => {
    const registry = new ChaincodeRegistry(new ManualScheduler());
    const a = handler('cc:1');
    expect(registry.register('', a)).toContain('chaincodeID name is empty');
    expect(registry.register('cc:1', a)).toBeUndefined();
    expect(registry.register('cc:1', handler('cc:1'))).toContain('duplicate chaincodeID: cc:1');
    expect(registry.register('cc:1', a)).toBeUndefined();
  });

  it('lists only READY handlers and forgets one on deregister (only by its holder)', () => {
    const registry = new ChaincodeRegistry(new ManualScheduler());
    const a = handler('cc:1');
    registry.register('cc:1', a);
    expect(registry.get('cc:1')).toBeUndefined();
    registry.ready('cc:1', a);
    expect(registry.get('cc:1')).toBe(a);
    expect(registry.names()).toEqual(['cc:1']);
    registry.deregister('cc:1', handler('cc:1'));
    expect(registry.get('cc:1')).toBe(a);
    registry.deregister('cc:1', a);
    expect(registry.get('cc:1')).toBeUndefined();
    expect(registry.register('cc:1', handler('cc:1'))).toBeUndefined();
  });

  it('resolves waiters when the chaincode becomes READY, and at once when it already is', async () => {
    const scheduler = new ManualScheduler();
    const registry = new ChaincodeRegistry(scheduler);
    const a = handler('cc:1');
    const first = registry.waitForRegistration('cc:1', 1000);
    const second = registry.waitForRegistration('cc:1', 1000);
    registry.register('cc:1', a);
    registry.ready('cc:1', a);
    expect(await first).toBe(a);
    expect(await second).toBe(a);
    expect(scheduler.pendingCount).toBe(0);
    expect(await registry.waitForRegistration('cc:1', 1000)).toBe(a);
  });

  it('rejects with CHAINCODE_REGISTRATION_TIMEOUT after the wait, saying what to check', async () => {
    const scheduler = new ManualScheduler();
    const registry = new ChaincodeRegistry(scheduler);
    const waiting = registry.waitForRegistration('cc:1', 500).catch((e: unknown) => e);
    scheduler.advance(499);
    scheduler.advance(1);
    const err = (await waiting) as Error & { code: string };
    expect(err.code).toBe('CHAINCODE_REGISTRATION_TIMEOUT');
    expect(err.message).toContain('chaincode cc:1 did not register with the peer within 500 ms');
    expect(err.message).toContain('CORE_CHAINCODE_ID_NAME');
  });

  it('rejects with the reason of an aborted signal (e.g. the process exited)', async () => {
    const scheduler = new ManualScheduler();
    const registry = new ChaincodeRegistry(scheduler);
    const controller = new AbortController();
    const waiting = registry.waitForRegistration('cc:1', 500, controller.signal).catch((e: unknown) => e);
    controller.abort(new Error('the chaincode exited with code 1'));
    expect(((await waiting) as Error).message).toBe('the chaincode exited with code 1');
    expect(scheduler.pendingCount).toBe(0);
  });
});
