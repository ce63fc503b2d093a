/**
 * The leyolo demo page: load a model (URL or file), detect on an uploaded image or the webcam, draw
 * boxes live, show FPS and ms/frame. The last result is JSON in #detections (Node's shape), and
 * `?model=<url>&image=<url>&backend=wasm|webgpu|auto&imgsz=<n>&conf=<x>&threads=<n>` reproduces a run.
 * `window.leyoloDemo.runFrames(n)` runs the live loop's step n times and `show(url)` detects on one
 * more image (tests and bench:web use them).
 */
import { createTracker, load, rowsToTracked, type Detection, type Tracker, type WebBackend, type WebDetector } from '../src/web/index.js';
import { drawFrame, FrameMeter } from './draw.js';

/** Official LeYOLO-Nano checkpoint (parsed in the page; AGPL-3.0 upstream). */
const DEFAULT_MODEL = 'https://raw.githubusercontent.com/LilianHollard/LeYOLO/main/weights/LeYOLONano.pt';

type Source = { kind: 'image'; bitmap: ImageBitmap } | { kind: 'video'; video: HTMLVideoElement; stream: MediaStream };
type Status = 'idle' | 'loading' | 'ready' | 'running' | 'done' | 'error';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  modelUrl: $<HTMLInputElement>('model-url'), loadUrl: $<HTMLButtonElement>('load-url'), modelFile: $<HTMLInputElement>('model-file'),
  backend: $<HTMLSelectElement>('backend'), imgsz: $<HTMLSelectElement>('imgsz'), imageFile: $<HTMLInputElement>('image-file'),
  webcam: $<HTMLButtonElement>('webcam'), conf: $<HTMLInputElement>('conf'), confValue: $<HTMLOutputElement>('conf-value'),
  status: $('status'), backendUsed: $('backend-used'), ms: $('ms'), fps: $('fps'), count: $('count'),
  view: $<HTMLCanvasElement>('view'), detections: $('detections'), track: $<HTMLInputElement>('track'),
};

const state: { detector: WebDetector | null; source: Source | null; weights: string | File | null; live: boolean; tracker: Tracker | null } = {
  detector: null, source: null, weights: null, live: false, tracker: null,
};
const meter = new FrameMeter();

function setStatus(s: Status, text: string = s): void {
  ui.status.dataset.state = s;
  ui.status.textContent = text;
}

function fail(e: unknown): void {
  const err = e as { message?: string; hint?: string };
  setStatus('error', `${err.message ?? String(e)}${err.hint ? ` (${err.hint})` : ''}`);
  console.error(e);
}

/** `?threads=n` pins the wasm thread count (default: up to 4 when cross-origin isolated). */
function threads(): number | undefined {
  const t = Number(new URLSearchParams(location.search).get('threads'));
  return Number.isInteger(t) && t > 0 ? t : undefined;
}

async function loadModel(weights: string | File): Promise<void> {
  state.weights = weights;
  setStatus('loading', `loading ${typeof weights === 'string' ? weights : weights.name}...`);
  const old = state.detector;
  state.detector = null;
  await old?.dispose();
  const detector = await load({
    weights, imgsz: Number(ui.imgsz.value), backend: ui.backend.value as WebBackend,
    wasmPaths: new URL('./ort/', location.href).href, numThreads: threads(),
  });
  state.detector = detector;
  ui.backendUsed.textContent = `${detector.backend} (${detector.meta.scale}, imgsz ${detector.meta.imgsz})`;
  meter.reset();
  setStatus('ready');
}

/** Decode without colour management and with EXIF orientation, like the Node decoder (cv2.imread). */
async function loadImage(from: string | Blob): Promise<void> {
  stopWebcam();
  const blob = typeof from === 'string' ? await (await fetch(from)).blob() : from;
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  if (state.source?.kind === 'image') state.source.bitmap.close();
  state.source = { kind: 'image', bitmap };
}

/** One frame of the live loop: detect, draw, update the readouts and #detections. Returns ms. */
async function step(): Promise<number> {
  const { detector, source } = state;
  if (!detector || !source) return NaN;
  const frame = source.kind === 'image' ? source.bitmap : source.video;
  const t0 = performance.now();
  const dets = await detector.detect(frame, { conf: Number(ui.conf.value) });
  const w = source.kind === 'image' ? source.bitmap.width : source.video.videoWidth;
  const h = source.kind === 'image' ? source.bitmap.height : source.video.videoHeight;
  // Track mode: ByteTrack (no motion compensation, so no pixels needed) gives each object an id.
  const shown = state.tracker ? rowsToTracked(state.tracker.update(dets), w, h, detector.meta.names).map(({ detIndex: _d, ...t }) => t) : dets;
  const ms = performance.now() - t0;
  meter.add(ms);
  drawFrame(ui.view, frame, w, h, shown);
  showResult(shown);
  return ms;
}

