// SMS length rules, the same as the API's (domain/messages.py): GSM 03.38 basic set at one
// septet a character, its extension table at two; anything else makes the whole message UCS-2
// (UTF-16 units). Multi-part messages carry a header (153 septets / 67 units a segment) and a
// two-unit character is never split across segments, so segments come from packing.

const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM7_EXTENSION = new Set("\f^{}\\[~]|€");

const isGsm = (ch) => GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch);

/** The text as sent: the link always at the end, after one space (like with_link). */
export function withLink(text, link) {
  const trimmed = text.trimEnd();
  if (!link) return trimmed;
  if (trimmed.endsWith(link)) return trimmed;
  return trimmed ? `${trimmed} ${link}` : link;
}

/** Characters that force UCS-2, each once, in order of appearance. */
export function nonGsmCharacters(text) {
  return [...new Set([...text].filter((ch) => !isGsm(ch)))];
}

/** {characters, segments, encoding, perSegment} for a full SMS body. */
export function measure(body) {
  const chars = [...body]; // code points, as Python's len() counts them
  const gsm = chars.every(isGsm);
  const units = gsm
    ? chars.map((ch) => (GSM7_EXTENSION.has(ch) ? 2 : 1))
    : chars.map((ch) => (ch.codePointAt(0) > 0xffff ? 2 : 1));
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const total = units.reduce((sum, n) => sum + n, 0);
  let segments = 1;
  if (total > single) {
    let used = 0;
    for (const size of units) {
      if (used + size > multi) {
        segments += 1;
        used = 0;
      }
      used += size;
    }
  }
  return {
    characters: chars.length,
    segments,
    encoding: gsm ? "GSM-7" : "UCS-2",
    perSegment: segments === 1 ? single : multi,
  };
}
