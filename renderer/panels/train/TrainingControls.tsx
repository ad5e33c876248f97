import { useTrain, type TrainOptionsDraft } from '../../state/train-store';
import { NumberField } from './HyperParams';

type Schedule = TrainOptionsDraft['lrSchedule'];

/**
 * The Train tab's "Schedule and fine-tuning" group: the learning-rate schedule (warm-up, cosine or
 * step decay), gradient clipping by norm, and a warm start from a finished run's weights; the same
 * settings as the CLI's --lr-schedule, --clip-norm and --init-from (README "Training").
 */
export function TrainingControls() {
  const { options, setOptions, runs } = useTrain();
  const schedule = options.lrSchedule;
  const setSchedule = (patch: Partial<Schedule>) => setOptions({ lrSchedule: { ...schedule, ...patch } });
  // Runs with a saved model: the ones a warm start can read.
  const finished = runs.filter((r) => r.status === 'finished');
  const chosenGone = options.initFrom !== '' && !finished.some((r) => r.dir === options.initFrom);
  return (
    <section className="card" data-testid="training-controls">
      <details open={schedule.type !== 'constant' || schedule.warmupSteps > 0 || options.clipNorm > 0 || options.initFrom !== ''}>
        <summary data-testid="training-controls-toggle">
          <h3 style={{ display: 'inline' }}>Schedule and fine-tuning</h3>
        </summary>
        <div className="grid-2">
          <div className="field">
            <label title="How the learning rate changes over the run: constant; cosine decay from the learning rate down to the minimum at the last step; or step decay, times the factor every k epochs">
              Learning-rate schedule
              <select value={schedule.type} onChange={(e) => setSchedule({ type: e.target.value as Schedule['type'] })} data-testid="opt-lr-schedule">
                <option value="constant">Constant</option>
                <option value="cosine">Cosine decay</option>
                <option value="step">Step decay</option>
              </select>
            </label>
          </div>
          <NumberField label="Warm-up steps" value={schedule.warmupSteps} min={0} max={1e9} integer onChange={(warmupSteps) => setSchedule({ warmupSteps })} testId="opt-warmup" help="For the first W steps the rate climbs linearly to the learning rate: lr·(t+1)/W" />
          {schedule.type === 'cosine' && <NumberField label="Minimum learning rate" value={schedule.minLearningRate} min={0} max={10} onChange={(minLearningRate) => setSchedule({ minLearningRate })} testId="opt-min-lr" />}
          {schedule.type === 'step' && (
            <>
              <NumberField label="Every (epochs)" value={schedule.everyEpochs} min={1} max={100_000} integer onChange={(everyEpochs) => setSchedule({ everyEpochs })} testId="opt-step-every" />
              <NumberField label="Factor" value={schedule.factor} min={0} max={10} onChange={(factor) => setSchedule({ factor })} testId="opt-step-factor" />
            </>
          )}
          <NumberField label="Clip gradient norm (0: off)" value={options.clipNorm} min={0} max={1e6} onChange={(clipNorm) => setOptions({ clipNorm })} testId="opt-clip-norm" help="Gradients are scaled down together when their global norm is above this (as torch's clip_grad_norm_)" />
        </div>
        <div className="field">
          <label title="Start from a finished run's weights where the layer name and shape match; the rest start fresh (trains with engine Node)">
            Start from run…
            <select value={options.initFrom} onChange={(e) => setOptions({ initFrom: e.target.value })} data-testid="opt-init-from">
              <option value="">Fresh weights (no warm start)</option>
              {chosenGone && <option value={options.initFrom}>{options.initFrom}</option>}
              {finished.map((r) => (
                <option key={r.dir} value={r.dir}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          {options.initFrom !== '' && options.engine === 'browser' && <p className="field-note">A warm start trains with engine Node: choose it under Engine.</p>}
        </div>
      </details>
    </section>
  );
}
