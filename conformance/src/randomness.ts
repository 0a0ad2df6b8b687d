/**
 * Tests that security keys are unpredictable, over keys in the order the server issued them. Each test's
 * false-alarm probability against keys drawn independently and uniformly is bounded exactly (a union bound or an
 * exact binomial tail, never a normal approximation) by FALSE_ALARM_PER_TEST; four tests together stay below
 * FALSE_ALARM_TOTAL = 8e-7 < 1e-6.
 */
export const FALSE_ALARM_PER_TEST = 2e-7;
export const FALSE_ALARM_TOTAL = 4 * FALSE_ALARM_PER_TEST;

/** One failed test: what it saw and the bound it crossed. */
export interface RandomnessFinding {
  test: "repeats" | "repeated-steps" | "digit-bias" | "runs";
  detail: string;
}

const logFactorials = [0];
const logFactorial = (n: number): number => {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push((logFactorials[i - 1] as number) + Math.log(i));
  return logFactorials[n] as number;
};
const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);

/**
 * The fewest repeats among `n` draws from `space` values whose probability is at most `alpha`: by the chain rule
 * each draw repeats an earlier value with probability at most n/space, so d chosen draws all repeat with probability
 * at most (n/space)^d, and any d of n do with at most C(n, d)(n/space)^d.
 */
export function repeatThreshold(n: number, space: number, alpha = FALSE_ALARM_PER_TEST): number {
  for (let d = 1; d <= n; d++) if (logChoose(n, d) + d * Math.log(n / space) <= Math.log(alpha)) return d;
  return Number.POSITIVE_INFINITY;
}

/** Draws that equal an earlier draw. */
const repeats = (values: readonly number[]) => values.length - new Set(values).size;

/** P(X <= k) + P(X >= n - k) bound helpers for Binomial(n, p), summed exactly in log space. */
function binomialTail(n: number, p: number, from: number, to: number): number {
  let sum = 0;
  for (let k = from; k <= to; k++) sum += Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
  return sum;
}

/**
 * The counts of one digit at one position that are too low or too high: each of the 10·length cells is
 * Binomial(n, 1/10), and each tail gets alpha / (2·10·length), so some cell crosses by chance with probability at
 * most alpha.
 */
export function digitBounds(n: number, length: number, alpha = FALSE_ALARM_PER_TEST): { low: number; high: number } {
  const perTail = alpha / (2 * 10 * length);
  let low = -1;
  while (binomialTail(n, 0.1, 0, low + 1) <= perTail) low++;
  let high = n + 1;
  while (binomialTail(n, 0.1, high - 1, n) <= perTail) high--;
  return { low, high };
}

/**
 * The shortest strictly monotone run of consecutive keys that is too long: r given keys are strictly increasing
 * with probability at most 1/r!, and there are fewer than 2n places and directions for such a run.
 */
export function runThreshold(n: number, alpha = FALSE_ALARM_PER_TEST): number {
  for (let r = 2; ; r++) if (Math.log(2 * n) - logFactorial(r) <= Math.log(alpha)) return r;
}

function longestMonotoneRun(values: readonly number[]): number {
  let longest = Math.min(values.length, 1);
  let up = 1;
  let down = 1;
  for (let i = 1; i < values.length; i++) {
    const current = values[i] as number;
    const previous = values[i - 1] as number;
    up = current > previous ? up + 1 : 1;
    down = current < previous ? down + 1 : 1;
    longest = Math.max(longest, up, down);
  }
  return longest;
}

/** Runs the four tests over `keys` (digit strings of one length, in issue order); returns what failed. */
export function randomnessFindings(keys: readonly string[]): RandomnessFinding[] {
  const length = keys[0]?.length ?? 0;
  const space = 10 ** length;
  const values = keys.map(Number);
  const findings: RandomnessFinding[] = [];
  const n = values.length;

  const repeated = repeats(values);
  const repeatLimit = repeatThreshold(n, space);
  if (repeated >= repeatLimit)
    findings.push({ test: "repeats", detail: `${repeated} of ${n} keys repeat an earlier key (chance allows fewer than ${repeatLimit})` });

  const steps = values.slice(1).map((value, index) => (((value - (values[index] as number)) % space) + space) % space);
  const repeatedSteps = repeats(steps);
  const stepLimit = repeatThreshold(steps.length, space);
  if (repeatedSteps >= stepLimit) {
    findings.push({
      test: "repeated-steps",
      detail: `${repeatedSteps} of ${steps.length} steps between consecutive keys repeat an earlier step (chance allows fewer than ${stepLimit})`,
    });
  }

  const { low, high } = digitBounds(n, length);
  for (let position = 0; position < length; position++) {
    for (let digit = 0; digit < 10; digit++) {
      const count = keys.filter((key) => key[position] === String(digit)).length;
      if (count <= low || count >= high) {
        findings.push({
          test: "digit-bias",
          detail: `digit ${digit} at position ${position + 1} in ${count} of ${n} keys (chance allows ${low + 1} to ${high - 1})`,
        });
      }
    }
  }

  const run = longestMonotoneRun(values);
  const runLimit = runThreshold(n);
  if (run >= runLimit) findings.push({ test: "runs", detail: `${run} consecutive keys rise or fall steadily (chance allows runs shorter than ${runLimit})` });
  return findings;
}
