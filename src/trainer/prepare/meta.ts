/**
 * What a prepared folder's meta.json holds (docs/data-format.md): vocabulary and special ids, the length limits and
 * target budget the trainer reads, the splits' sizes, the datasets with their licences, and the report of the run.
 * Types only: written by prepare.ts, read back by shards.ts `readMeta`, shown by report.ts.
 */
import type { Task } from '../../engine';

export interface LengthStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface PartReport {
  pairs: number;
  tokens: number;
  unknownTokens: number;
  unknownRate: number;
  /** Lengths of the parts before truncation (source includes [TASK] and [SEP], target its [SEP]). */
  sourceLength: LengthStats;
  targetLength: LengthStats;
  truncatedSources: number;
  truncatedTargets: number;
  /** Targets longer (after truncation) than the budget min(maxTarget, ceil(ratio·n)+extra). */
  overBudget: number;
}

export interface DatasetReport {
  name: string;
  task: Task;
  licence: string;
  files: string[];
  validFiles: string[];
  validSource: 'file' | 'split' | 'none';
  pairs: number;
  validPairs: number;
  skippedEmpty: number;
  reversedAdded: number;
  train: PartReport;
  valid: PartReport;
}

export interface PrepareMeta {
  formatVersion: 1;
  vocabSize: number;
  tokenDtype: 'uint16' | 'uint32';
  tokens: { pad: number; unk: number; sep: number };
  tasks: Partial<Record<Task, { token: string; id: number }>>;
  lengths: { maxSource: number; maxTarget: number; targetBudget: { ratio: number; extra: number } };
  splits: { train: { examples: number; tokens: number }; valid: { examples: number; tokens: number } };
  data: { name: string; task: Task; files: string[]; validFiles: string[]; pairs: number; validPairs: number; licence: string }[];
  tokenizer: { type: 'WordPiece'; lowercase: true; trainedVocab: number; keptVocab: number; wordsUnencodable: number };
  report: {
    datasets: DatasetReport[];
    train: PartReport;
    valid: PartReport;
    seconds: { read: number; tokenizer: number; encode: number; write: number; total: number };
    bytes: Record<string, number>;
  };
  options: { bothDirections: boolean; validFraction: number; limit: number | null };
  createdAt: string;
}
