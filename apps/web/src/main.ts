import * as tf from '@tensorflow/tfjs-core';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { type WebBackendName, type WebBackendSelection, initWebBackend } from '@lstm-mnist/backend-web';
import { loadMnist, type MnistDataset } from '@lstm-mnist/data';
import type { LSTMModel } from '@lstm-mnist/model';
import type { TrainEvent } from '@lstm-mnist/train';

import { BACKEND_OPTIONS, describeSelection, parseBackendChoice } from './backend-choice.js';
import { TrainingChartData } from './chart-data.js';
import { LineChart } from './charts.js';
import { DrawPad, paintDigit } from './draw-pad.js';
import { type ConfusionEvaluation, evaluateWithConfusion } from './evaluation.js';
import { defaultLanguage, type Language, LANGUAGES, type MessageKey, translate } from './i18n.js';
import { type FetchProgress, SameOriginMnistStore } from './mnist-fetch.js';
import {
  downloadModel,
  loadModelFromFiles,
  loadModelFromIndexedDb,
  loadModelFromUrl,
  saveModelToIndexedDb,
  INDEXED_DB_MODEL_URL,
} from './model-files.js';
import { type DigitInput, MNIST_SIDE } from './preprocess.js';
import { readSettings, SettingsError } from './settings-form.js';
import { startTraining, type TrainingRun } from './training-session.js';

