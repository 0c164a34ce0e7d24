#!/usr/bin/env node
// What `npm test` needs from the system besides Node.js, checked before the tests run:
//   chromium            the dashboard's browser test (Debian: chromium; snap; or CHROMIUM_PATH)
//   mosquitto_pub       a third-party MQTT client the tests publish with (Debian: mosquitto-clients)
// and, for the checks of deploy/ (their tests are skipped, saying so, without them):
//   docker-compose, systemd-analyze, promtool   (Debian: docker-compose, systemd, prometheus)
// On Debian or Ubuntu, as root or with passwordless sudo, what is missing is installed with
// apt-get (as .ci/run does); anywhere else this says what to install, and npm test stops.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The full path of a command on PATH, or undefined. */
export function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Where Chromium is: CHROMIUM_PATH, then Debian's, Ubuntu's and snap's places, then Chrome. */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    const found = onPath(name);
    if (found) return found;
  }
  return ['/usr/bin/chromium', '/snap/bin/chromium', '/usr/bin/chromium-browser'].find(executable);
}

const needs = [
  { what: 'Chromium (the dashboard test)', found: () => findChromium(), debian: 'chromium', required: true },
  {
    what: 'mosquitto_pub (an MQTT client the tests use)',
    found: () => onPath('mosquitto_pub'),
    debian: 'mosquitto-clients',
    required: true,
  },
  { what: 'docker-compose (validates deploy/compose.yaml)', found: () => onPath('docker-compose'), debian: 'docker-compose' },
  { what: 'systemd-analyze (verifies deploy/systemd)', found: () => onPath('systemd-analyze'), debian: 'systemd' },
  { what: 'promtool (checks deploy/prometheus)', found: () => onPath('promtool'), debian: 'prometheus' },
];

function aptInstall(packages) {
  if (!onPath('apt-get')) return false;
  const root = process.getuid?.() === 0;
  if (!root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) return false;
  const run = (args) =>
    root ? execFileSync('apt-get', args, { stdio: 'inherit' }) : execFileSync('sudo', ['-n', 'apt-get', ...args], { stdio: 'inherit' });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.env.DEBIAN_FRONTEND = env.DEBIAN_FRONTEND;
  try {
    run(['install', '-y', '-qq', ...packages]);
  } catch {
    try {
      run(['update', '-qq']);
      run(['install', '-y', '-qq', ...packages]);
    } catch {
      return false;
    }
  }
  return true;
}

function main() {
  const missing = needs.filter((need) => !need.found());
  if (missing.length === 0) return 0;
  console.error(
    `npm test: installing ${missing.map((m) => m.debian).join(', ')} with apt-get for: ${missing.map((m) => m.what).join('; ')}`,
  );
  aptInstall(missing.map((m) => m.debian));
  const stillMissing = missing.filter((need) => !need.found());
  for (const need of stillMissing.filter((n) => !n.required))
    console.error(`npm test: without ${need.what}, its test is skipped (Debian package: ${need.debian})`);
  const required = stillMissing.filter((n) => n.required);
  if (required.length === 0) return 0;
  console.error(
    `npm test needs ${required.map((n) => n.what).join(' and ')}.\nInstall them (Debian/Ubuntu: sudo apt-get install ${required.map((n) => n.debian).join(' ')}), or point CHROMIUM_PATH at a Chromium or Chrome.`,
  );
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main());
