/**
 * The Prometheus text exposition format (what every worker's /metrics serves) → samples (pure). Enough of the
 * format for prom-client's output: comments skipped, label values with \\, \" and \n escapes, NaN / ±Inf values,
 * optional timestamps ignored.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s); // 'NaN' → NaN
}

function parseLabels(s: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const m = NAME.exec(s.slice(i));
    if (!m || s[i + m[0].length] !== '=' || s[i + m[0].length + 1] !== '"') throw new Error(`metrics: bad label in line ${JSON.stringify(line)}`);
    i += m[0].length + 2;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\') {
        const c = s[++i];
        v += c === 'n' ? '\n' : c;
      } else v += s[i];
      i++;
    }
    if (i >= s.length) throw new Error(`metrics: unterminated label value in line ${JSON.stringify(line)}`);
    labels[m[0]] = v;
    i++;
  }
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = NAME.exec(line);
    if (!m) throw new Error(`metrics: no metric name in line ${JSON.stringify(line)}`);
    let rest = line.slice(m[0].length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const value = rest.trim().split(/\s+/)[0];
    if (value === undefined || value === '') throw new Error(`metrics: no value in line ${JSON.stringify(line)}`);
    out.push({ name: m[0], labels, value: parseValue(value) });
  }
  return out;
}
