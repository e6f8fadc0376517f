import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestOrg, pemBytes } from '../../helpers/test-orgs.js';
import { buildChaincode, chaincodeDir, loadChaincode, shimChaincode, type ShimChaincode } from './chaincode-package.js';
import { FakeLedger, type FakeContext } from './fake-chaincode-stub.js';

/** chaincode/asset-transfer's contract, as the tests call it (the compiled class, context first). */
interface AssetTransfer {
  InitLedger(ctx: FakeContext): Promise<void>;
  CreateAsset(ctx: FakeContext, id: string, color: string, size: number, owner: string, appraisedValue: number): Promise<void>;
  ReadAsset(ctx: FakeContext, id: string): Promise<string>;
  UpdateAsset(ctx: FakeContext, id: string, color: string, size: number, owner: string, appraisedValue: number): Promise<void>;
  DeleteAsset(ctx: FakeContext, id: string): Promise<void>;
  AssetExists(ctx: FakeContext, id: string): Promise<boolean>;
  TransferAsset(ctx: FakeContext, id: string, newOwner: string): Promise<string>;
  GetAllAssets(ctx: FakeContext): Promise<string>;
  getName(): string;
}

let contract: AssetTransfer;
let canonicalJson: (value: unknown) => string;

beforeAll(() => {
  buildChaincode('asset-transfer');
  const pkg = loadChaincode('asset-transfer');
  const Contract = pkg['AssetTransferContract'] as new () => AssetTransfer;
  contract = new Contract();
  canonicalJson = pkg['canonicalJson'] as typeof canonicalJson;
}, 60_000);

