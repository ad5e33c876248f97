/**
 * What each channel answers: the host's own types (app/host/contract.ts), re-exported so the
 * renderer has one import for them.
 */
export type {
  AppInfo,
  AttentionInspection,
  BoundFeature,
  BoundLabel,
  ColumnKindInfo,
  DatasetInspection,
  FileEntry,
  FileListing as FilesListing,
  GateInspection,
  HostResponse,
  HostResponses,
  MaybeMetric,
  MetricRow,
  RunDetails,
  RunInspection,
  RunListEntry,
  TemplateInfo,
  TrainEventBody,
} from '../../app/host/contract';
export { isCancelled } from '../../app/host/contract';

import type { HostEvents } from '../../app/host/contract';
export type TrainEventPayload = HostEvents['train:event'];
