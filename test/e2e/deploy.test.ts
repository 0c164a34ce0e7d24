import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, tempDir } from './processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const deploy = join(root, 'deploy');
const run = promisify(execFile);
const { start } = killedAfterEachTest();

/** Whether a command runs here (a tool's --version, or docker info for a daemon). */
const works = (command: string, args: string[]) => {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
};
const dockerDaemon = works('docker', ['info']);
const hadolint = works('hadolint', ['--version']);
const composeV1 = works('docker-compose', ['version']);
const composeV2 = works('docker', ['compose', 'version']);
const systemdAnalyze = works('systemd-analyze', ['--version']);
const promtool = works('promtool', ['--version']);

const dockerfiles = readdirSync(join(deploy, 'docker')).filter((name) => name.endsWith('.Dockerfile'));

describe('deploy: the Dockerfiles', () => {
  it('has one per deployable', () =>
    expect(dockerfiles.sort()).toEqual(['cloud.Dockerfile', 'gateway.Dockerfile', 'simulator.Dockerfile']));

  it.each(dockerfiles)('%s lints clean, is multi-stage on pinned images, runs as non-root, and copies only what exists', async (name) => {
    const path = join(deploy, 'docker', name);
    // hadolint when it can be installed (not from Debian's packages); otherwise dockerfile-utils' linter.
    const linter = hadolint
      ? ['hadolint', [path]]
      : [process.execPath, [join(root, 'node_modules/dockerfile-utils/bin/dockerfile-utils'), 'lint', path]];
    const { stdout } = await run(linter[0] as string, linter[1] as string[]);
    expect(stdout.trim()).toBe('');
    const text = readFileSync(path, 'utf8');
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^[a-z0-9./-]+:\d[\w.-]*$/); // a version, never latest
    const finalStage = text.slice(text.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^USER (?!root|0\b)\S+/m);
    expect(finalStage).toMatch(/^ENTRYPOINT /m);
    for (const [, sources] of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const source of sources.split(/\s+/)) expect(existsSync(join(root, source)), `${name}: COPY ${source}`).toBe(true);
    // The runtime stage's entry point is what the build produces.
    const entry = /^ENTRYPOINT \["node", "([^"]+)"\]/m.exec(finalStage)?.[1];
    expect(existsSync(join(root, entry as string)), `${name}: ENTRYPOINT ${entry}`).toBe(true);
  });

  it.skipIf(!dockerDaemon)(
    'builds every image (needs a Docker daemon and the registry; skipped without one)',
    async () => {
      for (const name of dockerfiles)
        await run('docker', ['build', '-f', join(deploy, 'docker', name), '-t', `fogline-test-${name.split('.')[0]}`, root], {
          timeout: 900_000,
        });
    },
    1_000_000,
  );
});

describe('deploy: compose, systemd and Prometheus', () => {
  it('the compose file has every part, and its mounted files and Dockerfiles exist', () => {
    const compose = join(deploy, 'compose.yaml');
    const parsed = parse(readFileSync(compose, 'utf8')) as {
      services: Record<string, { volumes?: string[]; build?: { dockerfile: string } }>;
    };
    expect(Object.keys(parsed.services)).toEqual(
      expect.arrayContaining(['cloud', 'postgres', 'mosquitto', 'gateway-lisbon', 'gateway-porto', 'simulator-lisbon']),
    );
    for (const service of Object.values(parsed.services)) {
      for (const volume of service.volumes ?? [])
        if (volume.startsWith('./')) expect(existsSync(join(deploy, volume.split(':')[0]))).toBe(true);
      if (service.build) expect(existsSync(join(root, service.build.dockerfile))).toBe(true);
    }
  });

  it.skipIf(!composeV1 && !composeV2)(
    'docker compose validates the compose file (skipped without docker compose or docker-compose)',
    async () => {
      const compose = join(deploy, 'compose.yaml');
      const validator = composeV2 ? ['docker', ['compose']] : ['docker-compose', []];
      const args = [...(validator[1] as string[]), '-f', compose, '--env-file', join(deploy, 'env.example'), 'config', '-q'];
      await run(validator[0] as string, args);
      // Without the secrets set, it refuses to start rather than run with defaults.
      await expect(run(validator[0] as string, [...(validator[1] as string[]), '-f', compose, 'config', '-q'])).rejects.toThrow(
        /POSTGRES_PASSWORD/,
      );
    },
  );

  it.skipIf(!systemdAnalyze)('the systemd units pass systemd-analyze verify, with Restart=on-failure and a sandbox', async () => {
    const units = ['fogline-gateway.service', 'fogline-cloud.service'].map((name) => join(deploy, 'systemd', name));
    const { stdout, stderr } = await run('systemd-analyze', ['verify', ...units]);
    expect(`${stdout}${stderr}`.trim()).toBe('');
    for (const unit of units) {
      const text = readFileSync(unit, 'utf8');
      for (const line of ['Restart=on-failure', 'DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet='])
        expect(text).toContain(`\n${line}\n`);
    }
  });

  it.skipIf(!promtool)('promtool accepts the Prometheus configs and the alert rules', async () => {
    for (const config of ['prometheus.yml', 'prometheus-stack.yml'])
      await run('promtool', ['check', 'config', config], { cwd: join(deploy, 'prometheus') });
    await run('promtool', ['check', 'rules', join(deploy, 'prometheus/alert-rules.yml')]);
  });
});

