import { ConfigError, describeIssues, readConfigFile } from '@fogline/shared';
import { builtinProfiles } from './builtin-profiles.js';
import { type Profile, type ProfileInput, profileSchema, profilesFileSchema } from './profile-schema.js';

/** Checks what the schema cannot: drifts and mode events must name what the profile has. */
function crossCheck(name: string, profile: Omit<Profile, 'name' | 'model'>, where: string): string[] {
  const problems: string[] = [];
  const metrics = Object.keys(profile.metrics);
  for (const [modeName, mode] of Object.entries(profile.failure?.modes ?? {})) {
    for (const [metric, drift] of Object.entries(mode.drift)) {
      if (!metrics.includes(metric))
        problems.push(
          `${where}.failure.modes.${modeName}.drift.${metric} was ${drift}, expected a metric of profile ${name} (${metrics.join(', ')})`,
        );
    }
    const events = Object.keys(profile.events);
    for (const [event, perHour] of Object.entries(mode.events)) {
      if (!events.includes(event))
        problems.push(
          `${where}.failure.modes.${modeName}.events.${event} was ${perHour}, expected an event of profile ${name} (${events.join(', ') || 'none defined'})`,
        );
    }
  }
  problems.push(...crossCheckField(name, profile, where));
  const failure = profile.failure;
  if (failure) {
    const meanCycleHours =
      (failure.degradationHours[0] + failure.degradationHours[1]) / 2 + (failure.repairHours[0] + failure.repairHours[1]) / 2;
    if (failure.mtbfDays * 24 <= meanCycleHours)
      problems.push(
        `${where}.failure.mtbfDays was ${failure.mtbfDays}, expected more than the mean degradation plus repair time (${meanCycleHours} h = ${(meanCycleHours / 24).toFixed(2)} days)`,
      );
  }
  return problems;
}

/** A field profile's parts must name metrics of the right kind. */
function crossCheckField(name: string, profile: Omit<Profile, 'name' | 'model'>, where: string): string[] {
  const field = profile.field;
  if (!field) return [];
  const problems: string[] = [];
  const ofKind = (kind: 'gauge' | 'count') =>
    Object.entries(profile.metrics)
      .filter(([, metric]) => metric.kind === kind)
      .map(([metric]) => metric);
  const expect = (path: string, metric: string, kind: 'gauge' | 'count') => {
    if (!ofKind(kind).includes(metric))
      problems.push(
        `${where}.field.${path} was ${JSON.stringify(metric)}, expected a ${kind} of profile ${name} (${ofKind(kind).join(', ') || 'none'})`,
      );
  };
  for (const metric of Object.keys(field.deviceSpread)) expect(`deviceSpread.${metric}`, metric, 'gauge');
  for (const metric of Object.keys(field.siteSpread)) expect(`siteSpread.${metric}`, metric, 'gauge');
  for (const metric of Object.keys(field.weather?.effects ?? {})) expect(`weather.effects.${metric}`, metric, 'gauge');
  if (field.usage) {
    expect('usage.metric', field.usage.metric, 'count');
    for (const metric of Object.keys(field.usage.effects)) expect(`usage.effects.${metric}`, metric, 'gauge');
    for (const [i, metric] of field.usage.follows.entries()) expect(`usage.follows.${i}`, metric, 'count');
  }
  if (field.wearJumps[0] > field.wearJumps[1])
    problems.push(`${where}.field.wearJumps was [${field.wearJumps.join(', ')}], expected [least, most] with least <= most`);
  return problems;
}

function build(name: string, input: ProfileInput, where: string): Profile {
  const result = profileSchema.safeParse(input);
  if (!result.success) throw new ConfigError(describeIssues(input, result.error.issues).map((problem) => `${where}.${problem}`));
  const problems = crossCheck(name, result.data, where);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...result.data, name, model: result.data.model ?? name };
}

/** The built-in profiles (atm, atm-hard, motor, env), validated like a user's. */
export function builtinProfileSet(): Map<string, Profile> {
  return new Map(Object.entries(builtinProfiles).map(([name, input]) => [name, build(name, input, `builtin ${name}`)]));
}

/**
 * Profiles from a YAML or JSON file (`profiles: {name: {...}}`), on top of the built-ins: a
 * profile of the same name replaces the built-in. Every problem names the field and value.
 */
export function loadProfiles(path?: string): Map<string, Profile> {
  const profiles = builtinProfileSet();
  if (!path) return profiles;
  const raw = readConfigFile(path);
  const result = profilesFileSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(raw, result.error.issues).map((problem) => `${path}: ${problem}`));
  const problems: string[] = [];
  for (const [name, profile] of Object.entries(result.data.profiles)) {
    const found = crossCheck(name, profile, `profiles.${name}`);
    if (found.length > 0) problems.push(...found.map((problem) => `${path}: ${problem}`));
    else profiles.set(name, { ...profile, name, model: profile.model ?? name });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return profiles;
}
