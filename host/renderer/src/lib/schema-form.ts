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
  examples?: unknown[];
}

/** `records`: a short list of objects of text fields (ICE servers: URL(s), username, credential),
 * each entry a row of inputs, added and removed one at a time; never raw JSON. */
export type FieldKind = 'text' | 'integer' | 'number' | 'boolean' | 'choice' | 'list' | 'json' | 'records';

/** A field of one entry of a `records` field: `words` is a string or a list of strings (typed
 * as one line, separated by spaces); `password` a string typed unseen. */
export interface RecordField {
  key: string;
  label: string;
  description?: string;
  kind: 'text' | 'password' | 'words';
  required: boolean;
  placeholder?: string;
}

export interface FormField {
  key: string;
  label: string;
  description?: string;
  kind: FieldKind;
  required: boolean;
  schema: JsonSchema;
  choices?: string[];
  /** For `records`: the fields of each entry, and what an entry is called ("Server"). */
  record?: { label: string; fields: RecordField[] };
}

/** One entry of a `records` field, as its inputs hold it. */
export type RecordValues = Record<string, string>;
/** What the inputs hold: text for everything but checkboxes and `records` (a row per entry). */
export type FormValue = string | boolean | RecordValues[];
export type FormValues = Record<string, FormValue>;

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
      ...(kind === 'choice' ? { choices: (choicesOf(property) ?? []).map(String) } : {}),
      ...(kind === 'records' ? { record: recordPlan(property.items!) } : {}),
    });
  }
  return { fields, hidden };
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/** A value that can be anything: what an option only code can give (an object with methods)
 * becomes in JSON Schema. */
const isAnything = (schema: JsonSchema) => Object.keys(schema).every((key) => key === 'description' || key === 'title');

/** The names a person can pick: a string enum, or one next to values only code can give (an
 * engine name or an engine object: the form offers the names). */
function choicesOf(schema: JsonSchema): unknown[] | undefined {
  const isNames = (s: JsonSchema) => !!s.enum && s.enum.every((value) => typeof value === 'string');
  if (isNames(schema)) return schema.enum;
  const options = schema.anyOf ?? schema.oneOf;
  const names = options?.filter(isNames) ?? [];
  return names.length === 1 && options!.every((o) => isNames(o) || isAnything(o)) ? names[0]!.enum : undefined;
}

function kindOf(schema: JsonSchema): FieldKind | undefined {
  if (choicesOf(schema)) return 'choice';
  const type = typeOf(schema);
  if (type === 'string') return 'text';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'array' && schema.items && typeOf(schema.items) === 'string' && !schema.items.enum) return 'list';
  if (type === 'array' && schema.items && recordPlan(schema.items)) return 'records';
  if (type === 'array' || type === 'object' || schema.anyOf || schema.oneOf) return 'json';
  return undefined;
}

/** The inputs of an entry of a list of objects, if every property is text (or a list of text):
 * anything else stays JSON. */
function recordPlan(items: JsonSchema): { label: string; fields: RecordField[] } | undefined {
  if (typeOf(items) !== 'object' || !items.properties) return undefined;
  const fields: RecordField[] = [];
  for (const [key, property] of Object.entries(items.properties)) {
    const kind = recordKindOf(property);
    if (!kind) return undefined;
    const example = property.examples?.find((value) => typeof value === 'string');
    fields.push({
      key,
      label: property.title ?? labelOf(key),
      ...(property.description ? { description: property.description } : {}),
      kind,
      required: items.required?.includes(key) ?? false,
      ...(typeof example === 'string' ? { placeholder: example } : {}),
    });
  }
  return fields.length ? { label: items.title ?? 'Entry', fields } : undefined;
}

function recordKindOf(schema: JsonSchema): RecordField['kind'] | undefined {
  const isText = (s: JsonSchema) => typeOf(s) === 'string' && !s.enum;
  const isTextList = (s: JsonSchema) => typeOf(s) === 'array' && !!s.items && isText(s.items);
  if (isText(schema)) return schema.format === 'password' ? 'password' : 'text';
  const options = schema.anyOf ?? schema.oneOf;
  if (isTextList(schema) || (options?.length && options.every((o) => isText(o) || isTextList(o)))) return 'words';
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
    else if (field.kind === 'records') values[field.key] = Array.isArray(value) ? value.map((entry) => recordValues(field, entry)) : [];
    else if (field.kind === 'list') values[field.key] = Array.isArray(value) ? value.map(String).join('\n') : '';
    else if (field.kind === 'json') values[field.key] = value === undefined ? '' : JSON.stringify(value, null, 2);
    else values[field.key] = value === undefined || value === null ? '' : String(value);
  }
  return values;
}