const LANGUAGE_STORAGE_KEY = 'lstm-mnist.language';
const BYTES_PER_MB = 1024 * 1024;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no element with id "${id}".`);
  return found as T;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const state: {
  language: Language;
  data: { train: MnistDataset; test: MnistDataset } | undefined;
  model: LSTMModel | undefined;
  modelSource: string | undefined;
  backend: { choice: WebBackendName; selection: WebBackendSelection } | undefined;
  run: TrainingRun | undefined;
  lastEvaluation: ConfusionEvaluation | undefined;
} = { language: 'en', data: undefined, model: undefined, modelSource: undefined, backend: undefined, run: undefined, lastEvaluation: undefined };

/** Sets a status line's message, which `applyLanguage` renders again when the language changes. */
function setStatus(target: HTMLElement, key: MessageKey | undefined, params: Record<string, string | number> = {}, isError = false): void {
  if (key === undefined) {
    delete target.dataset.key;
    target.textContent = '';
    return;
  }
  target.dataset.key = key;
  target.dataset.params = JSON.stringify(params);
  target.classList.toggle('error', isError);
  target.textContent = translate(state.language, key, params);
}

function applyLanguage(language: Language): void {
  state.language = language;
  document.documentElement.lang = language;
  element<HTMLSelectElement>('language').value = language;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    node.textContent = translate(language, node.dataset.i18n as MessageKey);
  }
  for (const node of document.querySelectorAll<HTMLElement>('[data-key]')) {
    node.textContent = translate(language, node.dataset.key as MessageKey, JSON.parse(node.dataset.params ?? '{}'));
  }
  document.title = translate(language, 'title');
  const auto = element<HTMLSelectElement>('backend').querySelector('option[value="auto"]');
  if (auto !== null) auto.textContent = translate(language, 'backendAuto');
  updatePauseLabel();
}

// ---- data --------------------------------------------------------------------------------------

async function loadData(): Promise<void> {
  const progress = element<HTMLProgressElement>('data-progress');
  const status = element('data-status');
  const received = new Map<string, FetchProgress>();
  const store = new SameOriginMnistStore(new URL('mnist/', document.baseURI), (update) => {
    received.set(update.file, update);
    const all = [...received.values()];
    const got = all.reduce((sum, file) => sum + file.receivedBytes, 0);
    const total = all.reduce((sum, file) => sum + (file.totalBytes ?? file.receivedBytes), 0);
    progress.max = total;
    progress.value = got;
    setStatus(status, 'dataLoading', { received: (got / BYTES_PER_MB).toFixed(1), total: (total / BYTES_PER_MB).toFixed(1) });
  });

  try {
    const [train, test] = await Promise.all([loadMnist(store, 'train'), loadMnist(store, 'test')]);
    state.data = { train, test };
    progress.value = progress.max;
    setStatus(status, 'dataReady', { train: train.length, test: test.length });
    document.body.dataset.data = 'ready';
    element<HTMLButtonElement>('start').disabled = false;
    updateModelButtons();
  } catch (error) {
    setStatus(status, 'dataFailed', { error: errorText(error) }, true);
    document.body.dataset.data = 'failed';
  }
}

// ---- backend -----------------------------------------------------------------------------------

async function ensureBackend(): Promise<WebBackendSelection> {
  const choice = parseBackendChoice(element<HTMLSelectElement>('backend').value);
  if (state.backend !== undefined && state.backend.choice === choice) return state.backend.selection;

  const status = element('backend-status');
  try {
    const selection = await initWebBackend(choice, {
      wasmPaths: {
        'tfjs-backend-wasm.wasm': wasmPlainUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
      },
    });
    state.backend = { choice, selection };
    const skipped = selection.fallbacks.map((fallback) => `${fallback.name}: ${fallback.reason}`).join('; ');
    if (skipped === '') setStatus(status, 'backendActive', { backend: describeSelection(selection) });
    else setStatus(status, 'backendActiveAfterSkips', { backend: describeSelection(selection), skipped });
    document.body.dataset.backend = selection.name;
    return selection;
  } catch (error) {
    setStatus(status, 'backendFailed', { error: errorText(error) }, true);
    throw error;
  }
}

// ---- training ----------------------------------------------------------------------------------

const chartData = new TrainingChartData();
let charts: { loss: LineChart; accuracy: LineChart; speed: LineChart } | undefined;

function createCharts(): void {
  charts = {
    loss: new LineChart(element('loss-chart'), chartData.series.loss, { xLabel: 'step', yLabel: 'loss', colour: '#d0461f' }),
    accuracy: new LineChart(element('accuracy-chart'), chartData.series.accuracy, { xLabel: 'epoch', yLabel: '%', colour: '#2a8f3a', points: true }),
    speed: new LineChart(element('speed-chart'), chartData.series.imagesPerSecond, { xLabel: 'step', yLabel: 'images/s', colour: '#2a6fdb' }),
  };
}

function onTrainEvent(event: TrainEvent): void {
  const status = element('train-status');
  if (event.type === 'step') {
    const stepMs = performance.now() - (state.run?.control.batchStartedAt ?? 0);
    chartData.addStep(event, stepMs);
    charts?.loss.update();
    charts?.speed.update();
    document.body.dataset.lastStepMs = stepMs.toFixed(2);
    setStatus(status, 'trainStep', { ...event, loss: event.loss.toFixed(4), ms: event.msPerBatch.toFixed(1) });
    return;
  }
  chartData.addEpoch(event);
  charts?.accuracy.update();
  setStatus(status, 'trainEpoch', { ...event, loss: event.trainLoss.toFixed(4), accuracy: (event.testAccuracy * 100).toFixed(2) });
}

async function startRun(): Promise<void> {
  const status = element('train-status');
  if (state.data === undefined || state.run !== undefined) return;

  let settings;
  try {
    settings = readSettings(element<HTMLFormElement>('train-form'));
  } catch (error) {
    if (error instanceof SettingsError) setStatus(status, 'invalidField', { field: error.field, value: error.value, expected: error.expected }, true);
    return;
  }
  try {
    await ensureBackend();
  } catch {
    return;
  }

  chartData.clear();
  charts?.loss.update();
  charts?.accuracy.update();
  charts?.speed.update();
  const run = startTraining(state.data, settings, onTrainEvent);
  state.run = run;
  setModel(run.model, translate(state.language, 'trainedHere'));
  setRunning(true);
  document.body.dataset.training = 'running';

  try {
    const result = await run.done;
    if (result.aborted) setStatus(status, 'trainStopped', { steps: result.steps });
    else setStatus(status, 'trainDone', { epochs: result.epochsCompleted });
  } catch (error) {
    setStatus(status, 'trainFailed', { error: errorText(error) }, true);
  } finally {
    state.run = undefined;
    setRunning(false);
    document.body.dataset.training = 'done';
  }
}

function setRunning(running: boolean): void {
  element<HTMLButtonElement>('start').disabled = running || state.data === undefined;
  element<HTMLButtonElement>('pause').disabled = !running;
  element<HTMLButtonElement>('stop').disabled = !running;
  for (const input of element<HTMLFormElement>('train-form').querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
    input.disabled = running;
  }
  updatePauseLabel();
  updateModelButtons();
}

function updatePauseLabel(): void {
  const pause = element<HTMLButtonElement>('pause');
  const key: MessageKey = state.run?.control.paused ? 'resume' : 'pause';
  pause.dataset.i18n = key;
  pause.textContent = translate(state.language, key);
}

function togglePause(): void {
  const control = state.run?.control;
  if (control === undefined) return;
  if (control.paused) control.resume();
  else {
    control.pause();
    setStatus(element('train-status'), 'trainPaused');
  }
  updatePauseLabel();
}

// ---- model -------------------------------------------------------------------------------------

function setModel(model: LSTMModel, source: string): void {
  if (state.model !== undefined && state.model !== model && state.model !== state.run?.model) state.model.dispose();
  state.model = model;
  state.modelSource = source;
  setStatus(element('current-model'), 'currentModel', { source });
  updateModelButtons();
  void predictDrawing(performance.now());
}

function updateModelButtons(): void {
  const hasModel = state.model !== undefined;
  element<HTMLButtonElement>('evaluate').disabled = !hasModel || state.data === undefined;
  element<HTMLButtonElement>('download').disabled = !hasModel || state.run !== undefined;
  element<HTMLButtonElement>('save-idb').disabled = !hasModel || state.run !== undefined;
}

async function adoptLoadedModel(load: () => Promise<LSTMModel>, source: string): Promise<void> {
  const status = element('model-status');
  if (state.run !== undefined) state.run.control.stop();
  try {
    await ensureBackend();
    const model = await load();
    setModel(model, source);
    setStatus(status, 'modelLoaded', { source, layers: model.config.numLayers, hidden: model.config.hiddenSize });
  } catch (error) {
    setStatus(status, 'modelFailed', { error: errorText(error) }, true);
  }
}

async function listServedModels(): Promise<void> {
  const select = element<HTMLSelectElement>('served-models');
  let models: string[] = [];
  try {
    const response = await fetch(new URL('models/index.json', document.baseURI));
    if (response.ok) models = ((await response.json()) as { models?: string[] }).models ?? [];
  } catch {
    models = [];
  }
  select.replaceChildren(...models.map((name) => new Option(name, name)));
  if (models.length === 0) {
    const empty = new Option(translate(state.language, 'noServedModels'), '');
    empty.dataset.i18n = 'noServedModels';
    select.append(empty);
  }
  element<HTMLButtonElement>('load-served').disabled = models.length === 0;
}

// ---- evaluation --------------------------------------------------------------------------------

async function runEvaluation(): Promise<void> {
  const status = element('eval-status');
  const model = state.model;
  const data = state.data;
  if (model === undefined || data === undefined) return;

  const button = element<HTMLButtonElement>('evaluate');
  button.disabled = true;
  document.body.dataset.evaluation = 'running';
  try {
    await ensureBackend();
    const result = await evaluateWithConfusion(model, data.test, (done, total) => setStatus(status, 'evalProgress', { done, total }));
    state.lastEvaluation = result;
    setStatus(status, 'evalResult', { accuracy: (result.accuracy * 100).toFixed(2), correct: result.correct, total: result.total });
    status.dataset.accuracy = String(result.accuracy);
    renderConfusion(result.matrix);
    renderMisclassified(result, data.test);
  } catch (error) {
    setStatus(status, 'trainFailed', { error: errorText(error) }, true);
  } finally {
    button.disabled = false;
    document.body.dataset.evaluation = 'done';
  }
}

function renderConfusion(matrix: number[][]): void {
  const table = element<HTMLTableElement>('confusion');
  const header = document.createElement('tr');
  header.append(document.createElement('th'), ...matrix.map((_, column) => Object.assign(document.createElement('th'), { textContent: String(column) })));
  const rows = matrix.map((row, label) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { textContent: String(label) }));
    row.forEach((count, predicted) => {
      const cell = Object.assign(document.createElement('td'), { textContent: String(count) });
      if (predicted === label) cell.className = 'diagonal';
      tr.append(cell);
    });
    return tr;
  });
  table.replaceChildren(header, ...rows);
}

function renderMisclassified(result: ConfusionEvaluation, test: MnistDataset): void {
  const size = MNIST_SIDE * MNIST_SIDE;
  const figures = result.misclassified.map((item) => {
    const figure = document.createElement('figure');
    const canvas = Object.assign(document.createElement('canvas'), { width: 56, height: 56 });
    paintDigit(canvas, test.images.subarray(item.index * size, (item.index + 1) * size));
    const caption = Object.assign(document.createElement('figcaption'), { textContent: `${item.predicted} / ${item.label}` });
    figure.title = `#${item.index}`;
    figure.append(canvas, caption);
    return figure;
  });
  element('misclassified').replaceChildren(...figures);
}

