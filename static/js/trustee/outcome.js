// The outcome a v2 manifest's decision rule gives for a result: a port of outcome_inputs and decide
// in voting/record/document.py (docs/record-spec.md, "The outcome"). The trustee computes it here
// before co-signing a v2 result, so a certificate never covers an outcome the rule does not give.

import { mismatch } from './core.js';

const SINGLE_DECISION_OPTIONS = ['for', 'against'];

/** document.outcome_inputs: what the rule reads, from the first question's totals. */
export function outcomeInputs(manifest, result, alternatives) {
  const totals = result.totals[0].map(Number);
  const inputs = { electorate_size: Number(result.roll_size), turnout: Number(result.turnout),
    yes: 0, no: 0, abstain: 0, scores: [] };
  const question = manifest.questions[0];
  if (alternatives >= 2) {
    inputs.scores = totals;
  } else if (question.options.length === 2 && question.options.every((o, i) => o === SINGLE_DECISION_OPTIONS[i])) {
    [inputs.yes, inputs.no] = totals;
  } else if (manifest.method === 'quadratic' || question.kind === 'quadratic') {
    inputs.yes = Math.max(totals[0], 0);
    inputs.no = Math.max(-totals[0], 0);
  } else {
    const by = Object.fromEntries(question.options.map((o, i) => [o, totals[i]]));
    inputs.yes = by.yes ?? 0;
    inputs.no = by.no ?? 0;
    inputs.abstain = by.abstain ?? 0;
  }
  return inputs;
}

/** document.decide: [state, chosen alternative or null]. */
export function decide(rule, inputs) {
  const electorate = inputs.electorate_size;
  const turnout = inputs.turnout;
  if (!(turnout >= 0 && turnout <= electorate)) throw mismatch(`Turnout ${turnout} is outside 0..${electorate}.`);
  if (!(turnout > 0 && turnout * 100 >= rule.quorum_percent * electorate)) return ['no_quorum', null];
  if (rule.alternatives >= 2) {
    const scores = inputs.scores;
    if (scores.length !== rule.alternatives) throw mismatch(`Expected ${rule.alternatives} scores, got ${scores.length}.`);
    const top = Math.max(...scores);
    if (top <= 0 || scores.filter((s) => s === top).length > 1) return ['rejected', null];
    return ['adopted', scores.indexOf(top)];
  }
  const { yes, no } = inputs;
  if (yes > no && yes * rule.threshold_denominator >= rule.threshold_numerator * (yes + no)) {
    return ['adopted', rule.alternatives === 1 ? 0 : null];
  }
  return ['rejected', null];
}

/** The outcome object of a v2 result ({state, chosen_alternative}), or null for a v1 manifest. */
export function resultOutcome(manifest, result) {
  if (!manifest.rule) return null;
  const [state, chosen] = decide(manifest.rule, outcomeInputs(manifest, result, manifest.rule.alternatives));
  return { state, chosen_alternative: chosen };
}
