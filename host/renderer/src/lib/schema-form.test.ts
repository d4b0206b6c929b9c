import { describe, expect, it } from 'vitest';
import { fieldErrorsFromMessage, initialValues, labelOf, planForm, readForm } from './schema-form';

const manual = {
  type: 'object',
  properties: {
    transport: { type: 'string', minLength: 1, default: 'simple-peer', description: 'The transport that carries the connection' },
    inviteTtlMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 10 },
    secure: { type: 'boolean', default: false },
    mode: { type: 'string', enum: ['fast', 'safe'] },
    servers: { type: 'array', items: { type: 'string', pattern: '^stun:' }, maxItems: 2 },
    iceServers: { type: 'array', items: { type: 'object', properties: { urls: { type: 'string' } } } },
    engine: { description: 'injected in code' },
  },
  required: ['mode'],
  additionalProperties: false,
};

describe('settings form from a JSON Schema', () => {
  it('plans one field per property it can show, and names the rest', () => {
    const plan = planForm(manual);
    expect(plan.fields.map((f) => [f.key, f.kind])).toEqual([
      ['transport', 'text'],
      ['inviteTtlMinutes', 'integer'],
      ['secure', 'boolean'],
      ['mode', 'choice'],
      ['servers', 'list'],
      ['iceServers', 'json'],
    ]);
    expect(plan.hidden).toEqual(['engine']);
    expect(plan.fields.find((f) => f.key === 'mode')?.required).toBe(true);
  });

  it('labels camelCase keys as words', () => {
    expect(labelOf('inviteTtlMinutes')).toBe('Invite TTL minutes');
    expect(labelOf('iceServers')).toBe('ICE servers');
    expect(labelOf('max_frame_size')).toBe('Max frame size');
    expect(labelOf('requestTimeoutMs')).toBe('Request timeout (ms)');
  });

  it('starts from the current options, then the defaults', () => {
    const plan = planForm(manual);
    expect(initialValues(plan, { inviteTtlMinutes: 15, servers: ['stun:a', 'stun:b'] })).toMatchObject({
      transport: 'simple-peer',
      inviteTtlMinutes: '15',
      secure: false,
      servers: 'stun:a\nstun:b',
      iceServers: '',
    });
  });

  it('reads valid input into typed options', () => {
    const plan = planForm(manual);
    const values = {
      ...initialValues(plan, {}),
      inviteTtlMinutes: ' 30 ',
      secure: true,
      mode: 'safe',
      servers: 'stun:x\n\n',
      iceServers: '[{"urls":"stun:y"}]',
    };
    expect(readForm(plan, values)).toEqual({
      options: { transport: 'simple-peer', inviteTtlMinutes: 30, secure: true, mode: 'safe', servers: ['stun:x'], iceServers: [{ urls: 'stun:y' }] },
      errors: {},
    });
  });

  it('says what is wrong with each field, in words', () => {
    const plan = planForm(manual);
    const base = initialValues(plan, {});
    const { errors } = readForm(plan, { ...base, inviteTtlMinutes: '0', mode: '', servers: 'turn:x', iceServers: '{oops', transport: '' });
    expect(errors).toEqual({
      inviteTtlMinutes: 'Must be at least 1.',
      mode: 'Required.',
      servers: '"turn:x": This is not in the expected format.',
      iceServers: 'This is not valid JSON.',
    });
    expect(readForm(plan, { ...base, mode: 'fast', inviteTtlMinutes: '1.5' }).errors).toEqual({ inviteTtlMinutes: 'Enter a whole number.' });
  });

  it("puts the service's zod errors beside the fields they name", () => {
    const message = [
      '[plugin manual] has invalid options:',
      '✖ Unrecognized key: "x"',
      '✖ Too small: expected number to be >=1',
      '  → at inviteTtlMinutes',
      '✖ Invalid input',
      '  → at iceServers[0].urls',
    ].join('\n');
    expect(fieldErrorsFromMessage(message)).toEqual({
      fields: { inviteTtlMinutes: 'Too small: expected number to be >=1.', iceServers: 'Invalid input.' },
      general: ['Unrecognized key: "x".'],
    });
  });
});
