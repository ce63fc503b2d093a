/**
 * Images through the public API (`detect` on a path, bytes or raw pixels): unusual but valid images
 * must work; hostile, broken or huge ones must be typed errors; random mutations of real images
 * either decode (with sane detections) or are typed errors.
 */
import sharp from 'sharp';
import type { ErrorCode } from '../../../src/errors.js';
import type { NodeImageInput } from '../../../src/node/load.js';
import type { DetectOptions } from '../../../src/detector.js';
import { assertSaneDetections, nanoModel, sharedFile } from '../fixtures.js';
import { pngBomb } from '../png.js';
import type { FuzzCase, FuzzContext, FuzzFile, Generator } from '../types.js';

const BUS = 'fixtures/images/bus.jpg';

/** bus.jpg with its SOF0 frame size rewritten to `w` x `h`. */
function jpegWithSize(jpeg: Uint8Array, w: number, h: number): Uint8Array {
  const b = new Uint8Array(jpeg);
  for (let i = 2; i + 9 < b.length; ) {
    if (b[i] !== 0xff) break;
    const m = b[i + 1];
    if (m >= 0xc0 && m <= 0xc2) {
      b[i + 5] = h >> 8; b[i + 6] = h & 0xff; b[i + 7] = w >> 8; b[i + 8] = w & 0xff;
      return b;
    }
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  throw new Error('no SOF in fixture');
}

/** A case that runs `detect` on `input(ctx)` with `opts` and checks the detections when it succeeds. */
function detectCase(name: string, expect: FuzzCase['expect'], files: FuzzFile[], input: (ctx: FuzzContext) => NodeImageInput | Promise<NodeImageInput>, opts?: DetectOptions): FuzzCase {
  return {
    family: 'image', name, files, expect,
    run: async (ctx) => {
      const model = await nanoModel(ctx.shared);
      const x = await input(ctx);
      const dets = await model.detect(x, opts);
      // Size of the decoded image, for the box check: decode again (cheap at these sizes).
      const { decodeNodeInput } = await import('../../../src/node/load.js');
      const img = await decodeNodeInput(x);
      assertSaneDetections(dets, img.width, img.height);
    },
  };
}

const err = (...codes: ErrorCode[]) => ({ kind: 'error', codes } as const);
const OK = { kind: 'ok' } as const;

async function validCases(bus: Uint8Array): Promise<FuzzCase[]> {
  const small = sharp(bus).resize(200, 160);
  const png = (s: sharp.Sharp) => s.png().toBuffer();
  const made: [string, Promise<Buffer>, string][] = [
    ['grey-jpeg', small.clone().greyscale().jpeg().toBuffer(), 'jpg'],
    ['png-16bit', small.clone().toColourspace('rgb16').png().toBuffer(), 'png'],
    ['png-rgba', png(small.clone().ensureAlpha(0.5)), 'png'],
    ['png-grey-alpha', png(small.clone().greyscale().ensureAlpha()), 'png'],
    ['png-palette', small.clone().png({ palette: true, colours: 16 }).toBuffer(), 'png'],
    ['cmyk-jpeg', small.clone().toColourspace('cmyk').jpeg().toBuffer(), 'jpg'],
    ['exif-rotated-6', small.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer(), 'jpg'],
    ['exif-rotated-3', small.clone().jpeg().withMetadata({ orientation: 3 }).toBuffer(), 'jpg'],
    ['progressive-jpeg', small.clone().jpeg({ progressive: true }).toBuffer(), 'jpg'],
    ['webp', small.clone().webp().toBuffer(), 'webp'],
    ['tiff', small.clone().tiff().toBuffer(), 'tiff'],
    ['gif', small.clone().gif().toBuffer(), 'gif'],
    ['1x1', png(sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })), 'png'],
    ['wide-20000x2', png(sharp({ create: { width: 20000, height: 2, channels: 3, background: '#306090' } })), 'png'],
    ['tall-2x20000', png(sharp({ create: { width: 2, height: 20000, channels: 3, background: '#306090' } })), 'png'],
    ['truncated-jpeg-body', Promise.resolve(Buffer.from(bus.subarray(0, Math.floor(bus.length * 0.6)))), 'jpg'],
  ];
  const out: FuzzCase[] = [];
  for (const [name, bytes, ext] of made) {
    const b = new Uint8Array(await bytes);
    out.push(detectCase(`valid-${name}-path`, OK, [{ path: `img.${ext}`, bytes: b }], (ctx) => `${ctx.dir}/img.${ext}`));
    out.push(detectCase(`valid-${name}-bytes`, OK, [], () => b));
  }
  const grey = new Uint8Array(64 * 48).fill(90);
  out.push(detectCase('valid-raw-grey', OK, [], () => ({ data: grey, width: 64, height: 48, channels: 1 })));
  out.push(detectCase('valid-raw-rgba-clamped', OK, [], () => ({ data: new Uint8ClampedArray(64 * 48 * 4).fill(200), width: 64, height: 48, channels: 4 })));
  out.push(detectCase('valid-symlink-to-image', OK, [{ path: 'real.jpg', bytes: bus }, { path: 'link.jpg', symlink: 'real.jpg' }], (ctx) => `${ctx.dir}/link.jpg`));
  return out;
}

