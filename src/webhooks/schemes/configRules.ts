import { SCHEMES, type SchemeId } from './index';
import type { ConfigIssue, SchemeSettings, SourceDraft } from './scheme';

/** The ids of the schemes whose settings say so, for messages ("only sendgrid sources take …"). */
function schemesWhere(test: (settings: SchemeSettings) => boolean): string {
  return Object.values(SCHEMES)
    .filter((scheme) => test(scheme.settings))
    .map((scheme) => scheme.id)
    .join(', ');
}

/** Which keys a source configures, as its scheme's settings declare: a source never goes unverified. */
function keyIssues(id: string, settings: SchemeSettings, source: SourceDraft): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (settings.keys === 'publicKeys') {
    if (source.secrets !== undefined)
      issues.push({ path: ['secrets'], message: `${id} sources verify with \`publicKeys\`` });
    if (!source.publicKeys || source.publicKeys.length === 0) {
      issues.push({
        path: ['publicKeys'],
        message: `a ${id} source needs at least one public key; verification is never skipped`,
      });
    }
  } else {
    if (source.publicKeys !== undefined) {
      const takers = schemesWhere((s) => s.keys === 'publicKeys');
      issues.push({ path: ['publicKeys'], message: `only ${takers} sources take publicKeys` });
    }
    if (!source.secrets || source.secrets.length === 0) {
      issues.push({
        path: ['secrets'],
        message: 'a source needs at least one secret; verification is never skipped',
      });
    }
  }
  return issues;
}

/**
 * Every problem with a source entry's scheme-specific keys: what its scheme's settings allow and require,
 * then the scheme's own rules (key formats). Paths are relative to the source entry.
 */
export function schemeConfigIssues(source: SourceDraft): ConfigIssue[] {
  const scheme = Object.hasOwn(SCHEMES, source.scheme) ? SCHEMES[source.scheme as SchemeId] : undefined;
  if (!scheme) return [];
  const { id, settings } = scheme;
  const issues: ConfigIssue[] = [];
  if (source.toleranceSeconds !== undefined && !settings.signsTimestamp) {
    issues.push({
      path: ['toleranceSeconds'],
      message: `${id} signs no timestamp, so there is no window to set; redeliveries are caught by delivery id`,
    });
  }
  issues.push(...keyIssues(id, settings, source), ...(scheme.configRules?.(source) ?? []));
  if (source.publicUrl !== undefined && !settings.takesPublicUrl) {
    const takers = schemesWhere((s) => s.takesPublicUrl);
    issues.push({ path: ['publicUrl'], message: `only ${takers} sources take publicUrl` });
  }
  return issues;
}
