import { z } from 'zod';
import { GraphDocumentSchema } from '../../graph/schema';

/** Fields many channels' requests share. */
export const path = z.string().min(1).max(4096);
export const graph = GraphDocumentSchema;
