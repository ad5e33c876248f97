import { codeSpans } from './inline-code';

/** A description with its `code` spans as <code> elements (React escapes every piece of text). */
export function Prose({ text }: { text: string }) {
  return (
    <>
      {codeSpans(text).map((span, i) => (span.code ? <code key={i}>{span.text}</code> : <span key={i}>{span.text}</span>))}
    </>
  );
}
