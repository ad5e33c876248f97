import { useEffect, useMemo } from 'react';
import { callHost } from '../../api/host';
import { useEditor } from '../../state/editor';
import { epochMetricChart, isActive, lossChart, runTitle } from '../../state/run-view';
import { outputsOf, stoppingMetrics } from '../../state/train-outputs';
import { adoptEarlyEvents, subscribeToTraining, TRAINING_TOPIC, useTrain } from '../../state/train-store';
import { engineRequestOf, threadsApply, trainRequestOf } from '../../state/train-request';
import { toast, useUi } from '../../state/ui-store';
import { isWindowRun, startWindowRun, stopWindowRun } from '../../state/window-run';
import { validationOf } from '../../state/validation';
import { BindingEditor } from './BindingEditor';
import { DataSource } from './DataSource';
import { EpochTable } from './EpochTable';
import { HyperParams } from './HyperParams';
import { TrainingControls } from './TrainingControls';
import { MetricChart } from './MetricChart';
import { ModelInsights } from './ModelInsights';
import { RunProgressBar } from './RunProgressBar';
import { RunsList } from './RunsList';

/** Data, binding and hyperparameters on the left; the live (or opened) run and the runs list on the right. */
export default function TrainTab() {
  const graph = useEditor((s) => s.graph);
  const validation = validationOf(graph);
  const outputs = useMemo(() => outputsOf(graph, validation), [graph, validation]);
  const { live, viewed, dataPath, options } = useTrain();
  const info = useUi((s) => s.info);
  // A host from before app:info carried its cores is taken as one core: threads are then not offered.
  const cores = Math.max(1, info?.cores ?? 1);
  const setOptions = useTrain((s) => s.setOptions);
  const theme = useUi((s) => s.theme);
  useEffect(() => subscribeToTraining(), []);

  const shown = viewed ?? live;
  const running = isActive(live);
  const errors = validation.diagnostics.filter((d) => d.severity === 'error');
  const canStart = !running && errors.length === 0 && dataPath.trim() !== '';
  const loss = useMemo(() => (shown ? lossChart(shown) : { x: [], series: [] }), [shown]);
  const auc = useMemo(() => (shown ? epochMetricChart(shown, 'auc') : { x: [], series: [] }), [shown]);
  // GAUC only where the binding has a group column (the epochs' metrics then carry it).
  const gauc = useMemo(() => (shown ? epochMetricChart(shown, 'gauc') : { x: [], series: [] }), [shown]);

  const start = async () => {
    const { binding, valid } = useTrain.getState();
    const request = trainRequestOf({ graph, dataPath, validPath: valid.path, binding, options, outputNames: outputs.map((o) => o.name), metrics: stoppingMetrics(outputs) });
    // Web mode: this tab trains. Desktop app: a hidden trainer window does, and the run streams its
    // events through the host like a Node run.
    if (options.engine === 'browser' && info?.browserEngine !== 'hidden-window') return startWindowRun(graph, request, options.browserBackend);
    const result = await callHost('train:start', { ...request, ...engineRequestOf(options) });
    if (!result.ok) return toast('error', result.error.message, { topic: TRAINING_TOPIC });
    useTrain.getState().startLive(result.value.runId, options.batchSize, graph, request.options.earlyStopping?.metric ?? request.options.bestMetric);
    adoptEarlyEvents(result.value.runId);
  };

  const stop = async () => {
    if (!live?.runId) return;
    useTrain.getState().setStopping();
    // A run in this window stops here; a Node run is asked through the host.
    if (isWindowRun(live.runId)) return void stopWindowRun();
    const result = await callHost('train:stop', { runId: live.runId });
    if (!result.ok) toast('error', result.error.message);
  };

  return (
    <div className="train-tab">
      <div className="train-setup">
        <DataSource />
        <BindingEditor />
        <HyperParams outputs={outputs} />
        <TrainingControls />
        <section className="card">
          <h3>Where to train</h3>
          <div className="grid-2 engine-grid">
            <div className="field">
              <label>
                Engine
                <select value={options.engine} onChange={(e) => setOptions({ engine: e.target.value as typeof options.engine })} aria-label="Engine" data-testid="opt-engine">
                  <option value="node">Node process</option>
                  <option value="browser" disabled={!info?.engines.includes('browser')}>
                    {info?.browserEngine === 'hidden-window' ? 'Local GPU (Chromium)' : 'This window’s GPU'}
                  </option>
                </select>
              </label>
            </div>
            <div className="field">
              {options.engine === 'node' ? (
                <label>
                  Backend
                  <select value={options.backend} onChange={(e) => setOptions({ backend: e.target.value as typeof options.backend })} data-testid="opt-backend">
                    <option value="auto">fastest available</option>
                    <option value="webgpu">WebGPU (Dawn: this machine’s GPU)</option>
                    <option value="node-gpu">tfjs-node-gpu (CUDA)</option>
                    <option value="node">tfjs-node (native CPU)</option>
                    <option value="wasm">wasm</option>
                    <option value="cpu">plain JS cpu</option>
                  </select>
                </label>
              ) : (
                <label>
                  Backend
                  <select value={options.browserBackend} onChange={(e) => setOptions({ browserBackend: e.target.value as typeof options.browserBackend })} data-testid="opt-browser-backend">
                    <option value="auto">WebGPU, else WebGL</option>
                    <option value="webgpu">WebGPU</option>
                    <option value="webgl">WebGL</option>
                  </select>
                </label>
              )}
            </div>
          </div>
          {options.engine === 'node' && threadsApply(options.backend) && (
            <div className="field">
              <label>
                CPU threads
                <select value={Math.min(options.threads, cores)} onChange={(e) => setOptions({ threads: Number(e.target.value) })} data-testid="opt-threads">
                  {Array.from({ length: cores }, (_, i) => i + 1).map((n) => (
                    <option key={n} value={n}>
                      {n > 1 && n === cores ? `${n} (all cores: the window shares them)` : String(n)}
                    </option>
                  ))}
                </select>
              </label>
              <p className="field-note" data-testid="threads-hint">
                CPU backends (wasm, cpu): each thread computes a share of every batch, and a seed with a thread count gives the same weights. 1 by default: a second thread gave 1.45× at batch 4,096 (census MMoE) and 1.4× for DIN at 512, but small models lost 5–30 % at batch 512, where each share is too small to pay for its thread; and one thread leaves the other cores to this window.
              </p>
            </div>
          )}
          {options.engine === 'browser' && (
            <p className="dim small" data-testid="browser-engine-note">
              {info?.browserEngine === 'hidden-window'
                ? 'The host reads and encodes the data; a hidden window trains it on this machine’s GPU and sends the model back. This window stays free.'
                : 'The host reads and encodes the data; this tab trains it on its GPU and sends the model back. Each finished epoch is saved as it ends; keep the tab open until the run finishes.'}
            </p>
          )}
          {errors.length > 0 && <p className="issue issue-error">The graph has {errors.length === 1 ? 'an error' : `${errors.length} errors`}; fix {errors.length === 1 ? 'it' : 'them'} in the Design tab to train.</p>}
          <div className="button-row">
            <button type="button" className="btn btn-primary btn-large" disabled={!canStart} onClick={() => void start()} data-testid="train-start">
              Start training
            </button>
            <button type="button" className="btn btn-large" disabled={!running || live?.status === 'stopping'} onClick={() => void stop()} data-testid="train-stop">
              Stop
            </button>
          </div>
        </section>
      </div>
      <div className="train-dashboard">
        {shown ? (
          <>
            <div className="dash-head">
              <h2 data-testid="run-title">{runTitle(shown, viewed !== undefined)}</h2>
              {viewed && live && (
                <button type="button" className="btn btn-small" onClick={() => useTrain.getState().view(undefined)}>
                  Back to the current run
                </button>
              )}
            </div>
            <RunProgressBar view={shown} />
            <div className="charts">
              <MetricChart key={`loss-${theme}`} title="Training loss per task (smoothed)" yLabel="loss" data={loss} testId="chart-loss" />
              <MetricChart key={`auc-${theme}`} title="Validation AUC per task" yLabel="AUC" data={auc} testId="chart-auc" />
              {gauc.series.length > 0 && <MetricChart key={`gauc-${theme}`} title="Validation GAUC per task (AUC within each group)" yLabel="GAUC" data={gauc} testId="chart-gauc" />}
            </div>
            <EpochTable view={shown} />
            <ModelInsights view={shown} />
          </>
        ) : (
          <div className="dash-empty">
            <h2>No run yet</h2>
            <p className="dim">Choose a data file, check the binding, and start training. Progress, loss and AUC per task appear here as it trains.</p>
          </div>
        )}
        <RunsList />
      </div>
    </div>
  );
}
