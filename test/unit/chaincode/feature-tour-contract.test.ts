import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestOrg, pemBytes } from '../../helpers/test-orgs.js';
import { buildChaincode, loadChaincode, shimChaincode, type ShimChaincode } from './chaincode-package.js';
import { FakeLedger, type FakeContext } from './fake-chaincode-stub.js';

/** chaincode/feature-tour's contract, as the tests call it (the compiled class, context first). */
interface FeatureTour {
  PutValue(ctx: FakeContext, key: string, value: string): Promise<void>;
  GetValue(ctx: FakeContext, key: string): Promise<string>;
  DeleteValue(ctx: FakeContext, key: string): Promise<void>;
  GetRange(ctx: FakeContext, startKey: string, endKey: string): Promise<string>;
  GetRangePage(ctx: FakeContext, startKey: string, endKey: string, pageSize: number, bookmark: string): Promise<string>;
  GetHistory(ctx: FakeContext, key: string): Promise<string>;
  ReadAssetFrom(ctx: FakeContext, chaincodeName: string, assetId: string): Promise<string>;
  PutTxTimestamp(ctx: FakeContext, key: string): Promise<string>;
  PutNonDeterministic(ctx: FakeContext, key: string): Promise<string>;
}

interface Page {
  records: { key: string; value: string }[];
  fetchedRecordsCount: number;
  bookmark: string;
}

let contract: FeatureTour;

beforeAll(() => {
  buildChaincode('feature-tour');
  const Contract = loadChaincode('feature-tour')['FeatureTourContract'] as new () => FeatureTour;
  contract = new Contract();
}, 60_000);

async function seeded(): Promise<FakeLedger> {
  const ledger = new FakeLedger('tour');
  for (const [k, v] of [['a', '1'], ['b', '2'], ['c', '3'], ['d', '4'], ['e', '5']] as const) ledger.seed(k, v);
  ledger.seed('\u0000color\u0000blue\u0000', 'composite');
  return ledger;
}

