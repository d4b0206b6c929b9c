import { describe, expect, it } from 'vitest';
import { emptyRecord, fieldErrorsFromMessage, initialValues, labelOf, placeErrors, planForm, readForm } from './schema-form';

const manual = {
  type: 'object',
  properties: {
    transport: { type: 'string', minLength: 1, default: 'simple-peer', description: 'The transport that carries the connection' },
    inviteTtlMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 10 },
    secure: { type: 'boolean', default: false },
    mode: { type: 'string', enum: ['fast', 'safe'] },
    servers: { type: 'array', items: { type: 'string', pattern: '^stun:' }, maxItems: 2 },
    rules: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer' } } } },
    engine: { description: 'injected in code' },
    stack: { anyOf: [{ type: 'string', enum: ['wrtc', 'werift'] }, {}] },
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
      ['rules', 'json'],
      ['stack', 'choice'],
    ]);
    expect(plan.hidden).toEqual(['engine']);
    // A name, or a value only code can give: the form offers the names.
    expect(plan.fields.find((f) => f.key === 'stack')?.choices).toEqual(['wrtc', 'werift']);
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
      rules: '',
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
      rules: '[{"port":1}]',
    };
    expect(readForm(plan, values)).toEqual({
      options: { transport: 'simple-peer', inviteTtlMinutes: 30, secure: true, mode: 'safe', servers: ['stun:x'], rules: [{ port: 1 }] },
      errors: {},
    });
  });

  it('says what is wrong with each field, in words', () => {
    const plan = planForm(manual);
    const base = initialValues(plan, {});
    const { errors } = readForm(plan, { ...base, inviteTtlMinutes: '0', mode: '', servers: 'turn:x', rules: '{oops', transport: '' });
    expect(errors).toEqual({
      inviteTtlMinutes: 'Must be at least 1.',
      mode: 'Required.',
      servers: '"turn:x": This is not in the expected format.',
      rules: 'This is not valid JSON.',
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
      paths: { inviteTtlMinutes: 'Too small: expected number to be >=1.', 'iceServers.0.urls': 'Invalid input.' },
    });
  });
});

/** The webrtc plugin's options as plugins.list gives them (z.toJSONSchema of its zod schema). */
const webrtcSchema = {
  type: 'object',
  properties: {
    iceServers: {
      default: [],
      title: 'ICE servers',
      description: 'STUN servers tell you your public address; TURN servers relay a connection when no direct path exists.',
      maxItems: 16,
      type: 'array',
      items: {
        type: 'object',
        properties: {
          urls: {
            anyOf: [
              { type: 'string', maxLength: 512 },
              { minItems: 1, maxItems: 16, type: 'array', items: { type: 'string', maxLength: 512 } },
            ],
            title: 'URL(s)',
            description: 'One or more, separated by spaces.',
            examples: ['stun:stun.example.org:3478'],
          },
          username: { title: 'Username', type: 'string', maxLength: 512 },
          credential: { title: 'Credential', format: 'password', type: 'string', maxLength: 512 },
        },
        required: ['urls'],
        additionalProperties: false,
        title: 'Server',
      },
    },
    engine: { description: 'The Node WebRTC engine.' },
  },
  additionalProperties: false,
};

describe('a list of entries (the ICE servers), not JSON', () => {
  const plan = planForm(webrtcSchema);
  const field = plan.fields[0]!;

  it('plans an entry of inputs per server: URL(s) as words, the credential unseen', () => {
    expect(plan.fields.map((f) => [f.key, f.kind, f.label])).toEqual([['iceServers', 'records', 'ICE servers']]);
    expect(plan.hidden).toEqual(['engine']);
    expect(field.record).toEqual({
      label: 'Server',
      fields: [
        {
          key: 'urls',
          label: 'URL(s)',
          description: 'One or more, separated by spaces.',
          kind: 'words',
          required: true,
          placeholder: 'stun:stun.example.org:3478',
        },
        { key: 'username', label: 'Username', kind: 'text', required: false },
        { key: 'credential', label: 'Credential', kind: 'password', required: false },
      ],
    });
    // An entry with anything but text stays JSON.
    expect(
      planForm({ type: 'object', properties: { x: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } } } }).fields[0]!.kind,
    ).toBe('json');
  });

  it('shows the current servers, a list of URLs as one line', () => {
    const servers = [{ urls: 'stun:a.example.org' }, { urls: ['turn:b.example.org', 'turns:b.example.org:5349'], username: 'u', credential: 'p' }];
    expect(initialValues(plan, { iceServers: servers })).toEqual({
      iceServers: [
        { urls: 'stun:a.example.org', username: '', credential: '' },
        { urls: 'turn:b.example.org turns:b.example.org:5349', username: 'u', credential: 'p' },
      ],
    });
    expect(initialValues(plan, undefined)).toEqual({ iceServers: [] });
  });

  it('sends what was typed: blank entries and blank optional fields left out, several URLs as a list; checks are the plugin schema’s', () => {
    const values = {
      iceServers: [
        { urls: ' stun:a.example.org ', username: '', credential: '' },
        emptyRecord(field),
        { urls: 'turn:b.example.org  turns:b.example.org:5349', username: 'u', credential: ' p ' },
        { urls: '', username: 'only', credential: '' },
      ],
    };
    expect(readForm(plan, values)).toEqual({
      options: {
        iceServers: [
          { urls: 'stun:a.example.org' },
          { urls: ['turn:b.example.org', 'turns:b.example.org:5349'], username: 'u', credential: ' p ' },
          { urls: '', username: 'only' },
        ],
      },
      errors: {},
    });
    expect(readForm(plan, { iceServers: [] }).options).toEqual({ iceServers: [] });
  });

  it("puts the service's errors at the input of the entry they name, counting only the entries sent", () => {
    const values = {
      iceServers: [
        { urls: 'stun:a.example.org', username: '', credential: '' },
        emptyRecord(field), // not sent: the service's [1] is row 2
        { urls: 'turn:b.example.org TURN:c', username: '', credential: '' },
      ],
    };
    const message = [
      '[plugin webrtc] has invalid options:',
      '✖ a TURN server needs a username',
      '  → at iceServers[1].username',
      '✖ a TURN server needs a credential',
      '  → at iceServers[1].credential',
      '✖ write the scheme in lower case: turn:',
      '  → at iceServers[1].urls[1]',
      '✖ Too big: expected array to have <=16 items',
      '  → at iceServers',
    ].join('\n');
    expect(placeErrors(plan, values, fieldErrorsFromMessage(message))).toEqual({
      'iceServers.2.username': 'A TURN server needs a username.',
      'iceServers.2.credential': 'A TURN server needs a credential.',
      'iceServers.2.urls': 'Write the scheme in lower case: turn:.',
      iceServers: 'Too big: expected array to have <=16 items.',
    });
  });
});