function hostileCases(bus: Uint8Array): FuzzCase[] {
  const f = (name: string, codes: ErrorCode[], files: FuzzFile[], input: (ctx: FuzzContext) => NodeImageInput, opts?: DetectOptions) => detectCase(name, err(...codes), files, input, opts);
  const at = (p: string) => (ctx: FuzzContext) => `${ctx.dir}/${p}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="30000" height="30000"><rect width="9" height="9"/></svg>`;
  return [
    f('png-bomb-30000x30000', ['LIMIT_EXCEEDED'], [{ path: 'bomb.png', bytes: pngBomb(30000, 30000) }], at('bomb.png')),
    f('png-bomb-1x2e9', ['LIMIT_EXCEEDED', 'BAD_IMAGE'], [{ path: 'bomb.png', bytes: pngBomb(1, 2_000_000_000) }], at('bomb.png')),
    f('jpeg-header-65000x65000', ['LIMIT_EXCEEDED'], [], () => jpegWithSize(bus, 65000, 65000)),
    f('jpeg-header-0x0', ['BAD_IMAGE'], [], () => jpegWithSize(bus, 0, 0)),
    f('svg-30000x30000', ['BAD_IMAGE'], [{ path: 'bomb.svg', bytes: svg }], at('bomb.svg')),
    f('svg-named-jpg', ['BAD_IMAGE'], [{ path: 'bomb.jpg', bytes: svg }], at('bomb.jpg')),
    f('dev-zero-link', ['BAD_PATH'], [{ path: 'zero.jpg', symlink: '/dev/zero' }], at('zero.jpg')),
    f('dev-urandom-link', ['BAD_PATH'], [{ path: 'rand.png', symlink: '/dev/urandom' }], at('rand.png')),
    f('fifo', ['BAD_PATH'], [{ path: 'pipe.jpg', fifo: true }], at('pipe.jpg')),
    f('folder', ['BAD_PATH'], [{ path: 'dir.jpg', dir: true }], at('dir.jpg')),
    f('dangling-link', ['FILE_NOT_FOUND'], [{ path: 'gone.jpg', symlink: 'nowhere.jpg' }], at('gone.jpg')),
    f('link-loop', ['BAD_PATH'], [{ path: 'a.jpg', symlink: 'b.jpg' }, { path: 'b.jpg', symlink: 'a.jpg' }], at('a.jpg')),
    f('missing', ['FILE_NOT_FOUND'], [], at('missing.jpg')),
    f('empty-file', ['BAD_IMAGE'], [{ path: 'empty.jpg', bytes: new Uint8Array() }], at('empty.jpg')),
    f('text-file', ['BAD_IMAGE'], [{ path: 'notes.jpg', bytes: 'hello\n' }], at('notes.jpg')),
    f('jpeg-soi-only', ['BAD_IMAGE'], [], () => bus.subarray(0, 4)),
    f('jpeg-headers-only', ['BAD_IMAGE'], [], () => bus.subarray(0, 200)),
    f('png-signature-only', ['BAD_IMAGE'], [], () => pngBomb(10, 10).subarray(0, 8)),
    f('raw-negative-width', ['BAD_ARGUMENT'], [], () => ({ data: new Uint8Array(3), width: -1, height: 1, channels: 3 })),
    f('raw-nan-height', ['BAD_ARGUMENT'], [], () => ({ data: new Uint8Array(3), width: 1, height: NaN, channels: 3 })),
    f('raw-huge-dims-small-buffer', ['BAD_ARGUMENT'], [], () => ({ data: new Uint8Array(3), width: 1e9, height: 1e9, channels: 3 })),
    f('raw-channels-2', ['BAD_ARGUMENT'], [], () => ({ data: new Uint8Array(8), width: 2, height: 2, channels: 2 as 3 })),
    f('raw-float-data', ['BAD_ARGUMENT'], [], () => ({ data: new Float32Array(12) as unknown as Uint8Array, width: 2, height: 2, channels: 3 })),
    f('input-null', ['BAD_ARGUMENT'], [], () => null as unknown as NodeImageInput),
    f('input-number', ['BAD_ARGUMENT'], [], () => 42 as unknown as NodeImageInput),
    f('input-empty-object', ['BAD_ARGUMENT'], [], () => ({}) as unknown as NodeImageInput),
    f('opts-conf-nan', ['BAD_ARGUMENT'], [], () => bus, { conf: NaN }),
    f('opts-iou-2', ['BAD_ARGUMENT'], [], () => bus, { iou: 2 }),
    f('opts-maxdet-0', ['BAD_ARGUMENT'], [], () => bus, { maxDet: 0 }),
    f('opts-maxdet-1e12', ['BAD_ARGUMENT'], [], () => bus, { maxDet: 1e12 }),
    f('opts-class-negative', ['BAD_ARGUMENT'], [], () => bus, { classes: [-1] }),
    f('opts-class-80', ['BAD_ARGUMENT'], [], () => bus, { classes: [80] }),
    f('opts-classes-string', ['BAD_ARGUMENT'], [], () => bus, { classes: 'person' as unknown as number[] }),
  ];
}