describe('asset-transfer contract', () => {
  it('InitLedger writes asset1..asset6 as canonical JSON (sorted keys)', async () => {
    const ledger = new FakeLedger('basic');
    await ledger.submit((ctx) => contract.InitLedger(ctx));
    expect(ledger.keys()).toEqual(['asset1', 'asset2', 'asset3', 'asset4', 'asset5', 'asset6']);
    const stored = ledger.value('asset1') ?? '';
    expect(stored).toBe('{"AppraisedValue":300,"Color":"blue","ID":"asset1","Owner":"Alice","Size":5}');
    expect(Object.keys(JSON.parse(stored) as object)).toEqual(['AppraisedValue', 'Color', 'ID', 'Owner', 'Size']);
  });

  it('CreateAsset then ReadAsset returns the stored bytes; AssetExists tells', async () => {
    const ledger = new FakeLedger('basic');
    await ledger.submit((ctx) => contract.CreateAsset(ctx, 'asset7', 'purple', 3, 'Grace', 900));
    expect(await ledger.evaluate((ctx) => contract.ReadAsset(ctx, 'asset7'))).toBe(ledger.value('asset7'));
    expect(JSON.parse(await ledger.evaluate((ctx) => contract.ReadAsset(ctx, 'asset7')))).toEqual({
      ID: 'asset7',
      Color: 'purple',
      Size: 3,
      Owner: 'Grace',
      AppraisedValue: 900,
    });
    expect(await ledger.evaluate((ctx) => contract.AssetExists(ctx, 'asset7'))).toBe(true);
    expect(await ledger.evaluate((ctx) => contract.AssetExists(ctx, 'asset8'))).toBe(false);
  });

  it('writes byte-identical values whatever order the fields were built in', () => {
    const a = canonicalJson({ ID: 'x', Owner: 'o', Size: 1, nested: { b: 1, a: [{ d: 1, c: 2 }] } });
    const b = canonicalJson({ nested: { a: [{ c: 2, d: 1 }], b: 1 }, Size: 1, Owner: 'o', ID: 'x' });
    expect(a).toBe(b);
    expect(a).toBe('{"ID":"x","Owner":"o","Size":1,"nested":{"a":[{"c":2,"d":1}],"b":1}}');
  });

  it('two endorsements of the same CreateAsset produce the same write set', async () => {
    const ledger = new FakeLedger('basic');
    const peer1 = ledger.newStub();
    const peer2 = ledger.newStub();
    await contract.CreateAsset({ stub: peer1 }, 'asset7', 'purple', 3, 'Grace', 900);
    await contract.CreateAsset({ stub: peer2 }, 'asset7', 'purple', 3, 'Grace', 900);
    expect([...peer1.writes]).toEqual([...peer2.writes]);
  });

  it('CreateAsset refuses an existing ID and bad fields, writing nothing', async () => {
    const ledger = new FakeLedger('basic');
    await ledger.submit((ctx) => contract.InitLedger(ctx));
    await expect(ledger.submit((ctx) => contract.CreateAsset(ctx, 'asset1', 'blue', 5, 'Alice', 300))).rejects.toThrow('the asset asset1 already exists');
    await expect(ledger.submit((ctx) => contract.CreateAsset(ctx, 'asset9', 'blue', -1, 'Alice', 300))).rejects.toThrow('size must be a whole number of at least 0, got -1');
    await expect(ledger.submit((ctx) => contract.CreateAsset(ctx, 'asset9', 'blue', 1, '', 300))).rejects.toThrow('owner must be a non-empty string');
    await expect(ledger.submit((ctx) => contract.CreateAsset(ctx, '', 'blue', 1, 'Alice', 300))).rejects.toThrow('id must be a non-empty string');
    expect(ledger.value('asset9')).toBeUndefined();
  });

  it('ReadAsset, UpdateAsset, DeleteAsset and TransferAsset of a missing asset say it does not exist', async () => {
    const ledger = new FakeLedger('basic');
    await expect(ledger.evaluate((ctx) => contract.ReadAsset(ctx, 'asset7'))).rejects.toThrow('the asset asset7 does not exist');
    await expect(ledger.submit((ctx) => contract.UpdateAsset(ctx, 'asset7', 'red', 1, 'Bob', 1))).rejects.toThrow('the asset asset7 does not exist');
    await expect(ledger.submit((ctx) => contract.DeleteAsset(ctx, 'asset7'))).rejects.toThrow('the asset asset7 does not exist');
    await expect(ledger.submit((ctx) => contract.TransferAsset(ctx, 'asset7', 'Bob'))).rejects.toThrow('the asset asset7 does not exist');
  });

  it('UpdateAsset replaces every field', async () => {
    const ledger = new FakeLedger('basic');
    await ledger.submit((ctx) => contract.InitLedger(ctx));
    await ledger.submit((ctx) => contract.UpdateAsset(ctx, 'asset2', 'orange', 8, 'Heidi', 1234));
    expect(ledger.value('asset2')).toBe('{"AppraisedValue":1234,"Color":"orange","ID":"asset2","Owner":"Heidi","Size":8}');
  });

  it('DeleteAsset removes the key', async () => {
    const ledger = new FakeLedger('basic');
    await ledger.submit((ctx) => contract.InitLedger(ctx));
    await ledger.submit((ctx) => contract.DeleteAsset(ctx, 'asset3'));
    expect(ledger.keys()).not.toContain('asset3');
    expect(await ledger.evaluate((ctx) => contract.AssetExists(ctx, 'asset3'))).toBe(false);
  });

  it('TransferAsset returns the old owner and changes only the owner', async () => {
    const ledger = new FakeLedger('basic');
    await ledger.submit((ctx) => contract.InitLedger(ctx));
    expect(await ledger.submit((ctx) => contract.TransferAsset(ctx, 'asset4', 'Ivan'))).toBe('Dave');
    expect(ledger.value('asset4')).toBe('{"AppraisedValue":600,"Color":"yellow","ID":"asset4","Owner":"Ivan","Size":10}');
    await expect(ledger.submit((ctx) => contract.TransferAsset(ctx, 'asset4', ''))).rejects.toThrow('newOwner must be a non-empty string');
  });

  it('GetAllAssets returns every asset in key order (one open range query)', async () => {
    const ledger = new FakeLedger('basic');
    expect(await ledger.evaluate((ctx) => contract.GetAllAssets(ctx))).toBe('[]');
    await ledger.submit((ctx) => contract.InitLedger(ctx));
    await ledger.submit((ctx) => contract.CreateAsset(ctx, 'asset10', 'grey', 1, 'Judy', 2));
    const all = JSON.parse(await ledger.evaluate((ctx) => contract.GetAllAssets(ctx))) as { ID: string }[];
    expect(all.map((a) => a.ID)).toEqual(['asset1', 'asset10', 'asset2', 'asset3', 'asset4', 'asset5', 'asset6']);
  });
});