describe('feature-tour contract', () => {
  it('PutValue stores the value and sets the ValuePut event; a failed transaction commits neither', async () => {
    const ledger = new FakeLedger('tour');
    await ledger.submit((ctx) => contract.PutValue(ctx, 'k1', 'hello'), { txId: 'tx-put' });
    expect(ledger.value('k1')).toBe('hello');
    expect(ledger.events().map((e) => [e.name, Buffer.from(e.payload).toString()])).toEqual([['ValuePut', '{"key":"k1","txId":"tx-put","value":"hello"}']]);
    await expect(ledger.submit((ctx) => contract.PutValue(ctx, '', 'x'))).rejects.toThrow('the key must be a non-empty string');
    expect(ledger.events()).toHaveLength(1);
  });

  it('GetValue and DeleteValue say when the key does not exist', async () => {
    const ledger = await seeded();
    expect(await ledger.evaluate((ctx) => contract.GetValue(ctx, 'a'))).toBe('1');
    await ledger.submit((ctx) => contract.DeleteValue(ctx, 'a'));
    await expect(ledger.evaluate((ctx) => contract.GetValue(ctx, 'a'))).rejects.toThrow('the key a does not exist');
    await expect(ledger.submit((ctx) => contract.DeleteValue(ctx, 'a'))).rejects.toThrow('the key a does not exist');
  });

  it('GetRange returns [start, end) in key order; open ends skip composite keys', async () => {
    const ledger = await seeded();
    const range = JSON.parse(await ledger.evaluate((ctx) => contract.GetRange(ctx, 'b', 'd'))) as { key: string }[];
    expect(range).toEqual([
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
    ]);
    const all = JSON.parse(await ledger.evaluate((ctx) => contract.GetRange(ctx, '', ''))) as { key: string }[];
    expect(all.map((r) => r.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('GetRangePage pages through the range with bookmarks until the bookmark is empty', async () => {
    const ledger = await seeded();
    const pages: Page[] = [];
    let bookmark = '';
    do {
      const page = JSON.parse(await ledger.evaluate((ctx) => contract.GetRangePage(ctx, 'a', '', 2, bookmark))) as Page;
      pages.push(page);
      bookmark = page.bookmark;
    } while (bookmark !== '' && pages.length < 10);
    expect(pages.map((p) => p.records.map((r) => r.key))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(pages.map((p) => [p.fetchedRecordsCount, p.bookmark])).toEqual([
      [2, 'c'],
      [2, 'e'],
      [1, ''],
    ]);
    await expect(ledger.evaluate((ctx) => contract.GetRangePage(ctx, 'a', '', 0, ''))).rejects.toThrow('pageSize must be a whole number of at least 1, got 0');
  });

  it('GetHistory lists committed changes newest first, with deletions and tx timestamps', async () => {
    const ledger = new FakeLedger('tour');
    const t = Date.UTC(2026, 5, 1, 12, 0, 0);
    await ledger.submit((ctx) => contract.PutValue(ctx, 'k', 'v1'), { txId: 'tx1', timestampMs: t });
    await ledger.submit((ctx) => contract.PutValue(ctx, 'k', 'v2'), { txId: 'tx2', timestampMs: t + 1500 });
    await ledger.submit((ctx) => contract.DeleteValue(ctx, 'k'), { txId: 'tx3', timestampMs: t + 3000 });
    expect(JSON.parse(await ledger.evaluate((ctx) => contract.GetHistory(ctx, 'k')))).toEqual([
      { txId: 'tx3', timestamp: '2026-06-01T12:00:03.000Z', isDelete: true, value: '' },
      { txId: 'tx2', timestamp: '2026-06-01T12:00:01.500Z', isDelete: false, value: 'v2' },
      { txId: 'tx1', timestamp: '2026-06-01T12:00:00.000Z', isDelete: false, value: 'v1' },
    ]);
    expect(await ledger.evaluate((ctx) => contract.GetHistory(ctx, 'never'))).toBe('[]');
  });

  it('ReadAssetFrom calls ReadAsset on the named chaincode on the same channel', async () => {
    const ledger = new FakeLedger('tour');
    const asset = '{"AppraisedValue":300,"Color":"blue","ID":"asset1","Owner":"Alice","Size":5}';
    ledger.deployChaincode('basic', async ([fn, id]) =>
      fn === 'ReadAsset' && id === 'asset1' ? { status: 200, payload: Buffer.from(asset) } : { status: 500, message: `the asset ${id ?? ''} does not exist` },
    );
    const stub = ledger.newStub();
    expect(await contract.ReadAssetFrom({ stub }, 'basic', 'asset1')).toBe(asset);
    expect(stub.invocations).toEqual([['basic', ['ReadAsset', 'asset1'], '']]);
    await expect(ledger.evaluate((ctx) => contract.ReadAssetFrom(ctx, 'basic', 'asset7'))).rejects.toThrow(
      'chaincode basic answered ReadAsset(asset7) with status 500: the asset asset7 does not exist',
    );
    await expect(ledger.evaluate((ctx) => contract.ReadAssetFrom(ctx, 'nope', 'asset1'))).rejects.toThrow('chaincode nope is not deployed');
  });

  it('PutTxTimestamp is deterministic: two endorsements of one proposal write the same bytes', async () => {
    const ledger = new FakeLedger('tour');
    const t = Date.UTC(2026, 5, 1, 12, 0, 0, 250);
    const peer1 = ledger.newStub([], { txId: 'tx', timestampMs: t });
    const peer2 = ledger.newStub([], { txId: 'tx', timestampMs: t });
    expect(await contract.PutTxTimestamp({ stub: peer1 }, 'when')).toBe('2026-06-01T12:00:00.250Z');
    await contract.PutTxTimestamp({ stub: peer2 }, 'when');
    expect([...peer1.writes]).toEqual([...peer2.writes]);
  });

  it('PutNonDeterministic is not: two endorsements of one proposal write different bytes', async () => {
    const ledger = new FakeLedger('tour');
    const peer1 = ledger.newStub([], { txId: 'tx', timestampMs: 0 });
    const peer2 = ledger.newStub([], { txId: 'tx', timestampMs: 0 });
    const v1 = await contract.PutNonDeterministic({ stub: peer1 }, 'k');
    const v2 = await contract.PutNonDeterministic({ stub: peer2 }, 'k');
    expect(Object.keys(JSON.parse(v1) as object)).toEqual(['random', 'wallClock']);
    expect(v1).not.toBe(v2);
    expect(peer1.writes.get('k')).not.toEqual(peer2.writes.get('k'));
  });
});

describe('feature-tour through fabric-shim (metadata and dispatch)', () => {
  let chaincode: ShimChaincode;
  let ledger: FakeLedger;

  beforeAll(async () => {
    chaincode = shimChaincode('feature-tour');
    ledger = await seeded();
    const org = await makeTestOrg('Org1MSP', 'org1.example.com');
    const user = await org.issue('User1@org1.example.com', 'client');
    ledger.creator = { mspid: 'Org1MSP', idBytes: pemBytes(user.certPem) };
  });

  it('lists every function, reads as EVALUATE, pageSize as a number', () => {
    const transactions = chaincode.metadata.contracts['FeatureTourContract']?.transactions ?? [];
    const byName = new Map(transactions.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(
      ['DeleteValue', 'GetHistory', 'GetRange', 'GetRangePage', 'GetValue', 'PutNonDeterministic', 'PutTxTimestamp', 'PutValue', 'PutValueSlowly', 'ReadAssetFrom'].sort(),
    );
    for (const read of ['GetValue', 'GetRange', 'GetRangePage', 'GetHistory', 'ReadAssetFrom']) expect(byName.get(read)?.tag).toEqual(['EVALUATE']);
    for (const write of ['PutValue', 'DeleteValue', 'PutTxTimestamp', 'PutNonDeterministic', 'PutValueSlowly']) expect(byName.get(write)?.tag).toEqual(['SUBMIT', 'submitTx']);
    expect(byName.get('GetRangePage')?.parameters?.map((p) => [p.name, p.schema['type']])).toEqual([
      ['startKey', 'string'],
      ['endKey', 'string'],
      ['pageSize', 'number'],
      ['bookmark', 'string'],
    ]);
  });

  it('routes a paginated query from string arguments', async () => {
    const response = await chaincode.Invoke(ledger.newStub(['GetRangePage', 'a', '', '3', '']));
    expect(response.status).toBe(200);
    expect(JSON.parse(Buffer.from(response.payload ?? []).toString())).toEqual({
      bookmark: 'd',
      fetchedRecordsCount: 3,
      records: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'c', value: '3' },
      ],
    });
  });
});
