import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mappingPresets } from './mapping-presets.js';
import { type MappedOutcome, type MappingSpec, PayloadMappings } from './payload-mapping.js';

const recorded = (name: string) => readFileSync(new URL(`../../test-fixtures/payloads/${name}`, import.meta.url));
const limits = { readingsPerMessageMax: 1000, futureSkewMsMax: 5 * 60_000, valueAbsMax: 1e100 };
const nowMs = Date.UTC(2024, 2, 10, 14, 22, 30);

/** The readings one publish maps to, as [device, metric, value, ts] (ts relative to now when stamped on arrival). */
function mapped(specs: MappingSpec[], topic: string, payload: Buffer, clientId: string) {
  const found = new PayloadMappings(specs).find(topic);
  if (!found) return 'unmapped';
  const outcome: MappedOutcome = found.mapping.decode(found.captured, payload, clientId, nowMs, limits);
  if (outcome.kind !== 'decoded') return outcome;
  return {
    readings: outcome.decoded.readings.map((r) => [r.deviceId, r.metric, r.value, r.arrival ? 'arrival' : r.ts]),
    problems: outcome.decoded.problems,
  };
}

const { 'tasmota-sensor': tasmotaSensor, 'tasmota-state': tasmotaState, zigbee2mqtt, 'shelly-gen2': shelly } = mappingPresets;
const homeAssistant = mappingPresets['home-assistant-state'];

describe('payload mappings of devices as they ship', () => {
  it('Tasmota SENSOR: nested energy values, a local Time without offset taken as arrival, one with its offset used', () => {
    expect(mapped([tasmotaSensor], 'tele/plug-7/SENSOR', recorded('tasmota-sensor-energy.json'), 'plug-7')).toEqual({
      readings: [
        ['plug-7', 'ENERGY.Total', 12.345, 'arrival'],
        ['plug-7', 'ENERGY.Yesterday', 0.512, 'arrival'],
        ['plug-7', 'ENERGY.Today', 0.231, 'arrival'],
        ['plug-7', 'ENERGY.Period', 2, 'arrival'],
        ['plug-7', 'ENERGY.Power', 45, 'arrival'],
        ['plug-7', 'ENERGY.ApparentPower', 52, 'arrival'],
        ['plug-7', 'ENERGY.ReactivePower', 26, 'arrival'],
        ['plug-7', 'ENERGY.Factor', 0.87, 'arrival'],
        ['plug-7', 'ENERGY.Voltage', 231, 'arrival'],
        ['plug-7', 'ENERGY.Current', 0.226, 'arrival'],
      ],
      problems: [],
    });
    expect(mapped([tasmotaSensor], 'tele/boiler/SENSOR', recorded('tasmota-sensor-ds18b20.json'), 'boiler')).toEqual({
      readings: [['boiler', 'DS18B20.Temperature', 21.4, Date.UTC(2024, 2, 10, 14, 22, 5)]],
      problems: [],
    });
  });

  it('Tasmota STATE: POWER ON as 1, uptime, heap and Wi-Fi signal; text fields left out', () => {
    const result = mapped([tasmotaState], 'tele/plug-7/STATE', recorded('tasmota-state.json'), 'plug-7') as { readings: unknown[][] };
    expect(result.readings.map(([, metric, value]) => [metric, value])).toEqual([
      ['UptimeSec', 18764],
      ['Heap', 26],
      ['Sleep', 50],
      ['LoadAvg', 19],
      ['POWER', 1],
      ['Wifi.RSSI', 78],
      ['Wifi.Signal', -61],
    ]);
  });

  it('Zigbee2MQTT: every device behind the bridge, last_seen as the time, occupancy as 1; only listed clients may publish for others', () => {
    const bridge = { ...zigbee2mqtt, clients: ['z2m-bridge'] };
    const weather = mapped([bridge], 'zigbee2mqtt/0x00158d0001a2b3c4', recorded('zigbee2mqtt-aqara-weather.json'), 'z2m-bridge') as {
      readings: unknown[][];
    };
    expect(weather.readings).toContainEqual(['0x00158d0001a2b3c4', 'temperature', 21.8, Date.parse('2024-03-10T14:22:05.123Z')]);
    expect(weather.readings).toContainEqual(['0x00158d0001a2b3c4', 'pressure', 1012.4, Date.parse('2024-03-10T14:22:05.123Z')]);
    expect(weather.readings.map(([, metric]) => metric)).not.toContain('last_seen');
    const motion = mapped([bridge], 'zigbee2mqtt/hall_motion', recorded('zigbee2mqtt-motion.json'), 'z2m-bridge') as {
      readings: unknown[][];
    };
    expect(motion.readings).toContainEqual(['hall_motion', 'occupancy', 1, 'arrival']);
    // Another device's credential cannot speak for the bridge's devices.
    expect(mapped([bridge], 'zigbee2mqtt/hall_motion', recorded('zigbee2mqtt-motion.json'), 'atm-1')).toEqual({
      kind: 'refused',
      reason: "mapping zigbee2mqtt: atm-1 may not publish for hall_motion (list it in the mapping's clients to let a bridge do so)",
    });
    // A friendly name that cannot be a device id is refused, naming it.
    expect(mapped([bridge], 'zigbee2mqtt/living room', recorded('zigbee2mqtt-motion.json'), 'z2m-bridge')).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('device id was "living room"'),
    });
  });

  it('Shelly Gen2: NotifyStatus values under params, ts in seconds, the device from src; NotifyEvent ignored', () => {
    const status = mapped(
      [shelly],
      'shellyplus1pm-441793a1b2c3/events/rpc',
      recorded('shelly-plus1pm-notifystatus.json'),
      'shellyplus1pm-441793a1b2c3',
    ) as {
      readings: unknown[][];
    };
    const ts = Math.round(1710080525.12 * 1000);
    expect(status.readings).toEqual([
      ['shellyplus1pm-441793a1b2c3', 'switch:0.apower', 45.2, ts],
      ['shellyplus1pm-441793a1b2c3', 'switch:0.voltage', 230.8, ts],
      ['shellyplus1pm-441793a1b2c3', 'switch:0.current', 0.213, ts],
      ['shellyplus1pm-441793a1b2c3', 'switch:0.aenergy.total', 1234.567, ts],
      ['shellyplus1pm-441793a1b2c3', 'switch:0.temperature.tC', 41.2, ts],
      ['shellyplus1pm-441793a1b2c3', 'switch:0.temperature.tF', 106.2, ts],
    ]);
    expect(
      mapped([shelly], 'shellyplus1pm-441793a1b2c3/events/rpc', recorded('shelly-plus1pm-notifyevent.json'), 'shellyplus1pm-441793a1b2c3'),
    ).toEqual({
      kind: 'ignored',
    });
  });

  it('Home Assistant-style state topics: a bare number, ON as 1, the node as the device and the name as the metric', () => {
    expect(mapped([homeAssistant], 'kitchen-node/sensor/temperature/state', recorded('esphome-sensor-state.txt'), 'kitchen-node')).toEqual({
      readings: [['kitchen-node', 'temperature', 21.5, 'arrival']],
      problems: [],
    });
    expect(
      mapped([homeAssistant], 'kitchen-node/binary_sensor/door/state', recorded('esphome-binary-sensor-state.txt'), 'kitchen-node'),
    ).toEqual({
      readings: [['kitchen-node', 'door', 1, 'arrival']],
      problems: [],
    });
    expect(mapped([homeAssistant], 'kitchen-node/sensor/temperature/state', Buffer.from('unavailable'), 'kitchen-node')).toEqual({
      readings: [],
      problems: ['mapping home-assistant-state.temperature was "unavailable", expected a finite number'],
    });
  });
});

