/**
 * Descriptions (node kinds, params, ports) are written with Markdown code spans: `count`. Only
 * those are rendered; nothing else of Markdown is used in them, so no Markdown library (and no
 * HTML from strings) is needed. As in CommonMark, a span opens and closes with runs of the same
 * number of backticks (``a`b``), and a run with no partner is just text.
 */
export interface TextSpan {
  code: boolean;
  text: string;
}

export function codeSpans(text: string): TextSpan[] {
  const spans: TextSpan[] = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      plain += text[i];
      i++;
      continue;
    }
    const run = runAt(text, i);
    const close = closingRun(text, i + run, run);
    if (close === -1) {
      plain += '`'.repeat(run);
      i += run;
      continue;
    }
    if (plain) spans.push({ code: false, text: plain });
    plain = '';
    let inside = text.slice(i + run, close);
    // CommonMark strips one space each side, so that `` `x` `` can show a backtick at an edge.
    if (inside.length > 2 && inside.startsWith(' ') && inside.endsWith(' ') && inside.trim() !== '') inside = inside.slice(1, -1);
    spans.push({ code: true, text: inside });
    i = close + run;
  }
  if (plain) spans.push({ code: false, text: plain });
  return spans;
}

/** The text as a tooltip (a title attribute) shows it: the spans' text without their backticks. */
export const plainText = (text: string): string =>
  codeSpans(text)
    .map((s) => s.text)
    .join('');

function runAt(text: string, at: number): number {
  let end = at;
  while (text[end] === '`') end++;
  return end - at;
}

/** Where the next run of exactly `length` backticks starts, or -1. */
function closingRun(text: string, from: number, length: number): number {
  for (let i = from; i < text.length; ) {
    if (text[i] !== '`') {
      i++;
      continue;
    }
    const run = runAt(text, i);
    if (run === length) return i;
    i += run;
  }
  return -1;
}
