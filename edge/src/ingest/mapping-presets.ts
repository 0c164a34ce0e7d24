import type { MappingSpec } from './payload-mapping.js';

/**
 * Mappings for devices as they ship, by name: `mappings: [{ preset: tasmota-sensor }]`. Any
 * field given beside the preset replaces the preset's (clients, exclude, topic prefixes...).
 */
export const mappingPresets: Readonly<Record<string, MappingSpec>> = {
  /**
   * Tasmota's telemetry, every TelePeriod: tele/<topic>/SENSOR with {"Time": ..., "ENERGY":
   * {"Power": 45, ...}, "DS18B20": {"Temperature": 21.4}, ...}: metrics ENERGY.Power,
   * DS18B20.Temperature... Its Time is the device's local time, without an offset unless
   * SetOption52 is on: then it is used, otherwise the time of arrival.
   */
  'tasmota-sensor': {
    name: 'tasmota-sensor',
    topic: 'tele/{device}/SENSOR',
    deviceId: '{device}',
    timestamp: { path: '$.Time', unit: 'iso', withoutOffset: 'arrival' },
    values: 'auto',
    exclude: ['ENERGY.TotalStartTime'],
  },
  /** Tasmota's state: tele/<topic>/STATE: POWER (ON 1, OFF 0), UptimeSec, Heap, LoadAvg, Wifi.RSSI, Wifi.Signal... */
  'tasmota-state': {
    name: 'tasmota-state',
    topic: 'tele/{device}/STATE',
    deviceId: '{device}',
    timestamp: { path: '$.Time', unit: 'iso', withoutOffset: 'arrival' },
    values: 'auto',
    exclude: ['Wifi.AP', 'Wifi.Channel', 'Wifi.LinkCount', 'MqttCount'],
  },
  /**
   * Zigbee2MQTT: zigbee2mqtt/<friendly name> with {"temperature": 21.8, "humidity": 45.3,
   * "occupancy": true, "linkquality": 116, ...}, for every device behind one bridge: give the
   * bridge's credential in `clients`. last_seen (when enabled as ISO-8601) is the time.
   */
  zigbee2mqtt: {
    name: 'zigbee2mqtt',
    topic: 'zigbee2mqtt/{device}',
    deviceId: '{device}',
    timestamp: { path: '$.last_seen', unit: 'iso' },
    values: 'auto',
  },
  /**
   * Shelly Gen2 and Gen3 (Plus, Pro): <device id>/events/rpc with NotifyStatus
   * {"src": "shellyplus1pm-...", "params": {"ts": 1710080525.12, "switch:0": {"apower": 45.2, ...}}}:
   * metrics switch:0.apower, switch:0.voltage, switch:0.aenergy.total... The device id is
   * its src; ts is in seconds. Other notifications (NotifyEvent) are ignored.
   */
  'shelly-gen2': {
    name: 'shelly-gen2',
    topic: '+/events/rpc',
    deviceId: '$.src',
    timestamp: { path: '$.params.ts', unit: 's' },
    when: { path: '$.method', equals: 'NotifyStatus' },
    root: '$.params',
    values: 'auto',
    exclude: ['*.id', '*.minute_ts'],
  },
  /**
   * Home Assistant-style state topics (ESPHome's default): <node>/sensor/<name>/state and
   * <node>/binary_sensor/<name>/state, one bare value each ("21.5", "ON"): the node is the
   * device, the name the metric.
   */
  'home-assistant-state': {
    name: 'home-assistant-state',
    topic: '{device}/{component}/{metric}/state',
    deviceId: '{device}',
    payload: 'number',
    values: [{ path: '$', metric: '{metric}' }],
  },
};