describe('a mapping of your own', () => {
  const own: MappingSpec = {
    name: 'meters',
    topic: 'site/{site}/meter/{meter}/reading',
    deviceId: '{site}-{meter}',
    timestamp: { path: '$.t', unit: 's' },
    values: [
      { path: '$.energy_wh', metric: 'energy_kwh', scale: 0.001 },
      { path: '$.temp_f', metric: 'temperature_c', scale: 5 / 9, offset: (-32 * 5) / 9 },
      { path: '$.phases[0].v', metric: 'l1_voltage' },
    ],
  };

  it('takes the device from the topic, scales units, reads arrays, and converts epoch seconds', () => {
    const payload = Buffer.from(JSON.stringify({ t: 1710080525, energy_wh: 12_345, temp_f: 212, phases: [{ v: 229.5 }] }));
    expect(mapped([own], 'site/porto/meter/m7/reading', payload, 'porto-m7')).toEqual({
      readings: [
        ['porto-m7', 'energy_kwh', 12.345, 1710080525000],
        ['porto-m7', 'temperature_c', 100, 1710080525000],
        ['porto-m7', 'l1_voltage', 229.5, 1710080525000],
      ],
      problems: [],
    });
  });

  it('says when epoch milliseconds were given as seconds would be 1970, and keeps an unmatched topic unmapped', () => {
    const msAsSeconds = { ...own, timestamp: { path: '$.t', unit: 'ms' as const } };
    expect(mapped([msAsSeconds], 'site/porto/meter/m7/reading', Buffer.from('{"t": 1710080525, "energy_wh": 1}'), 'porto-m7')).toEqual({
      readings: [],
      problems: ['mapping meters: $.t was 1710080525, a time before 2000 in milliseconds: is the unit right?'],
    });
    expect(mapped([own], 'site/porto/meter/m7', Buffer.from('{}'), 'porto-m7')).toBe('unmapped');
  });

  it('refuses a spec whose template names a level the topic lacks, or whose path cannot be read', () => {
    expect(() => new PayloadMappings([{ ...own, deviceId: '{building}' }])).toThrow(
      'mapping meters: deviceId "{building}" uses {building}, which the topic does not name',
    );
    expect(() => new PayloadMappings([{ ...own, values: [{ path: '$.a..b', metric: 'x' }] }])).toThrow(
      'mapping meters: values.0.path: path "$.a..b" cannot be read at character 4',
    );
  });
});