describe('asset-transfer through fabric-shim (metadata and dispatch)', () => {
  let chaincode: ShimChaincode;
  let ledger: FakeLedger;

  beforeAll(async () => {
    chaincode = shimChaincode('asset-transfer');
    ledger = new FakeLedger('basic');
    const org = await makeTestOrg('Org1MSP', 'org1.example.com');
    const user = await org.issue('User1@org1.example.com', 'client');
    ledger.creator = { mspid: 'Org1MSP', idBytes: pemBytes(user.certPem) };
  });

  it('lists the tutorial functions with EVALUATE for reads and typed parameters', () => {
    const metadata = chaincode.metadata;
    expect(Object.keys(metadata.contracts)).toEqual(['AssetTransferContract', 'org.hyperledger.fabric']);
    const contractMeta = metadata.contracts['AssetTransferContract'];
    expect(contractMeta?.info).toMatchObject({ title: 'AssetTransfer' });
    const transactions = contractMeta?.transactions ?? [];
    expect(transactions.map((t) => t.name).sort()).toEqual(
      ['AssetExists', 'CreateAsset', 'DeleteAsset', 'GetAllAssets', 'InitLedger', 'ReadAsset', 'TransferAsset', 'UpdateAsset'].sort(),
    );
    const byName = new Map(transactions.map((t) => [t.name, t]));
    for (const read of ['ReadAsset', 'AssetExists', 'GetAllAssets']) expect(byName.get(read)?.tag).toEqual(['EVALUATE']);
    for (const write of ['InitLedger', 'CreateAsset', 'UpdateAsset', 'DeleteAsset', 'TransferAsset']) expect(byName.get(write)?.tag).toEqual(['SUBMIT', 'submitTx']);
    expect(byName.get('CreateAsset')?.parameters?.map((p) => [p.name, p.schema['type']])).toEqual([
      ['id', 'string'],
      ['color', 'string'],
      ['size', 'number'],
      ['owner', 'string'],
      ['appraisedValue', 'number'],
    ]);
    expect(byName.get('AssetExists')?.returns).toEqual({ type: 'boolean' });
    expect(metadata.info).toEqual({ title: 'asset-transfer', version: '1.0.0' });
    expect(metadata.components.schemas['Asset']?.properties).toEqual({
      ID: { type: 'string' },
      Color: { type: 'string' },
      Size: { type: 'number' },
      Owner: { type: 'string' },
      AppraisedValue: { type: 'number' },
    });
  });

  it('routes string arguments, converting numbers, and reports errors as status 500 with the message', async () => {
    const create = ledger.newStub(['CreateAsset', 'asset7', 'purple', '3', 'Grace', '900']);
    expect((await chaincode.Invoke(create)).status).toBe(200);
    ledger.commit(create);
    expect(ledger.value('asset7')).toBe('{"AppraisedValue":900,"Color":"purple","ID":"asset7","Owner":"Grace","Size":3}');

    const read = await chaincode.Invoke(ledger.newStub(['AssetTransferContract:ReadAsset', 'asset7']));
    expect(read.status).toBe(200);
    expect(Buffer.from(read.payload ?? []).toString()).toBe(ledger.value('asset7'));

    const missing = await chaincode.Invoke(ledger.newStub(['ReadAsset', 'asset8']));
    expect(missing).toMatchObject({ status: 500, message: 'the asset asset8 does not exist' });

    const badNumber = await chaincode.Invoke(ledger.newStub(['CreateAsset', 'asset9', 'red', 'big', 'Bob', '1']));
    expect(badNumber.status).toBe(500);
  });

  it('serves org.hyperledger.fabric:GetMetadata as JSON', async () => {
    const response = await chaincode.Invoke(ledger.newStub(['org.hyperledger.fabric:GetMetadata']));
    expect(response.status).toBe(200);
    const served = JSON.parse(Buffer.from(response.payload ?? []).toString()) as { contracts: Record<string, unknown> };
    expect(Object.keys(served.contracts)).toContain('AssetTransferContract');
  });

  it('is a deployable package: main is the compiled entry and start is fabric-chaincode-node start', () => {
    const manifest = loadJson(`${chaincodeDir('asset-transfer')}/package.json`);
    expect(manifest).toMatchObject({
      main: 'dist/index.js',
      scripts: { start: 'fabric-chaincode-node start' },
      dependencies: { 'fabric-contract-api': '2.5.8', 'fabric-shim': '2.5.8' },
    });
  });
});

function loadJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

describe('asset-transfer as a process', () => {
  it('fabric-chaincode-node start loads the package and registers with the peer address it was given', async () => {
    const cli = createRequire(import.meta.url).resolve('fabric-shim/cli.js');
    const child = spawn(process.execPath, [cli, 'start', '--peer.address', '127.0.0.1:1', '--chaincode-id-name', 'basic:1.0'], {
      cwd: chaincodeDir('asset-transfer'),
      env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolveLine, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`no registration attempt within 10 s; output:\n${output}`)), 10_000);
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          const found = output.split('\n').find((l) => l.includes('Registering with peer'));
          if (found) {
            clearTimeout(timer);
            resolveLine(found);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`exited with ${String(code)} before registering; output:\n${output}`)));
      });
      expect(line).toContain('127.0.0.1:1');
      expect(line).toContain('"basic:1.0"');
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }
  });
});
