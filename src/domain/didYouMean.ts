/**
 * "Did you mean" suggestions for misspelled keys and names. A candidate is offered only
 * when it is close enough that the suggestion is more likely helpful than noise.
 */

/** Levenshtein edit distance, case-insensitive (config keys differ in case only by mistake). */
export const editDistance = (a: string, b: string): number => {
  const s = a.toLowerCase()
  const t = b.toLowerCase()
  if (s === t) return 0
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j)
  for (let i = 1; i <= s.length; i++) {
    const current = [i]
    for (let j = 1; j <= t.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (s[i - 1] === t[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution)
    }
    previous = current
  }
  return previous[t.length] ?? 0
}

/**
 * The closest candidate within a distance that grows with the word's length (a third of
 * it, rounded up, at most 3), or a candidate that extends the input (`main` → `main_db`);
 * `undefined` when nothing is close. Ties go to the earlier candidate.
 */
export const didYouMean = (input: string, candidates: Iterable<string>): string | undefined => {
  const budget = Math.min(3, Math.max(1, Math.ceil(input.length / 3)))
  const lower = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const extends_ = lower.length >= 3 && candidate.toLowerCase().startsWith(lower)
    const distance = extends_ ? Math.min(budget, editDistance(input, candidate)) : editDistance(input, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best !== undefined && bestDistance <= budget ? best : undefined
}

/** `" (did you mean 'x'?)"` or `""`, ready to append to a message. */
export const suggestionSuffix = (input: string, candidates: Iterable<string>): string => {
  const suggestion = didYouMean(input, candidates)
  return suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`
}
