/**
 * A certificate subject in cryptogen's attribute order: C, ST, L, O, OU, CN. cryptogen puts O in
 * CA subjects and OU (the NodeOU) in signing identities.
 */
export interface DistinguishedName {
  readonly country?: string;
  readonly province?: string;
  readonly locality?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName: string;
}

/** cryptogen's defaults for the location attributes. */
export const CRYPTOGEN_LOCATION = { country: 'US', province: 'California', locality: 'San Francisco' } as const;

/** The @peculiar/x509 JSON form, which keeps attribute order. */
export function toJsonName(dn: DistinguishedName): Array<Record<string, string[]>> {
  const attrs: Array<[string, string | undefined]> = [
    ['C', dn.country],
    ['ST', dn.province],
    ['L', dn.locality],
    ['O', dn.organization],
    ['OU', dn.organizationalUnit],
    ['CN', dn.commonName],
  ];
  return attrs.filter((a): a is [string, string] => a[1] !== undefined && a[1] !== '').map(([k, v]) => ({ [k]: [v] }));
}