/** Random byte-level damage to real images: flips, zeroed runs, truncations, spliced garbage. */
function mutationCases(rng: import('../../../src/data/rng.js').Rng, n: number, sources: [string, Uint8Array][]): FuzzCase[] {
  const out: FuzzCase[] = [];
  const kinds = ['flip', 'zero-run', 'truncate', 'splice', 'header-flip'] as const;
  for (const [src, bytes] of sources) {
    for (const kind of kinds) {
      for (let k = 0; k < n; k++) {
        const b = new Uint8Array(bytes);
        const pos = kind === 'header-flip' ? rng.int(Math.min(600, b.length)) : rng.int(b.length);
        if (kind === 'flip' || kind === 'header-flip') for (let j = 0; j < 1 + rng.int(8); j++) b[(pos + rng.int(64)) % b.length] ^= 1 << rng.int(8);
        if (kind === 'zero-run') b.fill(0, pos, pos + 1 + rng.int(4096));
        if (kind === 'splice') for (let j = pos; j < Math.min(b.length, pos + 256); j++) b[j] = rng.int(256);
        const data = kind === 'truncate' ? b.subarray(0, pos) : b;
        out.push(detectCase(`mutate-${src}-${kind}-${k}`, { kind: 'either', codes: ['BAD_IMAGE', 'LIMIT_EXCEEDED'] }, [], () => data));
      }
    }
  }
  return out;
}

export const imageGenerator: Generator = {
  family: 'image',
  async cases(rng, n, shared) {
    const bus = sharedFile(shared, BUS);
    const smallPng = new Uint8Array(await sharp(bus).resize(96, 128).png().toBuffer());
    const smallJpeg = new Uint8Array(await sharp(bus).resize(96, 128).jpeg().toBuffer());
    return [...(await validCases(bus)), ...hostileCases(bus), ...mutationCases(rng, n, [['jpeg', smallJpeg], ['png', smallPng]])];
  },
};
