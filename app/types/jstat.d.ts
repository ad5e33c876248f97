// jstat ships no types; these are the few distribution functions the studies use. It is a CommonJS
// module whose exports object is jStat itself, so it is imported as the default export.
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
  }
  const jStat: {
    studentt: Distribution;
    binomial: { cdf(k: number, n: number, p: number): number };
  };
  export default jStat;
}
