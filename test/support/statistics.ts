/**
 * The Mann-Whitney U statistic of two samples as a standard normal z (no tie correction): near 0
 * when neither sample tends to be larger, beyond ±3.29 with probability 0.001 when they come from
 * one distribution.
 */
export function mannWhitneyZ(a: number[], b: number[]): number {
  const ranked = [
    ...a.map((value) => ({ value, a: true })),
    ...b.map((value) => ({ value, a: false })),
  ].sort((x, y) => x.value - y.value);
  const rankSumA = ranked.reduce((sum, item, index) => (item.a ? sum + index + 1 : sum), 0);
  const u = rankSumA - (a.length * (a.length + 1)) / 2;
  const mean = (a.length * b.length) / 2;
  const sd = Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12);
  return (u - mean) / sd;
}
