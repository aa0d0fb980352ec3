/**
 * Portfolio names are case-sensitive (they are channel names and key limits too). A name that
 * matches a known one but for case gets a pointer to it, so "tech" finds its way to "Tech".
 */
export function caseHint(name: string, known: Iterable<string>): string {
  const lower = name.toLowerCase();
  for (const k of known) {
    if (k !== name && k.toLowerCase() === lower) return ` (names are case-sensitive: did you mean "${k}"?)`;
  }
  return '';
}