/** The metric names a PromQL expression reads (ours and the standard process ones). */
const metricsIn = (expr: string) => [...expr.matchAll(/\b(?:fogline_[a-z_]+|process_[a-z_]+|nodejs_[a-z0-9_]+)\b/g)].map((m) => m[0]);

/** Every metric name a /metrics page declares, with a histogram's or summary's series. */
const declared = (exposition: string) =>
  exposition.split('\n').flatMap((line) => {
    const match = /^# TYPE (\S+) (\w+)/.exec(line);
    if (!match) return [];
    const [, name, type] = match;
    return type === 'histogram' || type === 'summary' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  });

describe('deploy: the Grafana dashboard and the alert rules', () => {
  it('query only metrics a running gateway or cloud exposes (alerts_total counted by rule and severity), in PromQL promtool accepts', async () => {
    const { cloud, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-scrape', {
      gateway: () => ({
        mqtt: { port: 0, allowAnonymous: true },
        rules: [{ kind: 'threshold', name: 'cabinet-hot', metric: 'cabinetTemperature', above: 34, severity: 'critical' }],
      }),
    });
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    // An alert raised on the gateway is counted once on the cloud, by rule and severity.
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, { clientId: 'atm-1', reconnectPeriod: 0 });
    await device.publishAsync('telemetry/atm-1', JSON.stringify({ cabinetTemperature: 41 }), { qos: 1 });
    await device.endAsync();
    const counted = /^fogline_cloud_alerts_total\{rule="cabinet-hot",severity="critical"\} 1$/m;
    const deadline = Date.now() + 10_000;
    while (!counted.test(await (await fetch(`http://127.0.0.1:${cloud.ports.http}/metrics`)).text())) {
      if (Date.now() > deadline) throw new Error('the alert was not counted by rule and severity on the cloud');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const [gatewayMetrics, cloudMetrics] = await Promise.all(
      [`http://127.0.0.1:${gateway.ports.ops}/metrics`, `http://127.0.0.1:${cloud.ports.http}/metrics`].map(async (url) =>
        declared(await (await fetch(url)).text()),
      ),
    );
    const exposed = new Set([...gatewayMetrics, ...cloudMetrics]);
    // The standard names stock Node.js dashboards look for, on both.
    for (const names of [gatewayMetrics, cloudMetrics])
      expect(names).toEqual(
        expect.arrayContaining(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']),
      );

    const dashboard = JSON.parse(readFileSync(join(deploy, 'grafana/dashboards/fogline.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
    const rules = parse(readFileSync(join(deploy, 'prometheus/alert-rules.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
    expect(dashboardExprs.length).toBeGreaterThan(15);
    const missing = [...dashboardExprs, ...ruleExprs].flatMap(({ where, expr }) =>
      metricsIn(expr)
        .filter((name) => !exposed.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    expect(new Set([...dashboardExprs, ...ruleExprs].flatMap(({ expr }) => metricsIn(expr))).size).toBeGreaterThanOrEqual(20);

    if (promtool) {
      // Each dashboard query as a recording rule: promtool parses it as Prometheus would.
      const asRules = {
        groups: [{ name: 'dashboard', rules: dashboardExprs.map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr })) }],
      };
      const file = join(tempDir('dashboard-rules'), 'rules.json');
      writeFileSync(file, JSON.stringify(asRules));
      await run('promtool', ['check', 'rules', file]);
    }
  });
});
