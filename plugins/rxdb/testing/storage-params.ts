import type { RxJsonSchema, RxStorageInstanceCreationParams } from 'rxdb';

/** What RxDB passes a storage to open one collection (one database instance, no multi-instance
 * channel): for the storage suite and its crash writer, which open instances without RxDB. */
export function instanceParams<T>(
  collectionName: string,
  schema: RxJsonSchema<T>,
  databaseName = 'db',
): RxStorageInstanceCreationParams<T, Record<string, never>> {
  return { databaseInstanceToken: 'token', databaseName, collectionName, schema: schema as never, options: {}, multiInstance: false, devMode: false };
}
