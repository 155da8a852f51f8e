/**
 * IP literals and CIDR blocks for the `cidr` operator. Parsing is by hand (no DNS, no
 * `node:net` dependency in the matcher) and follows what the Java engine accepts through
 * `InetAddress`: dotted-quad IPv4, IPv6 with `::` compression and an optional trailing
 * dotted quad; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as the IPv4 address.
 */

const DECIMAL_OCTET = /^\d{1,3}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const DIGITS = /^\d+$/;

/** The address bytes (4 for IPv4, 16 for IPv6), or undefined if `text` is not an IP literal. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const groupCount = head.length + tail.length;
  // Without "::" all 8 groups are spelled out; with it, "::" stands for at least one zero group.
  if (halves.length === 1 ? groupCount !== 8 : groupCount > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - groupCount).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return isIpv4Mapped(bytes) ? bytes.slice(12) : bytes;
}

/**
 * Hex groups of one side of "::" (an empty side has none). A dotted quad may end the last
 * side and counts as two groups.
 */
function parseGroups(side: string, isLastSide: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (isLastSide && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** A parsed CIDR block; `contains` takes any event string and is false for non-IPs. */
export interface CidrBlock {
  contains(text: string): boolean;
}

/**
 * Parse `address/bits`, or return the reason it is not acceptable. Host bits in the address
 * are ignored (`10.0.0.7/24` is 10.0.0.0/24). Like EventBridge, single-host masks (/32, /128)
 * are refused: write the address as an exact value instead.
 */
export function parseCidr(text: string): CidrBlock | string {
  const slash = text.split('/');
  if (slash.length !== 2) return 'a CIDR block needs exactly one "/", as in "10.0.0.0/24" or "2001:db8::/32"';
  const [addressText, bitsText] = slash as [string, string];
  if (!DIGITS.test(bitsText)) return `the mask "${bitsText}" must be a whole number of bits`;
  const address = parseIp(addressText);
  if (address === undefined) return `"${addressText}" is not an IPv4 or IPv6 address`;
  const bits = Number(bitsText);
  const maxBits = address.length * 8 - 1;
  if (bits > maxBits) {
    return `an ${address.length === 4 ? 'IPv4' : 'IPv6'} mask must be at most /${maxBits} (single addresses are matched as exact values)`;
  }
  const mask = maskBytes(address.length, bits);
  const network = address.map((b, i) => b & (mask[i] as number));
  return {
    contains(candidate: string): boolean {
      const ip = parseIp(candidate);
      if (ip === undefined || ip.length !== network.length) return false;
      for (let i = 0; i < ip.length; i++) {
        if (((ip[i] as number) & (mask[i] as number)) !== network[i]) return false;
      }
      return true;
    },
  };
}

function maskBytes(length: number, bits: number): Uint8Array {
  const mask = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const bitsInByte = Math.max(0, Math.min(8, bits - 8 * i));
    mask[i] = (0xff << (8 - bitsInByte)) & 0xff;
  }
  return mask;
}
