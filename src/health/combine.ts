import { STATUS_ORDER, worstStatus, type EntityHealth, type HealthReport } from './types';

type Kind = 'connections' | 'providers' | 'sources' | 'syncs';
const KINDS: Kind[] = ['connections', 'providers', 'sources', 'syncs'];

function combineEntities<F>(lists: Array<{ instance: string; entities: Array<EntityHealth<F>> }>) {
  const byId = new Map<string, EntityHealth<F>>();
  const several = lists.length > 1;
  for (const { instance, entities } of lists) {
    for (const entity of entities) {
      const reasons = entity.reasons.map((reason) => (several ? `${reason} [${instance}]` : reason));
      const before = byId.get(entity.id);
      if (!before) {
        byId.set(entity.id, { ...entity, reasons });
        continue;
      }
      const worse = STATUS_ORDER[entity.status] > STATUS_ORDER[before.status];
      byId.set(entity.id, {
        id: entity.id,
        status: worstStatus([before.status, entity.status]),
        // Facts of the instance with the worse verdict explain it; reasons from every instance, once each.
        facts: worse ? entity.facts : before.facts,
        reasons: [...before.reasons, ...reasons.filter((reason) => !before.reasons.includes(reason))],
      });
    }
  }
  const rank = (e: EntityHealth<F>) => 2 - STATUS_ORDER[e.status];
  return [...byId.values()].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/**
 * Several processes' reports as one: Temporal's facts (connections, dead letters) are the same in each;
 * in-process facts (rates, breakers, signature failures) differ, so every entity takes the worst verdict
 * any process gives it, with each reason marked by the process that saw it.
 */
export function combineReports(reports: HealthReport[]): HealthReport {
  if (reports.length === 1) return reports[0] as HealthReport;
  const first = reports[0] as HealthReport;
  const combined = {
    checkedAt: first.checkedAt,
    scope: {
      instance: reports.map((report) => report.scope.instance).join(', '),
      countersSince: reports
        .map((report) => report.scope.countersSince)
        .sort()
        .at(-1) as string,
      unavailable: reports.flatMap((report) =>
        report.scope.unavailable.map((entry) => ({
          ...entry,
          source: `${entry.source} [${report.scope.instance}]`,
        })),
      ),
    },
  } as HealthReport;
  const tally = (list: Array<{ status: keyof typeof STATUS_ORDER }>) => ({
    healthy: list.filter((e) => e.status === 'healthy').length,
    degraded: list.filter((e) => e.status === 'degraded').length,
    failing: list.filter((e) => e.status === 'failing').length,
  });
  combined.summary = {} as HealthReport['summary'];
  for (const kind of KINDS) {
    const merged = combineEntities<unknown>(
      reports.map((report) => ({
        instance: report.scope.instance,
        entities: report[kind],
      })),
    );
    (combined as unknown as Record<Kind, unknown>)[kind] = merged;
    combined.summary[kind] = tally(merged);
  }
  combined.status = worstStatus(reports.map((report) => report.status));
  return combined;
}