function recordValues(field: FormField, entry: unknown): RecordValues {
  const values: RecordValues = {};
  for (const sub of field.record!.fields) {
    const value = (entry as Record<string, unknown> | null)?.[sub.key];
    values[sub.key] = Array.isArray(value) ? value.map(String).join(' ') : value === undefined || value === null ? '' : String(value);
  }
  return values;
}

/** An empty entry, as "Add" makes it. */
export function emptyRecord(field: FormField): RecordValues {
  return Object.fromEntries(field.record!.fields.map((sub) => [sub.key, '']));
}

/** The entries to send: blank ones dropped, blank optional fields left out, `words` one string
 * or a list. Not checked here: the plugin's own schema checks them, with its own messages, and
 * they come back beside the inputs they name (`placeErrors`). */
function readRecords(field: FormField, entries: RecordValues[]): Record<string, unknown>[] {
  const read: Record<string, unknown>[] = [];
  for (const entry of entries) {
    if (field.record!.fields.every((sub) => (entry[sub.key] ?? '').trim() === '')) continue;
    const options: Record<string, unknown> = {};
    for (const sub of field.record!.fields) {
      const raw = entry[sub.key] ?? '';
      // A credential is taken as typed; elsewhere spaces around are a slip.
      const text = sub.kind === 'password' ? raw : raw.trim();
      if (text === '' && !sub.required) continue;
      if (sub.kind === 'words') {
        const words = text.split(/\s+/).filter(Boolean);
        options[sub.key] = words.length === 1 ? words[0] : words.length === 0 ? '' : words;
      } else options[sub.key] = text;
    }
    read.push(options);
  }
  return read;
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
    if (field.kind === 'records') {
      options[field.key] = readRecords(field, Array.isArray(raw) ? raw : []);
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
export function fieldErrorsFromMessage(message: string): { fields: Record<string, string>; general: string[]; paths: Record<string, string> } {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  /** By the whole path, dotted: `iceServers[1].urls[0]` → `iceServers.1.urls.0`. */
  const paths: Record<string, string> = {};
  let current: string | undefined;
  const add = (to: Record<string, string>, key: string, text: string) => (to[key] = to[key] ? `${to[key]} ${text}` : text);
  const flush = (path: string | undefined) => {
    if (current === undefined) return;
    const key = path?.split(/[.[]/)[0];
    if (key) {
      add(fields, key, current);
      add(paths, path!.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, ''), current);
    } else general.push(current);
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
  return { fields, general, paths };
}

/**
 * The service's errors where the form shows them: by field key, and for a `records` field by
 * `key.index.field` (its entry's input; an error about a list in an entry, `urls[1]`, goes to
 * the entry's `urls`). An index counts the entries sent, so `sent` maps it back to the rows
 * (blank rows were not sent).
 */
export function placeErrors(plan: FormPlan, values: FormValues, parsed: ReturnType<typeof fieldErrorsFromMessage>): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (key: string, text: string) => (errors[key] = errors[key] ? `${errors[key]} ${text}` : text);
  const records = new Map(plan.fields.filter((field) => field.kind === 'records').map((field) => [field.key, field]));
  for (const [path, text] of Object.entries(parsed.paths)) {
    const [key, index, sub] = path.split('.');
    const field = records.get(key!);
    if (!field) {
      add(key!, text);
      continue;
    }
    const rows = sentRows(field, values[field.key]);
    const row = index === undefined ? undefined : rows[Number(index)];
    if (row !== undefined && sub && field.record!.fields.some((f) => f.key === sub)) add(`${key}.${row}.${sub}`, text);
    else if (row !== undefined) add(`${key}.${row}`, text);
    else add(key!, text);
  }
  return errors;
}

/** The rows of a `records` field that were sent, in order (blank rows are not). */
function sentRows(field: FormField, value: FormValue | undefined): number[] {
  const entries = Array.isArray(value) ? value : [];
  return entries.flatMap((entry, row) => (field.record!.fields.every((sub) => (entry[sub.key] ?? '').trim() === '') ? [] : [row]));
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
