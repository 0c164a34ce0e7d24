// Writes sample-readings.csv: one hour of readings from 8 ATMs and 4 motors on 3 sites, one
// reading per device-metric every 30 s, deterministic (seeded). A few lines are malformed on
// purpose, as real feeds have them. Run: node shared/data/make-sample-readings.mjs
import { writeFileSync } from 'node:fs';

let state = 7;
const random = () => {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
};
const devices = [
  ...Array.from({ length: 8 }, (_, i) => ({
    id: `atm-${String(i + 1).padStart(3, '0')}`,
    site: ['lisbon', 'porto', 'faro'][i % 3],
    model: 'atm-x200',
  })),
  ...Array.from({ length: 4 }, (_, i) => ({
    id: `motor-${String(i + 1).padStart(3, '0')}`,
    site: ['lisbon', 'porto'][i % 2],
    model: 'motor-m7',
  })),
];
const metrics = {
  'atm-x200': { cabinet_temp_c: [24, 1.5], dispenser_current_a: [1.2, 0.15], vibration_rms_g: [0.02, 0.005] },
  'motor-m7': { bearing_temp_c: [55, 3], current_a: [11, 0.8], vibration_rms_g: [0.3, 0.05] },
};
const start = Date.UTC(2026, 10, 24, 8, 0, 0);
const lines = ['ts,device_id,site,model,metric,value'];
for (let t = 0; t < 3600; t += 30) {
  for (const device of devices) {
    // motor-003 degrades over the hour: vibration and temperature drift up.
    const drift = device.id === 'motor-003' ? t / 3600 : 0;
    for (const [metric, [mean, sd]] of Object.entries(metrics[device.model])) {
      const gauss = (random() + random() + random() - 1.5) * 2;
      const value = mean * (1 + drift * 0.4) + gauss * sd;
      lines.push(
        `${start + t * 1000 + Math.floor(random() * 1000)},${device.id},${device.site},${device.model},${metric},${value.toFixed(4)}`,
      );
    }
  }
}
lines.splice(500, 0, `${start},atm-003,porto,atm-x200,cabinet_temp_c,NaN`);
lines.splice(1500, 0, 'garbage line from a flaky serial bridge');
lines.splice(2500, 0, `${start},motor-001,lisbon,motor-m7,current_a,`);
writeFileSync(new URL('./sample-readings.csv', import.meta.url), `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length - 1} readings`);