// ---- drawing -----------------------------------------------------------------------------------

let latestInput: DigitInput | undefined;

function renderProbabilities(probabilities: Float32Array | undefined): void {
  const list = element<HTMLOListElement>('probabilities');
  if (probabilities === undefined) {
    list.replaceChildren();
    delete list.dataset.values;
    return;
  }
  const best = probabilities.indexOf(Math.max(...probabilities));
  const items = [...probabilities].map((p, digit) => {
    const item = document.createElement('li');
    item.className = digit === best ? 'top' : '';
    const label = Object.assign(document.createElement('span'), { textContent: `${digit}: ${(p * 100).toFixed(1)}%` });
    const bar = Object.assign(document.createElement('span'), { className: 'bar' });
    bar.style.width = `${(p * 100).toFixed(1)}%`;
    item.append(label, bar);
    return item;
  });
  list.replaceChildren(...items);
  list.dataset.values = JSON.stringify([...probabilities]);
}

async function predictDrawing(strokeEndedAt: number, final = false): Promise<void> {
  const status = element('draw-status');
  if (latestInput === undefined) {
    renderProbabilities(undefined);
    return;
  }
  const model = state.model;
  if (model === undefined) {
    setStatus(status, 'noModel');
    return;
  }
  const input = latestInput;
  const probabilitiesTensor = tf.tidy(() => tf.softmax(model.forward(tf.tensor3d(input.normalized, [1, MNIST_SIDE, MNIST_SIDE]))));
  const probabilities = (await probabilitiesTensor.data()) as Float32Array;
  probabilitiesTensor.dispose();
  renderProbabilities(probabilities);
  if (final) {
    const ms = performance.now() - strokeEndedAt;
    setStatus(status, 'latency', { ms: ms.toFixed(1) });
    status.dataset.latencyMs = ms.toFixed(3);
  }
}

