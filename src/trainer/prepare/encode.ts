/**
 * Encoding the read pairs into examples: [TASK] source [SEP] target [SEP], sources and targets cut to
 * maxSource/maxTarget, with the counts the report shows.
 */
import type { Tokenizer } from 'tokenizers';
import { targetBudget, type TargetBudgetSpec } from '../../engine';
import type { DatasetReport, PartReport } from './meta';
import type { LoadedDataset } from './read';
import { type PartAccumulator, finishAcc, newAcc } from './report';
import type { EncodedSplit } from './shards';
import type { TrainedTokenizer } from './tokenizer';

async function encodeAll(tok: Tokenizer, texts: string[]): Promise<number[][]> {
  const out: number[][] = [];
  const chunk = 4096;
  for (let i = 0; i < texts.length; i += chunk) {
    const enc = await tok.encodeBatch(texts.slice(i, i + chunk), { addSpecialTokens: false });
    for (const e of enc) out.push(e.getIds());
  }
  return out;
}

/**
 * Encodes every dataset's pairs: [TASK] source [SEP] target [SEP], sources and targets cut to maxSource/maxTarget,
 * with the per-dataset and overall counts the report shows (lengths, truncations, unknown words, over-budget
 * targets).
 */
export async function encodeDatasets(
  datasets: readonly LoadedDataset[],
  tk: TrainedTokenizer,
  limits: { maxSource: number; maxTarget: number; budget: TargetBudgetSpec },
  /** Called with every training source and target, whole (before the length cut): the word list's text. */
  onTrainText: (ids: readonly number[]) => void,
): Promise<{
  splits: Record<'train' | 'valid', EncodedSplit>;
  totals: Record<'train' | 'valid', PartAccumulator>;
  reports: DatasetReport[];
  wordsUnencodable: number;
}> {
  const { maxSource, maxTarget, budget } = limits;
  const { unk, sep } = tk.specialIds;
  const splits: Record<'train' | 'valid', EncodedSplit> = {
    train: { tokens: [], srcLens: [], trgLens: [] },
    valid: { tokens: [], srcLens: [], trgLens: [] },
  };
  const totals = { train: newAcc(), valid: newAcc() };
  const reports: DatasetReport[] = [];
  let wordsUnencodable = 0;
  for (const d of datasets) {
    const taskId = tk.taskIds[d.task]!;
    const parts: Record<'train' | 'valid', PartReport> = {} as Record<'train' | 'valid', PartReport>;
    for (const split of ['train', 'valid'] as const) {
      const pairs = d[split];
      const srcIds = await encodeAll(
        tk.tokenizer,
        pairs.map((p) => p.src),
      );
      const trgIds = await encodeAll(
        tk.tokenizer,
        pairs.map((p) => p.trg),
      );
      const acc = newAcc();
      const tot = totals[split];
      for (let i = 0; i < pairs.length; i++) {
        let s = srcIds[i];
        let t = trgIds[i];
        if (split === 'train') {
          onTrainText(s);
          onTrainText(t);
        }
        for (const a of [acc, tot]) {
          a.srcRaw.push(s.length + 2);
          a.trgRaw.push(t.length + 1);
        }
        if (s.length > maxSource - 2) {
          s = s.slice(0, maxSource - 2);
          acc.truncatedSources++;
          tot.truncatedSources++;
        }
        if (t.length > maxTarget - 1) {
          t = t.slice(0, maxTarget - 1);
          acc.truncatedTargets++;
          tot.truncatedTargets++;
        }
        const srcPart = [taskId, ...s, sep];
        const trgPart = [...t, sep];
        let unkCount = 0;
        for (const id of s) if (id === unk) unkCount++;
        for (const id of t) if (id === unk) unkCount++;
        if (split === 'train') wordsUnencodable += unkCount;
        const n = srcPart.length + trgPart.length;
        const over = trgPart.length > targetBudget(s.length, maxTarget, budget) ? 1 : 0;
        for (const a of [acc, tot]) {
          a.tokens += n;
          a.unknown += unkCount;
          a.overBudget += over;
        }
        splits[split].tokens.push([...srcPart, ...trgPart]);
        splits[split].srcLens.push(srcPart.length);
        splits[split].trgLens.push(trgPart.length);
      }
      parts[split] = finishAcc(acc);
    }
    reports.push({
      name: d.name,
      task: d.task,
      licence: d.licence,
      files: d.trainFiles,
      validFiles: d.validFiles,
      validSource: d.validSource,
      pairs: d.train.length,
      validPairs: d.valid.length,
      skippedEmpty: d.skippedEmpty,
      reversedAdded: d.reversedAdded,
      train: parts.train,
      valid: parts.valid,
    });
  }
  return { splits, totals, reports, wordsUnencodable };
}
