/**
 * Deterministic JSON: object keys sorted (recursively), no whitespace.
 *
 * Why it matters in Fabric: every endorsing peer runs the chaincode on its own and signs the result
 * (the proposal response payload, which embeds the read-write set byte for byte). The client's
 * Gateway compares the endorsements and the committing peers check the endorsement policy over the
 * same bytes, so two peers that write the same asset must write the same bytes. JSON.stringify orders
 * keys by insertion, which depends on how an object was built (spread, Object.assign, a class with
 * fields declared in another order, a JSON.parse of data another version wrote); sorting removes that
 * variable. Without it the endorsements can differ and the transaction fails with an endorsement
 * mismatch ("ProposalResponsePayloads do not match") even though the logic agrees.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The UTF-8 bytes of canonicalJson(value): what the contract hands to putState. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function sortKeys(input: unknown): unknown {
  // Honour toJSON (Date, Buffer) first, as JSON.stringify would.
  const value = hasToJson(input) ? input.toJSON() : input;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const plain = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(plain).sort()) {
      const v = plain[key];
      // JSON.stringify drops undefined members; drop them here too so the output is unchanged.
      if (v !== undefined) sorted[key] = sortKeys(v);
    }
    return sorted;
  }
  return value;
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
