/**
 * A settings form generated from a plugin's options JSON Schema (`plugins.list` →
 * `optionsSchema`): which fields to show, how to check them before saving, and how to read the
 * service's own validation errors (zod's pretty format) back onto the fields.
 */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
}

export type FieldKind = 'text' | 'integer' | 'number' | 'boolean' | 'choice' | 'list' | 'json';

export interface FormField {
  key: string;
  label: string;
  description?: string;
  kind: FieldKind;
  required: boolean;
  schema: JsonSchema;
  choices?: string[];
}

/** What the inputs hold: text for everything but checkboxes. */
export type FormValues = Record<string, string | boolean>;

export interface FormPlan {
  fields: FormField[];
  /** Options the schema cannot describe (set in plugins.config.ts only). */
  hidden: string[];
}

export function planForm(schema: Record<string, unknown> | undefined): FormPlan {
  const root = (schema ?? {}) as JsonSchema;
  const fields: FormField[] = [];
  const hidden: string[] = [];
  for (const [key, property] of Object.entries(root.properties ?? {})) {
    const kind = kindOf(property);
    if (!kind) {
      hidden.push(key);
      continue;
    }
    fields.push({
      key,
      label: property.title ?? labelOf(key),
      ...(property.description ? { description: property.description } : {}),
      kind,
      required: root.required?.includes(key) ?? false,
      schema: property,
      ...(kind === 'choice' ? { choices: (property.enum ?? []).map(String) } : {}),
    });
  }
  return { fields, hidden };
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

function kindOf(schema: JsonSchema): FieldKind | undefined {
  if (schema.enum && schema.enum.every((value) => typeof value === 'string')) return 'choice';
  const type = typeOf(schema);
  if (type === 'string') return 'text';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'array' && schema.items && typeOf(schema.items) === 'string' && !schema.items.enum) return 'list';
  if (type === 'array' || type === 'object' || schema.anyOf || schema.oneOf) return 'json';
  return undefined;
}

/** `inviteTtlMinutes` → "Invite TTL minutes", `iceServers` → "Ice servers". */
export function labelOf(key: string): string {
  const words = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .split(/\s+/)
    .map((word) => (/^(ttl|id|url|ice|tls|ip)$/i.test(word) ? word.toUpperCase() : word.toLowerCase()));
  // A trailing unit reads as one: "Request timeout (ms)".
  const unit = words.length > 1 && /^(ms|s|kb|mb|bytes)$/.test(words[words.length - 1]!) ? words.pop() : undefined;
  const sentence = words.join(' ') + (unit ? ` (${unit})` : '');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** The inputs' starting values, from the plugin's current options (or the defaults). */
export function initialValues(plan: FormPlan, options: Record<string, unknown> | undefined): FormValues {
  const values: FormValues = {};
  for (const field of plan.fields) {
    const value = options?.[field.key] ?? field.schema.default;
    if (field.kind === 'boolean') values[field.key] = value === true;
    else if (field.kind === 'list') values[field.key] = Array.isArray(value) ? value.map(String).join('\n') : '';
    else if (field.kind === 'json') values[field.key] = value === undefined ? '' : JSON.stringify(value, null, 2);
    else values[field.key] = value === undefined || value === null ? '' : String(value);
  }
  return values;
}

export interface FormResult {
  options: Record<string, unknown>;
  /** Problems by field key; empty when the form can be sent. */
  errors: Record<string, string>;
}

/** Check the inputs against the schema and build the options to send. */
export function readForm(plan: FormPlan, values: FormValues): FormResult {
  const options: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of plan.fields) {
    const raw = values[field.key];
    if (field.kind === 'boolean') {
      options[field.key] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (field.schema.default !== undefined) options[field.key] = field.schema.default;
      else if (field.required) errors[field.key] = 'Required.';
      continue;
    }
    const read = readValue(field, text);
    if ('error' in read) errors[field.key] = read.error;
    else options[field.key] = read.value;
  }
  return { options, errors };
}

function readValue(field: FormField, text: string): { value: unknown } | { error: string } {
  const schema = field.schema;
  switch (field.kind) {
    case 'integer':
    case 'number': {
      const value = Number(text);
      if (!Number.isFinite(value) || (field.kind === 'integer' && !/^-?\d+$/.test(text))) {
        return { error: field.kind === 'integer' ? 'Enter a whole number.' : 'Enter a number.' };
      }
      return checkNumber(schema, value) ?? { value };
    }
    case 'text':
      return checkString(schema, text) ?? { value: text };
    case 'choice':
      return field.choices?.includes(text) ? { value: text } : { error: `Choose one of: ${field.choices?.join(', ')}.` };
    case 'list': {
      const items = text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      if (schema.minItems !== undefined && items.length < schema.minItems) return { error: `Enter at least ${schema.minItems}, one per line.` };
      if (schema.maxItems !== undefined && items.length > schema.maxItems) return { error: `Enter at most ${schema.maxItems}, one per line.` };
      for (const item of items) {
        const problem = schema.items ? checkString(schema.items, item) : undefined;
        if (problem) return { error: `"${item}": ${problem.error}` };
      }
      return { value: items };
    }
    case 'json':
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        return { error: 'This is not valid JSON.' };
      }
    default:
      return { value: text };
  }
}

function checkNumber(schema: JsonSchema, value: number): { error: string } | undefined {
  if (schema.minimum !== undefined && value < schema.minimum) return { error: `Must be at least ${schema.minimum}.` };
  if (schema.maximum !== undefined && value > schema.maximum) return { error: `Must be at most ${schema.maximum}.` };
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return { error: `Must be more than ${schema.exclusiveMinimum}.` };
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return { error: `Must be less than ${schema.exclusiveMaximum}.` };
  return undefined;
}

function checkString(schema: JsonSchema, value: string): { error: string } | undefined {
  if (schema.minLength !== undefined && value.length < schema.minLength)
    return { error: schema.minLength === 1 ? 'Required.' : `Use at least ${schema.minLength} characters.` };
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return { error: `Use at most ${schema.maxLength} characters.` };
  if (schema.pattern) {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch {
      pattern = undefined; // a pattern this browser cannot read: leave it to the service
    }
    if (pattern && !pattern.test(value)) return { error: 'This is not in the expected format.' };
  }
  return undefined;
}

/**
 * Read a zod "pretty" error (what `plugins.configure` rejects with) into messages per field:
 *
 *   ✖ Too small: expected number to be >=1
 *     → at inviteTtlMinutes
 */
export function fieldErrorsFromMessage(message: string): { fields: Record<string, string>; general: string[] } {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  let current: string | undefined;
  const flush = (path: string | undefined) => {
    if (current === undefined) return;
    const key = path?.split(/[.[]/)[0];
    if (key) fields[key] = fields[key] ? `${fields[key]} ${current}` : current;
    else general.push(current);
    current = undefined;
  };
  for (const line of message.split('\n')) {
    const issue = /^\s*✖\s*(\S.*)?$/.exec(line);
    const at = /^\s*→\s*at\s+(\S.*)$/.exec(line);
    if (issue) {
      flush(undefined);
      current = sentence(issue[1] ?? '');
    } else if (at) flush(at[1]);
  }
  flush(undefined);
  return { fields, general };
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