function onDrawing(input: DigitInput | undefined, final: boolean, strokeEndedAt: number): void {
  latestInput = input;
  paintDigit(element<HTMLCanvasElement>('digit-input'), input?.pixels ?? new Float32Array(MNIST_SIDE * MNIST_SIDE), 255);
  void predictDrawing(strokeEndedAt, final);
}

// ---- start-up ----------------------------------------------------------------------------------

function wireEvents(pad: DrawPad): void {
  element<HTMLSelectElement>('language').addEventListener('change', (event) => {
    const language = (event.target as HTMLSelectElement).value as Language;
    localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
    applyLanguage(language);
  });
  element('start').addEventListener('click', () => void startRun());
  element('pause').addEventListener('click', togglePause);
  element('stop').addEventListener('click', () => state.run?.control.stop());
  element('evaluate').addEventListener('click', () => void runEvaluation());
  element('clear').addEventListener('click', () => {
    pad.clear();
    onDrawing(undefined, true, performance.now());
  });
  element<HTMLInputElement>('model-files').addEventListener('change', (event) => {
    const files = [...((event.target as HTMLInputElement).files ?? [])];
    if (files.length > 0) void adoptLoadedModel(() => loadModelFromFiles(files), files.map((file) => file.name).join(' + '));
  });
  element('load-served').addEventListener('click', () => {
    const name = element<HTMLSelectElement>('served-models').value;
    if (name !== '') void adoptLoadedModel(() => loadModelFromUrl(new URL(`models/${name}/model.json`, document.baseURI).href), `models/${name}`);
  });
  element('load-idb').addEventListener('click', () => void adoptLoadedModel(loadModelFromIndexedDb, INDEXED_DB_MODEL_URL));
  element('download').addEventListener('click', () => void saveCurrent(downloadModel, 'model.json + model.weights.bin'));
  element('save-idb').addEventListener('click', () => void saveCurrent(saveModelToIndexedDb, INDEXED_DB_MODEL_URL));
  window.addEventListener('resize', () => {
    charts?.loss.resize();
    charts?.accuracy.resize();
    charts?.speed.resize();
  });
}

async function saveCurrent(save: (model: LSTMModel) => Promise<void>, target: string): Promise<void> {
  const status = element('model-status');
  if (state.model === undefined) return;
  try {
    await save(state.model);
    setStatus(status, 'modelSaved', { target });
  } catch (error) {
    setStatus(status, 'modelFailed', { error: errorText(error) }, true);
  }
}

function main(): void {
  const backendSelect = element<HTMLSelectElement>('backend');
  backendSelect.replaceChildren(...BACKEND_OPTIONS.map((name) => new Option(name, name)));

  const saved = localStorage.getItem(LANGUAGE_STORAGE_KEY);
  const language = LANGUAGES.includes(saved as Language) ? (saved as Language) : defaultLanguage(navigator.languages);
  applyLanguage(language);

  createCharts();
  const pad = new DrawPad(element<HTMLCanvasElement>('pad'), onDrawing);
  wireEvents(pad);
  document.body.dataset.isolated = String(globalThis.crossOriginIsolated === true);
  void listServedModels();
  void loadData();
}

main();
