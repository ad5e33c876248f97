// jstat ships no types; these are the few distribution functions the studies use.
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
  }
  export const jStat: {
    studentt: Distribution;
    binomial: { cdf(k: number, n: number, p: number): number };
  };
}