function showResult(dets: Detection[]): void {
  ui.detections.textContent = JSON.stringify(dets);
  ui.ms.textContent = meter.msPerFrame.toFixed(1);
  ui.fps.textContent = meter.fps.toFixed(1);
  ui.count.textContent = String(dets.length);
}

/** Detect once on the current still image (after a model, image or threshold change). */
async function runOnce(): Promise<void> {
  if (!state.detector || !state.source || state.live) return;
  setStatus('running');
  await step();
  setStatus('done');
}

async function startWebcam(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  const video = document.createElement('video');
  Object.assign(video, { muted: true, playsInline: true, srcObject: stream });
  await video.play();
  if (state.source?.kind === 'image') state.source.bitmap.close();
  state.source = { kind: 'video', video, stream };
  state.live = true;
  ui.webcam.textContent = 'stop webcam';
  meter.reset();
  setStatus('running', 'live');
  const loop = async (): Promise<void> => {
    if (!state.live) return;
    try {
      await step();
    } catch (e) {
      fail(e);
    }
    requestAnimationFrame(() => void loop());
  };
  void loop();
}

function stopWebcam(): void {
  if (state.source?.kind !== 'video') return;
  state.live = false;
  for (const t of state.source.stream.getTracks()) t.stop();
  state.source = null;
  ui.webcam.textContent = 'start webcam';
  setStatus(state.detector ? 'ready' : 'idle');
}

/** Run the live step `n` times back to back; per-frame ms (tests: heap over a 500-frame loop; bench). */
async function runFrames(n: number): Promise<number[]> {
  if (!state.detector || !state.source) throw new Error('load a model and an image first');
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await step());
  return out;
}

function wire(): void {
  const guard = (f: () => Promise<void>) => () => void f().catch(fail);
  ui.loadUrl.onclick = guard(async () => { await loadModel(ui.modelUrl.value); await runOnce(); });
  ui.modelFile.onchange = guard(async () => { const f = ui.modelFile.files?.[0]; if (f) { await loadModel(f); await runOnce(); } });
  const reload = guard(async () => { if (state.weights) { await loadModel(state.weights); await runOnce(); } });
  ui.backend.onchange = reload;
  ui.imgsz.onchange = reload;
  ui.imageFile.onchange = guard(async () => { const f = ui.imageFile.files?.[0]; if (f) { await loadImage(f); await runOnce(); } });
  ui.webcam.onclick = guard(async () => (state.live ? stopWebcam() : startWebcam()));
  ui.conf.oninput = () => { ui.confValue.textContent = ui.conf.value; };
  ui.conf.onchange = guard(runOnce);
  ui.track.onchange = () => setTracking(ui.track.checked);
}

/** Track mode on or off; a fresh tracker each time (ids restart at 1). */
function setTracking(on: boolean): void {
  ui.track.checked = on;
  state.tracker = on ? createTracker({ tracker_type: 'bytetrack' }) : null;
}

/** Apply `?model=&image=&backend=&imgsz=&conf=` and run: a link reproduces a result. */
async function start(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const backend = q.get('backend');
  if (backend === 'wasm' || backend === 'webgpu' || backend === 'auto') ui.backend.value = backend;
  const imgsz = q.get('imgsz');
  if (imgsz) {
    if (![...ui.imgsz.options].some((o) => o.value === imgsz)) ui.imgsz.add(new Option(imgsz, imgsz));
    ui.imgsz.value = imgsz;
  }
  if (q.get('track') === '1') setTracking(true);
  const conf = q.get('conf');
  if (conf) ui.conf.value = ui.confValue.textContent = conf;
  ui.modelUrl.value = q.get('model') ?? DEFAULT_MODEL;
  wire();
  await loadModel(ui.modelUrl.value);
  const image = q.get('image');
  if (image) await loadImage(image);
  await runOnce();
}

/** Load an image URL and detect once, like `?image=` (tests compare several images per page load). */
async function show(url: string): Promise<Detection[]> {
  await loadImage(url);
  await runOnce();
  return JSON.parse(ui.detections.textContent ?? '[]') as Detection[];
}

const ready = start().catch(fail);
Object.assign(window, { leyoloDemo: { ready, runFrames, show, load, startWebcam, setTracking, get detector() { return state.detector; } } });
