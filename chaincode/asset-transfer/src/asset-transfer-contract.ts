import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import type { AssetFields } from './asset.js';
import { canonicalJson, canonicalJsonBytes } from './canonical-json.js';

/** The assets InitLedger writes (asset1 to asset6). */
const INITIAL_ASSETS: readonly AssetFields[] = [
  { ID: 'asset1', Color: 'blue', Size: 5, Owner: 'Alice', AppraisedValue: 300 },
  { ID: 'asset2', Color: 'red', Size: 5, Owner: 'Bob', AppraisedValue: 400 },
  { ID: 'asset3', Color: 'green', Size: 10, Owner: 'Carol', AppraisedValue: 500 },
  { ID: 'asset4', Color: 'yellow', Size: 10, Owner: 'Dave', AppraisedValue: 600 },
  { ID: 'asset5', Color: 'black', Size: 15, Owner: 'Eve', AppraisedValue: 700 },
  { ID: 'asset6', Color: 'white', Size: 15, Owner: 'Frank', AppraisedValue: 800 },
];

/**
 * The asset-transfer ("basic") contract of Fabric's tutorials. Each asset is one world-state key (its
 * ID) whose value is the asset's canonical JSON (sorted keys; see canonical-json.ts for why).
 *
 * Reads (`@Transaction(false)`) are tagged EVALUATE in the metadata: a client evaluates them on one
 * peer without ordering. Everything else is SUBMIT: endorsed, ordered and committed. The parameter
 * types come from the TypeScript signatures through emitDecoratorMetadata, so `Size` and
 * `AppraisedValue` arrive as numbers (fabric-contract-api converts and validates the string
 * arguments); functions return strings, the exact bytes stored, so every peer answers identically.
 *
 * A failure throws an Error: fabric-chaincode-node turns it into an error response (status 500) with
 * the message, which the client sees as the endorsement error.
 */
@Info({ title: 'AssetTransfer', description: 'Create, read, update, transfer and delete assets' })
export class AssetTransferContract extends Contract {
  constructor() {
    super('AssetTransferContract');
  }

  /** Writes asset1..asset6 (overwriting them if they exist). */
  @Transaction()
  public async InitLedger(ctx: Context): Promise<void> {
    for (const asset of INITIAL_ASSETS) {
      await ctx.stub.putState(asset.ID, canonicalJsonBytes(asset));
    }
  }

  /** Creates a new asset; fails if the ID is taken. */
  @Transaction()
  public async CreateAsset(ctx: Context, id: string, color: string, size: number, owner: string, appraisedValue: number): Promise<void> {
    requireId(id);
    if (await this.AssetExists(ctx, id)) {
      throw new Error(`the asset ${id} already exists`);
    }
    await this.writeAsset(ctx, checkedAsset(id, color, size, owner, appraisedValue));
  }

  /** The asset's stored JSON; fails if it does not exist. */
  @Transaction(false)
  @Returns('string')
  public async ReadAsset(ctx: Context, id: string): Promise<string> {
    const bytes = await ctx.stub.getState(id);
    if (bytes.length === 0) {
      throw new Error(`the asset ${id} does not exist`);
    }
    return Buffer.from(bytes).toString('utf8');
  }

  /** Replaces every field of an existing asset; fails if it does not exist. */
  @Transaction()
  public async UpdateAsset(ctx: Context, id: string, color: string, size: number, owner: string, appraisedValue: number): Promise<void> {
    if (!(await this.AssetExists(ctx, id))) {
      throw new Error(`the asset ${id} does not exist`);
    }
    await this.writeAsset(ctx, checkedAsset(id, color, size, owner, appraisedValue));
  }

  /** Deletes an existing asset; fails if it does not exist. */
  @Transaction()
  public async DeleteAsset(ctx: Context, id: string): Promise<void> {
    if (!(await this.AssetExists(ctx, id))) {
      throw new Error(`the asset ${id} does not exist`);
    }
    await ctx.stub.deleteState(id);
  }

  /** Whether the world state holds the key (the shim returns empty bytes for a missing key). */
  @Transaction(false)
  @Returns('boolean')
  public async AssetExists(ctx: Context, id: string): Promise<boolean> {
    const bytes = await ctx.stub.getState(id);
    return bytes.length > 0;
  }

  /** Gives the asset a new owner and returns the old one. */
  @Transaction()
  @Returns('string')
  public async TransferAsset(ctx: Context, id: string, newOwner: string): Promise<string> {
    requireText('newOwner', newOwner);
    const asset = parseAsset(id, await this.ReadAsset(ctx, id));
    const oldOwner = asset.Owner;
    await this.writeAsset(ctx, { ...asset, Owner: newOwner });
    return oldOwner;
  }

  /**
   * Every asset, as a JSON array in key order: a range query over the whole namespace (startKey '' and
   * endKey '' leave both ends open; Fabric iterates keys in byte order).
   */
  @Transaction(false)
  @Returns('string')
  public async GetAllAssets(ctx: Context): Promise<string> {
    const assets: unknown[] = [];
    for await (const kv of ctx.stub.getStateByRange('', '')) {
      assets.push(parseAsset(kv.key, Buffer.from(kv.value).toString('utf8')));
    }
    return canonicalJson(assets);
  }

  private async writeAsset(ctx: Context, asset: AssetFields): Promise<void> {
    await ctx.stub.putState(asset.ID, canonicalJsonBytes(asset));
  }
}

function checkedAsset(id: string, color: string, size: number, owner: string, appraisedValue: number): AssetFields {
  requireId(id);
  requireText('color', color);
  requireText('owner', owner);
  requireCount('size', size);
  requireCount('appraisedValue', appraisedValue);
  return { ID: id, Color: color, Size: size, Owner: owner, AppraisedValue: appraisedValue };
}

function requireId(id: string): void {
  requireText('id', id);
  // Fabric reserves keys starting with U+0000 for composite keys; a plain asset ID must not use it.
  if (id.startsWith('\u0000')) throw new Error(`the asset id must not start with U+0000 (reserved for composite keys)`);
}

function requireText(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`${name} must be a non-empty string`);
  }
}

function requireCount(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number of at least 0, got ${String(value)}`);
  }
}

function parseAsset(key: string, json: string): AssetFields {
  try {
    return JSON.parse(json) as AssetFields;
  } catch {
    throw new Error(`the value of ${key} is not asset JSON`);
  }
}
