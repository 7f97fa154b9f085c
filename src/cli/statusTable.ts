import type { EntityHealth, HealthReport, HealthStatus } from '../health';

const COLOURS: Record<HealthStatus, string> = {
  healthy: '\x1b[32m',
  degraded: '\x1b[33m',
  failing: '\x1b[31m',
};
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

/** The visible width of a cell (ANSI colour codes take no room). */
// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what this strips
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (text: string) => text.replace(ANSI, '').length;

function grid(header: string[], rows: string[][], colour: boolean): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  const head = line(header);
  return [colour ? `${BOLD}${head}${RESET}` : head, ...rows.map(line)].join('\n');
}

/** "in 42 min", "3 min ago", or "-". */
export function relative(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  if (Math.abs(minutes) >= 120) {
    const hours = Math.round(minutes / 60);
    return hours >= 0 ? `in ${hours} h` : `${-hours} h ago`;
  }
  return minutes >= 0 ? `in ${minutes} min` : `${-minutes} min ago`;
}

const ratio = (part: number, whole: number) => (whole > 0 ? `${part}/${whole}` : '-');

interface Section<F> {
  title: string;
  header: string[];
  cells: (entity: EntityHealth<F>, now: number) => string[];
}

const connectionSection: Section<HealthReport['connections'][number]['facts']> = {
  title: 'CONNECTIONS',
  header: ['STATUS', 'CONNECTION', 'PROVIDER', 'STATE', 'TOKEN EXPIRES', 'LAST REFRESH', 'REASONS'],
  cells: (e, now) => [
    e.facts.providerId,
    e.facts.state,
    relative(e.facts.expiresAt, now),
    e.facts.lastError ? `failed: ${e.facts.lastError.code}` : relative(e.facts.lastRefreshAt, now),
  ],
};

const providerSection: Section<HealthReport['providers'][number]['facts']> = {
  title: 'PROVIDERS',
  header: [
    'STATUS',
    'PROVIDER',
    'BREAKER',
    'CALLS/MIN',
    'LIMIT/MIN',
    'ERRORS 5m',
    '429 5m',
    'ERRORS 60m',
    'REASONS',
  ],
  cells: (e) => {
    const calls = e.facts.calls;
    return [
      e.facts.breaker?.state ?? '-',
      calls ? String(calls.perMinute) : '-',
      e.facts.rateLimitPerMinute ? String(e.facts.rateLimitPerMinute) : '-',
      calls ? ratio(calls.last5m.errors, calls.last5m.total) : '-',
      calls ? ratio(calls.last5m.throttled, calls.last5m.total) : '-',
      calls ? ratio(calls.last60m.errors, calls.last60m.total) : '-',
    ];
  },
};

const sourceSection: Section<HealthReport['sources'][number]['facts']> = {
  title: 'WEBHOOK SOURCES',
  header: ['STATUS', 'SOURCE', 'DEAD LETTERS', 'LAST RECEIVED', 'SIGNATURE FAILURES 5m/60m', 'REASONS'],
  cells: (e, now) => [
    String(e.facts.deadLetters ?? '-'),
    relative(e.facts.lastReceivedAt, now),
    e.facts.requests
      ? `${e.facts.requests.last5m.signatureFailures}/${e.facts.requests.last60m.signatureFailures}`
      : '-',
  ],
};

const syncSection: Section<HealthReport['syncs'][number]['facts']> = {
  title: 'SYNCS',
  header: ['STATUS', 'SYNC', 'LAG', 'REASONS'],
  cells: (e) => [e.facts.lagSeconds !== undefined ? `${Math.round(e.facts.lagSeconds)} s` : '-'],
};

function render<F>(
  section: Section<F>,
  entities: Array<EntityHealth<F>>,
  options: { colour: boolean; now: number },
): string | undefined {
  if (entities.length === 0) return undefined;
  const rows = entities.map((entity) => {
    const status = options.colour ? `${COLOURS[entity.status]}${entity.status}${RESET}` : entity.status;
    return [status, entity.id, ...section.cells(entity, options.now), entity.reasons.join('; ') || '-'];
  });
  return `${section.title}\n${grid(section.header, rows, options.colour)}`;
}

/** The report as tables, one per kind of entity, failing first; colour on a terminal. */
export function statusTables(
  report: HealthReport,
  options: { colour: boolean; now: number; problemsOnly?: boolean },
): string {
  const keep = <F>(list: Array<EntityHealth<F>>) =>
    options.problemsOnly ? list.filter((entity) => entity.status !== 'healthy') : list;
  const overall = options.colour ? `${COLOURS[report.status]}${report.status}${RESET}` : report.status;
  const counts = (['connections', 'providers', 'sources', 'syncs'] as const)
    .map((kind) => {
      const s = report.summary[kind];
      return `${kind} ${s.healthy} healthy, ${s.degraded} degraded, ${s.failing} failing`;
    })
    .join('; ');
  const lines = [
    `integrations: ${overall} (${report.checkedAt}, ${report.scope.instance})`,
    counts,
    ...report.scope.unavailable.map((entry) => `unavailable: ${entry.source}: ${entry.message}`),
  ];
  const sections = [
    render(connectionSection, keep(report.connections), options),
    render(providerSection, keep(report.providers), options),
    render(sourceSection, keep(report.sources), options),
    render(syncSection, keep(report.syncs), options),
  ].filter((section): section is string => section !== undefined);
  return `${[lines.join('\n'), ...sections].join('\n\n')}\n`;
}
