import { MspError } from './msp-error.js';

/** PEM armour (RFC 7468), as cryptogen writes it: 64-column base64 between BEGIN/END lines. */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----/g;

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** Every PEM block in `text`, in order. Text outside the blocks is ignored, as OpenSSL does. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const label = match[1] as string;
    const body = (match[2] as string).replace(/\s+/g, '');
    blocks.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The single CERTIFICATE block of a PEM text. `what` names the source for the error message
 * (e.g. "the identity in a SerializedIdentity for Org1MSP").
 */
export function decodeCertificatePem(pem: string, what: string): Uint8Array {
  const certs = decodePemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
  const first = certs[0];
  if (!first) {
    const preview = JSON.stringify(pem.slice(0, 40));
    throw new MspError(
      'MSP_BAD_PEM',
      `${what} is not a PEM certificate (it starts ${preview}); expected "-----BEGIN CERTIFICATE-----". ` +
        'Pass the contents of a signcerts/*.pem file, not a key or a path.',
      { context: { what } },
    );
  }
  return first.der;
}
