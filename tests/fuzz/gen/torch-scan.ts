/**
 * Read-only maps of torch.save files for the fuzz generators: where a zip's records are, and where
 * each opcode of a protocol-2 pickle starts, so mutations can target fields rather than random bytes.
 */
/** Byte offsets of a zip's records: the EOCD, every central-directory entry and local header. */
export function zipLayout(bytes: Uint8Array): { eocd: number; central: number[]; local: number[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (eocd >= 0 && v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('no EOCD');
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const central: number[] = [];
  const local: number[] = [];
  for (let i = 0; i < count; i++) {
    central.push(p);
    local.push(v.getUint32(p + 42, true));
    p += 46 + v.getUint16(p + 28, true) + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return { eocd, central, local };
}

/** Argument length of the protocol-2 opcodes torch.save emits (-1: newline-terminated lines). */
const ARG: Record<number, number | 'u32' | 'u8' | 'lines2'> = {
  0x80: 1, 0x2e: 0, 0x28: 0, 0x30: 0, 0x31: 0, 0x32: 0, 0x4e: 0, 0x88: 0, 0x89: 0, 0x4a: 4, 0x4b: 1, 0x4d: 2,
  0x47: 8, 0x58: 'u32', 0x8a: 'u8', 0x29: 0, 0x74: 0, 0x85: 0, 0x86: 0, 0x87: 0, 0x5d: 0, 0x65: 0, 0x61: 0,
  0x7d: 0, 0x75: 0, 0x73: 0, 0x71: 1, 0x72: 4, 0x68: 1, 0x6a: 4, 0x63: 'lines2', 0x81: 0, 0x52: 0, 0x62: 0, 0x51: 0,
};

/**
 * [position, opcode] of every opcode of a protocol-2 pickle, walking argument lengths; stops at the
 * first opcode it does not know.
 *
 * @example
 * opcodes(pkl).filter(([, c]) => c === 0x4b); // every BININT1
 */
export function opcodes(pkl: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  const v = new DataView(pkl.buffer, pkl.byteOffset, pkl.byteLength);
  for (let p = 0; p < pkl.length; ) {
    const c = pkl[p];
    const a = ARG[c];
    if (a === undefined) break;
    out.push([p, c]);
    if (a === 'u32') p += 5 + v.getUint32(p + 1, true);
    else if (a === 'u8') p += 2 + pkl[p + 1];
    else if (a === 'lines2') p = pkl.indexOf(0x0a, pkl.indexOf(0x0a, p) + 1) + 1;
    else p += 1 + a;
    if (c === 0x2e) break;
  }
  return out;
}
