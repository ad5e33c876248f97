import { useEffect, useState } from 'react';
import { largeBatchHint } from '../../../app/train/batch-hint';
import type { TrainedOutput } from '../../state/train-outputs';
import { stoppingMetrics } from '../../state/train-outputs';
import { useTrain, type TrainOptionsDraft } from '../../state/train-store';
import { usesValidFile } from '../../state/valid-file';

/** A number input that commits valid values within bounds and shows why others are refused. */
export function NumberField({ label, value, min, max, integer, onChange, testId, help, disabled }: { label: string; value: number; min: number; max: number; integer?: boolean; onChange(v: number): void; testId?: string; help?: string; disabled?: boolean }) {
  const [draft, setDraft] = useState(String(value));
  const [error, setError] = useState<string>();
  useEffect(() => setDraft(String(value)), [value]);
  const commit = (text: string) => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v)) return setError('enter a number');
    if (integer && !Number.isInteger(v)) return setError('a whole number');
    if (v < min || v > max) return setError(`between ${min} and ${max}`);
    setError(undefined);
    onChange(v);
  };
  return (
    <div className={`field ${error ? 'field-invalid' : ''}`}>
      <label title={help}>
        {label}
        <input type="text" inputMode="decimal" value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={(e) => commit(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && commit(e.currentTarget.value)} data-testid={testId} disabled={disabled} />
      </label>
      {error && <div className="field-error">{error}</div>}
    </div>
  );
}

/** Optimizer, learning rate, batch size, epochs, seed, validation share, early stopping, loss weights. */
export function HyperParams({ outputs }: { outputs: TrainedOutput[] }) {
  const { options, setOptions } = useTrain();
  const validFile = useTrain((s) => usesValidFile(s.valid));
  const set = <K extends keyof TrainOptionsDraft>(key: K) => (value: TrainOptionsDraft[K]) => setOptions({ [key]: value } as Partial<TrainOptionsDraft>);
  const trained = outputs.filter((o) => o.label);
  const metrics = stoppingMetrics(outputs);
  // A metric of a graph opened before (another output's name) falls back to the default, the loss.
  const metric = metrics.includes(options.earlyStopping.metric) ? options.earlyStopping.metric : 'loss';
  // Large batches (GPU runs) want a larger learning rate: say how much, change nothing.
  const batchHint = largeBatchHint(options.batchSize, options.learningRate, options.optimizer);
  return (
    <section className="card">
      <h3>Hyperparameters</h3>
      <div className="grid-2">
        <div className="field">
          <label>
            Optimizer
            <select value={options.optimizer} onChange={(e) => set('optimizer')(e.target.value as TrainOptionsDraft['optimizer'])} data-testid="opt-optimizer">
              <option value="adam">Adam</option>
              <option value="adagrad">Adagrad</option>
              <option value="sgd">SGD</option>
            </select>
          </label>
        </div>
        <NumberField label="Learning rate" value={options.learningRate} min={1e-7} max={10} onChange={set('learningRate')} testId="opt-lr" />
        <NumberField label="Batch size" value={options.batchSize} min={1} max={1 << 20} integer onChange={set('batchSize')} testId="opt-batch" />
        <NumberField label="Epochs" value={options.epochs} min={1} max={100_000} integer onChange={set('epochs')} testId="opt-epochs" />
        <NumberField label="Seed" value={options.seed} min={0} max={2 ** 31 - 1} integer onChange={set('seed')} testId="opt-seed" />
        <NumberField
          label="Validation share"
          value={options.validationShare}
          min={0}
          max={0.9}
          onChange={set('validationShare')}
          testId="opt-valid"
          disabled={validFile}
          help={validFile ? 'Not used: the run validates on the validation file' : 'Share of rows held out for validation'}
        />
      </div>
      {batchHint && (
        <p className="field-note" data-testid="batch-hint">
          {batchHint}
        </p>
      )}
      <div className="field">
        <label title="The metric that picks the best epoch (★ in the epoch table), read on the validation rows; the run keeps that epoch's weights, and early stopping watches the same metric (the CLI's --best-metric METRIC, or --early-stopping METRIC)">
          Best epoch by
          <select value={metric} onChange={(e) => setOptions({ earlyStopping: { ...options.earlyStopping, metric: e.target.value } })} data-testid="opt-best-metric">
            {metrics.map((m) => (
              <option key={m} value={m}>
                {m === 'loss' ? 'loss (all tasks, weighted; the default)' : m}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="field field-inline">
        <input type="checkbox" id="early-stop" checked={options.earlyStopping.enabled} onChange={(e) => setOptions({ earlyStopping: { ...options.earlyStopping, enabled: e.target.checked } })} data-testid="opt-early-stop" />
        <label htmlFor="early-stop">Early stopping (when the best-epoch metric stops improving)</label>
      </div>
      {options.earlyStopping.enabled && (
        <div className="grid-2">
          <NumberField label="Patience (epochs)" value={options.earlyStopping.patience} min={1} max={1000} integer onChange={(patience) => setOptions({ earlyStopping: { ...options.earlyStopping, patience } })} testId="opt-patience" />
        </div>
      )}
      {trained.length > 0 && (
        <>
          <h4>Task loss weights</h4>
          <div className="grid-2">
            {trained.map((o) => (
              <NumberField
                key={o.name}
                label={o.name}
                value={options.lossWeights[o.name] ?? o.lossWeight}
                min={0}
                max={1000}
                onChange={(w) => setOptions({ lossWeights: { ...options.lossWeights, [o.name]: w } })}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
